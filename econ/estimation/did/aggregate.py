"""Summaries of ATT(g, t) with their influence functions, as R's ``did::aggte``.

Each summary is a weighted average of post-treatment ATT(g, t); where the weights are
cohort shares ``P(G = g)`` estimated from the data, their estimation enters the influence
function (the ``_weight_influence`` term), as in Callaway and Sant'Anna (2021, sec. 4):

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

Kind = Literal["simple", "group", "dynamic", "calendar"]
KINDS: tuple[Kind, ...] = ("simple", "group", "dynamic", "calendar")


@dataclass(frozen=True, eq=False)
class Aggregation:
    """Aggregated effects by ``labels`` (cohort, event time or period; none for ``simple``)
    and an overall effect, each with its influence function over the units."""

    kind: Kind
    labels: np.ndarray
    estimates: np.ndarray
    influence: np.ndarray
    overall: float
    overall_influence: np.ndarray
    min_e: float
    max_e: float
    balance_e: int | None


def _weight_influence(effects: GroupTimeEffects, cells: np.ndarray, shares: np.ndarray
                      ) -> np.ndarray:
    """Influence of estimating the normalised weights ``shares[cells] / sum(shares[cells])``.

    ``shares[j]`` is ``P(G = group[j])``; the result is ``(n_units, len(cells))``.
    """
    panel = effects.panel
    member = (panel.cohort[:, None] == effects.group[cells][None, :]) * panel.weights[:, None]
    centred = member - shares[cells][None, :]
    total = shares[cells].sum()
    return centred / total - np.outer(centred.sum(axis=1), shares[cells] / total**2)


def _weighted(effects: GroupTimeEffects, cells: np.ndarray, shares: np.ndarray
              ) -> tuple[float, np.ndarray]:
    weights = shares[cells] / shares[cells].sum()
    att = effects.att[cells]
    influence = (effects.influence[:, cells] @ weights
                 + _weight_influence(effects, cells, shares) @ att)
    return float(weights @ att), influence


def _cohort_shares(effects: GroupTimeEffects) -> np.ndarray:
    panel = effects.panel
    return np.array([np.mean(panel.weights * (panel.cohort == g)) for g in effects.group])


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
    shares = _cohort_shares(effects)
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

    n = effects.panel.n_units
    if kind == "simple":
        overall, overall_if = _weighted(effects, selections[0], shares)
        return Aggregation(kind, labels, np.array([]), np.zeros((n, 0)), overall, overall_if,
                           min_e, max_e, balance_e)
    estimates = np.empty(len(labels))
    influence = np.empty((n, len(labels)))
    for i, cells in enumerate(selections):
        if kind == "group":
            estimates[i] = effects.att[cells].mean()
            influence[:, i] = effects.influence[:, cells].mean(axis=1)
        else:
            estimates[i], influence[:, i] = _weighted(effects, cells, shares)
    if kind == "group":
        panel = effects.panel
        sizes = np.array([np.mean(panel.weights * (panel.cohort == g)) for g in labels])
        weights = sizes / sizes.sum()
        member = (panel.cohort[:, None] == labels[None, :]) * panel.weights[:, None]
        centred = member - sizes[None, :]
        weight_if = (centred / sizes.sum()
                     - np.outer(centred.sum(axis=1), sizes / sizes.sum() ** 2))
        overall = float(weights @ estimates)
        overall_if = influence @ weights + weight_if @ estimates
    elif kind == "dynamic":
        positive = labels >= 0
        overall = float(estimates[positive].mean()) if positive.any() else float("nan")
        overall_if = (influence[:, positive].mean(axis=1) if positive.any()
                      else np.full(n, np.nan))
    else:
        overall = float(estimates.mean())
        overall_if = influence.mean(axis=1)
    return Aggregation(kind, labels, estimates, influence, overall, overall_if, min_e, max_e,
                       balance_e)
