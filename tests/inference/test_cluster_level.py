"""Cluster-level tests (Ibragimov-Müller, Canay-Romano-Shaikh) against brute force.

The references refit the model with ``econ.feols`` on each township's rows of the DataFrame,
run scipy's one-sample t test on those estimates, and enumerate the sign vectors explicitly.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import econ
from econ.estimation.linear import EstimationWarning
from econ.inference.cluster_level import (
    ClusterEstimates,
    canay_romano_shaikh,
    canay_romano_shaikh_test,
    cluster_estimates,
    ibragimov_muller,
    ibragimov_muller_test,
)
from econ.results.cluster_level import ClusterLevelTest
from econ.spec.design import Grouping

RTOL = 1e-8


def make_panel(townships: int = 8, seed: int = 5) -> pd.DataFrame:
    """Villages (3 to 5 per township) over five years; errors correlated within townships."""
    rng = np.random.default_rng(seed)
    rows = [(f"T{t:02d}", f"T{t:02d}V{v}", 2015 + year)
            for t in range(townships) for v in range(3 + t % 3) for year in range(5)]
    df = pd.DataFrame(rows, columns=["township_id", "village_id", "year"])
    n, town = len(df), pd.factorize(df["township_id"])[0]
    df["x"] = rng.normal(size=n) + rng.normal(size=townships)[town]
    df["z"] = rng.normal(size=n)
    df["w"] = rng.uniform(0.5, 2.0, size=n)
    noise = rng.normal(size=townships)[town] + rng.normal(size=n) * (1 + town % 3)
    df["y"] = 1 + 0.5 * df["x"] - 0.2 * df["z"] + noise
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def brute_force_estimates(df: pd.DataFrame, formula: str, weights: str | None) -> np.ndarray:
    """``x``'s coefficient from ``econ.feols`` on each township's rows, in label order."""
    estimates = []
    for _, rows in df.groupby("township_id", sort=True):
        result = econ.feols(formula, rows, weights=weights)
        estimates.append(result.params["x"])
    return np.array(estimates)


SPECS = [("y ~ x + z", None), ("y ~ x + z | village_id", None),
         ("y ~ x + z | village_id + year", None), ("y ~ x + z | village_id + year", "w")]


@pytest.mark.parametrize(("formula", "weights"), SPECS)
def test_cluster_estimates_match_refits_on_each_cluster(panel, formula, weights):
    fit = econ.feols(formula, panel, weights=weights, groups=["township_id"]).fit
    found = cluster_estimates(fit, "x", "township_id")
    expected = brute_force_estimates(panel, formula, weights)
    np.testing.assert_allclose(found.estimates, expected, rtol=RTOL)
    assert found.q == 8 and found.identified.all() and not any(found.reasons)
    assert list(found.labels) == sorted(panel["township_id"].unique())
    np.testing.assert_array_equal(found.rows, panel.groupby("township_id").size().to_numpy())
    assert found.full_sample == pytest.approx(fit.params[fit.names.index("x")], rel=1e-12)


def test_a_grouping_object_gives_the_same_estimates(panel):
    fit = econ.feols("y ~ x + z", panel, groups=["township_id"]).fit
    grouping = Grouping.of("township_id", panel["township_id"])
    np.testing.assert_array_equal(cluster_estimates(fit, "x", grouping).estimates,
                                  cluster_estimates(fit, "x", "township_id").estimates)


def identified_by_lstsq(rows: pd.DataFrame) -> tuple[bool, float]:
    """Whether ``x`` is outside the span of ``[1, z]`` on these rows, and its coefficient."""
    others = np.column_stack([np.ones(len(rows)), rows["z"]])
    x, y = rows["x"].to_numpy(), rows["y"].to_numpy()
    residual = x - others @ np.linalg.lstsq(others, x, rcond=None)[0]
    if np.linalg.norm(residual) <= 1e-8 * np.linalg.norm(x):
        return False, np.nan
    return True, np.linalg.lstsq(np.column_stack([x, others]), y, rcond=None)[0][0]


def test_clusters_where_the_term_is_not_identified_are_reported_and_excluded(panel):
    df = panel.copy()
    constant = df["township_id"] == "T00"
    collinear = df["township_id"] == "T03"
    df.loc[constant, "x"] = 2.0
    # x is an exact function of z in T03: a fit that kept x and dropped z would report the
    # joint effect as x's coefficient.
    df.loc[collinear, "x"] = 1.0 + 3.0 * df.loc[collinear, "z"]
    fit = econ.feols("y ~ x + z", df, groups=["township_id"]).fit
    found = cluster_estimates(fit, "x", "township_id")
    reference = [identified_by_lstsq(rows) for _, rows in df.groupby("township_id")]
    np.testing.assert_array_equal(found.identified, [ok for ok, _ in reference])
    np.testing.assert_allclose(found.estimates, [b for _, b in reference], rtol=RTOL)
    assert found.q == 6
    assert "collinear" in found.reasons[0] and "collinear" in found.reasons[3]
    result = ClusterLevelTest.of(ibragimov_muller_test(found))
    assert result.clusters == 8 and result.clusters_used == 6 and result.clusters_excluded == 2
    assert sum("not identified" in note for note in result.notes) == 2
    assert result.estimates["used"].sum() == 6
    assert result.estimate == pytest.approx(np.mean(found.used), rel=1e-12)


def test_a_cluster_with_fewer_rows_than_regressors_is_excluded(panel):
    df = pd.concat([panel, pd.DataFrame({"township_id": ["T99"] * 2, "x": [0.1, 0.7],
                                         "z": [1.0, -1.0], "y": [0.3, 0.2]})])
    found = cluster_estimates(econ.feols("y ~ x + z", df, groups=["township_id"]).fit, "x",
                              "township_id")
    assert found.q == 8 and found.reasons[8] == "2 row(s) for 3 regressors"
    np.testing.assert_allclose(found.used, brute_force_estimates(panel, "y ~ x + z", None),
                               rtol=RTOL)


@pytest.mark.parametrize("value", [0.0, 0.4])
def test_ibragimov_muller_is_scipys_t_test_of_the_cluster_estimates(panel, value):
    fit = econ.feols("y ~ x + z | village_id", panel, groups=["township_id"]).fit
    expected = brute_force_estimates(panel, "y ~ x + z | village_id", None)
    reference = stats.ttest_1samp(expected, value)
    interval = stats.t.interval(0.9, len(expected) - 1, loc=expected.mean(),
                                scale=stats.sem(expected))
    outcome = ibragimov_muller(fit, "x", "township_id", level=0.9, value=value)
    assert outcome.p_value == pytest.approx(reference.pvalue, abs=1e-10)
    assert outcome.statistic == pytest.approx(reference.statistic, rel=1e-8)
    np.testing.assert_allclose(outcome.conf_int, interval, rtol=1e-8)
    assert outcome.df == 7 and outcome.estimate == pytest.approx(expected.mean(), rel=1e-8)
    result = ClusterLevelTest.of(outcome)
    assert (result.conf_low, result.conf_high) == outcome.conf_int
    assert any("5% or lower" in note for note in result.notes)


def sign_change_pvalue(estimates: np.ndarray, value: float) -> tuple[float, float]:
    """|t| of the centred estimates and the share of sign vectors with |t| at least as large."""
    centred = estimates - value

    def abs_t(s: np.ndarray) -> float:
        return abs(np.sqrt(len(s)) * s.mean() / s.std(ddof=1))

    observed = abs_t(centred)
    draws = [abs_t(np.array(signs) * centred)
             for signs in itertools.product([1.0, -1.0], repeat=len(centred))]
    return observed, float(np.mean(np.array(draws) >= observed * (1 - 1e-9)))


@pytest.mark.parametrize("value", [0.0, 0.3, 0.5])
def test_canay_romano_shaikh_matches_explicit_sign_enumeration(panel, value):
    formula = "y ~ x + z | village_id + year"
    fit = econ.feols(formula, panel, groups=["township_id"]).fit
    expected = brute_force_estimates(panel, formula, None)
    statistic, p_value = sign_change_pvalue(expected, value)
    outcome = canay_romano_shaikh(fit, "x", "township_id", value=value)
    assert outcome.p_value == pytest.approx(p_value, abs=1e-12)
    assert outcome.statistic == pytest.approx(statistic, rel=1e-8)
    assert outcome.sign_changes == 2**8 and outcome.smallest_p_value == 2 / 2**8
    assert outcome.conf_int is None and outcome.df is None


def estimates_of(values: np.ndarray) -> ClusterEstimates:
    labels = np.array([f"c{i}" for i in range(len(values))], dtype=object)
    return ClusterEstimates("x", "c", labels, np.full(len(values), 10), values,
                            np.ones(len(values), dtype=bool), ("",) * len(values), 0.0)


def test_canay_romano_shaikh_smallest_p_value_and_ties():
    # All estimates of one sign and equal size: only the identity and the global flip are as
    # extreme, so the p-value is 2 / 2^q; with five clusters nothing is significant at 5%.
    outcome = canay_romano_shaikh_test(estimates_of(np.full(5, 0.7)))
    assert outcome.p_value == outcome.smallest_p_value == 2 / 32
    assert outcome.statistic == np.inf
    assert "cannot reject" in " ".join(ClusterLevelTest.of(outcome).notes)
    # Estimates equal to the null value: every sign change ties, p = 1.
    assert canay_romano_shaikh_test(estimates_of(np.full(6, 0.2)), value=0.2).p_value == 1.0
    # Values in {1, -1, 2}: many sign changes tie exactly and count as at least as extreme.
    values = np.array([1.0, -1.0, 2.0, 1.0, 2.0, -1.0])
    _, p_value = sign_change_pvalue(values, 0.0)
    assert canay_romano_shaikh_test(estimates_of(values)).p_value == pytest.approx(p_value)


def test_cluster_level_tests_refuse_too_few_or_too_many_clusters():
    with pytest.raises(ValueError, match="at least 2"):
        ibragimov_muller_test(estimates_of(np.array([0.3])))
    with pytest.raises(ValueError, match="2\\^21 sign changes"):
        canay_romano_shaikh_test(estimates_of(np.linspace(0, 1, 21)))


def test_unknown_term_or_grouping_is_refused(panel):
    fit = econ.feols("y ~ x + z", panel, groups=["township_id"]).fit
    with pytest.raises(ValueError, match="not a coefficient"):
        cluster_estimates(fit, "w", "township_id")
    with pytest.raises(ValueError, match="not grouped by 'village_id'"):
        cluster_estimates(fit, "x", "village_id")


def test_result_summary_and_tidy(panel):
    fit = econ.feols("y ~ x + z", panel, groups=["township_id"]).fit
    result = ClusterLevelTest.of(canay_romano_shaikh(fit, "x", "township_id"))
    tidy = result.tidy()
    assert list(tidy.columns) == ["term", "method", "estimate", "statistic", "p_value",
                                  "conf_low", "conf_high", "clusters_used", "smallest_p_value"]
    assert np.isnan(tidy.loc[0, "conf_low"]) and tidy.loc[0, "p_value"] == result.p_value
    text = repr(result)
    assert "Canay-Romano-Shaikh" in text and "township_id = T07" in text
    assert "all 256" in text


def test_ibragimov_muller_size_under_the_null():
    """Rejection rate at 5% over 300 datasets with 8 heteroskedastic clusters and x = 0.

    The test is exact for normal, equal-variance estimates and conservative when the clusters'
    variances differ (as here, mildly); the rate must lie within 3 Monte Carlo standard errors
    of 5% on either side.
    """
    rng = np.random.default_rng(20240612)
    reps, clusters, per = 300, 8, 25
    group = np.repeat(np.arange(clusters), per)
    scale = np.repeat(1 + np.arange(clusters) % 3, per)
    rejections = 0
    for _ in range(reps):
        x = rng.normal(size=clusters * per) + rng.normal(size=clusters)[group]
        y = rng.normal(size=clusters)[group] + rng.normal(size=clusters * per) * scale
        df = pd.DataFrame({"y": y, "x": x, "g": group})
        fit = econ.feols("y ~ x", df, groups=["g"]).fit
        rejections += ibragimov_muller(fit, "x", "g").p_value <= 0.05
    se = np.sqrt(0.05 * 0.95 / reps)
    assert 0.05 - 3 * se <= rejections / reps <= 0.05 + 3 * se


def test_singletons_within_a_cluster_are_dropped_quietly(panel):
    # In T01 only one village is observed in 2015: a singleton of the year effect within that
    # township (not in the full sample). Its refit drops the row, as feols on T01 alone does,
    # without warning once per cluster.
    df = panel[~((panel["township_id"] == "T01") & (panel["year"] == 2015)
                 & (panel["village_id"] != "T01V0"))]
    formula = "y ~ x + z | village_id + year"
    fit = econ.feols(formula, df, groups=["township_id"]).fit
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)
        found = cluster_estimates(fit, "x", "township_id")
    with pytest.warns(EstimationWarning, match="singleton"):
        expected = brute_force_estimates(df, formula, None)
    np.testing.assert_allclose(found.estimates, expected, rtol=RTOL)
