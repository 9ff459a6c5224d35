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

from econ.estimation.did.drdid import ESTIMATORS
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
    estimator = ESTIMATORS[method]
    periods, cohort = panel.periods, panel.cohort
    n = panel.n_units
    cohorts = np.unique(cohort[np.isfinite(cohort)])
    plan = [(g, t, b) for g in cohorts for t, b in _cells(periods, g, anticipation, base_period)]
    k = len(plan)
    influence = np.zeros((n, k), order="F")
    att = np.full(k, np.nan)
    estimated = np.zeros(k, dtype=bool)
    n_treated = np.zeros(k, dtype=np.int64)
    n_control = np.zeros(k, dtype=np.int64)
    never = cohort == np.inf
    for j, (g, t, b) in enumerate(plan):
        if t == b:
            att[j] = 0.0
            continue
        treated = cohort == g
        if control == "never_treated":
            comparison = never
        else:
            threshold = periods[max(t, b)] + anticipation
            comparison = never | ((cohort > threshold) & ~treated)
        rows = np.flatnonzero((treated | comparison) & panel.observed[:, t]
                              & panel.observed[:, b])
        d = treated[rows].astype(float)
        n_treated[j], n_control[j] = int(d.sum()), int(rows.size - d.sum())
        if n_treated[j] == 0 or n_control[j] == 0:
            warnings.warn(f"ATT({g:g}, {periods[t]:g}) not estimated: no "
                          f"{'treated' if n_treated[j] == 0 else 'comparison'} units observed "
                          f"in both {periods[b]:g} and {periods[t]:g}", RuntimeWarning,
                          stacklevel=2)
            continue
        delta_y = panel.outcome[rows, t] - panel.outcome[rows, b]
        x = panel.covariates[rows, min(t, b)]
        w = panel.weights[rows]
        try:
            fit = estimator(delta_y, d, x, w / w.mean())
        except (ValueError, np.linalg.LinAlgError) as error:
            warnings.warn(f"ATT({g:g}, {periods[t]:g}) not estimated: {error}", RuntimeWarning,
                          stacklevel=2)
            continue
        att[j] = fit.att
        influence[rows, j] = (n / rows.size) * fit.influence
        estimated[j] = True
    return GroupTimeEffects(
        group=np.array([p[0] for p in plan], dtype=float),
        time=np.array([periods[p[1]] for p in plan], dtype=float),
        base=np.array([periods[p[2]] for p in plan], dtype=float),
        att=att, influence=influence, estimated=estimated, n_treated=n_treated,
        n_control=n_control, panel=panel, control=control, method=method,
        base_period=base_period, anticipation=anticipation)
