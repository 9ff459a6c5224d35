"""Temporary re-export: the wild-bootstrap weights now live in :mod:`econ.inference.resampling`.

Delete this module once ``econ/api/staggered.py``, ``econ/results/regression.py`` and
``tests/inference/test_wild_bootstrap_properties.py`` import from there.
"""

from econ.inference.resampling import Distribution, stream

__all__ = ["Distribution", "stream"]
