"""``honest_did`` and ``pretest_power``: how much the conclusions of an event study depend on
parallel trends (Rambachan and Roth 2023; Roth 2022). Numerics:
:mod:`econ.inference.sensitivity` and :mod:`econ.inference.pretest_power`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from econ.inference import pretest_power as power_numerics
from econ.inference import sensitivity as numerics
from econ.inference.distributions import norm_ppf
from econ.inference.pretrend import joint_wald
from econ.inference.sensitivity import SensitivityInputError
from econ.results.event_study import EventStudy
from econ.results.regression import WaldTest
from econ.results.sensitivity import PretestPower, Sensitivity, SensitivityBand

Restriction = Literal["relative magnitudes", "smoothness"]
Target = Literal["first", "average"] | int | Mapping[int, float]

#: Default relative-magnitude bounds (those of the HonestDiD examples).
MBARS = (0.0, 0.5, 1.0, 1.5, 2.0)
#: Draws of the least-favourable critical value (the authors use 1,000).
LF_DRAWS = 5_000
#: Default seed of those draws.
SEED = 20240501


class NoReferencePeriodError(SensitivityInputError):
    """The event study has no reference period normalised to zero."""


@dataclass(frozen=True)
class _Inputs:
    betahat: np.ndarray
    sigma: np.ndarray
    pre: tuple[int, ...]
    post: tuple[int, ...]
    reference: int


def _inputs(study: EventStudy, window: tuple[int, int] | None) -> _Inputs:
    if study.reference is None:
        raise NoReferencePeriodError(
            f"{study.title}: no reference period. The sensitivity analysis bounds violations "
            f"of parallel trends relative to a period where the estimate is zero by "
            f"construction (e.g. event time -1). Use an estimator with one: Sun-Abraham, or "
            f"Callaway-Sant'Anna with base_period='universal' (a varying base period and the "
            f"imputation estimator's pre-trend coefficients are not normalised to one period)")
    periods = study.periods.astype(int)
    keep = np.ones(len(periods), dtype=bool)
    if window is not None:
        keep = (periods >= window[0]) & (periods <= window[1])
    ref = int(study.reference)
    pre = periods[keep & (periods < ref)]
    post = periods[keep & (periods > ref)]
    if len(pre) == 0:
        raise SensitivityInputError(f"{study.title}: no pre-period estimate before the "
                                    f"reference period {ref}; the sensitivity analysis needs "
                                    f"pre-periods to bound the violations")
    if len(post) == 0:
        raise SensitivityInputError(f"{study.title}: no post-period estimate after the "
                                    f"reference period {ref}")
    expected_pre = np.arange(ref - len(pre), ref)
    expected_post = np.arange(ref + 1, ref + 1 + len(post))
    if not (np.array_equal(pre, expected_pre) and np.array_equal(post, expected_post)):
        raise SensitivityInputError(
            f"{study.title}: the periods around the reference {ref} must be consecutive "
            f"(pre {pre.tolist()}, post {post.tolist()}); pass window=(first, last) to keep a "
            f"consecutive stretch")
    index = np.flatnonzero(np.isin(periods, np.r_[pre, post]))
    betahat = study.params.to_numpy()[index]
    sigma = np.asarray(study.cov)[np.ix_(index, index)]
    return _Inputs(betahat, (sigma + sigma.T) / 2, tuple(pre.tolist()), tuple(post.tolist()),
                   ref)


def _target(target: Target, post: tuple[int, ...]) -> tuple[np.ndarray, str]:
    weights = np.zeros(len(post))
    if isinstance(target, str):
        if target == "first":
            weights[0] = 1.0
            return weights, f"effect at period {post[0]}"
        if target == "average":
            return np.full(len(post), 1 / len(post)), (f"average effect over periods "
                                                       f"{post[0]}..{post[-1]}")
        raise ValueError(f"target must be 'first', 'average', a period or a mapping, not "
                         f"{target!r}")
    if isinstance(target, int | np.integer):
        if target not in post:
            raise ValueError(f"target period {target} is not a post period {list(post)}")
        weights[post.index(int(target))] = 1.0
        return weights, f"effect at period {target}"
    unknown = sorted(set(target) - set(post))
    if unknown:
        raise ValueError(f"target periods {unknown} are not post periods {list(post)}")
    for period, weight in target.items():
        weights[post.index(period)] = weight
    return weights, "weighted effect " + ", ".join(f"{w:g} x {p}" for p, w in target.items())


def honest_did(
    study: EventStudy,
    *,
    restriction: Restriction = "relative magnitudes",
    bounds: Sequence[float] | None = None,
    target: Target = "first",
    method: numerics.RMMethod = "C-LF",
    null: float = 0.0,
    breakdown_upper: float | None = None,
    window: tuple[int, int] | None = None,
    level: float | None = None,
    seed: int = SEED,
) -> Sensitivity:
    """Robust confidence sets as parallel trends is relaxed, and the breakdown value.

    Parameters
    ----------
    study
        Any event-study result with a reference period and the covariance of its estimates
        (Sun-Abraham, Callaway-Sant'Anna with ``base_period="universal"``, the gradient
        event study).
    restriction
        ``"relative magnitudes"``: post-period changes in the violation at most ``Mbar``
        times the largest pre-period change (confidence sets: ``method``);
        ``"smoothness"``: the violation's slope changes by at most ``M`` per period (optimal
        FLCI).
    bounds
        The ``Mbar`` or ``M`` values; default ``0, 0.5, ..., 2`` for relative magnitudes and,
        for smoothness, five values up to the upper end of a 95% interval for the largest
        pre-period second difference (HonestDiD's default range).
    target
        ``theta``: ``"first"`` post period (default, as HonestDiD), ``"average"`` over post
        periods, a period, or ``{period: weight}``.
    method
        Relative magnitudes only: ``"C-LF"`` (conditional least-favourable hybrid, default)
        or ``"Conditional"``.
    null
        The value whose exclusion the breakdown value concerns.
    breakdown_upper
        Largest bound searched for the breakdown value (default: 5 for ``Mbar``, twice the
        largest default ``M``).
    window
        ``(first, last)`` periods kept (consecutive around the reference).
    level
        Confidence level (default: the event study's).
    seed
        Seed of the least-favourable critical value's normal draws.

    Returns
    -------
    Sensitivity
        ``tidy()``, ``summary()``, ``breakdown``; drawn by ``econ.sensitivity_plot``.

    Raises
    ------
    NoReferencePeriodError
        The event study has no reference period.
    econ.inference.sensitivity.SensitivityInputError
        No pre-period (or post-period) estimates, non-consecutive periods, or a singular
        covariance of the estimates.
    """
    analysis = _analysis(study, restriction=restriction, bounds=bounds, target=target,
                         method=method, window=window, level=level, seed=seed)
    sets = [analysis.interval(v) for v in analysis.values]
    frame = pd.DataFrame({"M": np.asarray(analysis.values, dtype=float),
                          "conf_low": [s.low for s in sets],
                          "conf_high": [s.high for s in sets]})
    upper = analysis.breakdown_upper(breakdown_upper)
    inputs, l_vec, sigma = analysis.inputs, analysis.l_vec, analysis.inputs.sigma
    n_pre = len(inputs.pre)
    if restriction == "smoothness":
        # The FLCI's ends move continuously with M: find where the nearer one reaches null.
        def ends(bound: float) -> tuple[float, float]:
            found = analysis.interval(bound)
            return found.low, found.high

        breakdown = numerics.crossing(ends, null, upper)
    else:
        def contains(bound: float) -> bool:
            accepted = numerics.rm_tests(inputs.betahat, sigma, n_pre, len(inputs.post), l_vec,
                                         bound, alpha=1 - analysis.level, method=method,
                                         draws=analysis.draws)
            return bool(accepted(np.array([null]))[0])

        breakdown = numerics.breakdown(contains, upper)
    estimate = float(l_vec @ inputs.betahat[n_pre:])
    half = (float(norm_ppf(1 - (1 - analysis.level) / 2))
            * float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec)))
    return Sensitivity(
        title=study.title, restriction=restriction, method=analysis.method_name,
        target=analysis.label,
        target_weights=pd.Series(l_vec, index=pd.Index(inputs.post, name="period")),
        estimate=estimate, original=(estimate - half, estimate + half), bounds=frame,
        breakdown=breakdown, null=null, breakdown_upper=upper, level=analysis.level,
        reference=inputs.reference, pre_periods=inputs.pre, post_periods=inputs.post,
        seed=seed if restriction == "relative magnitudes" and method == "C-LF" else None,
        notes=analysis.notes, simulated=study.simulated)


@dataclass(frozen=True)
class _Analysis:
    """One sensitivity analysis set up: its inputs, target, bounds and robust sets."""

    inputs: _Inputs
    restriction: Restriction
    l_vec: np.ndarray
    label: str
    level: float
    values: tuple[float, ...]
    method: numerics.RMMethod
    method_name: str
    draws: np.ndarray | None
    notes: tuple[str, ...]

    def interval(self, bound: float) -> numerics.Interval:
        """The robust confidence set at ``bound`` (``Mbar`` or ``M``)."""
        beta, sigma = self.inputs.betahat, self.inputs.sigma
        n_pre, n_post = len(self.inputs.pre), len(self.inputs.post)
        if self.restriction == "smoothness":
            found = numerics.flci(beta, sigma, n_pre, n_post, self.l_vec, bound,
                                  alpha=1 - self.level)
            return numerics.Interval(found.low, found.high)
        return numerics.rm_confidence_set(beta, sigma, n_pre, n_post, self.l_vec, bound,
                                          alpha=1 - self.level, method=self.method,
                                          draws=self.draws)

    def breakdown_upper(self, given: float | None) -> float:
        """Largest bound searched for the breakdown value."""
        if self.restriction == "relative magnitudes":
            return 5.0 if given is None else given
        upper = 2 * max(self.values) if given is None else given
        return upper if upper > 0 else float(np.sqrt(self.inputs.sigma[0, 0]))


def _analysis(study: EventStudy, *, restriction: Restriction, bounds: Sequence[float] | None,
              target: Target, method: numerics.RMMethod, window: tuple[int, int] | None,
              level: float | None, seed: int) -> _Analysis:
    """Check the options of :func:`honest_did` and set up its analysis."""
    inputs = _inputs(study, window)
    level = study.level if level is None else level
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    alpha = 1 - level
    l_vec, label = _target(target, inputs.post)
    n_pre, n_post = len(inputs.pre), len(inputs.post)
    beta, sigma = inputs.betahat, inputs.sigma
    numerics.check_inputs(beta, sigma, n_pre, n_post, l_vec)
    draws = None
    if restriction == "relative magnitudes":
        values = tuple(MBARS if bounds is None else bounds)
        if method == "C-LF":
            draws = numerics.normal_draws(seed, LF_DRAWS, n_pre + n_post)
        method_name: str = method
        kind = ("conditional least-favourable hybrid" if method == "C-LF"
                else "conditional test")
        note = (f"Confidence sets: {kind} of Andrews, Roth and Pakes (2023) under "
                f"Delta^RM(Mbar), "
                f"post-period moments only, union over the largest pre-period change"
                + (f"; least-favourable critical value from {LF_DRAWS:,} draws" if
                   method == "C-LF" else "") + ".")
    elif restriction == "smoothness":
        values = tuple(_default_ms(beta, sigma, n_pre, alpha) if bounds is None else bounds)
        method_name = "FLCI"
        note = ("Optimal fixed-length confidence intervals (Armstrong-Kolesar) under "
                "Delta^SD(M), as Rambachan and Roth (2023).")
    else:
        raise ValueError(f"restriction must be 'relative magnitudes' or 'smoothness', not "
                         f"{restriction!r}")
    if any(v < 0 for v in values):
        raise ValueError(f"bounds must be >= 0, got {list(values)}")
    return _Analysis(inputs, restriction, l_vec, label, level, values, method, method_name,
                     draws, (note,))


def sensitivity_band(
    study: EventStudy,
    *,
    bound: float = 1.0,
    restriction: Restriction = "relative magnitudes",
    method: numerics.RMMethod = "C-LF",
    window: tuple[int, int] | None = None,
    level: float | None = None,
    seed: int = SEED,
) -> SensitivityBand:
    """The robust confidence set of every post-period effect at one bound, for a plot.

    Each post period is its own target of :func:`honest_did` (same restriction, method,
    window, level and seed), so each set is what ``honest_did(study, target=period)``
    reports at ``bound``: with relative magnitudes, ``bound = 1`` allows post-period changes
    in the violation as large as the largest pre-period one.

    Raises
    ------
    NoReferencePeriodError, econ.inference.sensitivity.SensitivityInputError
        As :func:`honest_did`.
    """
    post = _inputs(study, window).post
    rows = []
    for period in post:
        # The sets alone: the breakdown values honest_did would add are not drawn.
        analysis = _analysis(study, restriction=restriction, bounds=[bound], target=period,
                             method=method, window=window, level=level, seed=seed)
        found = analysis.interval(bound)
        rows.append((period, float(found.low), float(found.high)))
        method_name, used = analysis.method_name, analysis.level
    table = pd.DataFrame(rows, columns=["period", "robust_low", "robust_high"])
    return SensitivityBand(restriction, method_name, float(bound), used, table)


def _default_ms(beta: np.ndarray, sigma: np.ndarray, n_pre: int, alpha: float
                ) -> np.ndarray:
    """Five values from 0 to the upper end of a ``1 - alpha`` interval for the largest
    absolute pre-period second difference (one pre period: its standard error)."""
    if n_pre < 2:
        return np.linspace(0.0, float(np.sqrt(sigma[0, 0])), 5)
    pre = np.r_[beta[:n_pre], 0.0]
    cov = np.zeros((n_pre + 1, n_pre + 1))
    cov[:n_pre, :n_pre] = sigma[:n_pre, :n_pre]
    second = np.zeros((n_pre - 1, n_pre + 1))
    for row in range(n_pre - 1):
        second[row, row:row + 3] = (1.0, -2.0, 1.0)
    sd = np.sqrt(np.diag(second @ cov @ second.T))
    top = float(np.max(np.abs(second @ pre) + norm_ppf(1 - alpha) * sd))
    return np.linspace(0.0, top, 5)


def pretrend_test(study: EventStudy, *, window: tuple[int, int] | None = None) -> WaldTest:
    """Joint Wald test that the pre-period estimates (before the reference period, inside
    ``window``) are all zero, with the event study's covariance: ``F(q, df)``, or
    ``chi2(q) / q`` when ``df`` is infinite.

    Raises
    ------
    NoReferencePeriodError
        The event study has no reference period.
    econ.inference.sensitivity.SensitivityInputError
        No pre-period estimate in the window.
    """
    inputs = _inputs(study, window)
    n_pre = len(inputs.pre)
    test = joint_wald(inputs.betahat[:n_pre], inputs.sigma[:n_pre, :n_pre], study.df)
    periods = f"{inputs.pre[0]}..{inputs.pre[-1]}"
    return WaldTest(test.statistic, test.q, test.df, test.pvalue,
                    f"effects at periods {periods} are zero")


def pretest_power(
    study: EventStudy,
    *,
    slope: float | None = None,
    power: float = 0.5,
    alpha: float = 0.05,
    window: tuple[int, int] | None = None,
) -> PretestPower:
    """Roth's (2022) power of the pre-test against a linear violation of parallel trends.

    Parameters
    ----------
    study
        An event study with a reference period and a covariance (as for :func:`honest_did`).
    slope
        The violation ``delta_t = slope * (t - reference)``; default: the slope at which the
        pre-test rejects with probability ``power``.
    power
        Target power when ``slope`` is not given (Roth suggests 50% and 80%).
    alpha
        Level of each pre-period t-test (the pre-test passes when none is significant).
    window
        ``(first, last)`` periods kept.

    Returns
    -------
    PretestPower
        The slope, the power, and by period the violation and the bias of the estimate
        conditional on passing the pre-test.
    """
    inputs = _inputs(study, window)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    times = np.r_[np.array(inputs.pre) - inputs.reference,
                  np.array(inputs.post) - inputs.reference].astype(float)
    is_pre = times < 0
    n_pre = int(is_pre.sum())
    numerics.check_inputs(inputs.betahat, inputs.sigma, n_pre, len(times) - n_pre,
                          np.ones(len(times) - n_pre))
    cov_pre = inputs.sigma[:n_pre, :n_pre]
    chosen = (power_numerics.slope_for_power(power, times[is_pre], cov_pre, alpha)
              if slope is None else float(slope))
    achieved = power_numerics.power(chosen, times[is_pre], cov_pre, alpha)
    bias = power_numerics.bias_if_passed(chosen, times, is_pre, inputs.sigma, alpha)
    periods = pd.DataFrame({"period": np.r_[inputs.pre, inputs.post].astype(int),
                            "violation": chosen * times, "bias_if_passed": bias,
                            "is_pre": is_pre})
    notes = (f"Violation delta_t = slope x (t - {inputs.reference}); the pre-test passes when "
             f"no pre-period estimate is significant at {alpha:g} (two-sided).",)
    return PretestPower(study.title, chosen, None if slope is not None else power, achieved,
                        alpha, periods, notes, study.simulated)
