"""Sun and Abraham (2021): the saturated cohort-by-relative-period design and its weights.

The interaction-weighted estimator regresses the outcome on one dummy per treated cohort ``e``
and relative period ``l = t - e`` (all but the reference periods), with unit and time fixed
effects, so that each coefficient is the cohort's own effect ``CATT(e, l)`` against the control
cohort. The effect at relative period ``l`` is then the average of the ``CATT(e, l)`` weighted
by each cohort's share of the observations at ``l`` (the "interaction weights").

Cohorts follow the rule shared by the DiD estimators (:mod:`econ.estimation.did.cohorts`):
always-treated units (treated from the first period) have no untreated period, so no effect of
theirs is identified relative to the reference; they are dropped with a warning and a note, as
Sun and Abraham (2021) exclude them.

This module builds the dummies and the weights; fitting is left to the regression routine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from econ.data.codes import group_codes
from econ.estimation.did.cohorts import recode

Control = Literal["never_treated", "last_treated"]


@dataclass(frozen=True)
class Cell:
    """One cohort-by-relative-period dummy: its cohort, relative period and column name."""

    cohort: int
    rel_time: int
    column: str


@dataclass(frozen=True, eq=False)
class SaturatedDesign:
    """The dummies of the saturated regression and the sample they apply to.

    Attributes
    ----------
    rows
        Positions of the input rows kept: always-treated units are dropped, and the
        ``last_treated`` control drops the periods from the control cohort's treatment on, and
        the never-treated units.
    dummies
        ``len(rows) x len(cells)`` matrix of 0/1 dummies, in the order of ``cells``.
    cells
        The cohort-by-relative-period cells, by cohort then relative period.
    cohort_sizes
        Units per treated cohort with dummies.
    n_control_units
        Units in the control group.
    notes
        How the sample was formed, for the result's summary.
    """

    rows: np.ndarray
    dummies: np.ndarray
    cells: tuple[Cell, ...]
    cohort_sizes: Mapping[int, int]
    n_control_units: int
    notes: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.cells)


def saturated_design(frame: pd.DataFrame, *, unit: str, time: str, cohort: str,
                     control: Control = "never_treated", ref: Sequence[int] = (-1,),
                     prefix: str = "sunab_") -> SaturatedDesign:
    """Cohort-by-relative-period dummies for the Sun-Abraham regression.

    Parameters
    ----------
    frame
        The panel (long: one row per unit and period; it may be unbalanced).
    unit, time
        Unit identifier and integer period columns.
    cohort
        The period each unit is first treated, recoded under the rule shared by the DiD
        estimators (:mod:`econ.estimation.did.cohorts`): missing, or 0 when all periods are
        positive, marks never-treated units; cohorts after the last period count as never
        treated; always-treated units (cohort at or before the first period) are dropped with
        a ``UserWarning``, and their number is in ``notes``.
    control
        ``"never_treated"``: the never-treated units are the controls, every treated cohort
        gets dummies. ``"last_treated"``: the last-treated cohort is the control; its dummies
        and every period from its first treated one on are dropped, and so are never-treated
        units, so that the control group is that cohort alone.
    ref
        Relative periods left out of the dummies (the reference, usually ``-1``).
    prefix
        Start of the dummy column names (lengthened with ``_`` until no column has it).

    Raises
    ------
    ValueError
        If there is no control group, a reference period is outside the data or missing for
        some cohort, or the time or a treated cohort is not integer-valued.
    econ.estimation.did.cohorts.CohortError
        (a ``ValueError``) If the cohort is not numeric or changes within a unit.
    """
    refs = tuple(int(r) for r in ref)
    if control not in ("never_treated", "last_treated"):
        raise ValueError(f"control must be 'never_treated' or 'last_treated', not {control!r}")
    for name in (unit, time):
        if name not in frame.columns:
            raise ValueError(f"column {name!r} not in the data; available: {list(frame.columns)}")
        if frame[name].isna().any():
            raise ValueError(f"{name!r} is missing in {int(frame[name].isna().sum())} row(s)")
    if cohort not in frame.columns:
        raise ValueError(f"column {cohort!r} not in the data; available: {list(frame.columns)}")
    times = _integers(frame[time], time)
    codes, _ = group_codes(frame[unit])
    units = np.unique(codes, return_inverse=True)[1]
    n_units = int(units.max()) + 1
    periods = np.unique(times)
    last_period = int(periods[-1])
    cohorts = recode(frame[cohort], cohort, units=units, n_units=n_units, ids=frame[unit],
                     periods=periods.astype(np.float64), always_treated="drop")
    per_unit = cohorts.first_treated
    if (per_unit[cohorts.treated] % 1 != 0).any():
        raise ValueError(f"{cohort!r} must hold integer periods (like {time!r})")
    notes = list(cohorts.notes)
    never = cohorts.never
    row_cohort = per_unit[units]
    keep = ~cohorts.always[units]
    treated_cohorts = np.unique(per_unit[cohorts.treated])
    if control == "never_treated":
        if not never.any():
            raise ValueError(f"no never-treated units ({cohort!r} missing, 0 or after "
                             f"{last_period}): control='never_treated' needs some; use "
                             f"control='last_treated' to compare with the last-treated cohort")
        n_control = cohorts.n_never
    else:
        if len(treated_cohorts) < 2:
            raise ValueError(f"control='last_treated' needs at least two treated cohorts; "
                             f"{cohort!r} has {len(treated_cohorts)}")
        last = treated_cohorts[-1]
        keep &= (times < last) & np.isfinite(row_cohort)
        n_control = int((per_unit == last).sum())
        treated_cohorts = treated_cohorts[:-1]
        notes.append(f"control: the last-treated cohort {int(last)} ({n_control} units); "
                     f"periods from {int(last)} on dropped")
        if never.any():
            notes.append(f"{cohorts.n_never} never-treated unit(s) dropped: the control group "
                         f"is the last-treated cohort alone")
    rows = np.flatnonzero(keep)
    rel = times[rows] - np.where(np.isfinite(row_cohort[rows]), row_cohort[rows], 0)
    is_treated_cohort = np.isin(row_cohort[rows], treated_cohorts)
    _check_references(rel[is_treated_cohort], row_cohort[rows][is_treated_cohort], refs)
    name = prefix
    while any(str(c).startswith(name) for c in frame.columns):
        name += "_"
    cells: list[Cell] = []
    dummies: list[np.ndarray] = []
    for j, c in enumerate(treated_cohorts):
        own = is_treated_cohort & (row_cohort[rows] == c)
        for r in np.unique(rel[own]).astype(int):
            if r in refs:
                continue
            column = f"{name}{j}_{'m' if r < 0 else 'p'}{abs(r)}"
            cells.append(Cell(int(c), int(r), column))
            dummies.append((own & (rel == r)).astype(np.float64))
    matrix = np.column_stack(dummies) if dummies else np.empty((len(rows), 0))
    sizes = {int(c): int((per_unit == c).sum()) for c in treated_cohorts}
    return SaturatedDesign(rows, matrix, tuple(cells), sizes, n_control, tuple(notes))


def interaction_weights(cells: Sequence[Cell], counts: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    """Relative periods and the ``L x K`` matrix averaging the cells into period effects.

    Parameters
    ----------
    cells
        The ``K`` cohort-by-relative-period cells.
    counts
        Observations (or total observation weight) in each cell in the estimation sample.

    Returns
    -------
    rel_times, weights
        Row ``l`` of ``weights`` holds, for the cells at relative period ``rel_times[l]``, each
        cohort's share of the observations there (Sun and Abraham 2021, eq. 14, with the shares
        estimated by the sample frequencies as fixest's ``aggregate`` does), and zero elsewhere.
    """
    rel = np.array([c.rel_time for c in cells], dtype=np.int64)
    rel_times = np.unique(rel)
    weights = np.zeros((len(rel_times), len(cells)))
    for i, r in enumerate(rel_times):
        here = rel == r
        weights[i, here] = counts[here] / counts[here].sum()
    return rel_times, weights


def _check_references(rel: np.ndarray, cohorts: np.ndarray, refs: tuple[int, ...]) -> None:
    if not len(rel):
        raise ValueError("no treated cohort has observations: nothing to estimate")
    if not refs:
        raise ValueError("ref must name at least one relative period (usually -1): without a "
                         "reference the cohort dummies are collinear with the unit effects")
    low, high = int(rel.min()), int(rel.max())
    outside = [r for r in refs if not np.any(rel == r)]
    if len(outside) == len(refs):
        raise ValueError(f"reference period(s) {list(refs)} outside the data: relative periods "
                         f"of the treated cohorts run from {low} to {high}")
    for c in np.unique(cohorts):
        own = rel[cohorts == c]
        if not np.isin(own, refs).any():
            raise ValueError(
                f"cohort {int(c)} is never observed at the reference period(s) {list(refs)} "
                f"(its relative periods run from {int(own.min())} to {int(own.max())}): its "
                f"effects are not identified relative to the reference; choose a reference it "
                f"has or drop the cohort")


def _integers(series: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype):
        raise ValueError(f"{name!r} must hold integer periods, not {series.dtype}")
    values = series.to_numpy(dtype=np.float64)
    if (values % 1 != 0).any():
        raise ValueError(f"{name!r} must hold integer periods")
    return values.astype(np.int64)
