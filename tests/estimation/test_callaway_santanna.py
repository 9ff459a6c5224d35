"""Callaway-Sant'Anna staggered DiD: reference values from csdid, bootstrap, errors, recovery.

Reference: csdid (the Python port of R's did, installed as a test peer), run inside the tests on
``tests/data/mpdta.csv`` (R did's ``mpdta``: ``lemp`` on ``first.treat``, ``countyreal``,
``year``), with ``bstrap=False`` for its analytic standard errors and ``aggte(typec=...)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.data.dataset import SIMULATED_LABEL
from econ.inference.multiplier import multiplier_bootstrap
from econ.models.staggered import att_gt

MPDTA = Path(__file__).resolve().parent.parent / "data" / "mpdta.csv"
CONTROLS = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}
KINDS = ("simple", "group", "dynamic", "calendar")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


def _ours(data, **options):
    return att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                  bootstrap=None, **options)


def _csdid(data, *, covariates, control, method, base_period="varying", cluster=None):
    import csdid.att_gt as att_module
    # csdid emits deprecation and future warnings from pandas and prints its aggregations;
    # this project's pytest turns warnings into errors, so both are silenced here only.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model = att_module.ATTgt(
            yname="lemp", gname="first.treat", idname="countyreal", tname="year",
            data=data, xformla="lemp ~ lpop" if covariates else None,
            control_group=CONTROLS[control], clustervar=cluster)
        model.fit(est_method=method, base_period=base_period, bstrap=False)
        aggregates = {}
        for kind in KINDS:
            model.aggte(typec=kind, bstrap=False)
            aggregates[kind] = dict(model.atte)
    return model.results, aggregates


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("covariates", [(), ("lpop",)], ids=["no_covariates", "lpop"])
def test_matches_csdid(mpdta, method, control, covariates):
    ours = _ours(mpdta, covariates=covariates, control=control, method=method)
    cells, aggregates = _csdid(mpdta, covariates=covariates, control=control, method=method)
    table = ours.tidy()
    np.testing.assert_array_equal(table["group"], cells["group"])
    np.testing.assert_array_equal(table["time"], cells["year"])
    np.testing.assert_allclose(table["estimate"], cells["att"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["std_error"], cells["se"], rtol=0, atol=1e-4)
    for kind in KINDS:
        agg = ours.aggregate(kind)
        ref = aggregates[kind]
        assert agg.overall == pytest.approx(ref["overall_att"], abs=1e-6), kind
        assert agg.overall_std_error == pytest.approx(ref["overall_se"], abs=1e-4), kind
        if kind != "simple":
            tidy = agg.tidy().iloc[1:]
            np.testing.assert_allclose(tidy["estimate"], ref["att_egt"], rtol=0, atol=1e-6)
            np.testing.assert_allclose(tidy["std_error"], ref["se_egt"], rtol=0, atol=1e-4)


def test_universal_base_period_matches_csdid(mpdta):
    ours = _ours(mpdta, covariates=("lpop",), control="not_yet_treated",
                 base_period="universal")
    cells, _ = _csdid(mpdta, covariates=True, control="not_yet_treated", method="dr",
                      base_period="universal")
    table = ours.tidy()
    np.testing.assert_allclose(table["estimate"], cells["att"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["std_error"], cells["se"], rtol=0, atol=1e-4)
    base = table[table["time"] == table["group"] - 1]
    assert (base["estimate"] == 0).all() and base["std_error"].isna().all()


def test_clustered_analytic_se_matches_csdid(mpdta):
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    ours = _ours(data, covariates=("lpop",), control="never_treated", cluster="state")
    cells, aggregates = _csdid(data, covariates=True, control="never_treated", method="dr",
                               cluster="state")
    np.testing.assert_allclose(ours.tidy()["std_error"], cells["se"], rtol=0, atol=1e-4)
    assert ours.aggregate("simple").overall_std_error == pytest.approx(
        aggregates["simple"]["overall_se"], abs=1e-4)


def test_dynamic_event_window_and_balance(mpdta):
    ours = _ours(mpdta)
    window = ours.aggregate("dynamic", min_e=-1, max_e=2).tidy()
    assert window["event_time"].iloc[1:].tolist() == [-1, 0, 1, 2]
    full = ours.aggregate("dynamic").tidy().set_index("term")
    np.testing.assert_allclose(window.set_index("term")["estimate"].iloc[1:],
                               full.loc[["e=-1", "e=0", "e=1", "e=2"], "estimate"])
    balanced = ours.aggregate("dynamic", balance_e=1).tidy()
    assert balanced["event_time"].max() == 1


# multiplier bootstrap --------------------------------------------------------------------
def test_bootstrap_se_close_to_analytic(mpdta):
    analytic = _ours(mpdta, covariates=("lpop",))
    draws = multiplier_bootstrap(analytic.influence, reps=20_000, seed=3)
    se = analytic.tidy()["std_error"].to_numpy()
    # The draws' variance is sum(psi^2) / n^2 in expectation, the analytic variance; with
    # 20,000 draws the standard deviation's relative Monte Carlo error is about 0.5%.
    np.testing.assert_allclose(draws.draws.std(axis=0) / se, 1.0, atol=0.02)
    # R's did reports the IQR-based scale instead, which also converges to the analytic SE
    # only as the influence function's distribution becomes normal: with 20 to 40 treated
    # counties per cohort it runs 0-6% above it here (1% Monte Carlo error).
    np.testing.assert_allclose(draws.std_errors / se, 1.0, atol=0.08)
    boot = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                  covariates=["lpop"],
                  bootstrap=econ.Multiplier(reps=20_000, seed=3))
    np.testing.assert_allclose(boot.tidy()["std_error"], draws.std_errors, rtol=1e-12)
    agg_ratio = (boot.aggregate("dynamic").tidy()["std_error"]
                 / analytic.aggregate("dynamic").tidy()["std_error"])
    np.testing.assert_allclose(agg_ratio, 1.0, atol=0.08)


def test_bootstrap_is_chunk_invariant_and_band_wider(mpdta):
    results = [att_gt(mpdta, outcome="lemp", unit="countyreal", time="year",
                      cohort="first.treat",
                      bootstrap=econ.Multiplier(reps=999, seed=11, chunk_size=c)).tidy()
               for c in (100, 333, 5000)]
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other)
    table = results[0]
    assert ((table["band_high"] - table["band_low"])
            > (table["conf_high"] - table["conf_low"])).all()


@pytest.mark.parametrize("kind", KINDS)
def test_aggregate_bootstrap_reuses_draws_exactly(mpdta, kind):
    # Aggregations reuse the cells' weight draws through a linear basis; the result must be
    # what a direct bootstrap of the aggregate's influence function gives with the same seed.
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    result = att_gt(data, outcome="lemp", unit="countyreal", time="year",
                    cohort="first.treat", covariates=["lpop"], cluster="state",
                    bootstrap=econ.Multiplier(reps=499, seed=5))
    agg = result.aggregate(kind)
    a = agg.aggregation
    direct = multiplier_bootstrap(np.column_stack([a.influence, a.overall_influence]),
                                  cluster=result.effects.panel.cluster, reps=499, seed=5,
                                  band=np.r_[np.ones(a.labels.size, dtype=bool), False])
    np.testing.assert_allclose(agg.uncertainty.std_errors, direct.std_errors, rtol=1e-10)
    if a.labels.size:
        assert agg.uncertainty.uniform_critical_value == pytest.approx(
            direct.critical_value, rel=1e-10)


def test_multiplier_bootstrap_clusters_share_weights():
    rng = np.random.default_rng(0)
    influence = rng.normal(size=(200, 3))
    cluster = np.repeat(np.arange(20), 10)
    by_cluster = multiplier_bootstrap(influence, cluster=cluster, reps=500, seed=1)
    summed = np.add.reduceat(influence, np.arange(0, 200, 10))
    # 20 cluster sums scaled back to n = 200 give the same draws.
    direct = multiplier_bootstrap(summed * 1.0, reps=500, seed=1)
    np.testing.assert_allclose(by_cluster.draws, direct.draws * 20 / 200)


def test_analytic_has_no_uniform_band(mpdta):
    table = _ours(mpdta).tidy()
    assert table["band_low"].isna().all()


# presentation ----------------------------------------------------------------------------
def test_summaries_and_simulated_label():
    sim = econ.simulate("wp", seed=2)
    data = sim.dataset.with_columns(
        {"y": np.log1p(sim.data["assistance_funds"])}, {"y": "log1p(assistance_funds)"})
    result = att_gt(data, outcome="y", unit="village_id", time="year",
                    cohort="demonstration_year", control="not_yet_treated",
                    bootstrap=econ.Multiplier(reps=199))
    for text in (result.summary().as_text(), result.summary().as_html(),
                 result.summary().as_latex(), result._repr_html_(), repr(result)):
        assert SIMULATED_LABEL in text.replace(r"\_", "_")
    agg = result.aggregate("calendar")
    assert SIMULATED_LABEL in agg.summary().as_text()
    assert "uniform band" in agg._repr_html_()
    assert agg.tidy()["term"].iloc[0] == "overall"


def test_event_study_plot_of_the_dynamic_aggregation(mpdta):
    result = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year",
                    cohort="first.treat", bootstrap=econ.Multiplier(reps=199, seed=4))
    dynamic = result.aggregate("dynamic")
    chart = econ.event_study_plot(dynamic)
    by_event_time = dynamic.tidy().iloc[1:]  # the rows after "overall", by event time
    np.testing.assert_array_equal(chart.data["period"], by_event_time["event_time"])
    np.testing.assert_array_equal(chart.data["estimate"], by_event_time["estimate"])
    np.testing.assert_allclose(chart.data[["conf_low", "conf_high", "band_low", "band_high"]],
                               by_event_time[["conf_low", "conf_high", "band_low",
                                              "band_high"]], rtol=1e-12)
    assert not chart.data["is_reference"].any()


# errors and data rules -------------------------------------------------------------------
def test_error_no_never_treated(mpdta):
    data = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(ValueError, match="no never-treated units"):
        _ours(data, control="never_treated")
    # Not-yet-treated: the last cohort becomes the comparison group, as in R's did.
    result = _ours(data, control="not_yet_treated")
    assert set(result.tidy()["group"]) == {2004, 2006}
    assert result.tidy()["time"].max() == 2006


def test_first_period_cohort_is_dropped_with_warning(mpdta):
    # Cohort rule shared by the DiD estimators (econ.estimation.did.cohorts).
    data = mpdta.copy()
    always = data["countyreal"].isin(data["countyreal"].unique()[:3])
    data.loc[always, "first.treat"] = 2003
    with pytest.warns(UserWarning, match=r"Dropped 3 always-treated unit\(s\) \(cohort <= "
                                         r"first period 2003\)"):
        result = _ours(data)
    assert "Dropped 3 always-treated unit(s)" in result.summary().as_text()
    assert 2003 not in set(result.tidy()["group"])
    removed = _ours(data[~always])
    pd.testing.assert_frame_equal(result.tidy(), removed.tidy(), check_exact=True)


def test_zero_is_a_cohort_when_periods_are_not_all_positive(mpdta):
    # With periods -1..3, a cohort of 0 is the period 0 and never-treated units are missing.
    shifted = mpdta.assign(year=mpdta["year"] - 2004, **{
        "first.treat": (mpdta["first.treat"] - 2004).where(mpdta["first.treat"] > 0)})
    ours, reference = _ours(shifted).tidy(), _ours(mpdta).tidy()
    assert sorted(set(ours["group"])) == [0, 2, 3]
    np.testing.assert_array_equal(ours["group"] + 2004, reference["group"])
    np.testing.assert_array_equal(ours["time"] + 2004, reference["time"])
    np.testing.assert_allclose(ours["estimate"], reference["estimate"], rtol=0, atol=1e-12)


def test_error_unknown_column(mpdta):
    with pytest.raises(ValueError, match=r"unknown column\(s\): covariate 'nope'"):
        _ours(mpdta, covariates=("nope",))


def test_error_non_numeric_outcome(mpdta):
    with pytest.raises(ValueError, match="outcome column 'lemp' must be numeric"):
        _ours(mpdta.assign(lemp=mpdta["lemp"].astype(str)))


def test_error_cohort_changes_within_unit(mpdta):
    data = mpdta.copy()
    data.loc[0, "first.treat"] = 2006
    with pytest.raises(ValueError, match=rf"cohort 'first\.treat' changes within 1 unit\(s\), "
                                         rf"e\.g\. {data.loc[0, 'countyreal']}: "):
        _ours(data)


def test_error_duplicate_rows_and_bad_options(mpdta):
    with pytest.raises(ValueError, match=r"duplicate .* 1 unit-period cell\(s\) appear more "
                                         r"than once, e\.g\. \(8001, 2003\)"):
        _ours(pd.concat([mpdta, mpdta.iloc[:1]]))
    with pytest.raises(ValueError, match="control must be"):
        _ours(mpdta, control="everyone")
    with pytest.raises(ValueError, match="method must be"):
        _ours(mpdta, method="ols")
    with pytest.raises(ValueError, match="kind must be"):
        _ours(mpdta).aggregate("weekly")


def test_missing_and_zero_cohort_both_mean_never_treated(mpdta):
    zero = _ours(mpdta).tidy()
    missing = _ours(mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)}))
    pd.testing.assert_frame_equal(zero, missing.tidy())


def test_unbalanced_panel(mpdta):
    data = mpdta.drop(index=mpdta.index[(mpdta["countyreal"] == mpdta["countyreal"].iloc[0])
                                        & (mpdta["year"] == 2005)])
    balanced = _ours(data)
    assert "Dropped 1 units not observed in every period" in balanced.summary().as_text()
    assert balanced.effects.panel.n_units == 499
    pairwise = _ours(data, balance="pairwise").tidy()
    full = _ours(mpdta).tidy()
    assert pairwise["n_treated"].sum() < full["n_treated"].sum()
    # Cells not touching 2005 use every unit, exactly as on the full panel.
    clean = (pairwise["time"] != 2005) & (pairwise["base_time"] != 2005)
    np.testing.assert_allclose(pairwise.loc[clean, "estimate"], full.loc[clean, "estimate"],
                               atol=1e-12)


# recovery on simulated data ------------------------------------------------------------
def _clean_params():
    """The wp design without designation channels that move funds at the same time: the
    designation hazard does not depend on the unit in post, and the 2023 rotation neither
    favours designated villages nor adds or removes teams."""
    base = econ.simulate.presets["wp"]
    return dataclasses.replace(
        base, designation=dataclasses.replace(base.designation, high_level=0.0),
        dispatch=dataclasses.replace(base.dispatch, allocation_demonstration=0.0,
                                     team_retention_rotation=1.0, new_team_share_rotation=0.0))


def _simple_att(seed, params=None, covariates=("endowment",)):
    sim = econ.simulate("wp", seed=seed, params=params)
    data = sim.data.assign(y=np.log1p(sim.data["assistance_funds"]))
    result = att_gt(data, outcome="y", unit="village_id", time="year",
                    cohort="demonstration_year", control="not_yet_treated",
                    covariates=covariates, bootstrap=None)
    agg = result.aggregate("simple")
    return agg.overall, agg.overall_std_error, sim.truth.demonstration_att_overall, result


def test_default_design_is_confounded_by_the_redispatch():
    # In the shipped design, designation in year t leans on having a municipal-or-higher unit
    # in post that year, and those units arrive with the 2021 re-dispatch (and the 2023
    # rotation favours designated villages): funds jump with designation for reasons other
    # than designation. CS flags it: the 2022 cohort's placebo ATT(2022, 2021) is large.
    _, _, truth, result = _simple_att(1)
    table = result.tidy().set_index(["group", "time"])
    placebo = table.loc[(2022, 2021)]
    assert placebo["estimate"] > 4 * placebo["std_error"]
    assert table.loc[(2021, 2021), "estimate"] > truth + 0.3


def _calendar_errors(seeds, params):
    """(estimate - truth, std. error) of the calendar-year ATTs for 2021 and 2022."""
    out = []
    for seed in seeds:
        _, _, _, result = _simple_att(seed, params)
        truth = econ.simulate("wp", seed=seed, params=params).truth.demonstration_att
        calendar = result.aggregate("calendar").tidy().set_index("time")
        for year in (2021, 2022):
            cells = truth[truth["year"] == year]
            target = np.average(cells["att"], weights=cells["villages"])
            out.append((calendar.loc[year, "estimate"] - target, calendar.loc[year, "std_error"]))
    return np.array(out).reshape(len(seeds), 2, 2)


def test_recovers_pre_rotation_effects_in_clean_design():
    # Before the 2023 rotation the clean design has no channel other than designation that
    # moves designated villages' funds (given endowment), so CS recovers the truth there.
    errors = _calendar_errors(range(6), _clean_params())
    mean_error = errors[:, :, 0].mean(axis=0)
    assert np.all(np.abs(mean_error) < 3 * errors[:, :, 1].mean(axis=0) / np.sqrt(6))


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "The shipped wp design confounds designation: its hazard leans on the unit in post, "
    "which changes at the 2021 re-dispatch, and the 2023 rotation favours designated villages "
    "and guarantees them a team (hard-coded in dispatch._rotate). Over 200 seeds the simple "
    "ATT with not-yet-treated controls and endowment is biased by +0.76 (truth 0.48, MC error "
    "0.012), coverage 0%; without covariates +1.29. Even with designation.high_level=0, "
    "allocation_demonstration=0 and no rotation churn the team guarantee leaves +0.35 "
    "(coverage 33%). CS estimates designation's total effect, not the structural one."))
def test_monte_carlo_simple_att_recovers_truth():
    draws = np.array([_simple_att(s)[:3] for s in range(200)])
    errors = draws[:, 0] - draws[:, 2]
    mc_error = errors.std(ddof=1) / np.sqrt(len(errors))
    assert abs(errors.mean()) < 3 * mc_error
    coverage = np.mean(np.abs(errors) <= 1.959964 * draws[:, 1])
    assert 0.92 <= coverage <= 0.98


@pytest.mark.slow
def test_monte_carlo_pre_rotation_clean_design():
    # 200 seeds of the clean design: calendar-year ATTs before the rotation. Measured: 2021
    # bias -0.009 (MC error 0.028), coverage 0.88 (one cohort of about 20 villages: the
    # analytic SE is optimistic in that small a group); 2022 bias -0.002 (0.014), coverage
    # 0.94. Coverage is asserted for 2022 only, for that reason.
    errors = _calendar_errors(range(200), _clean_params())
    for year in range(2):
        e = errors[:, year, 0]
        assert abs(e.mean()) < 3 * e.std(ddof=1) / np.sqrt(len(e))
    coverage = np.mean(np.abs(errors[:, 1, 0]) <= 1.959964 * errors[:, 1, 1])
    assert 0.92 <= coverage <= 0.98
