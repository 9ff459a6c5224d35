"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects DiD estimate.

With a balanced panel and a binary treatment that, once on, stays on, the coefficient on the
treatment in ``y ~ d | unit + time`` is a weighted average of every 2x2 difference-in-differences
between two treatment-timing groups (Goodman-Bacon 2021, Theorem 1):

- an earlier-treated group against a later-treated one, in the periods before the later group
  is treated;
- a later-treated group against an earlier-treated one, in the periods after the earlier group
  is treated (the "forbidden" comparisons: the control group is already treated, so changes in
  its treatment effect enter with a negative sign);
- a treated group against the never-treated units, over the whole panel;
- a treated group against units treated throughout the panel (always treated), over the whole
  panel; these are later-versus-earlier comparisons too.

Cohorts follow the rule shared by the DiD estimators (:mod:`econ.estimation.did.cohorts`):
unlike the cohort-effect estimators, which drop always-treated units, the decomposition keeps
them as the always-treated comparison group, since the two-way fixed-effects estimate it
decomposes uses them (Goodman-Bacon 2021).

The weights are proportional to the squared size of the pair of groups, the balance of units
between them and the variance of the treatment within the pair; they sum to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.codes import group_codes
from econ.estimation.did.cohorts import period_label, recode

EARLIER_VS_LATER = "earlier vs later treated"
LATER_VS_EARLIER = "later vs earlier treated"
VS_NEVER = "treated vs never treated"
VS_ALWAYS = "treated vs always treated"
#: The comparison types in the order tables list them.
KINDS = (EARLIER_VS_LATER, LATER_VS_EARLIER, VS_NEVER, VS_ALWAYS)

NEVER = "never"
ALWAYS = "always"


@dataclass(frozen=True)
class Comparison:
    """One 2x2 difference-in-differences of the decomposition.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    treated, control
        Labels of the group whose treatment switches on in the window and of the comparison
        group: the period the group is first treated, or ``"never"`` / ``"always"``.
    estimate
        The 2x2 DiD: change in the treated group's mean outcome from the window's pre periods to
        its post periods, less the same change for the control group.
    weight
        Its weight in the two-way fixed-effects estimate.
    first, last
        First and last period of the window.
    n_treated, n_control
        Units in each group.
    """

    kind: str
    treated: str
    control: str
    estimate: float
    weight: float
    first: float
    last: float
    n_treated: int
    n_control: int


@dataclass(frozen=True)
class BaconParts:
    """The comparisons, the two-way fixed-effects estimate they reproduce, and the panel.

    ``notes`` say how the cohorts were read (always-treated units kept, cohorts after the last
    period counted as never treated).
    """

    comparisons: tuple[Comparison, ...]
    twfe: float
    treatment_variance: float
    n_units: int
    periods: np.ndarray
    group_sizes: Mapping[str, int]
    notes: tuple[str, ...] = ()


def decompose(frame: pd.DataFrame, *, outcome: str, unit: str, time: str,
              treated_from: str) -> BaconParts:
    """Decompose the two-way fixed-effects estimate of ``outcome`` on the treatment.

    Parameters
    ----------
    frame
        A balanced panel: every unit observed once in every period, with the outcome.
    outcome, unit, time
        Column names.
    treated_from
        Either the period a unit is first treated, read under the rule shared by the DiD
        estimators (:mod:`econ.estimation.did.cohorts`: missing, or 0 when every period is
        positive, for never treated; a period after the last one counts as never treated in
        the panel; a period at or before the first one for always treated, kept as the
        always-treated comparison group), or a boolean treatment status that must stay on
        once on.

    Raises
    ------
    ValueError
        For an unbalanced panel, a missing outcome, a treatment that switches off, or a
        treatment with no variation left after the unit and time fixed effects.
    econ.estimation.did.cohorts.CohortError
        (a ``ValueError``) For a start period that is not numeric or changes within a unit.
    """
    missing = [c for c in dict.fromkeys((outcome, unit, time, treated_from))
               if c not in frame.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; available: {list(frame.columns)}")
    units, n_units, periods, period_index = _balanced_grid(frame, unit=unit, time=time)
    y = _outcome_values(frame[outcome], outcome)
    n_periods = len(periods)
    grid = np.empty((n_units, n_periods))
    grid[units, period_index] = y
    start, notes = _start_index(frame[treated_from], treated_from, units=units,
                                n_units=n_units, ids=frame[unit], periods=periods,
                                period_index=period_index)
    starts, sizes = np.unique(start, return_counts=True)
    if not ((starts > 0) & (starts < n_periods)).any():
        raise ValueError(f"no unit's treatment ({treated_from!r}) starts inside the panel "
                         f"({period_label(periods[0])}-{period_label(periods[-1])}): the "
                         f"treatment has no variation left after the unit and time fixed "
                         f"effects")
    treated = np.arange(n_periods)[None, :] >= start[:, None]
    residual = (treated - treated.mean(axis=1, keepdims=True) - treated.mean(axis=0)
                + treated.mean())
    variance = float(np.mean(residual ** 2))
    if len(starts) < 2 or variance <= 1e-12:
        raise ValueError(f"every unit starts treatment in the same period "
                         f"({period_label(periods[starts[0]])}): the treatment is collinear "
                         f"with the time fixed effects, so no variation is left after the "
                         f"fixed effects")
    twfe = float(np.sum(residual * grid) / np.sum(residual ** 2))
    means = np.vstack([grid[start == s].mean(axis=0) for s in starts])
    share = sizes / n_units
    treated_share = (n_periods - starts) / n_periods
    labels = [_group_label(s, periods) for s in starts]

    def did(a: int, b: int, pre: slice, post: slice) -> float:
        change = means[:, post].mean(axis=1) - means[:, pre].mean(axis=1)
        return float(change[a] - change[b])

    comparisons: list[Comparison] = []
    for k in range(len(starts)):
        for ell in range(k + 1, len(starts)):
            s_k, s_l = int(starts[k]), int(starts[ell])
            pair = (share[k] + share[ell]) ** 2
            balance = share[k] * share[ell] / (share[k] + share[ell]) ** 2
            gap = treated_share[k] - treated_share[ell]
            # Goodman-Bacon (2021), eq. (10b)-(10c) after cancelling the (1 - D_l) and D_k
            # factors; a never-treated group is a "later" group with D_l = 0, which gives (10a).
            if s_k > 0:
                weight = pair * balance * gap * (1 - treated_share[k]) / variance
                kind = VS_NEVER if s_l == n_periods else EARLIER_VS_LATER
                comparisons.append(Comparison(
                    kind, labels[k], labels[ell], did(k, ell, slice(0, s_k), slice(s_k, s_l)),
                    float(weight), _number(periods[0]), _number(periods[s_l - 1]),
                    int(sizes[k]), int(sizes[ell])))
            if s_l < n_periods:
                weight = pair * balance * gap * treated_share[ell] / variance
                kind = VS_ALWAYS if s_k == 0 else LATER_VS_EARLIER
                comparisons.append(Comparison(
                    kind, labels[ell], labels[k],
                    did(ell, k, slice(s_k, s_l), slice(s_l, n_periods)), float(weight),
                    _number(periods[s_k]), _number(periods[-1]), int(sizes[ell]),
                    int(sizes[k])))
    return BaconParts(tuple(comparisons), twfe, variance, n_units, periods,
                      dict(zip(labels, (int(s) for s in sizes), strict=True)), notes)


def _balanced_grid(frame: pd.DataFrame, *, unit: str,
                   time: str) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Unit codes, number of units, sorted periods and each row's period position."""
    for name in (unit, time):
        if frame[name].isna().any():
            raise ValueError(f"{name!r} is missing in {int(frame[name].isna().sum())} row(s)")
    units, _ = group_codes(frame[unit])
    units = np.unique(units, return_inverse=True)[1]
    n_units = int(units.max()) + 1 if len(units) else 0
    if not pd.api.types.is_numeric_dtype(frame[time].dtype):
        raise ValueError(f"time {time!r} must be numeric (periods in order), not "
                         f"{frame[time].dtype}")
    times = frame[time].to_numpy(dtype=np.float64)
    periods, period_index = np.unique(times, return_inverse=True)
    cells = units.astype(np.int64) * len(periods) + period_index
    counts = np.bincount(cells, minlength=n_units * len(periods))
    if counts.max(initial=0) > 1:
        raise ValueError(f"{int((counts > 1).sum())} unit-period(s) appear more than once: the "
                         f"panel needs one row per {unit!r} and {time!r}")
    if (counts == 0).any():
        short = np.unique(np.flatnonzero(counts == 0) // len(periods))
        raise ValueError(f"the panel is unbalanced: {len(short)} of {n_units} units are not "
                         f"observed in all {len(periods)} periods; the decomposition (Goodman-"
                         f"Bacon 2021, Theorem 1) holds for balanced panels only: keep the "
                         f"units observed throughout")
    return units, n_units, periods, period_index


def _outcome_values(series: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype):
        raise ValueError(f"outcome {name!r} must be numeric, not {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise ValueError(f"outcome {name!r} is missing in {int(np.isnan(values).sum())} row(s), "
                         f"which leaves the panel unbalanced; drop those units or fill the "
                         f"outcome")
    return values


def _start_index(series: pd.Series, name: str, *, units: np.ndarray, n_units: int,
                 ids: pd.Series, periods: np.ndarray,
                 period_index: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per unit, the position of its first treated period (``len(periods)`` if never), and
    the notes from reading the cohorts."""
    if pd.api.types.is_bool_dtype(series.dtype):
        if series.isna().any():
            raise ValueError(f"treatment status {name!r} is missing in "
                             f"{int(series.isna().sum())} row(s)")
        status = series.to_numpy(dtype=bool)
        start = np.full(n_units, len(periods))
        np.minimum.at(start, units[status], period_index[status])
        switched_off = ~status & (period_index > start[units])
        if switched_off.any():
            bad = np.unique(units[switched_off])
            raise ValueError(f"treatment {name!r} is not absorbing: it switches off again in "
                             f"{len(bad)} unit(s); the decomposition needs a treatment that "
                             f"stays on once on")
        return start, ()
    cohorts = recode(series, name, units=units, n_units=n_units, ids=ids, periods=periods,
                     always_treated="keep")
    # Never treated (inf) lands after the last period, always treated at position 0.
    return np.searchsorted(periods, cohorts.first_treated, side="left"), cohorts.notes


def _group_label(start: int, periods: np.ndarray) -> str:
    if start == 0:
        return ALWAYS
    if start == len(periods):
        return NEVER
    return period_label(periods[start])


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)
