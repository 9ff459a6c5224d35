"""Multiple-testing adjustments: Holm's step-down and the Romano-Wolf bootstrap step-down.

The bootstrap versions take the observed ``|t|`` of ``m`` hypotheses and ``B`` bootstrap
replicates ``|t*|`` recentred at the estimates (``|b* - b| / se*``), as produced for instance
by :func:`econ.inference.respondent_bootstrap.bootstrap`.
"""

from __future__ import annotations

import numpy as np


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values.

    Parameters
    ----------
    pvalues
        Unadjusted p-values of the ``m`` hypotheses.

    Returns
    -------
    numpy.ndarray
        ``min(1, max_{j <= i} (m - j + 1) p_(j))`` for the ``i``-th smallest, in input order.
    """
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def romano_wolf(t_observed: np.ndarray, t_boot: np.ndarray) -> np.ndarray:
    """Romano-Wolf step-down adjusted p-values for two-sided tests.

    At step ``s`` the hypotheses not yet passed are compared with the bootstrap maximum of
    ``|t*|`` over them; p-values are then made monotone in ``|t|``.

    Parameters
    ----------
    t_observed
        The ``m`` observed t statistics (their absolute values are used).
    t_boot
        ``(B, m)`` bootstrap t statistics recentred at the estimates.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values ``(1 + #{max* >= |t|}) / (B + 1)``, in input order.
    """
    t_observed = np.abs(np.asarray(t_observed, dtype=float))
    t_boot = np.abs(np.asarray(t_boot, dtype=float))
    b, m = t_boot.shape
    order = np.argsort(-t_observed, kind="stable")
    raw = np.empty(m)
    for s in range(m):
        remaining = order[s:]
        largest = t_boot[:, remaining].max(axis=1)
        raw[s] = (1.0 + np.sum(largest >= t_observed[order[s]])) / (b + 1.0)
    out = np.empty(m)
    out[order] = np.maximum.accumulate(raw)
    return out


def bootstrap_pvalues(t_observed: np.ndarray, t_boot: np.ndarray) -> np.ndarray:
    """Unadjusted two-sided bootstrap-t p-values ``(1 + #{|t*| >= |t|}) / (B + 1)``.

    Parameters
    ----------
    t_observed
        The ``m`` observed t statistics.
    t_boot
        ``(B, m)`` bootstrap t statistics recentred at the estimates.

    Returns
    -------
    numpy.ndarray
        One p-value per hypothesis.
    """
    b = t_boot.shape[0]
    return (1.0 + np.sum(np.abs(t_boot) >= np.abs(t_observed), axis=0)) / (b + 1.0)
