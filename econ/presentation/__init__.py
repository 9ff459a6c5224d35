"""Presentation: tables and figures for papers and notebooks."""
