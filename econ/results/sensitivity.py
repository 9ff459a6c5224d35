"""Results of the parallel-trends sensitivity analysis (Rambachan-Roth) and of Roth's (2022)
pre-test power calculation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.summary import Summary, SummaryDisplay

_BOUND_NAME = {"relative magnitudes": "Mbar", "smoothness": "M"}


def _number(value: float) -> str:
    if np.isnan(value):
        return "empty"
    return f"{value:.4f}" if np.isfinite(value) else ("-inf" if value < 0 else "inf")


@dataclass(frozen=True, eq=False, repr=False)
class Sensitivity(SummaryDisplay):
    """Robust confidence sets for ``theta = l' tau_post`` as the restriction is relaxed.

    Attributes
    ----------
    title
        The event study analysed.
    restriction
        ``"relative magnitudes"`` (bound ``Mbar``) or ``"smoothness"`` (bound ``M``).
    method
        ``"C-LF"`` or ``"Conditional"`` (relative magnitudes), ``"FLCI"`` (smoothness).
    target
        What ``theta`` is, e.g. ``"effect at relative period 0"``.
    target_weights
        ``l``, by post period (index: the periods).
    estimate, original
        ``l' beta_post`` and its usual confidence interval (parallel trends exact).
    bounds
        One row per bound: ``M`` (``Mbar`` for relative magnitudes), ``conf_low``,
        ``conf_high`` (``inf``: open; NaN: empty).
    breakdown
        Smallest bound at which the robust set contains ``null`` (``inf``: not up to
        ``breakdown_upper``; 0: already under exact parallel trends).
    null, breakdown_upper
        The value whose exclusion is tested and the largest bound searched.
    level
        Confidence level.
    reference, pre_periods, post_periods
        The event study's reference period and the periods used.
    seed
        Seed of the least-favourable critical value's draws (C-LF only).
    notes
        Lines printed under the summary.
    simulated
        Whether the event study came from simulated data.
    """

    title: str
    restriction: str
    method: str
    target: str
    target_weights: pd.Series
    estimate: float
    original: tuple[float, float]
    bounds: pd.DataFrame
    breakdown: float
    null: float
    breakdown_upper: float
    level: float
    reference: int
    pre_periods: tuple[int, ...]
    post_periods: tuple[int, ...]
    seed: int | None = None
    notes: tuple[str, ...] = ()
    simulated: bool = False

    @property
    def bound_name(self) -> str:
        """``"Mbar"`` or ``"M"``."""
        return _BOUND_NAME[self.restriction]

    def tidy(self) -> pd.DataFrame:
        """The original interval (``M`` NaN, method ``"original"``) then one row per bound:
        ``restriction``, ``method``, ``M``, ``conf_low``, ``conf_high``, ``contains_null``."""
        original = pd.DataFrame({"restriction": ["none (parallel trends)"],
                                 "method": ["original"], "M": [np.nan],
                                 "conf_low": [self.original[0]],
                                 "conf_high": [self.original[1]]})
        robust = self.bounds.assign(restriction=self.restriction, method=self.method)
        frame = pd.concat([original, robust[original.columns]], ignore_index=True)
        frame["contains_null"] = ((frame["conf_low"] <= self.null)
                                  & (frame["conf_high"] >= self.null))
        return frame

    def summary(self) -> Summary:
        rows = [("original", _number(self.original[0]), _number(self.original[1]))]
        rows += [(f"{m:.4g}", _number(low), _number(high)) for m, low, high in zip(
            self.bounds["M"].to_numpy(dtype=float), self.bounds["conf_low"].to_numpy(dtype=float),
            self.bounds["conf_high"].to_numpy(dtype=float), strict=True)]
        if np.isinf(self.breakdown):
            breakdown = f"> {self.breakdown_upper:g} (searched up to there)"
        else:
            breakdown = f"{self.breakdown:.4g}"
        facts = [("Restriction", f"{self.restriction} ({self.bound_name})"),
                 ("Method", self.method), ("Target", self.target),
                 ("Estimate", f"{self.estimate:.4f}"),
                 ("Reference period", str(self.reference)),
                 ("Pre / post periods", f"{len(self.pre_periods)} / "
                                        f"{len(self.post_periods)}"),
                 (f"Breakdown {self.bound_name} (set contains {self.null:g})", breakdown)]
        if self.seed is not None:
            facts.append(("Seed (least-favourable critical value)", str(self.seed)))
        notes = [*self.notes, *([SIMULATED_LABEL] if self.simulated else [])]
        level = f"{self.level:.0%}"
        return Summary(f"Sensitivity to parallel trends (Rambachan-Roth): {self.title}",
                       tuple(facts), (self.bound_name, f"{level} low", f"{level} high"),
                       tuple(rows), tuple(notes))


@dataclass(frozen=True, eq=False, repr=False)
class PretestPower(SummaryDisplay):
    """Power of the pre-test against a linear violation of parallel trends, and the bias of
    the post-period estimates conditional on passing it (Roth 2022).

    Attributes
    ----------
    title
        The event study analysed.
    slope
        The hypothesised violation ``delta_t = slope * (t - reference)``.
    target_power
        The power ``slope`` was solved for (None when ``slope`` was given).
    power
        Probability that some pre-period estimate is significant at ``alpha`` under the
        violation (the pre-test rejects).
    alpha
        Level of each pre-period t-test.
    periods
        One row per period: ``period``, ``violation`` (``delta_t``), ``bias_if_passed``
        (``E[beta_t | pass] - tau_t``: the violation plus the selection from passing) and
        ``is_pre``.
    notes, simulated
        As in every result.
    """

    title: str
    slope: float
    target_power: float | None
    power: float
    alpha: float
    periods: pd.DataFrame
    notes: tuple[str, ...] = ()
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        """The per-period frame (a copy)."""
        return self.periods.copy()

    def summary(self) -> Summary:
        rows = tuple((str(row.period), "pre" if row.is_pre else "post",
                      f"{row.violation:.4f}", f"{row.bias_if_passed:.4f}")
                     for row in self.periods.itertuples())
        facts = [("Linear violation slope", f"{self.slope:.4g}")]
        if self.target_power is not None:
            facts.append(("Slope solved for power", f"{self.target_power:.0%}"))
        facts += [("Power of the pre-test", f"{self.power:.4f}"),
                  ("Pre-test", f"no pre-period estimate significant at {self.alpha:g}")]
        notes = [*self.notes, *([SIMULATED_LABEL] if self.simulated else [])]
        return Summary(f"Pre-test power (Roth 2022): {self.title}", tuple(facts),
                       ("period", "", "violation", "bias if pre-test passed"), rows,
                       tuple(notes))


@dataclass(frozen=True, eq=False)
class SensitivityBand:
    """Robust confidence sets of each post-period effect at one bound: the band an event-study
    plot draws beside its intervals (``econ.event_study_plot(..., sensitivity=band)``).

    Attributes
    ----------
    restriction, method
        As in :class:`Sensitivity` (``"relative magnitudes"`` with ``"C-LF"`` or
        ``"Conditional"``; ``"smoothness"`` with ``"FLCI"``).
    bound
        The ``Mbar`` (relative magnitudes) or ``M`` (smoothness) the sets allow.
    level
        Confidence level.
    table
        One row per post period: ``period``, ``robust_low``, ``robust_high`` (``inf``: open).
    """

    restriction: str
    method: str
    bound: float
    level: float
    table: pd.DataFrame

    @property
    def bound_name(self) -> str:
        return "Mbar" if self.restriction == "relative magnitudes" else "M"
