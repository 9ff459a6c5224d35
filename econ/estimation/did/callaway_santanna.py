"""Group-time average treatment effects ATT(g, t) (Callaway and Sant'Anna 2021) for panels.

For cohort ``g`` and period ``t`` the estimate is a 2x2 DiD between the units first treated in
``g`` and a comparison group, over the periods ``t`` and a base period:

- base period: ``"varying"`` uses ``t - 1`` for pre-treatment periods and the last period before
  ``g - anticipation`` from ``g - anticipation`` on; ``"universal"`` uses the last period before
  ``g - anticipation`` throughout (that period's own ATT is reported as 0 with no standard
  error);
- comparison group: never-treated units, or units not yet treated (plus ``anticipation``) in
  the later of the two periods, excluding cohort ``g`` itself;
- covariates are taken in the earlier of the two periods (the base period, except for
  universal-base periods before the base), as R's ``did`` does.

Cohorts follow the rule shared by the DiD estimators (:mod:`econ.estimation.did.cohorts`):
always-treated units are dropped by :func:`econ.estimation.did.panel.prepare`.

Influence functions are stacked over all ``n`` units (zero for units outside a comparison) and
scaled by ``n / n_used`` so that ``att - ATT ~ mean(influence)`` over the ``n`` units.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from econ.estimation.did.drdid import ESTIMATORS, TRIM_LEVEL
from econ.estimation.did.panel import StaggeredPanel

Control = Literal["never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]


@dataclass(frozen=True, eq=False)
class GroupTimeEffects:
    """ATT(g, t) estimates, one per (cohort, period) cell, with their influence functions.

    ``influence`` is ``(n_units, n_cells)``; ``estimated`` is false for cells given as 0 by
    construction (the universal base period) and for cells that could not be estimated (NaN).
    """

    group: np.ndarray
    time: np.ndarray
    base: np.ndarray
    att: np.ndarray
    influence: np.ndarray
    estimated: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    panel: StaggeredPanel
    control: Control
    method: Method
    base_period: BasePeriod
    anticipation: int

    @property
    def post(self) -> np.ndarray:
        return self.time >= self.group

    @property
    def groups(self) -> np.ndarray:
        """Cohorts with estimates, sorted."""
        return np.unique(self.group)


def _last_before(periods: np.ndarray, g: float, anticipation: int) -> int | None:
    idx = np.flatnonzero(periods + anticipation < g)
    return int(idx[-1]) if idx.size else None


def _cells(periods: np.ndarray, g: float, anticipation: int, base_period: BasePeriod
           ) -> list[tuple[int, int]]:
    """``(t index, base index)`` pairs for cohort ``g``, in period order."""
    last_pre = _last_before(periods, g, anticipation)
    if last_pre is None:
        return []
    first = 1 if base_period == "varying" else 0
    cells = []
    for t in range(first, periods.size):
        base = t - 1 if base_period == "varying" else last_pre
        # From g - anticipation on, effects build up: compare with the last clean period
        # rather than with the previous (possibly already affected) one.
        if periods[t] >= g - anticipation:
            base = last_pre
        cells.append((t, base))
    return cells


def estimate(
    panel: StaggeredPanel,
    *,
    control: Control = "never_treated",
    method: Method = "dr",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
) -> GroupTimeEffects:
    """ATT(g, t) and influence functions for every cohort and period (see the module docstring).

    Cells whose 2x2 cannot be estimated (no treated or no comparison units observed in both
    periods, a singular design, a propensity score that does not converge) are NaN, with a
    ``RuntimeWarning`` naming the cell.
    """
    if control not in ("never_treated", "not_yet_treated"):
        raise ValueError(f"control must be 'never_treated' or 'not_yet_treated', got "
                         f"{control!r}")
    if method not in ESTIMATORS:
        raise ValueError(f"method must be one of {list(ESTIMATORS)}, got {method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    periods, cohort = panel.periods, panel.cohort
    n = panel.n_units
    cohorts = np.unique(cohort[np.isfinite(cohort)])
    plan = [(g, t, b) for g in cohorts for t, b in _cells(periods, g, anticipation, base_period)]
    k = len(plan)
    group = np.array([p[0] for p in plan], dtype=float)
    t_index = np.array([p[1] for p in plan], dtype=np.int64)
    b_index = np.array([p[2] for p in plan], dtype=np.int64)
    # Cells by units, so that each cell's influence function is a contiguous row; the
    # transpose handed out is the units-by-cells (column-major) matrix.
    influence = np.zeros((k, n))
    att = np.where(t_index == b_index, 0.0, np.nan)
    estimated = np.zeros(k, dtype=bool)
    treated, comparison = _members(panel, group, t_index, b_index, control, anticipation)
    fixed = t_index == b_index
    n_treated = np.where(fixed, 0, np.count_nonzero(treated, axis=1))
    n_control = np.where(fixed, 0, np.count_nonzero(comparison, axis=1))
    for j in np.flatnonzero(~fixed & ((n_treated == 0) | (n_control == 0))):
        t, b = t_index[j], b_index[j]
        warnings.warn(f"ATT({group[j]:g}, {periods[t]:g}) not estimated: no "
                      f"{'treated' if n_treated[j] == 0 else 'comparison'} units observed "
                      f"in both {periods[b]:g} and {periods[t]:g}", RuntimeWarning,
                      stacklevel=2)
    usable = ~fixed & (n_treated > 0) & (n_control > 0)
    if panel.covariates.shape[2] == 1:
        # Without covariates every method is a difference of (weighted) means, computed for
        # all cells at once. Inverse-probability weights are trimmed only when nearly all of
        # a comparison is treated; such cells take the general route.
        cells = np.flatnonzero(usable)
        means, share = _differences_of_means(panel, treated[cells], comparison[cells],
                                             t_index[cells], b_index[cells], influence, cells)
        fast = cells if method == "reg" else cells[share < TRIM_LEVEL]
        att[cells] = means
        estimated[fast] = True
        usable[fast] = False
        # What is left usable would be trimmed: its means are dropped and refitted below.
        influence[usable] = 0.0
        att[usable] = np.nan
    batches = (_batches(panel, group, t_index, b_index, treated | comparison,
                        np.flatnonzero(usable)) if usable.any() else [])
    estimator = ESTIMATORS[method]
    for rows, x_period, cells in batches:
        # np.take gathers rows several times faster than fancy indexing here.
        d = np.take(treated[cells[0]], rows).astype(float)
        outcome = np.take(panel.outcome, rows, axis=0)
        w = np.take(panel.weights, rows)
        try:
            fit = estimator(outcome[:, t_index[cells]] - outcome[:, b_index[cells]], d,
                            np.take(panel.covariates[:, x_period], rows, axis=0), w / w.mean())
        except (ValueError, np.linalg.LinAlgError) as error:
            for j in cells:
                warnings.warn(f"ATT({group[j]:g}, {periods[t_index[j]]:g}) not estimated: "
                              f"{error}", RuntimeWarning, stacklevel=2)
            continue
        att[cells] = fit.att
        for j, column in zip(cells, np.ascontiguousarray(fit.influence.T), strict=True):
            influence[j, rows] = (n / rows.size) * column
        estimated[cells] = True
    return GroupTimeEffects(
        group=group, time=periods[t_index].astype(float), base=periods[b_index].astype(float),
        att=att, influence=influence.T, estimated=estimated, n_treated=n_treated,
        n_control=n_control, panel=panel, control=control, method=method,
        base_period=base_period, anticipation=anticipation)


def _members(panel: StaggeredPanel, group: np.ndarray, t_index: np.ndarray,
             b_index: np.ndarray, control: Control, anticipation: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Treated and comparison units of each cell (cells by units), observed in both periods."""
    cohort = panel.cohort[None, :]
    treated = cohort == group[:, None]
    if control == "never_treated":
        comparison = np.broadcast_to(cohort == np.inf, treated.shape)
    else:
        # Never-treated units (cohort inf) are later than any threshold.
        threshold = panel.periods[np.maximum(t_index, b_index)] + anticipation
        comparison = (cohort > threshold[:, None]) & ~treated
    if not panel.observed.all():
        observed = panel.observed.T
        both = observed[t_index] & observed[b_index]
        treated = treated & both
        comparison = comparison & both
    return treated, comparison


def _differences_of_means(panel: StaggeredPanel, treated: np.ndarray, comparison: np.ndarray,
                          t_index: np.ndarray, b_index: np.ndarray, influence: np.ndarray,
                          cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ATTs of cells without covariates, and the treated share of their comparisons; the
    influence functions go to the rows ``cells`` of ``influence`` (cells by units).

    With an intercept only, the regression, inverse-probability and doubly robust estimators
    all reduce to the weighted mean outcome change of the treated minus that of the
    comparison units (the propensity score is the treated share and the regression fit the
    comparison mean), and the influence function of a mean ``sum(w y) / sum(w)`` is
    ``n w (y - mean) / sum(w)`` over the ``n`` units (zero off the comparison).
    """
    outcome = np.ascontiguousarray(panel.outcome.T)
    if not panel.observed.all():
        # Unobserved outcomes are NaN; their units have weight zero in every cell using them.
        outcome = np.where(panel.observed.T, outcome, 0.0)
    change = outcome[t_index] - outcome[b_index]
    w_treat = np.where(treated, panel.weights, 0.0)
    w_comp = np.where(comparison, panel.weights, 0.0)
    sum_treat, sum_comp = w_treat.sum(axis=1), w_comp.sum(axis=1)
    mean_treat = np.einsum("ij,ij->i", w_treat, change) / sum_treat
    mean_comp = np.einsum("ij,ij->i", w_comp, change) / sum_comp
    # n w (y - mean) / sum(w) of the treated minus that of the comparison units, in place:
    # these cells-by-units arrays are the bulk of the work.
    n = panel.n_units
    w_treat *= (n / sum_treat)[:, None]
    w_comp *= (n / sum_comp)[:, None]
    treat_part = change - mean_treat[:, None]
    treat_part *= w_treat
    change -= mean_comp[:, None]
    change *= w_comp
    treat_part -= change
    influence[cells] = treat_part
    return mean_treat - mean_comp, sum_treat / (sum_treat + sum_comp)


def _batches(panel: StaggeredPanel, group: np.ndarray, t_index: np.ndarray,
             b_index: np.ndarray, members: np.ndarray, cells: np.ndarray
             ) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """Cells whose 2x2s share units, treated cohort and covariate values, as
    ``(rows, covariate period, cells)``: one propensity score and regression design each.

    Covariates are read in each cell's earlier period; when no unit's covariates change over
    the periods it is observed in, cells with different periods share them too.
    """
    x = panel.covariates
    first = panel.observed.argmax(axis=1)
    initial = x[np.arange(panel.n_units), first]
    invariant = bool(np.all((x == initial[:, None, :]) | ~panel.observed[:, :, None]))
    earlier = np.minimum(t_index, b_index)
    batches: dict[tuple[float, int, bytes], list[int]] = {}
    for j in cells:
        key = (group[j], -1 if invariant else int(earlier[j]), members[j].tobytes())
        batches.setdefault(key, []).append(int(j))
    return [(np.flatnonzero(members[same[0]]), int(earlier[same[0]]), np.array(same))
            for same in batches.values()]
