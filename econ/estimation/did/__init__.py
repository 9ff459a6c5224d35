"""Difference-in-differences designs: staggered adoption (Callaway and Sant'Anna 2021)."""
