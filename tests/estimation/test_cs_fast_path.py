"""Callaway-Sant'Anna computed all at once equals the 2x2s computed one cell at a time.

``econ.estimation.did.callaway_santanna.estimate`` computes the ATT(g, t) of a panel without
covariates as differences of weighted means for all cells at once, and fits cells with
covariates in batches sharing one propensity score and regression design. The reference here
rebuilds every cell's comparison from the rules (treated cohort, never- or not-yet-treated
units, observed in both periods, covariates in the earlier period) and runs the two-period
estimator of ``econ.estimation.did.drdid`` on that cell alone, with the covariate matrix
reduced to the intercept when there are no covariates (the general route). The simulated panel
has cohorts of very different sizes, units first treated after the last period, never-treated
units, unit weights, a time-varying and a time-invariant covariate, and rows missing at random
(pairwise balance).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from econ.estimation.did.aggregate import KINDS, aggregate, basis
from econ.estimation.did.callaway_santanna import estimate
from econ.estimation.did.drdid import ESTIMATORS
from econ.estimation.did.panel import prepare
from econ.inference.multiplier import InfluenceInference, multiplier_bootstrap

COHORTS = {3.0: 45, 5.0: 120, 6.0: 12, 7.0: 60, 11.0: 20}  # 11: after the last period
NEVER = 150
PERIODS = np.arange(1.0, 9.0)


def _simulated_panel(seed: int = 0, missing: float = 0.06) -> pd.DataFrame:
    """Simulated staggered panel (known effects; labelled simulated in the name only)."""
    rng = np.random.default_rng(seed)
    cohort = np.concatenate([np.full(size, g) for g, size in COHORTS.items()]
                            + [np.full(NEVER, np.nan)])
    n = cohort.size
    unit = np.repeat(np.arange(n) * 7 + 100, PERIODS.size)
    time = np.tile(PERIODS, n)
    first = np.repeat(cohort, PERIODS.size)
    endowment = np.repeat(rng.normal(size=n), PERIODS.size)
    trend = endowment * 0.3 * time
    shock = rng.normal(size=n * PERIODS.size)
    drift = rng.normal(size=n * PERIODS.size) * 0.5 + 0.1 * time
    treated = np.nan_to_num(time >= first, nan=0.0)
    y = (np.repeat(rng.normal(size=n), PERIODS.size) + trend + drift + shock
         + treated * (1.0 + 0.2 * (time - np.nan_to_num(first))))
    frame = pd.DataFrame({"unit": unit, "time": time, "cohort": first, "y": y,
                          "endowment": endowment,
                          "rainfall": rng.normal(size=n * PERIODS.size) + 0.05 * time,
                          "w": np.repeat(rng.uniform(0.2, 3.0, n), PERIODS.size)})
    keep = rng.random(len(frame)) >= missing
    return frame.loc[keep].reset_index(drop=True)


def _cell_by_cell(panel, effects, method):
    """ATT(g, t) and influence functions of each cell fitted alone (the reference)."""
    periods = panel.periods
    att = np.full(effects.att.size, np.nan)
    influence = np.zeros((panel.n_units, effects.att.size))
    for j, (g, t_value, b_value) in enumerate(zip(effects.group, effects.time, effects.base,
                                                 strict=True)):
        t, b = np.searchsorted(periods, t_value), np.searchsorted(periods, b_value)
        if t == b:
            att[j] = 0.0
            continue
        treated = panel.cohort == g
        if effects.control == "never_treated":
            comparison = panel.cohort == np.inf
        else:
            later = periods[max(t, b)] + effects.anticipation
            comparison = (panel.cohort > later) & ~treated
        rows = np.flatnonzero((treated | comparison) & panel.observed[:, t]
                              & panel.observed[:, b])
        w = panel.weights[rows]
        fit = ESTIMATORS[method](
            (panel.outcome[rows, t] - panel.outcome[rows, b])[:, None],
            treated[rows].astype(float), panel.covariates[rows, min(t, b)], w / w.mean())
        att[j] = fit.att[0]
        influence[rows, j] = panel.n_units / rows.size * fit.influence[:, 0]
    return att, influence


CASES = list(itertools.product(["never_treated", "not_yet_treated"], [0, 1],
                               ["varying", "universal"]))


@pytest.mark.parametrize(("control", "anticipation", "base_period"), CASES)
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("balance", ["balanced", "pairwise"])
def test_no_covariates_all_at_once_equals_cell_by_cell(control, anticipation, base_period,
                                                       method, balance):
    panel = prepare(_simulated_panel(), outcome="y", unit="unit", time="time",
                    cohort="cohort", weights="w", control=control,
                    anticipation=anticipation, balance=balance)
    assert panel.covariates.shape[2] == 1
    assert balance == "balanced" or not panel.observed.all()
    effects = estimate(panel, control=control, method=method, base_period=base_period,
                       anticipation=anticipation)
    att, influence = _cell_by_cell(panel, effects, method)
    assert effects.estimated.sum() == (effects.time != effects.base).sum() > 20
    np.testing.assert_allclose(effects.att, att, rtol=0, atol=1e-12)
    np.testing.assert_allclose(effects.influence, influence, rtol=0,
                               atol=1e-11 * np.abs(influence).max())


@pytest.mark.parametrize(("control", "anticipation", "base_period"), CASES)
@pytest.mark.parametrize("covariates", [("endowment",), ("endowment", "rainfall")],
                         ids=["time_invariant", "time_varying"])
def test_covariate_batches_equal_cell_by_cell(control, anticipation, base_period, covariates):
    # Time-invariant covariates let cells of different periods share a propensity score;
    # a time-varying one must not.
    panel = prepare(_simulated_panel(), outcome="y", unit="unit", time="time",
                    cohort="cohort", weights="w", covariates=covariates, control=control,
                    anticipation=anticipation, balance="pairwise")
    for method in ("dr", "ipw"):
        effects = estimate(panel, control=control, method=method, base_period=base_period,
                           anticipation=anticipation)
        att, influence = _cell_by_cell(panel, effects, method)
        np.testing.assert_allclose(effects.att, att, rtol=0, atol=1e-10)
        np.testing.assert_allclose(effects.influence, influence, rtol=0,
                                   atol=1e-10 * np.abs(influence).max())


def test_trimmed_comparison_takes_the_general_route():
    # Nearly every unit of the comparison is treated: inverse-probability weights trim the
    # comparison units away, which the difference of means would not do.
    frame = _simulated_panel(missing=0.0)
    never = frame["cohort"].isna() | (frame["cohort"] > PERIODS[-1])
    one_never = frame.loc[never, "unit"].min()
    data = frame.assign(cohort=frame["cohort"].mask(never & (frame["unit"] != one_never), 5.0))
    panel = prepare(data, outcome="y", unit="unit", time="time", cohort="cohort",
                    control="never_treated")
    assert (panel.cohort == np.inf).sum() == 1
    for method in ("dr", "ipw"):
        with np.errstate(all="ignore"):
            effects = estimate(panel, method=method)
            att, _ = _cell_by_cell(panel, effects, method)
        np.testing.assert_array_equal(np.isnan(effects.att), np.isnan(att))
        assert np.isnan(att[effects.group == 5.0]).any()
        ok = ~np.isnan(att)
        np.testing.assert_allclose(effects.att[ok], att[ok], rtol=0, atol=1e-12)
    reg = estimate(panel, method="reg")
    np.testing.assert_allclose(reg.att, _cell_by_cell(panel, reg, "reg")[0], atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_aggregation_coefficients_reproduce_its_influence(kind):
    panel = prepare(_simulated_panel(), outcome="y", unit="unit", time="time",
                    cohort="cohort", weights="w", covariates=("endowment",),
                    control="not_yet_treated", balance="pairwise")
    effects = estimate(panel, control="not_yet_treated")
    agg = aggregate(effects, kind)
    both = np.column_stack([agg.influence, agg.overall_influence])
    np.testing.assert_allclose(basis(effects) @ agg.coefficients, both, rtol=0,
                               atol=1e-12 * np.abs(both).max())
    # Bootstrapping the basis once and combining equals bootstrapping the aggregate.
    inference = InfluenceInference(reps=299, seed=4)
    draws = inference.basis(basis(effects), panel.cluster)
    assert draws is not None
    direct = multiplier_bootstrap(both, reps=299, seed=4)
    np.testing.assert_allclose(draws.draws_of(agg.coefficients), direct.draws, rtol=0,
                               atol=1e-12 * np.abs(direct.draws).max())


def test_unit_and_time_codes_do_not_depend_on_how_ids_are_written():
    # Integer ids in a narrow range are coded through a presence table, others hashed: the
    # panel (unit order, periods) must be the same either way.
    frame = _simulated_panel()
    reference = prepare(frame, outcome="y", unit="unit", time="time", cohort="cohort",
                        balance="pairwise")
    variants = [frame.assign(unit=frame["unit"] * 10**9),           # wide range
                frame.assign(unit=frame["unit"].astype(float)),     # whole floats
                frame.assign(unit=frame["unit"] + 0.5),             # fractional
                frame.assign(time=frame["time"].astype(np.int64))]  # integer years
    for data in variants:
        panel = prepare(data, outcome="y", unit="unit", time="time", cohort="cohort",
                        balance="pairwise")
        np.testing.assert_array_equal(panel.periods, reference.periods)
        np.testing.assert_array_equal(panel.observed, reference.observed)
        np.testing.assert_array_equal(panel.outcome, reference.outcome)
        np.testing.assert_array_equal(np.argsort(panel.units), np.arange(panel.n_units))
    text = prepare(frame.assign(unit="u" + frame["unit"].astype(str).str.zfill(6)),
                   outcome="y", unit="unit", time="time", cohort="cohort", balance="pairwise")
    np.testing.assert_array_equal(text.outcome, reference.outcome)
