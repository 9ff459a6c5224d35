"""The study designs on simulated panels with known truth."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import econ
from econ.api.designs import gradient_event_study, strong_alliance
from econ.estimation.linear import EstimationWarning
from econ.inference.bootstrap.settings import WildBootstrap

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
    assert list(path["year"]) == list(range(2013, 2026))
    assert path.loc[path["year"] == 2020, "estimate"].item() == 0.0
    assert ((path["uniform_high"] - path["uniform_low"])
            >= (path["conf_high"] - path["conf_low"]) - 1e-12).all()
    assert study.sup_t > 1.96
    assert 0 <= study.pretrend.pvalue <= 1 and study.pretrend.statistic > 0
    post = path[path["year"] >= 2021]["estimate"]
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
    from econ.api.designs import heterogeneity

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
    from econ.api.designs import designation_effect

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
    from econ.api.designs import designation_effect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        result = designation_effect(shipped, bootstrap=FEW)
    cells = result.cells
    assert set(cells["cohort"]) == {2021, 2022, 2023, 2024}
    weights = cells["rows"] / cells["rows"].sum()
    assert np.isclose(result.estimate, float(weights @ cells["estimate"]), rtol=1e-12)
    low, high = result.bootstrap.ci
    assert low < result.estimate < high
    assert "SIMULATED DATA" in result.summary().as_text()
    with pytest.raises(ValueError, match="needs 'demonstration'"):
        designation_effect(shipped, controls=("team",), bootstrap=None)
