"""Estimation: summaries and (later) regressions computed from validated data."""
