"""A joint Wald test that the pre-period coefficients of an event study are all zero."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from econ.inference.distributions import chi2_sf, f_sf


@dataclass(frozen=True)
class JointWald:
    """``W = b' V^{-1} b / q`` for ``q`` coefficients, with its p-value.

    The p-value is from ``F(q, df)`` when ``df`` is finite, else from ``chi2(q) / q``.
    """

    statistic: float
    q: int
    df: float
    pvalue: float


def joint_wald(estimates: np.ndarray, cov: np.ndarray, df: float = np.inf) -> JointWald:
    """Test ``b = 0`` jointly for ``estimates`` ``b`` with covariance ``cov``.

    Raises
    ------
    ValueError
        With no coefficient, a covariance of the wrong shape, or a singular one (the message
        says which: a reference period left among the coefficients has zero variance).
    """
    b = np.asarray(estimates, dtype=float)
    V = np.atleast_2d(np.asarray(cov, dtype=float))
    q = b.size
    if q == 0:
        raise ValueError("joint_wald needs at least one coefficient (no pre-period to test)")
    if V.shape != (q, q):
        raise ValueError(f"joint_wald: cov must be {q} x {q}, got {V.shape}")
    if np.linalg.matrix_rank(V) < q:
        raise ValueError("joint_wald: the covariance of the tested coefficients is singular "
                         "(is a reference period, fixed at zero, among them?)")
    statistic = float(b @ np.linalg.solve(V, b)) / q
    pvalue = (float(f_sf(statistic, q, df)) if np.isfinite(df)
              else float(chi2_sf(statistic * q, q)))
    return JointWald(statistic, q, float(df), pvalue)
