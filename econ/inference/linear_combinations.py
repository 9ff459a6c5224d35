"""Inference for linear combinations ``R b`` of estimates: the one place it is written.

Each row of ``R`` gives a combination; its variance is ``R V R'`` (the delta method with ``R``
held fixed), t statistics and intervals use the covariance's degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.inference.distributions import t_quantile, t_sf


def critical_value(level: float, df: float) -> float:
    """Two-sided t critical value at confidence ``level`` (normal when ``df`` is infinite)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(t_quantile(0.5 + level / 2, df))


def std_errors(cov: np.ndarray) -> np.ndarray:
    """Square roots of the diagonal; rounding below zero reads as zero, a clearly negative
    variance (possible with multiway clustering) as NaN."""
    variances = np.diag(cov).copy()
    rounding = 1e-12 * max(float(np.abs(cov).max(initial=0.0)), 1e-300)
    variances[(variances < 0) & (variances > -rounding)] = 0.0
    variances[variances < 0] = np.nan
    return np.sqrt(variances)


def inference_table(estimates: np.ndarray, errors: np.ndarray, df: float | np.ndarray,
                    level: float, keys: dict[str, object] | None = None) -> pd.DataFrame:
    """``estimate, std_error, statistic, p_value, conf_low, conf_high`` (after ``keys``)."""
    dfs = np.broadcast_to(np.asarray(df, dtype=float), np.shape(estimates))
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    q = t_quantile(0.5 + level / 2, dfs)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimates / errors
    return pd.DataFrame({**(keys or {}), "estimate": estimates, "std_error": errors,
                         "statistic": statistic,
                         "p_value": 2 * t_sf(np.abs(statistic), dfs),
                         "conf_low": estimates - q * errors,
                         "conf_high": estimates + q * errors})


def linear_combinations(params: np.ndarray, cov: np.ndarray, df: float, R: np.ndarray,
                        names: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """One row per combination ``R[i] @ params``, named by ``names``."""
    matrix = np.atleast_2d(np.asarray(R, dtype=float))
    if matrix.shape[1] != len(params):
        raise ValueError(f"R has {matrix.shape[1]} columns; there are {len(params)} estimates")
    if len(names) != matrix.shape[0]:
        raise ValueError(f"{len(names)} names for {matrix.shape[0]} combinations")
    estimates = matrix @ params
    errors = std_errors(matrix @ cov @ matrix.T)
    return inference_table(estimates, errors, df, level, {"term": list(names)})
