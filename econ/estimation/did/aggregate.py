"""Summaries of ATT(g, t) with their influence functions, as R's ``did::aggte``.

Each summary is a weighted average of post-treatment ATT(g, t); where the weights are
cohort shares ``P(G = g)`` estimated from the data, their estimation enters the influence
function (see :func:`_weighted`), as in Callaway and Sant'Anna (2021, sec. 4):

- ``simple``: every post-treatment cell, weighted by its cohort's size;
- ``group``: per cohort, the mean over its post-treatment periods; overall, the cohort-size
  weighted mean of those;
- ``dynamic``: per event time ``e = t - g``, cells weighted by cohort size; overall, the mean
  over ``e >= 0``; ``min_e``/``max_e`` restrict the event times, ``balance_e`` keeps only
  cohorts observed for at least ``balance_e`` periods after treatment;
- ``calendar``: per period ``t``, the cohort-size weighted mean of cells already treated;
  overall, the mean over periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from econ.estimation.did.callaway_santanna import GroupTimeEffects
from econ.estimation.did.panel import StaggeredPanel

Kind = Literal["simple", "group", "dynamic", "calendar"]
KINDS: tuple[Kind, ...] = ("simple", "group", "dynamic", "calendar")


@dataclass(frozen=True, eq=False)
class Aggregation:
    """Aggregated effects by ``labels`` (cohort, event time or period; none for ``simple``)
    and an overall effect, each with its influence function over the units.

    ``coefficients`` (basis columns by ``labels`` then overall) give those influence functions
    as combinations of the columns of :func:`basis`: ``basis(effects) @ coefficients`` is
    ``[influence, overall_influence]``, so bootstrap draws of the basis give theirs.
    """

    kind: Kind
    labels: np.ndarray
    estimates: np.ndarray
    influence: np.ndarray
    overall: float
    overall_influence: np.ndarray
    min_e: float
    max_e: float
    balance_e: int | None
    coefficients: np.ndarray


def basis(effects: GroupTimeEffects) -> np.ndarray:
    """The columns every aggregation's influence function combines: the cells' influence
    functions, then ``w_i 1{G_i = g}`` for each cohort ``g`` of ``effects.groups`` (the
    estimated cohort shares' terms), units by columns."""
    panel = effects.panel
    members = (panel.cohort[:, None] == effects.groups[None, :]) * panel.weights[:, None]
    return np.column_stack([effects.influence, members])


def _unit_cohorts(panel_cohort: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """Each unit's position in ``cohorts`` (sorted), ``cohorts.size`` for units of none."""
    position = np.searchsorted(cohorts, panel_cohort)
    found = position < cohorts.size
    found[found] = cohorts[position[found]] == panel_cohort[found]
    position[~found] = cohorts.size
    return position


def _combine(influence: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``influence @ weights`` (units by cells, cells by selections; each selection weights a
    few cells) as sums of weighted columns, ``(n_units, selections)``.

    A BLAS product of these mid-sized matrices runs on several threads, and on a busy
    machine waits milliseconds for one to be scheduled; the sums are cheap and never wait.
    """
    by_cell = influence.T  # cells by units, rows contiguous
    combined = np.zeros((weights.shape[1], influence.shape[0]))
    for i in range(weights.shape[1]):
        cells = np.flatnonzero(weights[:, i])
        combined[i] = (by_cell[cells] * weights[cells, i][:, None]).sum(axis=0)
    return combined.T


def _weighted(effects: GroupTimeEffects, estimates: np.ndarray, influence: np.ndarray,
              coefficients: np.ndarray, cohort: np.ndarray, shares: np.ndarray,
              selections: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cohort-share weighted means of ``estimates`` (with ``influence``, units by estimates,
    their :func:`basis` ``coefficients`` and cohort ``cohort`` each) over each selection: the
    means, their influence functions ``(n_units, len(selections))`` and coefficients.

    ``shares[j]`` is ``P(G = cohort[j])``. A selection's weights ``shares[cells] / total``,
    ``total = sum(shares[cells])``, are estimated; with ``member[i, j] = w_i 1{G_i =
    cohort[j]}`` the influence of that estimation on the mean is ``(member @ est - shares @
    est) / total - (member.sum(1) - total) shares @ est / total^2``, in which the constants
    cancel: ``w_i (A_i / total - C_i shares @ est / total^2)``, where ``A_i`` and ``C_i`` sum
    the estimates and count them over the selected ones of unit ``i``'s cohort (zero for
    units of no selected cohort).
    """
    panel = effects.panel
    cohorts, cohort_of = np.unique(cohort, return_inverse=True)
    weights = np.zeros((estimates.size, len(selections)))
    # Per cohort (rows; a last, zero row for units of no cohort here) and selection.
    per_cohort = np.zeros((cohorts.size + 1, len(selections)))
    for i, cells in enumerate(selections):
        total = shares[cells].sum()
        weights[cells, i] = shares[cells] / total
        estimate_sums = np.bincount(cohort_of[cells], estimates[cells], cohorts.size)
        counts = np.bincount(cohort_of[cells], minlength=cohorts.size)
        per_cohort[:-1, i] = (estimate_sums / total
                              - counts * (shares[cells] @ estimates[cells]) / total**2)
    used = np.where(weights.any(axis=1), estimates, 0.0)  # cells left out may be NaN
    unit_cohort = _unit_cohorts(panel.cohort, cohorts)
    combined = coefficients @ weights
    combined[effects.att.size + np.searchsorted(effects.groups, cohorts)] += per_cohort[:-1]
    return (used @ weights,
            _combine(influence, weights) + panel.weights[:, None] * per_cohort[unit_cohort],
            combined)


def _cohort_shares(panel: StaggeredPanel, cohort: np.ndarray) -> np.ndarray:
    """``P(G = g)`` for each ``g`` of ``cohort``: the weighted share of its units."""
    cohorts, position = np.unique(cohort, return_inverse=True)
    sums = np.bincount(_unit_cohorts(panel.cohort, cohorts), panel.weights, cohorts.size + 1)
    return sums[position] / panel.n_units


def aggregate(effects: GroupTimeEffects, kind: Kind, *, min_e: float = -np.inf,
              max_e: float = np.inf, balance_e: int | None = None) -> Aggregation:
    """Aggregate ATT(g, t) (see the module docstring for each ``kind``).

    Raises
    ------
    ValueError
        For an unknown ``kind``, or if a cell the aggregate needs was not estimated (NaN).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    group, time = effects.group, effects.time
    post = group <= time
    if kind == "dynamic":
        event = time - group
        usable = np.ones(group.size, dtype=bool)
        if balance_e is not None:
            usable = effects.panel.periods[-1] - group >= balance_e
            span = effects.panel.periods[-1] - effects.panel.periods[0]
            min_e, max_e = max(min_e, balance_e - span), min(max_e, balance_e)
        labels = np.unique(event[usable])
        labels = labels[(labels >= min_e) & (labels <= max_e)]
        selections = [np.flatnonzero(usable & (event == e)) for e in labels]
    elif kind == "group":
        labels = effects.groups
        selections = [np.flatnonzero((group == g) & post) for g in labels]
    elif kind == "calendar":
        labels = effects.panel.periods[effects.panel.periods >= group.min()]
        selections = [np.flatnonzero((time == t) & post) for t in labels]
    else:
        labels = np.array([])
        selections = [np.flatnonzero(post)]
    needed = np.concatenate(selections) if selections else np.array([], dtype=np.int64)
    if np.isnan(effects.att[needed]).any():
        bad = [(f"{group[j]:g}", f"{time[j]:g}") for j in needed if np.isnan(effects.att[j])]
        raise ValueError(f"cannot aggregate: ATT(g, t) not estimated for {bad[:5]}")

    n, k = effects.panel.n_units, effects.att.size
    if not selections:
        return Aggregation(kind, labels, np.empty(0), np.empty((n, 0)), float("nan"),
                           np.full(n, np.nan), min_e, max_e, balance_e,
                           np.zeros((k + effects.groups.size, 1)))
    cells_basis = np.eye(k + effects.groups.size, k)
    if kind == "group":
        # Per cohort an equal-weight mean (nothing estimated in its weights); overall, the
        # cohort-size weighted mean of those.
        weights = np.zeros((k, labels.size))
        for i, cells in enumerate(selections):
            weights[cells, i] = 1.0 / cells.size
        estimates = effects.att[needed] @ weights[needed]
        influence = _combine(effects.influence, weights)
        coefficients = cells_basis @ weights
        overall, overall_if, overall_coefficients = _weighted(
            effects, estimates, influence, coefficients, labels,
            _cohort_shares(effects.panel, labels), [np.arange(labels.size)])
        return Aggregation(kind, labels, estimates, influence, float(overall[0]),
                           overall_if[:, 0], min_e, max_e, balance_e,
                           np.column_stack([coefficients, overall_coefficients]))
    estimates, influence, coefficients = _weighted(
        effects, effects.att, effects.influence, cells_basis, group,
        _cohort_shares(effects.panel, group), selections)
    if kind == "simple":
        return Aggregation(kind, labels, np.array([]), np.zeros((n, 0)), float(estimates[0]),
                           influence[:, 0], min_e, max_e, balance_e, coefficients)
    # Overall: the mean over the post-treatment event times (dynamic) or over periods.
    overall_columns = labels >= 0 if kind == "dynamic" else np.ones(labels.size, dtype=bool)
    if not overall_columns.any():
        return Aggregation(kind, labels, estimates, influence, float("nan"),
                           np.full(n, np.nan), min_e, max_e, balance_e,
                           np.column_stack([coefficients, np.zeros(coefficients.shape[0])]))
    return Aggregation(kind, labels, estimates, influence,
                       float(estimates[overall_columns].mean()),
                       influence[:, overall_columns].mean(axis=1), min_e, max_e, balance_e,
                       np.column_stack([coefficients,
                                        coefficients[:, overall_columns].mean(axis=1)]))
