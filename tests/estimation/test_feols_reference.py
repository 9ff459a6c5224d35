"""econ.feols against independent references: Stata (stored), statsmodels, linearmodels, pyfixest.

Tolerances: 1e-8 relative where both sides are computed here exactly (closed-form absorption,
explicit dummies); 1e-6 against pyfixest, whose fixed-effect demeaning is iterative, and against
the stored Stata results, whose copy of the Grunfeld data differs from statsmodels' in the last
digits (statsmodels' own test of these numbers uses rtol=1e-6).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf
from linearmodels import PanelOLS
from linearmodels.datasets import wage_panel
from statsmodels.datasets import grunfeld
from statsmodels.regression.tests.results import results_grunfeld_ols_robust_cluster as stata

import econ

EXACT = 1e-8
ITERATIVE = 1e-6
STATA = 1e-6


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        return call()


def _pyfixest(formula: str, data: pd.DataFrame, vcov):
    # pyfixest itself triggers pandas deprecation warnings, which this suite turns into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return pf.feols(formula, data, vcov=vcov)


@pytest.fixture(scope="module")
def grunfeld_200() -> pd.DataFrame:
    # statsmodels' copy has an 11th firm that Stata's example data lack; its own tests use the
    # first 200 rows for the same comparison.
    data = grunfeld.load_pandas().data.iloc[:200].copy()
    data["year"] = data["year"].astype(int)
    return data


@pytest.fixture(scope="module")
def wages() -> pd.DataFrame:
    return wage_panel.load()


def _close(actual, expected, rtol):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rtol, atol=0)


def test_one_way_cluster_matches_stata_regress(grunfeld_200):
    # Stata: regress invest mvalue kstock, vce(cluster company)  (stored in statsmodels)
    res = _quiet(lambda: econ.feols("invest ~ value + capital", grunfeld_200,
                                    cov=econ.Cluster("firm")))
    table = stata.results_cluster.params_table
    order = [2, 0, 1]  # Stata lists _cons last
    _close(res.params, table[order, 0], STATA)
    _close(res.std_errors, table[order, 1], STATA)
    _close(res.pvalues, table[order, 3], STATA)
    _close(res.conf_int()["conf_low"], table[order, 4], STATA)
    assert res.df_resid == stata.results_cluster.df_r
    _close(res.cov.to_numpy(), stata.results_cluster.cov[np.ix_(order, order)], STATA)


def test_two_way_cluster_matches_stata_ivreg2_small(grunfeld_200):
    # Stata: ivreg2 invest mvalue kstock, cluster(company time) small  (stored in statsmodels)
    res = _quiet(lambda: econ.feols("invest ~ value + capital", grunfeld_200,
                                    cov=econ.Cluster("firm", "year")))
    table = stata.results_cluster_2groups_small.params_table
    order = [2, 0, 1]
    _close(res.params, table[order, 0], STATA)
    _close(res.std_errors, table[order, 1], STATA)
    assert res.df_resid == 9


def test_absorbed_effects_equal_statsmodels_dummies():
    data = grunfeld.load_pandas().data
    data["year"] = data["year"].astype(int)
    dummies = smf.ols("invest ~ value + capital + C(firm) + C(year)", data)
    full = econ.SmallSample(fixef_k="full")
    res = _quiet(lambda: econ.feols("invest ~ value + capital | firm + year", data,
                                    cov=econ.Cluster("firm", ssc=full)))
    reference = dummies.fit(cov_type="cluster",
                            cov_kwds={"groups": pd.factorize(data["firm"])[0]})
    _close(res.params, reference.params[["value", "capital"]], EXACT)
    _close(res.std_errors, reference.bse[["value", "capital"]], EXACT)
    for spec, kind in ((econ.IID(), "nonrobust"), (econ.HC1(), "HC1")):
        fitted = dummies.fit(cov_type=kind)
        _close(res.with_cov(spec).std_errors, fitted.bse[["value", "capital"]], EXACT)
    assert np.isclose(res.r2, reference.rsquared, rtol=1e-12)


def test_weighted_fit_equals_statsmodels_wls(wages):
    data = wages.assign(w=1.0 + (wages["nr"] % 7) / 3.0)
    res = econ.feols("lwage ~ expersq + hours + married | year", data, weights="w",
                     cov=econ.HC1(ssc=econ.SmallSample(fixef_k="full")))
    reference = smf.wls("lwage ~ expersq + hours + married + C(year)", data,
                        weights=data["w"]).fit(cov_type="HC1")
    names = ["expersq", "hours", "married"]
    _close(res.params, reference.params[names], EXACT)
    _close(res.std_errors, reference.bse[names], EXACT)


def test_panelols_entity_and_time_effects(wages):
    formula = "lwage ~ expersq + hours + married + union"
    res = econ.feols(formula + " | nr + year", wages, cov=econ.Cluster("nr"))
    model = PanelOLS.from_formula(formula + " + EntityEffects + TimeEffects",
                                  wages.set_index(["nr", "year"]))
    unadjusted = model.fit(cov_type="unadjusted", debiased=True)
    _close(res.params, unadjusted.params, EXACT)
    _close(res.with_cov(econ.IID()).std_errors, unadjusted.std_errors, EXACT)
    # linearmodels' n / (n - K) times its group debiasing G / (G - 1) * (n - 1) / n is fixest's
    # (n - 1) / (n - K) * G / (G - 1) when every effect is counted in K.
    clustered = model.fit(cov_type="clustered", cluster_entity=True, debiased=True,
                          group_debias=True, auto_df=False, count_effects=True)
    full = res.with_cov(econ.Cluster("nr", ssc=econ.SmallSample(fixef_k="full")))
    _close(full.cov.to_numpy(), clustered.cov.to_numpy(), EXACT)


@pytest.mark.parametrize(("spec", "vcov"), [
    (econ.IID(), "iid"),
    (econ.HC1(), "hetero"),
    (econ.Cluster("nr"), {"CRV1": "nr"}),
    (econ.Cluster("nr", "year"), {"CRV1": "nr+year"}),
])
def test_pyfixest_defaults(wages, spec, vcov):
    formula = "lwage ~ expersq + hours + married + union | nr + year"
    res = _quiet(lambda: econ.feols(formula, wages, cov=spec))
    reference = _pyfixest(formula, wages, vcov)
    names = list(res.names)
    _close(res.params, reference.coef()[names], ITERATIVE)
    _close(res.std_errors, reference.se()[names], ITERATIVE)
    np.testing.assert_allclose(res.pvalues, reference.pvalue()[names], rtol=1e-5, atol=1e-10)
    assert np.isclose(res.r2, reference._r2, rtol=1e-8)
    assert np.isclose(res.r2_within, reference._r2_within, rtol=1e-6)


def test_pyfixest_on_the_study_design():
    panel = econ.derive(econ.simulate("wp").dataset)
    data = panel.to_pandas()
    for column in ("high_level", "rich", "post"):
        data[column] = data[column].astype(float)
    data["y"] = np.log1p(data["assistance_funds"])
    formula = ("y ~ high_level:rich:post + rich:post + high_level:post + high_level"
               " | village_id + year")
    res = econ.feols(formula, data, cov=econ.Cluster("township_id"))
    reference = _pyfixest(formula, data, {"CRV1": "township_id"})
    names = list(res.names)
    _close(res.params, reference.coef()[names], ITERATIVE)
    _close(res.std_errors, reference.se()[names], ITERATIVE)
    assert res.covariance.n_clusters == (31,)
