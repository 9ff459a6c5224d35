"""DID_l of de Chaisemartin and D'Haultfoeuille (2024) and its influence functions.

For switchers in one direction (in: treatment above the baseline after the first switch; out:
below), effect ``l`` compares each switcher's outcome change from ``F_g - 1`` to ``F_g - 1 + l``
with the mean change of the groups with the same baseline treatment that have not switched by
``F_g - 1 + l``; placebo ``l`` makes the same comparison from ``F_g - 1`` back to ``F_g - 1 -
l``. Each estimate is a sum over groups of ``U_g / G``; its variance is the authors'
conservative one: ``U_g`` with each (group, period) term's outcome change demeaned within its
cohort (switchers: same baseline, first-switch date and treatment at the switch; controls: same
baseline and period) and scaled by ``sqrt(n / (n - 1))``, summed within clusters, squared and
summed, over ``G^2``. Switchers out enter with their sign flipped, so every estimate is the
effect of a treatment increase; the pooled estimate weights the two directions by their numbers
of switchers.

The numbers follow the authors' ``did_multiplegt_dyn`` (Stata, R and its Python port), checked
against the port in ``tests/models/test_dcdh.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from econ.estimation.did.dcdh_controls import ControlFit, correction, fit_controls
from econ.estimation.did.dcdh_panel import IN, OUT, SwitchPanel, distinct_per_key

Switchers = Literal["both", "in", "out"]


@dataclass(frozen=True, eq=False)
class Component:
    """One estimate for one direction: sum of ``influence / G`` over groups.

    ``influence`` is the authors' ``U_g``, ``variance_part`` their ``U_g^var``; ``switchers``
    the number of switchers used; ``dose`` the mean treatment change at ``F_g - 1 + l``
    (``delta^D_l``) and ``cumulative_dose`` the mean change summed from ``F_g`` to ``F_g - 1 +
    l`` (the normalisation of DID^n_l).
    """

    influence: np.ndarray
    variance_part: np.ndarray
    switchers: float
    dose: float
    cumulative_dose: float


@dataclass(frozen=True, eq=False)
class DCDHEstimate:
    """Effects (``period`` 1..L), placebos (``period`` -1..-K) and the average total effect.

    ``table`` has one row per estimated period: ``period``, ``estimate``, ``std_error``,
    ``switchers`` (groups), ``switchers_in``, ``switchers_out``, ``dose`` and
    ``cumulative_dose``; ``variance_parts`` (groups by rows of ``table``) give the covariance
    through :meth:`covariance`. ``average_total_effect`` is NaN when not estimable (e.g. with
    group-specific linear trends).
    """

    table: pd.DataFrame
    variance_parts: np.ndarray
    cluster: np.ndarray | None
    n_groups: int
    average_total_effect: float
    average_total_effect_se: float
    normalized: bool
    notes: tuple[str, ...]

    def covariance(self) -> np.ndarray:
        """Covariance of the estimates in ``table`` order (clustered as the errors are)."""
        sums = _cluster_sums(self.variance_parts, self.cluster)
        return sums.T @ sums / self.n_groups**2


def _cluster_sums(parts: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    if cluster is None:
        return parts
    out = np.zeros((int(cluster.max()) + 1, parts.shape[1]))
    np.add.at(out, cluster, parts)
    return out


class _Cells:
    """Sums over the groups sharing a baseline treatment, period by period."""

    def __init__(self, codes: np.ndarray):
        n = codes.size
        self.codes = codes
        self.matrix = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))),
                                        shape=(int(codes.max()) + 1, n))

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``values`` (groups x periods) summed per baseline, returned per group."""
        return np.asarray(self.matrix @ values)[self.codes]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _cohort_stats(values: np.ndarray, keys: np.ndarray, cluster: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the mean of ``values`` over the rows sharing its non-negative integer key, and
    their number (of distinct clusters, when clustering)."""
    if not keys.size:
        return np.zeros(0), np.zeros(0)
    n = np.bincount(keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.bincount(keys, weights=values) / n)[keys]
    if cluster is not None:
        n = distinct_per_key(keys, cluster, n.size)
    return mean, n[keys].astype(float)


def _demeaned(diff: np.ndarray, weight: np.ndarray, controls: np.ndarray,
              switchers: np.ndarray, cell_keys: np.ndarray, switch_keys: np.ndarray,
              cluster: np.ndarray | None) -> np.ndarray:
    """``sum_t weight * DOF * (diff - E_hat)`` per group: the numerator of ``U^var``.

    A switcher's change is demeaned within its cohort (baseline, first-switch date, treatment
    at the switch), a control's within its baseline and period, each scaled by ``sqrt(n / (n -
    1))`` with ``n`` the cohort's size (in clusters when clustering). A cohort of one falls
    back on the switchers and controls of its baseline and period together; a term with no
    cohort of two is left out, as in the authors' port.
    """
    g, t = diff.shape
    # Only the cohorts' members matter: work on their (group, period) cells alone.
    rows = np.flatnonzero((controls | switchers).reshape(-1))
    group = rows // t
    values = np.nan_to_num(diff.reshape(-1)[rows])
    cells = cell_keys.reshape(-1)[rows]
    clusters = None if cluster is None else cluster[group]
    switching = switchers.reshape(-1)[rows]
    mean = np.empty(rows.size)
    size = np.empty(rows.size)
    for members, keys in ((~switching, cells), (switching, switch_keys[group])):
        found = _cohort_stats(values[members], keys[members],
                              None if clusters is None else clusters[members])
        mean[members], size[members] = found
    pooled_mean, pooled_size = _cohort_stats(values, cells, clusters)
    alone = size < 2
    mean[alone] = pooled_mean[alone]
    size[alone] = pooled_size[alone]
    w = weight.reshape(-1)[rows]
    kept = (w != 0) & (size >= 2)
    terms = w[kept] * np.sqrt(size[kept] / (size[kept] - 1)) * (values[kept] - mean[kept])
    return np.bincount(group[kept], weights=terms, minlength=g)


def _component(panel: SwitchPanel, cells: _Cells, diff: np.ndarray, dist: np.ndarray,
               control: np.ndarray, lag: int, switch_keys: np.ndarray, sign_dose: np.ndarray,
               cumulative: np.ndarray, adjust: Callable[[np.ndarray, float], np.ndarray] | None
               = None) -> Component:
    """One effect (or placebo) for one direction from its switcher and control indicators;
    ``adjust(weight, G / N)`` is the controls' correction of ``U^var``."""
    n_controls = cells.sum(control.astype(float))
    n_switch_cell = cells.sum(dist.astype(float))
    n_switch_period = dist.sum(axis=0)
    n_switchers = float(n_switch_period.sum())
    g = panel.n_groups
    if n_switchers == 0:
        zeros = np.zeros(g)
        return Component(zeros, zeros, 0.0, np.nan, np.nan)
    periods = np.arange(panel.n_periods)[None, :]
    window = ((lag <= panel.last_period)[:, None] & (periods >= lag)
              & (periods <= panel.last_period[:, None]))
    periods_in = (periods >= lag) & (periods <= panel.last_period[:, None])
    core = periods_in * (dist - _ratio(n_switch_cell, n_controls) * control)
    weight = window * core
    scale = g / n_switchers
    influence = scale * np.where(weight != 0, weight * np.nan_to_num(diff), 0.0).sum(axis=1)
    cell_keys = cells.codes[:, None] * panel.n_periods + np.arange(panel.n_periods)[None, :]
    variance_part = scale * _demeaned(diff, weight, control & (n_switch_period > 0)[None, :],
                                      dist, cell_keys, switch_keys, panel.cluster)
    if adjust is not None:
        variance_part = variance_part - adjust(core, scale)
    at = dist.any(axis=1)
    dose = float(sign_dose[at].sum() / n_switchers)
    cumulative_dose = float(cumulative[at].sum() / n_switchers)
    return Component(influence, variance_part, n_switchers, dose, cumulative_dose)


def _lagged_difference(y: np.ndarray, back: int, to: int) -> np.ndarray:
    """``y[t - back] - y[t - to]`` placed at ``t`` (NaN where a period is outside the panel)."""
    out = np.full(y.shape, np.nan)
    start = max(back, to)
    out[:, start:] = y[:, start - back:y.shape[1] - back] - y[:, start - to:y.shape[1] - to]
    return out


class Design:
    """The quantities every effect and placebo of one direction share."""

    def __init__(self, panel: SwitchPanel, direction: int, controls: ControlFit | None = None,
                 same_switchers: tuple[int, int] | None = None):
        self.panel = panel
        self.outcome = outcome = panel.outcome
        self.controls = controls
        self.direction = direction
        self.cells = _Cells(panel.baseline_code)
        first = np.minimum(panel.first_switch, panel.n_periods - 1)
        at_switch = panel.treatment[np.arange(panel.n_groups), first]
        values = np.unique(at_switch, return_inverse=True)[1].reshape(-1)
        combined = ((panel.baseline_code.astype(np.int64) * (panel.n_periods + 1)
                     + panel.first_switch) * (int(values.max()) + 1) + values)
        self.switch_keys = np.unique(combined, return_inverse=True)[1].reshape(-1)
        self.sign = 1.0 if direction == IN else -1.0
        self.periods = np.arange(panel.n_periods)[None, :]
        eligible = panel.direction == direction
        if same_switchers is not None:
            effects, placebos = same_switchers
            eligible &= panel.effects_available >= effects
            start = panel.first_switch - 1 - placebos
            window = ((self.periods >= start[:, None])
                      & (self.periods <= (panel.first_switch - 1 + effects)[:, None]))
            eligible &= (start >= 0) & ~(window & np.isnan(outcome)).any(axis=1)
        self.eligible = eligible

    def _doses(self, lag: int) -> tuple[np.ndarray, np.ndarray]:
        p = self.panel
        rows = np.arange(p.n_groups)
        at = np.clip(p.first_switch - 1 + lag, 0, p.n_periods - 1)
        change = p.treatment - p.baseline[:, None]
        dose = self.sign * change[rows, at]
        inside = (self.periods >= p.first_switch[:, None]) & (self.periods <= at[:, None])
        cumulative = self.sign * np.where(inside, change, 0.0).sum(axis=1)
        return dose, cumulative

    def _residualized(self, diff: np.ndarray, back: int, to: int) -> np.ndarray:
        """Take ``theta_d`` times the same difference of the controls off ``diff``."""
        if self.controls is None:
            return diff
        dx = _lagged_difference(self.panel.controls, back, to)
        return diff - (dx * self.controls.theta[self.panel.baseline_code][:, None, :]).sum(axis=2)

    def _adjust(self, back: int, to: int, lag: int, own_baseline_only: bool
                ) -> Callable[[np.ndarray, float], np.ndarray] | None:
        fit = self.controls
        if fit is None:
            return None
        dx = _lagged_difference(self.panel.controls, back, to)
        return lambda weight, scale: correction(fit, self.panel, weight, dx, lag, scale,
                                                own_baseline_only)

    def effect_indicators(self, lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Long difference, switcher indicator and control indicator of effect ``l``."""
        p = self.panel
        diff = self._residualized(_lagged_difference(self.outcome, 0, lag), 0, lag)
        valid = ~np.isnan(diff)
        control = valid & (self.periods < p.first_switch[:, None])
        n_controls = self.cells.sum(control.astype(float))
        dist = (valid & (self.periods == (p.first_switch - 1 + lag)[:, None])
                & (lag <= p.effects_available)[:, None] & self.eligible[:, None]
                & (n_controls > 0))
        return diff, dist, control

    def effect(self, lag: int) -> Component:
        diff, dist, control = self.effect_indicators(lag)
        dose, cumulative = self._doses(lag)
        return _component(self.panel, self.cells, diff, dist, control, lag, self.switch_keys,
                          dose, cumulative, self._adjust(0, lag, lag, False))

    def placebo(self, lag: int) -> Component:
        _, dist, control = self.effect_indicators(lag)
        diff = self._residualized(_lagged_difference(self.outcome, 2 * lag, lag), 2 * lag, lag)
        valid = ~np.isnan(diff)
        dose, cumulative = self._doses(lag)
        return _component(self.panel, self.cells, diff, dist & valid, control & valid, lag,
                          self.switch_keys, dose, cumulative,
                          self._adjust(2 * lag, lag, lag, True))


def available(panel: SwitchPanel, direction: int) -> tuple[int, int]:
    """Most effects and most placebos any switcher of ``direction`` contributes to."""
    mine = panel.direction == direction
    if not mine.any():
        return 0, 0
    effects = panel.effects_available[mine]
    placebos = np.minimum(effects, panel.first_switch[mine] - 1)
    return int(effects.max()), int(max(placebos.max(), 0))


def directions(switchers: Switchers) -> tuple[int, ...]:
    return {"both": (IN, OUT), "in": (IN,), "out": (OUT,)}[switchers]


def _pool(parts: dict[int, Component]) -> tuple[np.ndarray, np.ndarray, float, float, float,
                                                dict[int, float]]:
    """Combine directions: weights are the numbers of switchers, switchers out sign-flipped."""
    total = sum(c.switchers for c in parts.values())
    influence = np.zeros_like(next(iter(parts.values())).influence)
    variance = np.zeros_like(influence)
    dose = cumulative = 0.0
    counts: dict[int, float] = {}
    for direction, c in parts.items():
        counts[direction] = c.switchers
        if c.switchers == 0:
            continue
        share = c.switchers / total
        sign = 1.0 if direction == IN else -1.0
        influence = influence + share * sign * c.influence
        variance = variance + share * sign * c.variance_part
        dose += share * c.dose
        cumulative += share * c.cumulative_dose
    return influence, variance, total, dose, cumulative, counts


def estimate(panel: SwitchPanel, *, effects: int, placebos: int, switchers: Switchers,
             normalized: bool, trends_lin: bool = False) -> DCDHEstimate:
    """DID_l for ``l = 1..effects``, placebos ``1..placebos`` and the average total effect.

    ``effects`` and ``placebos`` are capped at what the design allows (a note says so).
    With ``trends_lin`` the outcome is first-differenced, groups first switching in the second
    period are dropped, and effect ``l`` is the sum of the first ``l`` effects on the
    differenced outcome over the switchers observed ``l`` periods after their switch (as the
    authors' ``trends_lin``); placebos likewise; no average total effect is reported.
    """
    chosen = directions(switchers)
    most = [available(panel, d) for d in chosen]
    n_effects = min(effects, max(e for e, _ in most))
    n_placebos = min(placebos, max(p for _, p in most), n_effects)
    if trends_lin:
        second = panel.first_switch == 1
        if second.any():
            panel = panel.subset(~second, f"{int(second.sum())} group(s) first switching in the "
                                          f"second period were dropped (linear trends need two "
                                          f"periods before the switch)")
        panel = replace(panel, outcome=np.diff(panel.outcome, axis=1, prepend=np.nan),
                        controls=np.diff(panel.controls, axis=1, prepend=np.nan))
        n_placebos = min(n_placebos, max(0, max(available(panel, d)[1] for d in chosen) - 1))
    fit = fit_controls(panel, panel.cluster) if panel.controls.shape[2] else None
    notes = list(panel.notes)
    if n_effects < effects:
        notes.append(f"{effects} effects requested; the design allows {n_effects}")
    if n_placebos < placebos:
        notes.append(f"{placebos} placebos requested; the design allows {n_placebos}")
    rows: list[dict[str, float]] = []
    variance_parts: list[np.ndarray] = []
    ate_parts: dict[int, list[Component]] = {d: [] for d in chosen}
    designs = {} if trends_lin else {d: Design(panel, d, fit) for d in chosen}
    for kind, count in (("effect", n_effects), ("placebo", n_placebos)):
        for lag in range(1, count + 1):
            parts: dict[int, Component] = {}
            for d in chosen:
                if trends_lin:
                    design = Design(panel, d, fit,
                                    same_switchers=(lag, 0 if kind == "effect" else lag))
                    pieces = [design.effect(k) if kind == "effect" else design.placebo(k)
                              for k in range(1, lag + 1)]
                    last = pieces[-1]
                    parts[d] = Component(np.sum([p.influence for p in pieces], axis=0),
                                         np.sum([p.variance_part for p in pieces], axis=0),
                                         last.switchers, last.dose, last.cumulative_dose)
                else:
                    design = designs[d]
                    parts[d] = design.effect(lag) if kind == "effect" else design.placebo(lag)
                    if kind == "effect":
                        ate_parts[d].append(parts[d])
            influence, variance, n_sw, dose, cumulative, counts = _pool(parts)
            if n_sw == 0:
                notes.append(f"{kind} {lag}: no switcher with a control; not estimated")
                continue
            scale = cumulative if normalized else 1.0
            estimate_ = influence.sum() / panel.n_groups / scale
            variance = variance / scale
            rows.append({"period": lag if kind == "effect" else -lag, "estimate": estimate_,
                         "switchers": n_sw, "switchers_in": counts.get(IN, 0.0),
                         "switchers_out": counts.get(OUT, 0.0), "dose": dose,
                         "cumulative_dose": cumulative})
            variance_parts.append(variance)
    parts_matrix = (np.column_stack(variance_parts) if variance_parts
                    else np.zeros((panel.n_groups, 0)))
    sums = _cluster_sums(parts_matrix, panel.cluster)
    table = pd.DataFrame(rows, columns=["period", "estimate", "switchers", "switchers_in",
                                        "switchers_out", "dose", "cumulative_dose"])
    table.insert(2, "std_error", np.sqrt((sums**2).sum(axis=0)) / panel.n_groups)
    ate = ate_se = np.nan
    if not trends_lin and any(ate_parts.values()):
        ate, ate_se = _average_total_effect(ate_parts, panel)
    return DCDHEstimate(table, parts_matrix, panel.cluster, panel.n_groups, ate, ate_se,
                        normalized, tuple(notes))


def _average_total_effect(parts: dict[int, list[Component]], panel: SwitchPanel
                          ) -> tuple[float, float]:
    """Sum over effects of switchers x DID_l over sum of switchers x delta^D_l, per direction,
    then across directions weighted by those denominators (the effect per unit of treatment)."""
    influence = np.zeros(panel.n_groups)
    variance = np.zeros(panel.n_groups)
    numerators: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
    for direction, components in parts.items():
        total = sum(c.switchers for c in components)
        if total == 0:
            continue
        used = [c for c in components if c.switchers > 0]
        shares = np.array([c.switchers / total for c in used])
        den = float(shares @ np.array([c.dose for c in used]))
        num = shares @ np.array([c.influence for c in used])
        num_var = shares @ np.array([c.variance_part for c in used])
        numerators[direction] = (num / den, num_var / den, den * total)
    weight_total = sum(w for _, _, w in numerators.values())
    for direction, (num, num_var, w) in numerators.items():
        sign = 1.0 if direction == IN else -1.0
        influence = influence + w / weight_total * sign * num
        variance = variance + w / weight_total * sign * num_var
    sums = _cluster_sums(variance[:, None], panel.cluster)
    return (float(influence.sum() / panel.n_groups),
            float(np.sqrt((sums**2).sum()) / panel.n_groups))
