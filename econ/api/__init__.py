"""API: the replication pipeline and other entry points built on the layers below."""
