"""Sun-Abraham event study against pyfixest's saturated event study, and its refusals.

pyfixest 0.60 has no ``sunab()``; its ``event_study(..., estimator="saturated")`` fits
``y ~ i(rel_time, first_treated_period, ref=-1, ref2=0) | unit + time`` (never-treated units,
cohort 0, get no dummies) with CR1 by unit, and ``aggregate()`` averages the cohort effects with
the cohort shares of each relative period. Designs it cannot express (covariates, weights, the
last-treated control) are compared with the same saturated regression written out in pyfixest,
aggregated here from pyfixest's estimates and covariance with shares counted here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

import econ
from econ.estimation.did.sun_abraham import Cell, interaction_weights
from econ.models.sun_abraham import sun_abraham

MPDTA = Path(__file__).resolve().parent.parent / "data" / "mpdta.csv"


def _quiet(function, *args, **kwargs):
    # pyfixest warns that its saturated estimator is beta and raises pandas deprecation
    # warnings of its own; neither concerns the numbers compared here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _pyfixest_saturated(frame: pd.DataFrame, *, y: str, unit: str, time: str, g: str):
    fit = _quiet(pf.event_study, frame, yname=y, idname=unit, tname=time, gname=g,
                 estimator="saturated")
    return fit, _quiet(fit.aggregate)


def _compare(result, fit, aggregated) -> None:
    cells = result.cohort_effects()
    names = [f"rel_time::{float(r)}:first_treated_period::{c}"
             for c, r in zip(cells["cohort"], cells["period"], strict=True)]
    assert len(names) == len(fit.coef())
    np.testing.assert_allclose(cells["estimate"], fit.coef()[names], rtol=0, atol=1e-8)
    np.testing.assert_allclose(cells["std_error"], fit.se()[names], rtol=0, atol=1e-8)
    periods = aggregated.index.to_numpy(dtype=float)
    np.testing.assert_array_equal(result.periods, periods)
    np.testing.assert_allclose(result.params, aggregated["Estimate"].astype(float), rtol=0,
                               atol=1e-6)
    np.testing.assert_allclose(result.std_errors, aggregated["Std. Error"].astype(float),
                               rtol=0, atol=1e-6)


def _cohort_sizes(result) -> dict[int, int]:
    """Units per treated cohort, as the result's summary facts report them."""
    listed = dict(result.facts)["Treated cohorts (units)"]
    pairs = (item.split(": ") for item in listed.split(", "))
    return {int(cohort): int(units) for cohort, units in pairs}


def _n_control_units(result) -> int:
    """Control units, as the result's summary facts report them (e.g. "never treated (276
    units)")."""
    match = re.fullmatch(r".* \(([\d,]+) units\)", dict(result.facts)["Control"])
    assert match is not None
    return int(match[1].replace(",", ""))


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA).rename(columns={"first.treat": "first_treat"})


@pytest.fixture(scope="module")
def mpdta_result(mpdta):
    return sun_abraham(mpdta, outcome="lemp", unit="countyreal", time="year",
                       cohort="first_treat")


@pytest.fixture(scope="module")
def wp():
    panel = econ.simulate("wp").dataset
    return panel.with_columns({"y": np.log1p(panel.data["assistance_funds"])},
                              {"y": "log1p(assistance_funds)"})


def test_mpdta_matches_pyfixest(mpdta, mpdta_result):
    fit, aggregated = _pyfixest_saturated(mpdta, y="lemp", unit="countyreal", time="year",
                                          g="first_treat")
    _compare(mpdta_result, fit, aggregated)
    assert mpdta_result.regression.covariance.label == "CR1 (countyreal)"


def test_simulated_panel_matches_pyfixest_and_is_labelled(wp):
    result = sun_abraham(wp, outcome="y", unit="village_id", time="year",
                         cohort="demonstration_year")
    frame = pd.DataFrame({"y": wp.data["y"],
                          "unit": wp.data["village_id"].cat.codes.astype("int64"),
                          "year": wp.data["year"].astype("int64"),
                          "g": wp.data["demonstration_year"].fillna(0).astype("int64")})
    fit, aggregated = _pyfixest_saturated(frame, y="y", unit="unit", time="year", g="g")
    _compare(result, fit, aggregated)
    assert _cohort_sizes(result) == {2021: 21, 2022: 13, 2023: 8, 2024: 16}
    assert _n_control_units(result) == 276
    assert econ.SIMULATED_LABEL in result.summary().as_text()
    assert econ.SIMULATED_LABEL in result._repr_html_()


def test_last_treated_control_matches_pyfixest_on_the_trimmed_panel(wp):
    result = sun_abraham(wp, outcome="y", unit="village_id", time="year",
                         cohort="demonstration_year", control="last_treated")
    data = wp.data
    kept = data[data["demonstration_year"].notna() & (data["year"] < 2024)]
    # On this sample the 2024 cohort is never treated, so pyfixest reads it as the control.
    frame = pd.DataFrame({"y": kept["y"], "unit": kept["village_id"].cat.codes.astype("int64"),
                          "year": kept["year"].astype("int64"),
                          "g": kept["demonstration_year"].astype("int64")})
    fit, aggregated = _pyfixest_saturated(frame, y="y", unit="unit", time="year", g="g")
    _compare(result, fit, aggregated)
    assert _n_control_units(result) == 16
    assert 2024 not in _cohort_sizes(result)
    assert any("276 never-treated unit(s) dropped" in note for note in result.notes)


def test_covariates_and_weights_match_the_explicit_saturated_regression(mpdta):
    rng = np.random.default_rng(5)
    frame = mpdta.assign(x=rng.normal(size=len(mpdta)), w=rng.uniform(0.5, 2.0, len(mpdta)))
    result = sun_abraham(frame, outcome="lemp", unit="countyreal", time="year",
                         cohort="first_treat", covariates=("x",), weights="w")
    frame["rel"] = np.where(frame["first_treat"] > 0, frame["year"] - frame["first_treat"],
                            -1000)
    fit = _quiet(pf.feols, "lemp ~ i(rel, first_treat, ref=-1, ref2=0) + x | countyreal + year",
                 frame, weights="w", vcov={"CRV1": "countyreal"})
    cells = result.cohort_effects()
    names = [f"rel::{r}:first_treat::{c}" for c, r in zip(cells["cohort"], cells["period"],
                                                          strict=True)]
    # Weighted fixed effects are absorbed by alternating projections (tol 1e-10), not in closed
    # form, so agreement is to the projection tolerance rather than to rounding.
    np.testing.assert_allclose(cells["estimate"], fit.coef()[names], rtol=0, atol=1e-8)
    np.testing.assert_allclose(cells["std_error"], fit.se()[names], rtol=0, atol=1e-8)
    assert result.regression.params["x"] == pytest.approx(fit.coef()["x"], abs=1e-8)
    # Interaction weights counted here: total observation weight of each cohort at each period.
    treated = frame[frame["first_treat"] > 0]
    mass = treated.groupby(["rel", "first_treat"])["w"].sum()
    vcov = pd.DataFrame(fit._vcov, index=fit.coef().index, columns=fit.coef().index)
    for period in result.periods:
        share = mass.loc[period] / mass.loc[period].sum()
        terms = [f"rel::{period}:first_treat::{c}" for c in share.index]
        estimate = float(share.to_numpy() @ fit.coef()[terms].to_numpy())
        error = float(np.sqrt(share.to_numpy() @ vcov.loc[terms, terms].to_numpy()
                              @ share.to_numpy()))
        assert result.params[period] == pytest.approx(estimate, abs=1e-6)
        assert result.std_errors[period] == pytest.approx(error, abs=1e-6)


def test_interaction_weights_are_cohort_shares():
    cells = [Cell(2004, 0, "a"), Cell(2006, 0, "b"), Cell(2004, 1, "c"), Cell(2006, -2, "d")]
    rel_times, weights = interaction_weights(cells, np.array([20.0, 60.0, 20.0, 60.0]))
    np.testing.assert_array_equal(rel_times, [-2, 0, 1])
    np.testing.assert_allclose(weights, [[0, 0, 0, 1], [0.25, 0.75, 0, 0], [0, 0, 1, 0]])


def test_result_tables(mpdta_result):
    result = mpdta_result
    tidy = result.tidy()
    assert list(tidy.columns) == ["period", "estimate", "std_error", "statistic", "p_value",
                                  "conf_low", "conf_high"]
    assert list(tidy["period"]) == [-4, -3, -2, 0, 1, 2, 3]
    cells = result.cohort_effects()
    assert list(cells.columns) == ["cohort", "period", "term", "estimate", "std_error",
                                   "statistic", "p_value", "conf_low", "conf_high", "n_obs",
                                   "weight"]
    assert cells.groupby("period")["weight"].sum().to_numpy() == pytest.approx(1.0)
    # each event-time effect is the share-weighted average of the cohort effects
    averaged = (cells["weight"] * cells["estimate"]).groupby(cells["period"]).sum()
    np.testing.assert_allclose(averaged.to_numpy(), result.params.to_numpy(), atol=1e-14)
    plot = result.to_frame()
    assert list(plot.columns) == ["period", "estimate", "std_error", "conf_low", "conf_high",
                                  "band_low", "band_high", "is_reference"]
    assert plot.loc[plot["is_reference"], "period"].tolist() == [-1]
    assert (plot["conf_low"] <= plot["estimate"]).all() and (
        plot["estimate"] <= plot["conf_high"]).all()
    reference = plot[plot["is_reference"]]
    assert (reference[["estimate", "std_error", "conf_low", "conf_high"]] == 0).all().all()
    assert plot[["band_low", "band_high"]].isna().all().all()
    post = cells[cells["period"] >= 0]
    att = result.att()
    assert list(att.index) == ["estimate", "std_error", "statistic", "p_value", "conf_low",
                               "conf_high"]
    expected = float(post["n_obs"] @ post["estimate"]) / post["n_obs"].sum()
    assert att["estimate"] == pytest.approx(expected, abs=1e-14)
    text = repr(result)
    assert "Event study (Sun-Abraham): lemp" in text and econ.SIMULATED_LABEL not in text
    assert "<table" in result._repr_html_()
    assert r"\begin{tabular}" in result.summary().as_latex()


def test_event_study_plot_draws_the_canonical_path(mpdta_result):
    chart = econ.event_study_plot(mpdta_result)
    plotted = ["period", "estimate", "conf_low", "conf_high", "band_low", "band_high",
               "is_reference"]
    assert list(chart.data.columns) == plotted
    pd.testing.assert_frame_equal(chart.data, mpdta_result.to_frame()[plotted])


def test_reference_outside_the_data(mpdta):
    with pytest.raises(ValueError, match=r"reference period\(s\) \[-9\] outside the data: "
                                         r"relative periods .* run from -4 to 3"):
        sun_abraham(mpdta, outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat", ref=-9)


def test_cohort_without_the_reference_period(mpdta):
    with pytest.raises(ValueError, match=r"cohort 2004 is never observed at the reference"):
        sun_abraham(mpdta, outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat", ref=-4)


def test_no_never_treated_units(mpdta):
    treated_only = mpdta[mpdta["first_treat"] > 0]
    with pytest.raises(ValueError, match=r"no never-treated units .*control='last_treated'"):
        sun_abraham(treated_only, outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat")
    result = sun_abraham(treated_only, outcome="lemp", unit="countyreal", time="year",
                         cohort="first_treat", control="last_treated")
    assert _cohort_sizes(result) == {2004: 20, 2006: 40}


@pytest.mark.parametrize("control", ["never_treated", "last_treated"])
def test_always_treated_units_are_dropped_and_counted(mpdta, control):
    # Cohort rule shared by the DiD estimators (econ.estimation.did.cohorts): units treated
    # from the first period have no untreated period, so they are dropped, not refused.
    first = mpdta.assign(first_treat=mpdta["first_treat"].replace({2004: 2003}))
    options = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first_treat",
               "control": control}
    with pytest.warns(UserWarning, match=r"Dropped 20 always-treated unit\(s\) \(cohort <= "
                                         r"first period 2003\)"):
        result = sun_abraham(first, **options)
    note = [n for n in result.notes if n.startswith("Dropped 20 always-treated unit(s)")]
    assert len(note) == 1 and note[0] in result.summary().as_text()
    removed = sun_abraham(first[first["first_treat"] != 2003], **options)
    assert not any("always-treated" in n for n in removed.notes)
    pd.testing.assert_frame_equal(result.tidy(), removed.tidy(), check_exact=True)
    pd.testing.assert_frame_equal(result.cohort_effects(), removed.cohort_effects(),
                                  check_exact=True)
    assert _cohort_sizes(result) == _cohort_sizes(removed)
    assert _n_control_units(result) == _n_control_units(removed)
    assert result.regression.nobs == removed.regression.nobs


def test_no_variation_left_after_the_fixed_effects(mpdta):
    # One treated cohort whose controls are seen only in 2003: they are singletons in the unit
    # effects, and the cohort's relative periods coincide with the years.
    keep = (mpdta["first_treat"] == 2004) | ((mpdta["first_treat"] == 0)
                                            & (mpdta["year"] == 2003))
    with pytest.raises(ValueError, match="no variation left"):
        sun_abraham(mpdta[keep], outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat")
    # Without controls in 2007, the two cohorts treated then cannot be told apart.
    keep = mpdta["first_treat"].isin([0, 2004, 2007]) & ~((mpdta["first_treat"] == 0)
                                                          & (mpdta["year"] == 2007))
    with pytest.raises(ValueError, match=r"not identified .*no variation left.*cohort 2007, "
                                         r"relative period 0 \(collinear with \(cohort 2004, "
                                         r"relative period 3\)\)"):
        sun_abraham(mpdta[keep], outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat")


def test_few_clusters_warning_is_passed_on(mpdta):
    frame = mpdta.assign(state=mpdta["countyreal"] // 1000)
    with pytest.warns(econ.FewClustersWarning, match="clusters in 'state'"):
        result = sun_abraham(frame, outcome="lemp", unit="countyreal", time="year",
                             cohort="first_treat", cluster="state")
    assert result.regression.covariance.label == "CR1 (state)"
