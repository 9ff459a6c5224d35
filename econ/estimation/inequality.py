"""Allocation-inequality measures, vectorised over replicate weights.

Every measure takes ``values`` of shape ``(n,)`` and optional frequency ``weights`` of shape
``(n,)`` or ``(k, n)`` (``k`` replicates at once, e.g. cluster-bootstrap multiplicities). A weight
``w_i`` counts observation ``i`` ``w_i`` times, so integer weights give exactly the measure of the
replicated population. A vector of weights (or none) gives a float; a matrix gives ``(k,)``.

Zero rule: Theil T uses ``0 log 0 = 0`` so zeros are allowed; Theil L needs strictly positive
values; negative values always raise. Missing values raise, except in :func:`measures` and
:func:`theil_decomposition` with ``dropna=True``, which report how many were dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import xlogy

TheilKind = Literal["T", "L"]
_OFFSET_HINT = ("use per-capita funds plus a stated offset (e.g. values + 1, reported as such), "
                "or Theil T, which allows zeros")


def _values(values: object, *, positive: bool = False, what: str = "the measure") -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{what} needs a non-empty vector of values, got shape {y.shape}")
    missing = int(np.isnan(y).sum())
    if missing:
        raise ValueError(f"{what}: {missing} missing value(s); drop them first or pass "
                         f"dropna=True to measures()/theil_decomposition()")
    negative = int((y < 0).sum())
    if negative:
        raise ValueError(f"{what}: {negative} negative value(s); inequality of allocations "
                         f"needs non-negative values")
    if positive:
        zeros = int((y == 0).sum())
        if zeros:
            raise ValueError(f"{what} needs strictly positive values: {zeros} zero(s) found; "
                             f"{_OFFSET_HINT}")
    if not np.any(y > 0):
        raise ValueError(f"{what}: all values are zero, inequality is undefined")
    return y


def _weights(weights: object | None, n: int) -> tuple[np.ndarray, bool]:
    """Weights as a ``(k, n)`` matrix, and whether the caller passed a matrix."""
    if weights is None:
        return np.ones((1, n)), False
    w = np.asarray(weights, dtype=float)
    matrix, given = w.ndim == 2, w.shape
    w = np.atleast_2d(w)
    if w.shape[1] != n or w.ndim != 2:
        raise ValueError(f"weights of shape {given} do not match {n} values")
    if np.any(w < 0) or np.isnan(w).any():
        raise ValueError("weights must be non-negative and not missing")
    return w, matrix


def _out(result: np.ndarray, matrix: bool) -> float | np.ndarray:
    return result if matrix else float(result[0])


def _rowsum(a: np.ndarray) -> np.ndarray:
    # A running sum along each row: the result for a row does not depend on how many rows are
    # summed together (numpy's 2-D ``sum(axis=1)`` does), keeping bootstraps chunk-invariant.
    return np.cumsum(a, axis=1)[:, -1]


def _totals(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _rowsum(w), _rowsum(w * y)


def gini(values: object, weights: object | None = None) -> float | np.ndarray:
    """Gini coefficient by the sorted formula ``2 sum_k k y_(k) / (N S) - (N + 1) / N``.

    With weights, unit ``i`` holds ranks ``C_{i-1} + 1 .. C_i`` (``C`` the cumulative weight in
    sorted order), so its rank sum is ``w_i (C_i - (w_i - 1) / 2)``.
    """
    y = _values(values, what="Gini")
    w, matrix = _weights(weights, y.size)
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[:, order]
    cum = np.cumsum(ws, axis=1)
    n_total, s_total = cum[:, -1], _rowsum(ws * ys)
    ranks = _rowsum(ws * ys * (cum - (ws - 1.0) / 2.0))
    return _out(2.0 * ranks / (n_total * s_total) - (n_total + 1.0) / n_total, matrix)


def theil_t(values: object, weights: object | None = None) -> float | np.ndarray:
    """Theil T, ``mean((y / mu) log(y / mu))``, with ``0 log 0 = 0``."""
    y = _values(values, what="Theil T")
    w, matrix = _weights(weights, y.size)
    return _out(_theil_t(y, w, *_totals(y, w)), matrix)


def theil_l(values: object, weights: object | None = None) -> float | np.ndarray:
    """Theil L (mean log deviation), ``log(mu) - mean(log y)``; values must be positive."""
    y = _values(values, positive=True, what="Theil L")
    w, matrix = _weights(weights, y.size)
    return _out(_theil_l(y, w, *_totals(y, w)), matrix)


def coefficient_of_variation(values: object, weights: object | None = None
                             ) -> float | np.ndarray:
    """Population standard deviation (divisor ``N``) over the mean."""
    y = _values(values, what="coefficient of variation")
    w, matrix = _weights(weights, y.size)
    return _out(_coefficient_of_variation(y, w, *_totals(y, w)), matrix)


# The measures on checked values and a weight matrix, given the totals (N, S) of the weights
# and of the weighted values: measures() and the decompositions compute those once.
def _theil_t(y: np.ndarray, w: np.ndarray, n_total: np.ndarray, s_total: np.ndarray
             ) -> np.ndarray:
    mu = s_total / n_total
    return _rowsum(w * xlogy(y, y)) / s_total - np.log(mu)


def _theil_l(y: np.ndarray, w: np.ndarray, n_total: np.ndarray, s_total: np.ndarray
             ) -> np.ndarray:
    return np.log(s_total / n_total) - _rowsum(w * np.log(y)) / n_total


def _coefficient_of_variation(y: np.ndarray, w: np.ndarray, n_total: np.ndarray,
                              s_total: np.ndarray) -> np.ndarray:
    mu = s_total / n_total
    variance = _rowsum(w * (y[None, :] - mu[:, None]) ** 2) / n_total
    return np.sqrt(variance) / mu


def lorenz_curve(values: object, weights: object | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz points: cumulative population share and value share, from ``(0, 0)`` to ``(1, 1)``.

    Returns two arrays of length ``n + 1`` (or ``(k, n + 1)`` with a weight matrix).
    """
    y = _values(values, what="Lorenz curve")
    w, matrix = _weights(weights, y.size)
    pop, share = _lorenz(y, w)
    return (pop, share) if matrix else (pop[0], share[0])


def _lorenz(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[:, order]
    zero = np.zeros((w.shape[0], 1))
    pop = np.concatenate([zero, np.cumsum(ws, axis=1)], axis=1)
    share = np.concatenate([zero, np.cumsum(ws * ys, axis=1)], axis=1)
    return pop / pop[:, -1:], share / share[:, -1:]


def top_share(values: object, fraction: float, weights: object | None = None
              ) -> float | np.ndarray:
    """Share of the total held by the top ``fraction`` of the population.

    ``1 - L(1 - fraction)`` on the piecewise-linear Lorenz curve, so a boundary unit counts
    in proportion (top 10% of 10 equal-weight units is exactly the largest one).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    pop, share = lorenz_curve(values, weights)
    return _out(_top_share(np.atleast_2d(pop), np.atleast_2d(share), fraction), pop.ndim == 2)


def _top_share(pop: np.ndarray, share: np.ndarray, fraction: float) -> np.ndarray:
    return np.array([1.0 - np.interp(1.0 - fraction, p, s) for p, s in zip(pop, share,
                                                                           strict=True)])


@dataclass(frozen=True)
class TheilDecomposition:
    """Theil index split into within- and between-group parts (floats, or ``(k,)`` arrays)."""

    kind: TheilKind
    total: float | np.ndarray
    within: float | np.ndarray
    between: float | np.ndarray
    between_share: float | np.ndarray
    groups: tuple[str, ...]
    dropped: int = 0


def _group_codes(groups: object, n: int) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    g = pd.Series(np.asarray(groups, dtype=object) if not isinstance(groups, pd.Series)
                  else groups.to_numpy(dtype=object))
    if len(g) != n:
        raise ValueError(f"groups has {len(g)} entries for {n} values")
    missing = g.isna().to_numpy()
    codes, labels = pd.factorize(g, sort=True)
    return codes, tuple(str(x) for x in labels), missing


def theil_decomposition(
    values: object,
    groups: object,
    *,
    kind: TheilKind = "T",
    weights: object | None = None,
    allow_singletons: bool = False,
    dropna: bool = False,
) -> TheilDecomposition:
    """Decompose Theil T or L into ``total = within + between`` over ``groups``.

    Between T is ``sum_g (S_g / S) log(mu_g / mu)``; between L is ``sum_g (N_g / N)
    log(mu / mu_g)``. The between share is ``between / total``.

    Raises
    ------
    ValueError
        On missing values or groups (unless ``dropna``), negative values, zeros for Theil L,
        or a group with a single observation (unless ``allow_singletons``).
    """
    return theil_decompositions(values, groups, kinds=(kind,), weights=weights,
                                allow_singletons=allow_singletons, dropna=dropna)[0]


def theil_decompositions(
    values: object,
    groups: object,
    *,
    kinds: Sequence[TheilKind] = ("T", "L"),
    weights: object | None = None,
    allow_singletons: bool = False,
    dropna: bool = False,
) -> tuple[TheilDecomposition, ...]:
    """:func:`theil_decomposition` of each of ``kinds``, sharing the group totals (the same
    numbers as separate calls, computed once)."""
    unknown = [kind for kind in kinds if kind not in ("T", "L")]
    if unknown:
        raise ValueError(f"kind must be 'T' or 'L', got {unknown[0]!r}")
    y = np.asarray(values, dtype=float)
    codes, labels, missing_group = _group_codes(groups, y.size)
    drop = np.isnan(y) | missing_group
    dropped = int(drop.sum())
    if dropped and not dropna:
        raise ValueError(f"{int(np.isnan(y).sum())} missing value(s) and "
                         f"{int(missing_group.sum())} missing group(s); pass dropna=True to "
                         f"drop them (the count is reported)")
    w_in = None if weights is None else np.asarray(weights, dtype=float)
    if dropped:
        keep = ~drop
        y, codes = y[keep], codes[keep]
        w_in = None if w_in is None else w_in[..., keep]
    present = np.unique(codes)
    sizes = np.bincount(codes, minlength=len(labels))
    singles = [labels[c] for c in present if sizes[c] == 1]
    if singles and not allow_singletons:
        raise ValueError(f"group(s) with a single observation: {', '.join(singles)}; their "
                         f"within-group inequality is 0 by construction. Merge them or pass "
                         f"allow_singletons=True")
    for kind in kinds:
        _values(y, positive=kind == "L", what=f"Theil {kind}")
    w, matrix = _weights(w_in, y.size)
    n_total, s_total = _totals(y, w)
    mu = s_total / n_total
    group_totals = []
    for c in present:
        mask = codes == c
        group_totals.append((_rowsum(w[:, mask]), _rowsum(w[:, mask] * y[mask])))
    present_labels = tuple(labels[c] for c in present)
    found = []
    for kind in kinds:
        total = (_theil_t if kind == "T" else _theil_l)(y, w, n_total, s_total)
        between = np.zeros(w.shape[0])
        for n_g, s_g in group_totals:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(n_g > 0, (s_g / n_g) / mu, 1.0)
                if kind == "T":
                    term = xlogy(s_g / s_total, np.where(s_g > 0, ratio, 1.0))
                else:
                    term = (n_g / n_total) * -np.log(ratio)
            between = between + term
        within = total - between
        with np.errstate(divide="ignore", invalid="ignore"):
            share = between / total
        found.append(TheilDecomposition(kind, _out(total, matrix), _out(within, matrix),
                                        _out(between, matrix), _out(share, matrix),
                                        present_labels, dropped))
    return tuple(found)


@dataclass(frozen=True)
class Measures:
    """The standard inequality measures of one distribution (floats, or ``(k,)`` arrays)."""

    gini: float | np.ndarray
    theil_t: float | np.ndarray
    theil_l: float | np.ndarray | None
    coefficient_of_variation: float | np.ndarray
    top10_share: float | np.ndarray
    top1_share: float | np.ndarray
    observations: int
    dropped: int = 0

    def as_dict(self) -> dict[str, float | np.ndarray | None]:
        return {"gini": self.gini, "theil_t": self.theil_t, "theil_l": self.theil_l,
                "cv": self.coefficient_of_variation, "top10_share": self.top10_share,
                "top1_share": self.top1_share}


MEASURE_NAMES: Sequence[str] = ("gini", "theil_t", "theil_l", "cv", "top10_share", "top1_share")


def measures(values: object, weights: object | None = None, *, dropna: bool = False,
             theil_l_required: bool = True) -> Measures:
    """Gini, Theil T and L, CV and top-10% / top-1% shares of ``values``.

    With ``theil_l_required=False`` zeros give ``theil_l=None`` instead of an error.
    """
    y = np.asarray(values, dtype=float)
    missing = np.isnan(y) if y.ndim == 1 else np.zeros(0, bool)
    dropped = int(missing.sum())
    if dropped:
        if not dropna:
            raise ValueError(f"{dropped} missing value(s); pass dropna=True to drop them (the "
                             f"count is reported)")
        y = y[~missing]
        weights = None if weights is None else np.asarray(weights, dtype=float)[..., ~missing]
    positive = bool(np.all(y > 0))
    if not positive and theil_l_required:
        theil_l(y, weights)  # raises the zero / negative message
    gini_value = gini(y, weights)  # checks the values and weights
    w, matrix = _weights(weights, y.size)
    # The totals and the Lorenz curve, computed once, serve several measures.
    totals = _totals(y, w)
    pop, share = _lorenz(y, w)
    return Measures(gini_value, _out(_theil_t(y, w, *totals), matrix),
                    _out(_theil_l(y, w, *totals), matrix) if positive else None,
                    _out(_coefficient_of_variation(y, w, *totals), matrix),
                    _out(_top_share(pop, share, 0.10), matrix),
                    _out(_top_share(pop, share, 0.01), matrix), int(y.size), dropped)
