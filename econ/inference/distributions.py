"""Tail probabilities and quantiles of the normal, t, F and chi-square distributions.

The numbers scipy.stats gives (``t.sf``, ``t.ppf``, ``f.sf``, ``f.ppf``, ``chi2.sf`` and the
normal's ``cdf``, ``sf``, ``ppf``, ``isf``, ``pdf``) come from scipy.special's ``stdtr``,
``stdtrit``, ``fdtrc``, ``fdtri``, ``chdtrc``, ``ndtr`` and ``ndtri``; scipy.stats adds the
distributions' supports and argument checks, and its location (0), which turns a quantile of
-0.0 into 0.0. These functions do the same, so they return the same numbers bit for bit (the
tests compare them over the domains and their edges: infinite and invalid degrees of freedom,
statistics at or below zero, probabilities 0, 0.5 and 1), without importing scipy.stats: its
import takes about half a second, which a fresh process's first regression table or test
paid.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def t_sf(statistic: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Upper tail probability of Student's t with ``df`` degrees of freedom (``inf``: normal)."""
    return special.stdtr(df, -np.asarray(statistic, dtype=float))


def t_quantile(p: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Quantile ``p`` of Student's t (``-inf`` at 0 and ``inf`` at 1, as scipy.stats)."""
    p = np.asarray(p, dtype=float)
    out = special.stdtrit(df, p) + 0.0
    return np.where((p == 0) & _positive(df), -np.inf, out)


def f_sf(statistic: np.ndarray | float, dfn: np.ndarray | float, dfd: np.ndarray | float
         ) -> np.ndarray:
    """Upper tail probability of the F distribution (1 at and below 0, its support's start)."""
    x = np.asarray(statistic, dtype=float)
    out = special.fdtrc(dfn, dfd, x)
    return np.where((x <= 0) & _positive(dfn) & _positive(dfd), 1.0, out)


def f_quantile(p: np.ndarray | float, dfn: np.ndarray | float, dfd: np.ndarray | float
               ) -> np.ndarray:
    """Quantile ``p`` of the F distribution (0 at 0 and ``inf`` at 1, as scipy.stats)."""
    p = np.asarray(p, dtype=float)
    out = special.fdtri(dfn, dfd, p) + 0.0
    valid = _positive(dfn) & _positive(dfd)
    return np.where(valid & (p == 0), 0.0, np.where(valid & (p == 1), np.inf, out))


def chi2_sf(statistic: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Upper tail probability of the chi-square distribution (1 at and below 0)."""
    x = np.asarray(statistic, dtype=float)
    valid = _positive(df)
    out = special.chdtrc(df, x)
    out = np.where(valid & (x <= 0), 1.0, np.where(valid & (x == np.inf), 0.0, out))
    return np.where(valid, out, np.nan)


def norm_cdf(x: np.ndarray | float) -> np.ndarray:
    """Standard normal distribution function."""
    return special.ndtr(x)


def norm_sf(x: np.ndarray | float) -> np.ndarray:
    """Standard normal upper tail probability."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(p: np.ndarray | float) -> np.ndarray:
    """Standard normal quantile."""
    return special.ndtri(p) + 0.0


def norm_isf(p: np.ndarray | float) -> np.ndarray:
    """Standard normal upper quantile: ``norm_ppf(1 - p)`` without the rounding of ``1 - p``."""
    return -special.ndtri(p) + 0.0


def norm_pdf(x: np.ndarray | float) -> np.ndarray:
    """Standard normal density."""
    x = np.asarray(x, dtype=float)
    return np.exp(-x**2 / 2.0) / np.sqrt(2 * np.pi)


def _positive(df: np.ndarray | float) -> np.ndarray:
    """Degrees of freedom scipy.stats accepts (above 0; ``inf`` included)."""
    return np.asarray(df, dtype=float) > 0
