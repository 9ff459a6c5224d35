"""Simulated power (econ.study.power) against closed forms, and the strong-alliance design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from econ.montecarlo import analysis_seed, replication_seed
from econ.presentation.figures.power_curve import power_curve_plot
from econ.results.power import minimum_detectable
from econ.study.power import RotationPowerDesign, StrongAllianceDesign, TwoSampleMeans, power


@pytest.fixture(scope="module")
def two_sample():
    """600 replications per cell of the z-test, in process."""
    return power("two_sample", effects=[0.0, 0.2, 0.4, 0.6, 0.8], n=[30, 60], methods=["z"],
                 reps=600, workers=0, task_size=300)


def test_simulated_power_is_within_monte_carlo_error_of_the_formula(two_sample):
    design = TwoSampleMeans()
    table = two_sample.power
    assert len(table) == 10 and (table["reps"] == 600).all() and (table["failed"] == 0).all()
    for row in table.to_dict("records"):
        exact = design.closed_form(row["effect"], row["n"], alpha=0.05)
        # The MC standard error of the formula's power: a 4-sigma band fails 1 in 16,000.
        assert abs(row["power"] - exact) < 4 * np.sqrt(exact * (1 - exact) / 600), row
    assert design.closed_form(0.0, 30) == pytest.approx(0.05, abs=1e-15)


def test_mde_is_within_monte_carlo_error_of_the_closed_form(two_sample):
    design = TwoSampleMeans()
    exact_power = two_sample.power.assign(
        power=[design.closed_form(e, n) for e, n in zip(two_sample.power["effect"],
                                                         two_sample.power["n"], strict=True)])
    on_grid = minimum_detectable(exact_power, ("n",), 0.8).set_index("n")
    mde = two_sample.mde.set_index("n")
    for n in (30, 60):
        assert mde.loc[n, "bound"] == ""
        # Against the exact curve read the same way (linear between the simulated effects):
        # the difference is Monte Carlo error only.
        assert abs(mde.loc[n, "mde"] - on_grid.loc[n, "mde"]) < 4 * mde.loc[n, "mc_se"], n
        # The z-test's 80% MDE, (z_0.975 + z_0.8) sd sqrt(2/n) up to the far tail: reading a
        # concave curve linearly on a grid of 0.2 overstates it by under 0.03.
        exact = (norm.isf(0.025) + norm.isf(0.2)) * np.sqrt(2 / n)
        assert 0 <= on_grid.loc[n, "mde"] - exact < 0.03


def test_minimum_detectable_interpolates_and_flags_the_grid_ends():
    table = pd.DataFrame({"n": [1] * 3 + [2] * 3 + [3] * 3, "method": "z",
                          "effect": [0.0, 1.0, 2.0] * 3,
                          "power": [0.05, 0.6, 0.9, 0.05, 0.85, 0.99, 0.05, 0.3, 0.5],
                          "mc_se": [0.01, 0.02, 0.02] * 3})
    mde = minimum_detectable(table, ("n",), 0.8).set_index("n")
    assert mde.loc[1, "mde"] == pytest.approx(1 + 0.2 / 0.3)
    assert mde.loc[1, "mc_se"] == pytest.approx(np.hypot(0.02 / 3, 0.02 * 2 / 3) / 0.3)
    assert mde.loc[2, "bound"] == "below grid" and mde.loc[2, "mde"] == 1.0
    assert mde.loc[3, "bound"] == "above grid" and np.isnan(mde.loc[3, "mde"])


def test_randomization_test_has_its_size_and_power():
    result = power("two_sample", effects=[0.0, 0.7], n=40, reps=300, workers=0,
                   task_size=100)
    rates = result.power.set_index(["effect", "method"])["power"]
    assert abs(rates[(0.0, "randomization")] - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 300)
    exact = TwoSampleMeans().closed_form(0.7, 40)
    assert abs(rates[(0.7, "randomization")] - exact) < 4 * np.sqrt(exact * (1 - exact) / 300)


@pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")
def test_strong_alliance_replications_are_the_design_run_alone():
    design = StrongAllianceDesign(bootstrap_reps=99)
    result = power(design, effects=[0.45], counties=2, townships=6, villages=6, reps=2,
                   workers=0, methods=["cr1", "wild_bootstrap", "subcluster_bootstrap"])
    rows = result.montecarlo.replications
    assert rows["error"].isna().all()
    assert rows["warnings"].str.contains("FewClustersWarning: only 12 clusters").all()
    panel = design(replication_seed(result.montecarlo.seed, 1), effect=0.45, counties=2,
                   townships=6, villages=6)
    assert panel.params.funds.triple == 0.45 and panel.data["township_id"].nunique() == 12
    assert panel.data["village_id"].nunique() == 72
    alone = design.pvalues(panel, analysis_seed(result.montecarlo.seed, 1),
                           ("cr1", "wild_bootstrap", "subcluster_bootstrap"))
    assert rows.iloc[1][list(alone)].tolist() == list(alone.values())
    assert set(result.power["method"]) == {"cr1", "wild_bootstrap", "subcluster_bootstrap"}
    assert "SIMULATED" in result.to_table().to_text()


def test_rotation_design_scales_the_unit_effects_and_tests_the_pooled_effect():
    design = RotationPowerDesign()
    result = power(design, effects=[0.0, 1.0], townships=6, villages=8, reps=2, workers=0)
    rows = result.montecarlo.replications
    assert rows["error"].isna().all() and set(result.power["method"]) == {"dcdh"}
    panel = design(replication_seed(result.montecarlo.seed, 0), effect=0.0, counties=2,
                   townships=6, villages=8)
    funds = panel.params.funds
    assert (funds.team, funds.level, funds.strength, funds.triple) == (0.0, 0.0, 0.0, 0.0)
    shipped = design(replication_seed(result.montecarlo.seed, 0), effect=1.0, counties=2,
                     townships=6, villages=8).params.funds
    assert shipped.level == 0.6 and shipped.team == 1.0
    alone = design.pvalues(panel, 0, ("dcdh",))
    first = rows[(rows["effect"] == 0.0) & (rows["replication"] == 0)].iloc[0]
    assert [first["dcdh"], first["estimate"]] == [alone["dcdh"], alone["estimate"]]
    with pytest.raises(ValueError, match="not assigned by cluster"):
        power(design, effects=[1.0], methods=["randomization"], reps=2, workers=0)


def test_bad_power_arguments():
    with pytest.raises(ValueError, match="randomization inference is not available for the "
                                         "strong-alliance triple difference"):
        power(effects=[0.1], methods=["randomization"], reps=2, workers=0)
    with pytest.raises(ValueError, match=r"unknown size\(s\) \['households'\]"):
        power(effects=[0.1], households=3, reps=2, workers=0)
    with pytest.raises(ValueError, match=r"unknown method\(s\) \['cr9'\]"):
        power(effects=[0.1], methods=["cr9"], reps=2, workers=0)
    with pytest.raises(ValueError, match="unknown design 'rotations'"):
        power("rotations", effects=[0.1], reps=2, workers=0)
    with pytest.raises(ValueError, match="counties must be positive whole numbers"):
        power(effects=[0.1], counties=[0, 2], reps=2, workers=0)
    with pytest.raises(ValueError, match="effects must be one or more finite numbers"):
        power(effects=[], reps=2, workers=0)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        power("two_sample", effects=[0.1], alpha=5, reps=2, workers=0)


def test_power_curve_figure_shows_the_table(two_sample):
    chart = power_curve_plot(two_sample, title="Power of the z-test")
    assert len(chart.data) == 10
    # Readable test names in the legend.
    assert set(chart.data["curve"]) == {"z-test: n 30", "z-test: n 60"}
    lines = {a.get_gid() for a in chart.figure.axes[0].get_children() if a.get_gid()}
    assert {"level", "target", "power:z-test: n 30"} <= lines
    assert (chart.data["low"] <= chart.data["power"]).all()
    with pytest.raises(TypeError, match="needs a PowerResult"):
        power_curve_plot(two_sample.power)


@pytest.mark.slow
def test_strong_alliance_power_grows_with_effect_and_counties():
    """120 panels per cell: the wild bootstrap's power at the shipped triple difference grows
    with the number of counties, and its size at effect 0 is near 5%."""
    result = power(effects=[0.0, 0.3], counties=[2, 4], townships=8, villages=8, reps=120,
                   methods=["cr1", "wild_bootstrap"], workers=2)
    table = result.power.set_index(["counties", "effect", "method"])["power"]
    assert table[(4, 0.3, "wild_bootstrap")] > table[(2, 0.3, "wild_bootstrap")]
    assert table[(2, 0.3, "wild_bootstrap")] > table[(2, 0.0, "wild_bootstrap")]
    assert table[(4, 0.0, "wild_bootstrap")] < 0.05 + 4 * np.sqrt(0.05 * 0.95 / 120)
