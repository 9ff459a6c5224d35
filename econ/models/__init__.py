"""Generic estimators, each a thin entry point from data and typed options to a result."""
