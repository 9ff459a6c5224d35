"""The imputation estimator of Borusyak, Jaravel and Spiess (2024): numerics.

1. Fit the untreated potential outcome ``Y(0)_it = a_i + l_t + z_it'b`` on the untreated
   observations only (never treated, and not yet treated: ``t < cohort``), by weighted least
   squares.
2. Impute ``Y(0)`` for every treated observation; its effect is ``tau_it = Y_it - Y(0)_it``.
3. Any estimand is a weighted sum ``sum_it w_it tau_it`` over treated observations (by event time
   ``e = t - cohort``: ``w`` uniform over the cells at ``e``; or weights given by the user).

The estimator is linear in the outcome: ``sum_it v_it Y_it`` with ``v_it = w_it`` (times the
observation weight) on treated observations and the *imputation weights*
``v_0 = -A_0 X_0 (X_0' A_0 X_0)^{-1} X_1' A_1 w`` on untreated ones (``X``: unit and period
dummies and controls; ``A``: observation weights). Its conservative variance (BJS 2024,
Theorem 3) sums ``v_it e_it`` within clusters and squares: ``e`` is the model residual on
untreated observations and, on treated ones, ``tau_it`` minus the average of ``tau`` over the
observation's cohort-period cell, weighted by ``v_it`` times the cell's weight in the
observation's cluster (Stata's ``did_imputation``); ``leave_out`` drops the observation's own
cluster from that average (BJS appendix, Stata's ``leaveout``), which removes the downward bias
of the residual from small cells.

The normal equations of the unit, period and control coefficients are solved exactly by
eliminating the unit effects (a diagonal block): what is left is a small dense system in the
periods and controls. The package's fixed-effect absorption demeans columns; here both the
fitted effects at treated cells and ``(X_0' A_0 X_0)^{-1}`` applied to each estimand's weights
are needed, and the elimination gives them in one pass. One period effect per connected set of
units and periods is fixed at zero (the effects are identified only up to that).

The pre-trend test (BJS 2024, Test 1) regresses the outcome, on untreated observations only, on
the unit and period effects, the controls and indicators of the ``K`` event times before
treatment; the indicators' coefficients and their cluster-robust covariance (CR1 with fixest's
small-sample factor, fixed effects nested in the clusters not counted; Stata's reghdfe counts
one parameter fewer and drops singletons first) give a joint Wald test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


class NoControlObservationsError(ValueError):
    """Some period (or treated cell) has no untreated observation to impute from."""


@dataclass(frozen=True, eq=False)
class Panel:
    """Observation-level arrays of an imputation problem (rows in any order).

    ``unit`` and ``period`` are dense codes; ``event`` is ``t - cohort`` (NaN for never
    treated); ``treated`` marks ``t >= cohort``; ``weights`` are observation weights (ones
    when none); ``cluster`` dense codes; ``controls`` is ``n x k``.
    """

    unit: np.ndarray
    period: np.ndarray
    outcome: np.ndarray
    controls: np.ndarray
    weights: np.ndarray
    cluster: np.ndarray
    cohort_code: np.ndarray
    event: np.ndarray
    treated: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.unit.max()) + 1

    @property
    def n_periods(self) -> int:
        return int(self.period.max()) + 1

    @property
    def n_clusters(self) -> int:
        return int(self.cluster.max()) + 1


class UntreatedSystem:
    """Weighted normal equations of ``unit + period + controls`` on untreated observations.

    :meth:`solve` applies the (generalised) inverse to right-hand sides given as unit sums,
    period sums and control sums; :meth:`predict` evaluates the fitted coefficients at any
    (unit, period, controls). Units without untreated observations have no effect.
    """

    def __init__(self, unit: np.ndarray, period: np.ndarray, controls: np.ndarray,
                 weights: np.ndarray, n_units: int, n_periods: int) -> None:
        self.n_units, self.n_periods, self.k = n_units, n_periods, controls.shape[1]
        unit_w = np.bincount(unit, weights=weights, minlength=n_units)
        self.has_unit = unit_w > 0
        self.inv_unit = np.divide(1.0, unit_w, out=np.zeros(n_units), where=self.has_unit)
        cells = np.bincount(unit * n_periods + period, weights=weights,
                            minlength=n_units * n_periods).reshape(n_units, n_periods)
        weighted = controls * weights[:, None]
        unit_z = np.column_stack([np.bincount(unit, weights=weighted[:, j], minlength=n_units)
                                  for j in range(self.k)]) if self.k else np.zeros((n_units, 0))
        period_z = (np.column_stack([np.bincount(period, weights=weighted[:, j],
                                                 minlength=n_periods)
                                     for j in range(self.k)])
                    if self.k else np.zeros((n_periods, 0)))
        self.cross = np.hstack([cells, unit_z])  # units x (periods + controls)
        period_w = np.bincount(period, weights=weights, minlength=n_periods)
        lower = np.zeros((n_periods + self.k, n_periods + self.k))
        lower[:n_periods, :n_periods] = np.diag(period_w)
        lower[:n_periods, n_periods:] = period_z
        lower[n_periods:, :n_periods] = period_z.T
        lower[n_periods:, n_periods:] = controls.T @ weighted
        schur = lower - self.cross.T @ (self.cross * self.inv_unit[:, None])
        graph = coo_matrix((np.ones(len(unit)), (unit, period + n_units)),
                           shape=(n_units + n_periods, n_units + n_periods))
        _, labels = connected_components(graph, directed=False)
        self.unit_component = labels[:n_units]
        self.period_component = labels[n_units:]
        self.has_period = period_w > 0
        # Fix one period effect per component (the first period in it) and the effects of
        # periods without untreated observations: the rest is then identified.
        fixed = ~self.has_period
        for component in np.unique(self.period_component[self.has_period]):
            fixed[np.flatnonzero((self.period_component == component) & self.has_period)[0]] = True
        self.free = np.r_[~fixed, np.ones(self.k, dtype=bool)]
        reduced = schur[np.ix_(self.free, self.free)]
        try:
            self.factor = np.linalg.cholesky(reduced)
        except np.linalg.LinAlgError:
            raise ValueError("the controls are collinear with each other or with the unit and "
                             "period effects among the untreated observations; drop the "
                             "redundant controls") from None
        if self.k:
            scale = np.abs(np.diag(reduced)).max()
            if np.diag(self.factor).min() ** 2 < 1e-10 * scale:
                raise ValueError("the controls are (nearly) collinear with the unit and period "
                                 "effects among the untreated observations; drop the redundant "
                                 "controls")

    def solve(self, unit_rhs: np.ndarray, rest_rhs: np.ndarray) -> tuple[np.ndarray,
                                                                          np.ndarray]:
        """Unit effects ``(n_units x m)`` and period-then-control coefficients for ``m``
        right-hand sides (unit sums ``n_units x m``, period and control sums)."""
        rest = rest_rhs - self.cross.T @ (unit_rhs * self.inv_unit[:, None])
        coef = np.zeros_like(rest)
        solution = np.linalg.solve(self.factor, rest[self.free])
        coef[self.free] = np.linalg.solve(self.factor.T, solution)
        units = (unit_rhs - self.cross @ coef) * self.inv_unit[:, None]
        return units, coef

    def rhs(self, unit: np.ndarray, period: np.ndarray, controls: np.ndarray,
            values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``X' values`` for observations (``values``: ``n x m``), split as :meth:`solve`
        takes it."""
        m = values.shape[1]
        unit_rhs = np.column_stack([np.bincount(unit, weights=values[:, j],
                                                minlength=self.n_units) for j in range(m)])
        period_rhs = np.column_stack([np.bincount(period, weights=values[:, j],
                                                  minlength=self.n_periods)
                                      for j in range(m)])
        return unit_rhs, np.vstack([period_rhs, controls.T @ values])

    def predict(self, units: np.ndarray, coef: np.ndarray, unit: np.ndarray,
                period: np.ndarray, controls: np.ndarray) -> np.ndarray:
        """``X gamma`` at the given observations, one column per solution."""
        return (units[unit] + coef[:self.n_periods][period]
                + controls @ coef[self.n_periods:])

    def identified(self, unit: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Whether ``a_i + l_t`` is identified: the unit and the period have untreated
        observations and are connected through them."""
        return (self.has_unit[unit] & self.has_period[period]
                & (self.unit_component[unit] == self.period_component[period]))


@dataclass(frozen=True, eq=False)
class ImputationFit:
    """Estimates (one per estimand), their conservative covariance and what produced them.

    ``tau`` holds each treated observation's effect (NaN on untreated rows); ``scores`` are the
    cluster sums ``G x m`` whose cross-product is ``cov``.
    """

    estimates: np.ndarray
    cov: np.ndarray
    scores: np.ndarray
    tau: np.ndarray
    fitted: np.ndarray
    n_untreated: int
    n_treated: int


def impute(panel: Panel, estimand: np.ndarray, *, leave_out: bool = False) -> ImputationFit:
    """Estimate ``sum_it estimand[it] * a_it * tau_it`` for each column of ``estimand``.

    ``estimand`` is ``n x m``, zero on untreated rows; each column is already normalised as the
    caller wants (e.g. summing to one after the observation weights ``a``).

    Raises
    ------
    NoControlObservationsError
        If a treated observation with a non-zero weight cannot be imputed: its period has no
        untreated observation, or its unit and period are not connected through untreated
        observations.
    """
    untreated = ~panel.treated
    u0, p0, z0 = panel.unit[untreated], panel.period[untreated], panel.controls[untreated]
    a0 = panel.weights[untreated]
    system = UntreatedSystem(u0, p0, z0, a0, panel.n_units, panel.n_periods)
    needed = panel.treated & (estimand != 0).any(axis=1)
    ok = system.identified(panel.unit, panel.period)
    if (needed & ~ok).any():
        raise NoControlObservationsError(_unimputable(panel, system, needed & ~ok))
    y0 = panel.outcome[untreated] * a0
    units_y, coef_y = system.solve(*system.rhs(u0, p0, z0, y0[:, None]))
    fitted = np.where(ok, system.predict(units_y, coef_y, panel.unit, panel.period,
                                         panel.controls)[:, 0], np.nan)
    residual = panel.outcome - fitted
    tau = np.where(panel.treated, residual, np.nan)

    treated = panel.treated & ok
    v1 = np.where(treated[:, None], estimand * panel.weights[:, None], 0.0)
    estimates = v1.T @ np.where(treated, residual, 0.0)
    # Imputation weights of the untreated observations, one column per estimand.
    units_v, coef_v = system.solve(*system.rhs(panel.unit[treated], panel.period[treated],
                                               panel.controls[treated], v1[treated]))
    v0 = -a0[:, None] * system.predict(units_v, coef_v, u0, p0, z0)
    weights = v1.copy()
    weights[untreated] = v0

    errors = np.zeros_like(weights)
    errors[untreated] = residual[untreated][:, None]
    errors[treated] = (residual[treated][:, None]
                       - _cell_average(panel, treated, residual, v1, leave_out))
    g = panel.n_clusters
    scores = np.column_stack([np.bincount(panel.cluster, weights=weights[:, j] * errors[:, j],
                                          minlength=g) for j in range(weights.shape[1])])
    return ImputationFit(estimates, scores.T @ scores, scores, tau, fitted,
                         int(untreated.sum()), int(treated.sum()))


def _cell_average(panel: Panel, treated: np.ndarray, tau: np.ndarray, v1: np.ndarray,
                  leave_out: bool) -> np.ndarray:
    """Per treated row and estimand, the average effect of its cohort-period cell, each
    observation weighted by its weight times its cluster's total weight in the cell (without
    the row's own cluster when ``leave_out``)."""
    cell = panel.cohort_code[treated] * panel.n_periods + panel.period[treated]
    cell = pd.factorize(cell)[0]
    n_cells = int(cell.max()) + 1
    cluster = panel.cluster[treated]
    pair = pd.factorize(cell.astype(np.int64) * panel.n_clusters + cluster)[0]
    t = tau[treated]
    out = np.empty((int(treated.sum()), v1.shape[1]))
    for j in range(v1.shape[1]):
        v = v1[treated, j]
        in_cluster = np.bincount(pair, weights=v)[pair]
        weight = in_cluster * v
        numerator = np.bincount(cell, weights=weight * t, minlength=n_cells)[cell]
        denominator = np.bincount(cell, weights=weight, minlength=n_cells)[cell]
        if leave_out:
            own_num = np.bincount(pair, weights=weight * t)[pair]
            own_den = np.bincount(pair, weights=weight)[pair]
            numerator, denominator = numerator - own_num, denominator - own_den
            lonely = (v != 0) & (np.abs(denominator) <= 1e-14 * np.abs(weight).max())
            if lonely.any():
                raise ValueError(
                    f"leave_out: {int(lonely.sum())} treated observation(s) with weight lie in "
                    f"a cohort-period cell with one cluster only, so the cell's average "
                    f"without their own cluster does not exist; use leave_out=False")
        out[:, j] = np.divide(numerator, denominator, out=np.zeros_like(numerator),
                              where=denominator != 0)
    return out


def _unimputable(panel: Panel, system: UntreatedSystem, rows: np.ndarray) -> str:
    empty = np.unique(panel.period[rows & ~system.has_period[panel.period]])
    message = f"{int(rows.sum())} treated observation(s) cannot be imputed"
    parts = []
    if len(empty):
        parts.append(f"period code(s) {empty.tolist()} have no untreated (never- or "
                     f"not-yet-treated) observation")
    cut = rows & system.has_period[panel.period]
    if cut.any():
        parts.append(f"{int(cut.sum())} sit in units not connected to their period through "
                     f"untreated observations")
    return message + ": " + "; ".join(parts)


@dataclass(frozen=True, eq=False)
class PretrendFit:
    """Coefficients of the pre-period indicators on untreated observations, their CR1
    covariance and cluster scores (scaled by the square root of the small-sample factor)."""

    estimates: np.ndarray
    cov: np.ndarray
    scores: np.ndarray
    nobs: int
    n_clusters: int


def pretrend(panel: Panel, leads: int) -> PretrendFit:
    """Regress the outcome on ``1[e = -h]``, ``h = 1..leads``, controls and unit and period
    effects among untreated observations; cluster-robust covariance (module docstring)."""
    untreated = ~panel.treated
    event = panel.event[untreated]
    dummies = np.column_stack([(event == -h).astype(float) for h in range(1, leads + 1)])
    missing = [-h for h in range(1, leads + 1) if not dummies[:, h - 1].any()]
    if missing:
        raise ValueError(f"pre-trend test: no untreated observation at event time(s) "
                         f"{missing}; lower pretrends")
    u0, p0, a0 = panel.unit[untreated], panel.period[untreated], panel.weights[untreated]
    z0 = np.hstack([dummies, panel.controls[untreated]])
    system = UntreatedSystem(u0, p0, np.zeros((len(u0), 0)), a0, panel.n_units,
                             panel.n_periods)
    columns = np.column_stack([panel.outcome[untreated], z0])
    solved = system.solve(*system.rhs(u0, p0, np.zeros((len(u0), 0)), columns * a0[:, None]))
    resid = columns - system.predict(*solved, u0, p0, np.zeros((len(u0), 0)))
    y, x = resid[:, 0], resid[:, 1:]
    bread = np.linalg.inv(x.T @ (x * a0[:, None]))
    coef = bread @ (x.T @ (a0 * y))
    e = y - x @ coef
    cluster = panel.cluster[untreated]
    cluster = pd.factorize(cluster, sort=True)[0]
    g = int(cluster.max()) + 1
    influence = (x * (a0 * e)[:, None]) @ bread
    sums = np.column_stack([np.bincount(cluster, weights=influence[:, j], minlength=g)
                            for j in range(leads)])
    n, k = len(y), x.shape[1]
    fe = _fe_not_nested(u0, p0, cluster, system)
    factor = (n - 1) / (n - k - fe) * g / (g - 1)
    scores = sums * np.sqrt(factor)
    return PretrendFit(coef[:leads], scores.T @ scores, scores, n, g)


def _fe_not_nested(unit: np.ndarray, period: np.ndarray, cluster: np.ndarray,
                   system: UntreatedSystem) -> int:
    """Identified fixed effects, less those nested in clusters (counted once for the
    intercept they absorb), as fixest's and reghdfe's nested adjustment."""
    n_units = int(system.has_unit.sum())
    n_periods = int(system.has_period.sum())
    components = len(np.unique(system.period_component[system.has_period]))
    unit_nested = _nested(unit, cluster)
    period_nested = _nested(period, cluster)
    total = n_units + n_periods - components
    if unit_nested:
        total -= n_units - 1
    if period_nested:
        total -= n_periods - 1
    return total


def _nested(codes: np.ndarray, cluster: np.ndarray) -> bool:
    pairs = pd.factorize(codes.astype(np.int64) * (int(cluster.max()) + 1) + cluster)[0]
    return int(pairs.max()) + 1 == len(pd.unique(codes))
