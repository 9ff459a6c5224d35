"""The study designs on simulated panels with known truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import econ
from econ.estimation.linear import EstimationWarning
from econ.inference.bootstrap.settings import WildBootstrap
from econ.study.gradient import gradient_event_study
from econ.study.strong_alliance import strong_alliance

FEW = WildBootstrap(reps=499, seed=3)


def _quiet():
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.simplefilter("ignore", econ.FewClustersWarning)
    warnings.simplefilter("ignore", EstimationWarning)  # demonstration absorbed pre-2021
    return context


@pytest.fixture(scope="module")
def shipped() -> econ.Dataset:
    return econ.read_panel("data/village_panel.parquet")


def test_named_effects_with_both_kinds_of_inference(shipped):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        result = strong_alliance(shipped, bootstrap=FEW)
    table = result.tidy()
    assert list(table["effect"]) == ["gradient_pre", "gradient_change", "level_effect",
                                     "triple_difference"]
    assert table["p_bootstrap"].notna().all() and table["boot_conf_low"].notna().all()
    triple = result["triple_difference"]
    assert triple.bootstrap.ci[0] < triple.row()["estimate"] < triple.bootstrap.ci[1]
    text = result.summary().as_text()
    assert "SIMULATED DATA" in text and "WCR11" in text


def test_recovers_the_simulated_truth_on_average():
    estimates = []
    context = _quiet()
    try:
        for seed in range(1, 13):
            sim = econ.simulate("wp", seed=seed)
            estimates.append(strong_alliance(sim.dataset, bootstrap=None).tidy()["estimate"])
    finally:
        context.__exit__(None, None, None)
    truth = sim.truth
    expected = np.array([truth.endowment_gradient_pre, truth.endowment_gradient_change,
                         truth.level_effect, truth.triple_difference])
    values = np.array(estimates)
    standard_error = values.std(axis=0, ddof=1) / np.sqrt(len(values))
    assert (np.abs(values.mean(axis=0) - expected) < 4 * standard_error).all()
    assert (np.sign(values.mean(axis=0)) == np.sign(expected)).all()


def test_event_study_path_pretrend_and_bands(shipped):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        study = gradient_event_study(shipped, bootstrap=FEW, sup_t_draws=20_000)
    path = study.to_frame()
    assert isinstance(study, econ.EventStudy) and tuple(path.columns) == (
        "period", "estimate", "std_error", "conf_low", "conf_high", "band_low", "band_high",
        "is_reference")
    assert list(path["period"]) == list(range(2013, 2026))
    assert path.loc[path["is_reference"], "period"].tolist() == [2020]
    assert path.loc[path["period"] == 2020, "estimate"].item() == 0.0
    assert ((path["band_high"] - path["band_low"])
            >= (path["conf_high"] - path["conf_low"]) - 1e-12).all()
    assert study.band_critical_value > 1.96
    # The path is the regression's year-by-gradient coefficients, with their CR1 intervals.
    fit = study.regression
    names = [f"year::{y}:lxe" for y in study.periods]
    np.testing.assert_allclose(study.params.to_numpy(), fit.params[names], rtol=1e-12)
    np.testing.assert_allclose(study.conf_int()["conf_low"].to_numpy(),
                               fit.conf_int().loc[names, "conf_low"], rtol=1e-12)
    # The bootstrap pre-trend test's observed statistic is the CR1 Wald F of the same
    # restrictions, computed independently by wald_test.
    pre = [n for n, y in zip(names, study.periods, strict=True) if y < 2020]
    assert study.pretrend.statistic == pytest.approx(fit.wald_test(pre).statistic, rel=1e-9)
    assert study.pretrend.reps == 499
    post = path[path["period"] >= 2021]["estimate"]
    assert (post > 0).all()


def test_reference_year_outside_the_data(shipped):
    with pytest.raises(ValueError, match="reference year 2030 is not in the data"):
        gradient_event_study(shipped, reference=2030, bootstrap=None)


def test_no_variation_after_fixed_effects(shipped):
    frozen = shipped.with_columns({"endowment": shipped.data["endowment"] * 0.0}, {})
    with pytest.raises(ValueError, match="is not identified in this panel"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        strong_alliance(frozen, bootstrap=None)


@pytest.mark.slow
def test_bootstrap_coverage_over_200_panels():
    import sys

    sys.path.insert(0, "benchmarks")
    from coverage_strong_alliance import run

    for name, result in run(panels=200, reps=399).items():
        assert abs(result.mean - result.truth) < 4 * result.monte_carlo_se, (name, result)
        assert 0.92 <= result.coverage <= 0.98, (name, result)

def test_heterogeneity_by_type_and_level(shipped):
    from econ.study.heterogeneity import heterogeneity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        by_type = heterogeneity(shipped, bootstrap=FEW)
    table = by_type.tidy().set_index("effect")
    assert list(table.index) == ["A", "B", "C", "D"]
    # the simulated strong alliance: A villages gain most, C villages lose after 2021
    assert table.loc["A", "estimate"] > table.loc["B", "estimate"] > table.loc["C", "estimate"]
    assert by_type.equality.pvalue < 0.01 and by_type.equality_bootstrap.pvalue < 0.05
    assert by_type.equality.df_num == 3
    by_level = heterogeneity(shipped, by="unit_level", bootstrap=None)
    levels = by_level.tidy().set_index("effect")["estimate"]
    assert levels["central"] > levels["county"]
    assert by_level.equality_bootstrap is None


def test_designation_effect_recovers_the_simulated_att():
    from econ.study.designation import designation_effect

    errors = []
    context = _quiet()
    try:
        for seed in range(1, 11):
            sim = econ.simulate("wp", seed=seed)
            result = designation_effect(sim.dataset, bootstrap=None)
            errors.append(result.estimate - sim.truth.demonstration_att_overall)
    finally:
        context.__exit__(None, None, None)
    values = np.array(errors)
    assert abs(values.mean()) < 4 * values.std(ddof=1) / np.sqrt(len(values))


def test_designation_effect_cells_and_bootstrap(shipped):
    from econ.study.designation import designation_effect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        result = designation_effect(shipped, bootstrap=FEW)
    cells = result.cells
    assert set(cells["cohort"]) == {2021, 2022, 2023, 2024}
    # Independent check: statsmodels OLS with village and year dummies on the same regressors,
    # CR1 by township with fixest's small-sample factor (nested village effects not counted).
    fit = result.regression.fit
    design = fit.design
    frame = shipped.data.iloc[fit.rows]
    dummies = pd.get_dummies(frame["village_id"].astype(str), drop_first=True, dtype=float)
    years = pd.get_dummies(frame["year"], prefix="y", drop_first=True, dtype=float)
    kept = [design.names.index(n) for n in fit.names]
    X = np.column_stack([np.ones(len(frame)), design.X[fit.sample][:, kept],
                         dummies.to_numpy(), years.to_numpy()])
    ols = sm.OLS(design.y[fit.sample, 0], X).fit()
    cells_at = [1 + fit.names.index(f"designation_cell::{c}:{e}")
                for c, e in zip(cells["cohort"], cells["event_time"], strict=True)]
    weights = np.zeros(X.shape[1])
    weights[cells_at] = cells["rows"] / cells["rows"].sum()
    assert result.estimate == pytest.approx(float(weights @ ols.params), rel=1e-8)
    groups = frame["township_id"].astype(str).to_numpy()
    n, g = len(frame), len(set(groups))
    scale = (n - 1) / (n - len(fit.names) - years.shape[1] - 1) * g / (g - 1)
    clustered = ols.get_robustcov_results("cluster", groups=pd.factorize(groups)[0],
                                          use_correction=False)
    error = np.sqrt(scale * weights @ clustered.cov_params() @ weights)
    assert result.std_error == pytest.approx(error, rel=1e-6)
    low, high = result.bootstrap.ci
    assert low < result.estimate < high
    assert "SIMULATED DATA" in result.summary().as_text()
    with pytest.raises(ValueError, match="needs 'demonstration'"):
        designation_effect(shipped, controls=("team",), bootstrap=None)


def test_a_triple_difference_with_an_empty_cell_is_refused():
    """Issue 12, item 4: with no high-level unit in a rich village before 2021 the binary
    design loses level:endow; the design must refuse, naming the empty cell."""
    sim = econ.simulate("wp", seed=91030)
    context = _quiet()
    try:
        with pytest.raises(ValueError, match=r"level=1, endowment=1 before 2021.*continuous"):
            strong_alliance(sim.dataset, endowment="binary", bootstrap=None)
        # The continuous endowment is identified on the same panel.
        assert strong_alliance(sim.dataset, bootstrap=None)["triple_difference"]
    finally:
        context.__exit__(None, None, None)


def test_design_notes_say_which_intervals_to_report(shipped):
    context = _quiet()
    try:
        with_boot = strong_alliance(shipped, bootstrap=FEW)
        without = strong_alliance(shipped, bootstrap=None)
    finally:
        context.__exit__(None, None, None)
    assert any("report the wild cluster bootstrap" in n for n in with_boot.notes)
    assert any("No wild bootstrap was run" in n for n in without.notes)
