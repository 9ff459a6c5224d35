"""The imputation estimator (Borusyak, Jaravel and Spiess 2024) against its peers.

References run in the test: the ``did_imputation`` package (a port of Stata's did_imputation)
for point estimates, the conservative standard errors and the pre-trend coefficients; pyfixest's
``did2s`` (Gardner's two-stage estimator: the same point estimates by construction); a dense
brute-force computation of BJS's formulas for the leave-out variance; and simulated panels with
known effects.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econ.estimation.did.cohorts import CohortError
from econ.estimation.did.imputation import NoControlObservationsError
from econ.inference.covariance import Cluster
from econ.models.feols import feols
from econ.models.imputation import did_imputation

MPDTA = Path(__file__).resolve().parents[1] / "data" / "mpdta.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


def simulated_panel(seed: int = 7, units: int = 300, periods: int = 8) -> pd.DataFrame:
    """SIMULATED staggered panel: cohorts 3..6 and never treated, effect 0.5 + 0.25 e at event
    time e, a time-varying control with coefficient 0.8, positive weights, 30 clusters."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice([3, 4, 5, 6, 0], size=units)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(units), periods),
                          "year": np.tile(np.arange(1, periods + 1), units)})
    frame["cohort"] = cohort[frame["unit"]]
    frame["cluster"] = frame["unit"] % 30
    frame["x"] = rng.normal(size=len(frame)) + 0.1 * frame["year"]
    frame["w"] = rng.uniform(0.5, 2.0, units)[frame["unit"]]
    event = frame["year"] - frame["cohort"]
    treated = (frame["cohort"] > 0) & (event >= 0)
    effect = np.where(treated, 0.5 + 0.25 * event, 0.0)
    frame["y"] = (rng.normal(size=units)[frame["unit"]] + 0.3 * frame["year"]
                  + 0.8 * frame["x"] + effect + rng.normal(scale=0.5, size=len(frame)))
    frame["truth"] = effect
    return frame


def run_peer(frame: pd.DataFrame, **kwargs: object) -> object:
    from did_imputation import did_imputation as peer

    # The port prints notices and uses pandas idioms that warn; neither concerns the numbers.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return peer(frame.copy(), **kwargs)


@pytest.mark.slow  # the port takes about 10 s per call
def test_mpdta_matches_did_imputation(mpdta: pd.DataFrame) -> None:
    ours = did_imputation(mpdta, outcome="lemp", unit="countyreal", time="year",
                          cohort="first.treat", pretrends=3)
    data = mpdta.assign(g=mpdta["first.treat"].replace(0, np.nan))
    peer = run_peer(data, y="lemp", i="countyreal", t="year", Ei="g", horizons=[0, 1, 2, 3],
                    pretrends=3, minn=0)
    post = ours.params.loc[[0, 1, 2, 3]]
    # The port recovers the fixed effects by iterating to a 1e-6 tolerance (we solve the
    # normal equations exactly; test_matches_dense_least_squares checks to 1e-10): estimates
    # agree to about 3e-8 here, standard errors to about 1e-6 relative.
    np.testing.assert_allclose(post, [peer.estimates[f"tau{h}"] for h in range(4)],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.std_errors.loc[[0, 1, 2, 3]],
                               [peer.std_errors[f"tau{h}"] for h in range(4)], rtol=1e-5)
    pre = ours.params.loc[[-1, -2, -3]]
    np.testing.assert_allclose(pre, [peer.pretrends_estimates[f"pre{h}"] for h in (1, 2, 3)],
                               rtol=0, atol=1e-10)
    # Pre-trend standard errors: CR1 with the nested-FE convention of fixest; the port uses
    # reghdfe's count and drops singletons first, a difference of about 2e-4 relative here.
    np.testing.assert_allclose(ours.std_errors.loc[[-1, -2, -3]],
                               [peer.pretrends_std_errors[f"pre{h}"] for h in (1, 2, 3)],
                               rtol=1e-3)


def test_pretrend_regression_matches_feols(mpdta: pd.DataFrame) -> None:
    """The pre-trend coefficients and their CR1 covariance are those of the fixed-effects
    regression on untreated rows (feols, itself checked against fixest)."""
    ours = did_imputation(mpdta, outcome="lemp", unit="countyreal", time="year",
                          cohort="first.treat", pretrends=3)
    g = mpdta["first.treat"].replace(0, np.nan)
    untreated = mpdta[~(mpdta["year"] >= g)].copy()
    event = untreated["year"] - g[untreated.index]
    for h in (1, 2, 3):
        untreated[f"pre{h}"] = (event == -h).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feols drops 20 singleton rows and says so
        reg = feols("lemp ~ pre1 + pre2 + pre3 | countyreal + year", untreated,
                    cov=Cluster("countyreal"))
    np.testing.assert_allclose(ours.params.loc[[-1, -2, -3]], reg.params, rtol=0, atol=1e-10)
    # feols counts 2,189 observations after removing singletons, we 2,209: the CR1 factor
    # (n - 1) / (n - K) differs by under 1e-5 relative.
    np.testing.assert_allclose(ours.std_errors.loc[[-1, -2, -3]], reg.std_errors, rtol=1e-4)
    b = reg.params.to_numpy()
    wald = b @ np.linalg.solve(reg.covariance.cov, b) / 3
    assert ours.pretrend is not None
    assert ours.pretrend.statistic == pytest.approx(wald, rel=1e-3)


def test_mpdta_matches_did2s(mpdta: pd.DataFrame) -> None:
    """pyfixest's did2s drops units with a single untreated row (singletons in its first
    stage), so the 2004 cohort is left out for both."""
    import pyfixest as pf

    data = mpdta[mpdta["first.treat"] != 2004].copy()
    ours = did_imputation(data, outcome="lemp", unit="countyreal", time="year",
                          cohort="first.treat")
    g = data["first.treat"].replace(0, np.nan)
    data["treat"] = (data["year"] >= g).astype(int)
    data["rel"] = (data["year"] - g).fillna(np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's own pandas deprecation warnings
        fit = pf.did2s(data, yname="lemp", first_stage="~0|countyreal+year",
                       second_stage="~i(rel,ref=-1.0)", treatment="treat",
                       cluster="countyreal")
    coef = fit.coef()
    # Second stage: a dummy per relative period (never treated at inf) but -1; the post-period
    # coefficients are the mean first-stage residuals of the treated at each event time.
    rel = np.array([float(name.split("::")[1]) for name in coef.index])
    post = coef.to_numpy()[np.isfinite(rel) & (rel >= 0)]
    # did2s recovers the first-stage fixed effects iteratively (its never-treated dummy comes
    # out at 1e-6, not 0): agreement to about 1e-5 here; the exact solution is checked against
    # dense least squares to 1e-10 (test_matches_dense_least_squares).
    np.testing.assert_allclose(ours.params.to_numpy(), post, rtol=0, atol=5e-5)


@pytest.mark.slow  # the port takes about 10 s per call
def test_controls_and_weights_match_did_imputation() -> None:
    frame = simulated_panel()
    ours = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort",
                          controls=["x"], weights="w", cluster="cluster")
    data = frame.assign(g=frame["cohort"].replace(0, np.nan))
    horizons = list(ours.periods)
    peer = run_peer(data, y="y", i="unit", t="year", Ei="g", horizons=horizons,
                    controls=["x"], aw="w", cluster="cluster", minn=0)
    np.testing.assert_allclose(ours.params, [peer.estimates[f"tau{h}"] for h in horizons],
                               rtol=0, atol=1e-6)
    # The port finds the imputation weights by iterating to a 1e-6 tolerance; we solve exactly.
    np.testing.assert_allclose(ours.std_errors, [peer.std_errors[f"tau{h}"] for h in horizons],
                               rtol=1e-4)


def dense_imputation(frame: pd.DataFrame, controls: list[str], weights: str | None
                     ) -> pd.Series:
    """Effects by event time from dense weighted least squares on the untreated rows."""
    g = frame["cohort"].replace(0, np.nan)
    treated = (frame["year"] >= g).to_numpy()
    x = np.hstack([pd.get_dummies(frame["unit"]).to_numpy(float),
                   pd.get_dummies(frame["year"]).to_numpy(float)[:, 1:],
                   frame[controls].to_numpy(float)])
    a = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(float)
    root = np.sqrt(a[~treated])
    coef, *_ = np.linalg.lstsq(x[~treated] * root[:, None],
                               frame["y"].to_numpy()[~treated] * root, rcond=None)
    tau = (frame["y"].to_numpy() - x @ coef)[treated]
    event = (frame["year"] - g).to_numpy()[treated]
    at = a[treated]
    return pd.Series({e: np.sum(at * tau * (event == e)) / np.sum(at * (event == e))
                      for e in np.unique(event)})


def test_matches_dense_least_squares() -> None:
    frame = simulated_panel(units=80)
    ours = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort",
                          controls=["x"], weights="w", cluster="cluster")
    dense = dense_imputation(frame, ["x"], "w")
    np.testing.assert_allclose(ours.params.to_numpy(), dense.to_numpy(), rtol=0, atol=1e-10)


def test_recovers_known_effects() -> None:
    """SIMULATED: the effect 0.5 + 0.25 e is recovered within three standard errors."""
    frame = simulated_panel(seed=11, units=2000)
    result = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort",
                            controls=["x"])
    truth = 0.5 + 0.25 * result.periods
    z = (result.params.to_numpy() - truth) / result.std_errors.to_numpy()
    assert np.all(np.abs(z) < 3), z


def test_estimand_weights_give_the_overall_average() -> None:
    frame = simulated_panel()
    by_event = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")
    overall = did_imputation(frame.assign(one=1.0), outcome="y", unit="unit", time="year",
                             cohort="cohort", estimand_weights="one")
    event = frame["year"] - frame["cohort"]
    counts = event[(frame["cohort"] > 0) & (event >= 0)].value_counts().sort_index()
    expected = (by_event.params * counts.reindex(by_event.periods).to_numpy()).sum() / counts.sum()
    assert overall.params.iloc[0] == pytest.approx(expected, abs=1e-10)


def brute_force_leave_out(frame: pd.DataFrame, horizon: int) -> float:
    """BJS's leave-out conservative variance for one horizon from dense matrices (each unit
    its own cluster)."""
    g = frame["cohort"].replace(0, np.nan)
    treated = (frame["year"] >= g).to_numpy()
    units = pd.get_dummies(frame["unit"]).to_numpy(float)
    years = pd.get_dummies(frame["year"]).to_numpy(float)[:, 1:]
    x = np.hstack([units, years])
    x0, x1 = x[~treated], x[treated]
    coef, *_ = np.linalg.lstsq(x0, frame["y"].to_numpy()[~treated], rcond=None)
    resid = frame["y"].to_numpy() - x @ coef
    event = (frame["year"] - g).to_numpy()[treated]
    w1 = (event == horizon) / np.sum(event == horizon)
    v0 = -x0 @ np.linalg.pinv(x0.T @ x0) @ x1.T @ w1
    cell = (g.to_numpy()[treated] * 100 + frame["year"].to_numpy()[treated])
    unit1 = frame["unit"].to_numpy()[treated]
    tau = resid[treated]
    eps1 = np.zeros(treated.sum())
    for i in np.flatnonzero(w1):
        others = (cell == cell[i]) & (unit1 != unit1[i])
        weight = w1[others] ** 2  # own-cluster total weight times weight, one row per unit-cell
        eps1[i] = tau[i] - weight @ tau[others] / weight.sum()
    variance = 0.0
    unit0 = frame["unit"].to_numpy()[~treated]
    for u in np.unique(frame["unit"]):
        s = v0[unit0 == u] @ resid[~treated][unit0 == u] + w1[unit1 == u] @ eps1[unit1 == u]
        variance += s**2
    return float(np.sqrt(variance))


def test_leave_out_variance_matches_dense_formula() -> None:
    frame = simulated_panel(seed=3, units=60, periods=6)
    ours = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort",
                          leave_out=True)
    for h in (0, 1, 2):
        assert ours.std_errors.loc[h] == pytest.approx(brute_force_leave_out(frame, h),
                                                       rel=1e-8)
    plain = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")
    assert np.all(ours.std_errors > plain.std_errors)


def test_covariance_is_symmetric_and_matches_errors(mpdta: pd.DataFrame) -> None:
    result = did_imputation(mpdta, outcome="lemp", unit="countyreal", time="year",
                            cohort="first.treat", pretrends=2)
    np.testing.assert_allclose(np.sqrt(np.diag(result.cov)), result.std_errors, rtol=1e-12)
    assert result.reference is None
    assert "imputation" in result.summary().title.lower() or "imputation" in result.title


# bad input ------------------------------------------------------------------------------
def test_no_untreated_observation_in_a_period() -> None:
    frame = simulated_panel(units=100)
    frame = frame[frame["cohort"] != 0]
    frame.loc[frame["cohort"] == 6, "cohort"] = 5  # last period 8: everyone treated from 6
    with pytest.raises(NoControlObservationsError, match="no untreated"):
        did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")


def test_missing_treatment_timing_column() -> None:
    frame = simulated_panel(units=50).drop(columns="cohort")
    with pytest.raises(ValueError, match=r"unknown column.*cohort 'cohort'"):
        did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")


def test_timing_that_changes_within_a_unit() -> None:
    frame = simulated_panel(units=50)
    frame.loc[frame.index[:2], "cohort"] = [3, 4]
    with pytest.raises(CohortError, match="changes within 1 unit"):
        did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")


def test_no_treated_units_and_unknown_horizon() -> None:
    frame = simulated_panel(units=50)
    with pytest.raises(ValueError, match="no treated cohort"):
        did_imputation(frame.assign(cohort=0), outcome="y", unit="unit", time="year",
                       cohort="cohort")
    with pytest.raises(ValueError, match=r"horizons \[12\] have no treated observation"):
        did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort",
                       horizons=[0, 12])


def test_missing_outcomes_are_dropped_and_counted() -> None:
    frame = simulated_panel(units=80)
    frame.loc[frame.index[[3, 10, 40]], "y"] = np.nan
    result = did_imputation(frame, outcome="y", unit="unit", time="year", cohort="cohort")
    assert any("Dropped 3 row(s)" in note for note in result.notes)
    assert result.nobs == len(frame) - 3


def test_duplicate_rows_and_collinear_controls() -> None:
    frame = simulated_panel(units=50)
    with pytest.raises(ValueError, match="duplicate"):
        did_imputation(pd.concat([frame, frame.iloc[:1]]), outcome="y", unit="unit",
                       time="year", cohort="cohort")
    with pytest.raises(ValueError, match="collinear"):
        did_imputation(frame.assign(u=frame["unit"] * 1.0), outcome="y", unit="unit",
                       time="year", cohort="cohort", controls=["u"])
