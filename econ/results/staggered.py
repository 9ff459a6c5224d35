"""Immutable results of the Callaway-Sant'Anna staggered DiD: ATT(g, t) and its aggregations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.did.aggregate import Aggregation, Kind, aggregate
from econ.estimation.did.callaway_santanna import GroupTimeEffects
from econ.inference.multiplier import (
    DrawBasis,
    InfluenceInference,
    Uncertainty,
    cluster_sums,
)
from econ.results.summary import Summary, SummaryDisplay

if TYPE_CHECKING:
    from econ.results.event_study import EventStudy

_METHODS = {"dr": "doubly robust", "ipw": "inverse probability weighting",
            "reg": "outcome regression"}
_LABEL_COLUMN = {"group": "group", "dynamic": "event_time", "calendar": "time"}


def _num(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.4f}"


def _interval(low: float, high: float) -> str:
    return "" if not (np.isfinite(low) and np.isfinite(high)) else f"[{low:.4f}, {high:.4f}]"


def _estimate_cells(row: Any) -> tuple[str, str, str, str]:
    """ATT, std. error, pointwise interval and uniform band of a :meth:`tidy` row (its fields
    are float columns; pandas-stubs type ``itertuples`` fields as any scalar)."""
    return (_num(row.estimate), _num(row.std_error), _interval(row.conf_low, row.conf_high),
            _interval(row.band_low, row.band_high))


@dataclass(frozen=True, eq=False, repr=False)
class _Described:
    """What every staggered result reports about its estimation (shared facts and notes)."""

    effects: GroupTimeEffects
    inference: InfluenceInference
    outcome: str
    cluster_name: str | None
    simulated: bool

    def _facts(self) -> list[tuple[str, str]]:
        e, p = self.effects, self.effects.panel
        covariates = ", ".join(p.covariate_names) if p.covariate_names else "none"
        facts = [("Outcome", self.outcome),
                 ("Estimator", f"{_METHODS[e.method]} ({e.method}); covariates: {covariates}"),
                 ("Comparison group", e.control.replace("_", "-")),
                 ("Base period", e.base_period), ("Anticipation", str(e.anticipation)),
                 ("Units", f"{p.n_units:,}"),
                 ("Periods", f"{p.periods[0]:g}-{p.periods[-1]:g} ({p.periods.size})"),
                 ("Cohorts", ", ".join(f"{g:g}" for g in e.groups))]
        if self.cluster_name is not None:
            facts.append(("Clustered by", self.cluster_name))
        return facts

    def _notes(self, uncertainty: Uncertainty) -> list[str]:
        level = 1 - self.inference.alpha
        notes = [f"Standard errors: {uncertainty.label}; {level:.0%} pointwise intervals"]
        if np.isfinite(uncertainty.uniform_critical_value):
            notes.append(f"Uniform (sup-t) band critical value "
                         f"{uncertainty.uniform_critical_value:.3f}")
        notes += list(self.effects.panel.notes)
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return notes


@dataclass(frozen=True, eq=False, repr=False)
class AggregateResult(_Described, SummaryDisplay):
    """An aggregation of ATT(g, t) (``simple``, ``group``, ``dynamic`` or ``calendar``).

    ``estimates`` are by cohort, event time or period (none for ``simple``); ``overall`` is
    the single summary R's ``aggte`` reports for each kind.
    """

    aggregation: Aggregation
    uncertainty: Uncertainty

    @property
    def kind(self) -> Kind:
        return self.aggregation.kind

    @property
    def overall(self) -> float:
        return self.aggregation.overall

    @property
    def overall_std_error(self) -> float:
        return float(self.uncertainty.std_errors[-1])

    def overall_conf_int(self) -> tuple[float, float]:
        half = self.uncertainty.pointwise_critical_value * self.overall_std_error
        return self.overall - half, self.overall + half

    def tidy(self) -> pd.DataFrame:
        """The overall effect (``term="overall"``) then one row per cohort, event time or
        period: ``estimate``, ``std_error``, pointwise ``conf_low``/``conf_high`` and the
        uniform band ``band_low``/``band_high`` (NaN without the bootstrap)."""
        a, u = self.aggregation, self.uncertainty
        att = np.r_[a.overall, a.estimates]
        se = np.r_[u.std_errors[-1], u.std_errors[:-1]]
        band = np.r_[np.nan, np.full(a.labels.size, u.uniform_critical_value)]
        column = _LABEL_COLUMN.get(a.kind, "label")
        labels = np.r_[np.nan, a.labels]
        prefix = {"group": "g=", "dynamic": "e=", "calendar": "t="}.get(a.kind, "")
        terms = ["overall", *(f"{prefix}{v:g}" for v in a.labels)]
        frame = pd.DataFrame({
            "term": terms, column: labels, "estimate": att, "std_error": se,
            "conf_low": att - u.pointwise_critical_value * se,
            "conf_high": att + u.pointwise_critical_value * se,
            "band_low": att - band * se, "band_high": att + band * se})
        return frame.drop(columns="label") if a.kind == "simple" else frame

    def summary(self) -> Summary:
        rows = tuple((str(r.term), *_estimate_cells(r)) for r in self.tidy().itertuples())
        title = f"Callaway-Sant'Anna ATT, {self.kind} aggregation: {self.outcome}"
        facts = self._facts()
        if self.kind == "dynamic" and (np.isfinite(self.aggregation.min_e)
                                       or np.isfinite(self.aggregation.max_e)):
            facts.append(("Event times", f"{self.aggregation.min_e:g} to "
                                         f"{self.aggregation.max_e:g}"))
        if self.aggregation.balance_e is not None:
            facts.append(("Balanced in event time up to", str(self.aggregation.balance_e)))
        level = f"{1 - self.inference.alpha:.0%}"
        return Summary(title, tuple(facts),
                       ("term", "ATT", "std. error", f"{level} CI", f"{level} uniform band"),
                       rows, tuple(self._notes(self.uncertainty)))

    def event_study(self) -> EventStudy:
        """The dynamic aggregation as the package's event-study result (periods are event
        times; no reference row with a varying base period, where every event time is
        estimated; with a universal base period, event time ``-1 - anticipation`` is the
        reference)."""
        # Imported here: the event-study type pulls in the regression results and the wild
        # bootstrap, which an att_gt call does not otherwise need.
        from econ.results.event_study import EventStudy, event_study_path

        if self.kind != "dynamic":
            raise ValueError(f"only the dynamic aggregation is an event study, not "
                             f"{self.kind!r}: use result.aggregate('dynamic')")
        a, u = self.aggregation, self.uncertainty
        # With a universal base period every cohort is compared with its period
        # g - anticipation - 1, so that event time is an identically zero reference.
        ref = -1 - self.effects.anticipation
        refs = (ref,) if self.effects.base_period == "universal" and ref in a.labels else ()
        keep = ~np.isin(a.labels, refs)
        errors = u.std_errors[:-1][keep]
        path = event_study_path(a.labels[keep], a.estimates[keep], errors,
                                u.pointwise_critical_value, u.uniform_critical_value, refs)
        # The analytic (influence-function) covariance: with the bootstrap its diagonal
        # differs from the squared bootstrap standard errors of the path.
        sums = (cluster_sums(a.influence[:, keep], self.effects.panel.cluster)
                / a.influence.shape[0])
        facts = (*self._facts(), ("Overall ATT", f"{a.overall:.4f} (s.e. "
                                                 f"{self.overall_std_error:.4f})"))
        return EventStudy(
            title=f"Event study (Callaway-Sant'Anna dynamic aggregation): {self.outcome}",
            outcome=self.outcome, path=path, cov=sums.T @ sums, df=float("inf"),
            level=1 - self.inference.alpha, time_label="relative period",
            reference=refs[0] if refs else None,
            band_critical_value=u.uniform_critical_value, facts=facts,
            notes=tuple(self._notes(u)), nobs=self.effects.panel.n_units,
            simulated=self.simulated)


@dataclass(frozen=True, eq=False, repr=False)
class ATTgtResult(_Described, SummaryDisplay):
    """Group-time average treatment effects ATT(g, t) with standard errors and bands.

    Standard errors are computed once, at construction; ``aggregate(kind)`` summarises the
    ATT(g, t) with the same inference settings (and bootstrap seed).
    """

    uncertainty: Uncertainty
    draw_basis: DrawBasis | None

    @property
    def params(self) -> pd.Series:
        """ATT(g, t), indexed by ``group`` and ``time``."""
        index = pd.MultiIndex.from_arrays([self.effects.group, self.effects.time],
                                          names=["group", "time"])
        return pd.Series(self.effects.att, index=index, name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(self._std_errors(), index=self.params.index, name="std_error")

    def _std_errors(self) -> np.ndarray:
        return np.where(self.effects.estimated, self.uncertainty.std_errors, np.nan)

    @property
    def influence(self) -> np.ndarray:
        """Influence functions, units by cells (the rows of :meth:`tidy`), read-only."""
        view = self.effects.influence.view()
        view.flags.writeable = False
        return view

    def tidy(self) -> pd.DataFrame:
        """One row per (cohort, period): ``group``, ``time``, ``base_time``, ``event_time``,
        ``post``, ``estimate``, ``std_error``, ``conf_low``/``conf_high`` (pointwise) and
        ``band_low``/``band_high`` (uniform sup-t band; NaN without the bootstrap), and the
        numbers of treated and comparison units used."""
        e, u = self.effects, self.uncertainty
        se = self._std_errors()
        return pd.DataFrame({
            "group": e.group, "time": e.time, "base_time": e.base,
            "event_time": e.time - e.group, "post": e.post, "estimate": e.att, "std_error": se,
            "conf_low": e.att - u.pointwise_critical_value * se,
            "conf_high": e.att + u.pointwise_critical_value * se,
            "band_low": e.att - u.uniform_critical_value * se,
            "band_high": e.att + u.uniform_critical_value * se,
            "n_treated": e.n_treated, "n_control": e.n_control})

    def aggregate(self, kind: Kind = "dynamic", *, min_e: float = -np.inf,
                  max_e: float = np.inf, balance_e: int | None = None) -> AggregateResult:
        """Aggregate like R's ``aggte``: ``"simple"``, ``"group"``, ``"dynamic"`` (event time,
        optionally restricted to ``min_e <= e <= max_e`` or balanced up to ``balance_e``) or
        ``"calendar"``. See :mod:`econ.estimation.did.aggregate`."""
        aggregation = aggregate(self.effects, kind, min_e=min_e, max_e=max_e,
                                balance_e=balance_e)
        # Units by columns, column-major like the cells' influence functions.
        influence = np.vstack([aggregation.influence.T, aggregation.overall_influence]).T
        band = np.r_[np.ones(aggregation.labels.size, dtype=bool), False]
        uncertainty = self.inference.compute(influence, self.effects.panel.cluster, band,
                                             self.draw_basis, aggregation.coefficients)
        return AggregateResult(self.effects, self.inference, self.outcome, self.cluster_name,
                               self.simulated, aggregation, uncertainty)

    def summary(self) -> Summary:
        rows = tuple((f"{r.group:g}", f"{r.time:g}", *_estimate_cells(r))
                     for r in self.tidy().itertuples())
        level = f"{1 - self.inference.alpha:.0%}"
        return Summary(f"Callaway-Sant'Anna ATT(g, t): {self.outcome}", tuple(self._facts()),
                       ("group", "time", "ATT", "std. error", f"{level} CI",
                        f"{level} uniform band"), rows, tuple(self._notes(self.uncertainty)))
