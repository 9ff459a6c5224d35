"""Monte Carlo error of wild bootstrap p-values and interval ends, checked across seeds.

The reported standard errors must describe how much a result moves when only the seed
changes: the spread over many seeds at a small B is compared with the reported value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.bootstrap.wild import pvalue_mc_se

SEEDS = 60
REPS = 199


@pytest.fixture(scope="module")
def fit() -> econ.RegressionResult:
    rng = np.random.default_rng(11)
    n, clusters = 600, 40
    g = np.sort(rng.integers(0, clusters, n))
    x = rng.normal(size=n) + 0.5 * rng.normal(size=clusters)[g]
    y = 0.01 * x + rng.normal(size=n) + 0.7 * rng.normal(size=clusters)[g]
    return econ.feols("y ~ x", pd.DataFrame({"y": y, "x": x, "g": g}), cov=econ.Cluster("g"))


@pytest.mark.parametrize("restricted", [True, False], ids=["WCR", "WCU"])
def test_reported_monte_carlo_errors_match_the_spread_across_seeds(fit, restricted):
    tests = [fit.wild_bootstrap("x", econ.WildBootstrap(reps=REPS, seed=s,
                                                        restricted=restricted))
             for s in range(SEEDS)]
    pvalues = np.array([t.pvalue for t in tests])
    ends = np.array([t.ci for t in tests])
    reported_p = np.mean([t.pvalue_mc_se for t in tests])
    reported_ends = np.array([t.ci_mc_se for t in tests]).mean(axis=0)
    # p well inside (0, 1), so the binomial formula is informative.
    assert 0.05 < pvalues.mean() < 0.95
    # With 60 seeds a standard deviation is known to about 9% (1 / sqrt(2 * 59)): the
    # ratio must fall within [0.7, 1.4], more than three of those errors either way.
    assert 0.7 < pvalues.std(ddof=1) / reported_p < 1.4
    for side in (0, 1):
        assert 0.7 < ends[:, side].std(ddof=1) / reported_ends[side] < 1.4, side


def test_pvalue_mc_se_formula_and_edges(fit):
    assert pvalue_mc_se(0.2, 400) == pytest.approx(0.02, abs=1e-15)
    assert pvalue_mc_se(0.2, 400, enumerated=True) == 0.0
    assert np.isnan(pvalue_mc_se(float("nan"), 400))
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=99, seed=1))
    table = test.tidy()
    assert table["p_value_mc_se"].iloc[0] == pytest.approx(
        np.sqrt(test.pvalue * (1 - test.pvalue) / 99), rel=1e-12)
    assert table["conf_low_mc_se"].iloc[0] == test.ci_mc_se[0] > 0
    text = str(test.summary())
    assert "Monte Carlo s.e. of p" in text and "Monte Carlo s.e. of the ends" in text


def test_p_value_of_zero_is_reported_as_below_one_over_b():
    rng = np.random.default_rng(3)
    n, clusters = 400, 30
    g = np.sort(rng.integers(0, clusters, n))
    x = rng.normal(size=n)
    y = 2.0 * x + rng.normal(size=n)
    fit = econ.feols("y ~ x", pd.DataFrame({"y": y, "x": x, "g": g}), cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=99, seed=2))
    assert test.pvalue == 0.0 and test.pvalue_bound == pytest.approx(1 / 99)
    assert "< 1/99" in str(test.summary())


def test_enumeration_has_no_monte_carlo_error():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(8), 25)
    x = rng.normal(size=200) + rng.normal(size=8)[g]
    y = 0.3 * x + rng.normal(size=200) + rng.normal(size=8)[g]
    with pytest.warns(econ.FewClustersWarning):
        fit = econ.feols("y ~ x", pd.DataFrame({"y": y, "x": x, "g": g}),
                         cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=9999, seed=1))
    assert test.enumerated and test.pvalue_mc_se == 0.0 and test.ci_mc_se == (0.0, 0.0)
