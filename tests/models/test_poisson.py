"""fepois (PPML with absorbed fixed effects) against pyfixest and statsmodels, separation,
bad input, and the restricted wild score bootstrap.

References, run here: pyfixest ``fepois`` (tight IRLS and demeaning tolerances, so that both
fits are converged far beyond the tolerances checked) and statsmodels GLM Poisson with the
fixed effects as explicit dummies. Tolerances: coefficients 1e-8 absolute, standard errors 1e-6
relative, at matching small-sample conventions (stated at each comparison).

Data: the Grunfeld investment panel (11 US firms, 1935-1954; real, shipped with statsmodels:
``invest`` is positive and not a count, which PPML allows), the county teen-employment panel
``mpdta`` (real, ../shared/data; employment = exp(lemp)), and simulated data with separation.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import xlogy

from econ.estimation.poisson import ALL_ZERO, RELU, SINGLETONS, ConvergenceError
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.corrections import SmallSample
from econ.inference.covariance import HC1, IID, Cluster, FewClustersWarning
from econ.models.poisson import fepois
from econ.presentation.regression_table import etable

pf = pytest.importorskip("pyfixest")
from pyfixest.demeaners import MapDemeaner  # noqa: E402

MPDTA = Path(__file__).resolve().parents[3] / "shared" / "data" / "mpdta.csv"
TIGHT = {"iwls_tol": 1e-14, "demeaner": MapDemeaner(fixef_tol=1e-13, fixef_maxiter=100_000)}


def _pyfixest(formula: str, data: pd.DataFrame, vcov: object, **kwargs: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.fepois(formula, data, vcov=vcov, **TIGHT, **kwargs)


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    data = sm.datasets.grunfeld.load_pandas().data
    return data.assign(year=data["year"].astype(int), firm=data["firm"].astype("category"))


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    if not MPDTA.exists():
        pytest.skip(f"{MPDTA} not present")
    data = pd.read_csv(MPDTA)
    post = (data["first.treat"] > 0) & (data["year"] >= data["first.treat"])
    return data.assign(emp=np.exp(data["lemp"]), treat_post=post.astype(float),
                       lpop=data["lpop"])


def _glm_dummies(data: pd.DataFrame, y: str, regressors: list[str], effects: list[str],
                 offset: np.ndarray | None = None) -> tuple[object, np.ndarray]:
    dummies = [pd.get_dummies(data[e].astype(str), prefix=e, drop_first=i > 0, dtype=float)
               for i, e in enumerate(effects)]
    X = pd.concat([data[regressors].astype(float), *dummies], axis=1)
    model = sm.GLM(data[y].to_numpy(float), X.to_numpy(), family=sm.families.Poisson(),
                   offset=offset)
    return model, X.to_numpy()


# pyfixest ------------------------------------------------------------------------------
@pytest.mark.parametrize(("cov", "vcov"), [
    (IID(), "iid"), (HC1(), "hetero"), (Cluster("firm"), {"CRV1": "firm"}),
    (Cluster("firm", "year"), {"CRV1": "firm+year"})])
def test_grunfeld_matches_pyfixest(grunfeld, cov, vcov):
    formula = "invest ~ value + capital | firm + year"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)  # 11 firms, 20 years
        ours = fepois(formula, grunfeld, cov=cov, tol=1e-14)
    ref = _pyfixest(formula, grunfeld, vcov)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), rtol=0,
                               atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    assert ours.nobs == ref._N
    assert ours.deviance == pytest.approx(ref.deviance, rel=1e-10)
    assert ours.pseudo_r2 == pytest.approx(ref._pseudo_r2, rel=1e-10)
    assert ours.poisson.non_integer > 0  # invest is not a count: allowed, with a note
    assert "not whole numbers" in str(ours.summary())


@pytest.mark.parametrize("effects", ["f1", "f1 + f2 + f3"])
def test_one_and_three_fixed_effects_match_pyfixest(effects):
    """pyfixest's own (simulated) Poisson example data: one fixed effect (exact means) and
    three (warm-started alternating projections), with missing values and singletons."""
    data = pf.get_data(model="Fepois")
    formula = f"Y ~ X1 + X2 | {effects}"
    ours = fepois(formula, data, cov=Cluster("f1"), tol=1e-14, fe_tol=1e-13)
    ref = _pyfixest(formula, data, {"CRV1": "f1"})
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    assert ours.nobs == ref._N


def test_several_outcomes_give_one_result_each():
    data = pf.get_data(model="Fepois")
    both = fepois("Y + Y2 ~ X1 + X2 | f1", data)
    assert isinstance(both, tuple) and [r.outcome for r in both] == ["Y", "Y2"]
    # The outcomes share one sample: rows missing either are left out of both.
    alone = fepois("Y2 ~ X1 + X2 | f1", data.dropna(subset=["Y", "Y2"]))
    np.testing.assert_allclose(both[1].params, alone.params, atol=1e-12)


@pytest.mark.parametrize(("cov", "vcov"), [(IID(), "iid"), (HC1(), "hetero"),
                                           (Cluster("firm"), {"CRV1": "firm"})])
def test_weighted_matches_pyfixest(grunfeld, cov, vcov):
    data = grunfeld.assign(w=np.random.default_rng(0).uniform(0.5, 2.0, len(grunfeld)))
    formula = "invest ~ value + capital | firm + year"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        ours = fepois(formula, data, cov=cov, weights="w", tol=1e-14)
    ref = _pyfixest(formula, data, vcov, weights="w")
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    assert ours.deviance == pytest.approx(ref.deviance, rel=1e-10)


def test_mpdta_matches_pyfixest_with_exposure(mpdta):
    """Real county panel: employment on treatment with county and year effects, population
    as exposure (pyfixest takes the log as an offset), clustered by county."""
    data = mpdta.assign(pop=np.exp(mpdta["lpop"]))
    formula = "emp ~ treat_post | countyreal + year"
    ours = fepois(formula, data, cov=Cluster("countyreal"), exposure="pop", tol=1e-14)
    ref = _pyfixest(formula, data.assign(lpop=np.log(data["pop"])), {"CRV1": "countyreal"},
                    offset="lpop")
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    # The county effects absorb the (time-constant) exposure, so it leaves the slope alone.
    plain = fepois(formula, data, cov=Cluster("countyreal"), tol=1e-14)
    assert plain.params["treat_post"] == pytest.approx(ours.params["treat_post"], abs=1e-8)


# statsmodels with explicit dummies -------------------------------------------------------
def test_grunfeld_matches_statsmodels_dummies(grunfeld):
    formula = "invest ~ value + capital | firm + year"
    model, X = _glm_dummies(grunfeld, "invest", ["value", "capital"], ["firm", "year"])
    ref = model.fit(tol=1e-14, scale=1.0)
    k, n = X.shape[1], len(X)
    full = SmallSample(fixef_k="full")
    ours = fepois(formula, grunfeld, cov=IID(ssc=full), tol=1e-14)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params[:2], atol=1e-8)
    # statsmodels' inverse information, times the (n - 1) / (n - K) of fixest's IID.
    np.testing.assert_allclose(ours.std_errors.to_numpy(),
                               ref.bse[:2] * np.sqrt((n - 1) / (n - k)), rtol=1e-6)
    assert ours.deviance == pytest.approx(ref.deviance, rel=1e-10)
    robust = model.fit(tol=1e-14, cov_type="HC0")
    np.testing.assert_allclose(ours.with_cov(HC1(ssc=full)).std_errors.to_numpy(),
                               robust.bse[:2] * np.sqrt(n / (n - k)), rtol=1e-6)
    codes = grunfeld["firm"].cat.codes.to_numpy()
    clustered = model.fit(tol=1e-14, cov_type="cluster", cov_kwds={"groups": codes})
    with pytest.warns(FewClustersWarning):
        ours_cl = fepois(formula, grunfeld, cov=Cluster("firm", ssc=full), tol=1e-14)
    # statsmodels' default correction is G / (G - 1) (n - 1) / (n - K), as CR1 with K full.
    np.testing.assert_allclose(ours_cl.std_errors.to_numpy(), clustered.bse[:2], rtol=1e-6)


def test_randhie_without_fixed_effects_matches_statsmodels():
    """Real counts (RAND Health Insurance Experiment doctor visits, shipped with statsmodels)
    with an intercept and no fixed effects: the GLM itself is the reference."""
    data = sm.datasets.randhie.load_pandas().data
    regressors = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf",
                  "hlthp"]
    ref = sm.GLM(data["mdvis"].to_numpy(float), sm.add_constant(data[regressors]),
                 family=sm.families.Poisson()).fit(tol=1e-14, cov_type="HC0")
    ours = fepois("mdvis ~ " + " + ".join(regressors), data, cov=HC1(), tol=1e-14)
    assert ours.names == ("Intercept", *regressors)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), atol=1e-8)
    n, k = len(data), len(regressors) + 1
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.bse.to_numpy() * np.sqrt(
        n / (n - k)), rtol=1e-6)
    assert ours.deviance == pytest.approx(ref.deviance, rel=1e-10)
    assert ours.loglik == pytest.approx(ref.llf, rel=1e-10)


# separation ------------------------------------------------------------------------------
def _separated_sample(seed: int = 11) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Villages x years with two kinds of separation, and the rows of each.

    Villages 0-4 never have a positive outcome (all-zero fixed-effect groups). ``shock`` is
    positive only on 30 rows whose outcome is zero, and zero elsewhere, so ``shock`` and the
    effects separate those rows (the MLE pushes their mean to zero): only the iterative
    rectifier can find them.
    """
    rng = np.random.default_rng(seed)
    villages, years = 120, 8
    n = villages * years
    village = np.repeat(np.arange(villages), years)
    year = np.tile(np.arange(years), villages)
    x = rng.normal(size=n)
    effect = rng.normal(scale=0.5, size=villages)
    y = rng.poisson(np.exp(1 + 0.5 * x + effect[village] + 0.1 * year)).astype(float)
    y[village < 5] = 0.0
    candidates = np.flatnonzero(village >= 5)
    separated = rng.choice(candidates, size=30, replace=False)
    y[separated] = 0.0
    assert all(y[village == v].sum() > 0 for v in range(5, villages))
    shock = np.zeros(n)
    shock[separated] = rng.uniform(0.5, 2.0, size=30)
    z = rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "x": x, "z": z + shock, "shock": shock,
                          "village": village, "year": year})
    return frame, np.flatnonzero(village < 5), separated


def test_separation_found_counted_and_fit_matches_references():
    data, all_zero, separated = _separated_sample()
    ours = fepois("y ~ x + z | village + year", data, tol=1e-14,
                  separation=("fe", "relu"))
    # All-zero villages are found by both checks; the shock rows only by the rectifier
    # when `shock` is a regressor. Here it is not: z = noise + shock does not separate.
    assert ours.dropped_rows[ALL_ZERO] == len(all_zero)
    assert RELU not in ours.dropped_rows
    with pytest.warns(UserWarning, match="dropped regressor"):
        sep = fepois("y ~ x + shock | village + year", data, tol=1e-14, cov=HC1())
    assert sep.dropped_rows[ALL_ZERO] == len(all_zero)
    assert sep.dropped_rows[RELU] == len(separated)
    kept = np.setdiff1d(np.arange(len(data)), np.union1d(all_zero, separated))
    assert set(sep.fit.rows) == set(kept)
    # Without the separated rows `shock` is zero throughout: it is dropped, not estimated
    # as minus infinity.
    assert "shock" in sep.dropped_coefficients and list(sep.names) == ["x"]
    reduced = data.iloc[kept].reset_index(drop=True)
    model, _ = _glm_dummies(reduced, "y", ["x"], ["village", "year"])
    ref = model.fit(tol=1e-14)
    assert sep.params["x"] == pytest.approx(ref.params[0], abs=1e-8)
    py = _pyfixest("y ~ x + shock | village + year", data, "hetero",
                   separation_check=["fe", "ir"])
    assert py.coef()["x"] == pytest.approx(sep.params["x"], abs=1e-8)
    assert py.se()["x"] == pytest.approx(sep.std_errors["x"], rel=1e-6)
    assert py._N == sep.nobs
    # Separation by a combination only: s1 and s2 each take all values, s1 + s2 = shock.
    noise = np.random.default_rng(9).normal(size=len(data))
    split = data.assign(s1=data["shock"] + noise, s2=-noise)
    with pytest.warns(UserWarning, match="s2 \\(collinear with s1\\)"):
        combined = fepois("y ~ x + s1 + s2 | village + year", split, tol=1e-14)
    assert combined.dropped_rows[RELU] == len(separated) and set(combined.fit.rows) == set(kept)
    py = _pyfixest("y ~ x + s1 + s2 | village + year", split, "iid",
                   separation_check=["fe", "ir"])
    np.testing.assert_allclose(combined.params.to_numpy(), py.coef().to_numpy(), atol=1e-8)


def test_simulated_truth_is_recovered():
    rng = np.random.default_rng(5)
    villages, years = 2000, 10
    village = np.repeat(np.arange(villages), years)
    year = np.tile(np.arange(years), villages)
    x1, x2 = rng.normal(size=(2, villages * years))
    effect = rng.normal(size=villages)
    exposure = rng.uniform(0.5, 3.0, size=villages * years)
    mu = exposure * np.exp(0.3 * x1 - 0.2 * x2 + effect[village] + 0.05 * year)
    data = pd.DataFrame({"y": rng.poisson(mu), "x1": x1, "x2": x2, "village": village,
                         "year": year, "exposure": exposure})
    result = fepois("y ~ x1 + x2 | village + year", data, exposure="exposure",
                    cov=Cluster("village"))
    for name, truth in (("x1", 0.3), ("x2", -0.2)):
        assert abs(result.params[name] - truth) < 4 * result.std_errors[name]
    assert result.std_errors.max() < 0.02


# bad input -------------------------------------------------------------------------------
def test_negative_outcome_is_an_error_naming_the_column_and_rows(grunfeld):
    data = grunfeld.copy()
    data.loc[[3, 17], "invest"] = -1.0
    with pytest.raises(ValueError, match=r"'invest' is negative in 2 row\(s\) \(positions "
                                         r"3, 17"):
        fepois("invest ~ value | firm", data)


def test_non_integer_outcome_is_allowed_with_a_note(grunfeld):
    result = fepois("invest ~ value + capital | year", grunfeld)
    assert result.poisson.non_integer == int((grunfeld["invest"] % 1 != 0).sum())
    assert "allowed (PPML needs only" in str(result.summary())
    counts = grunfeld.assign(invest=np.round(grunfeld["invest"]))
    assert "whole numbers" not in str(fepois("invest ~ value | year", counts).summary())


def test_all_zero_group_is_dropped_and_counted(grunfeld):
    data = grunfeld.copy()
    zero = data["firm"] == data["firm"].cat.categories[0]
    data.loc[zero, "invest"] = 0.0
    result = fepois("invest ~ value + capital | firm + year", data, separation=("fe",))
    assert result.dropped_rows == {ALL_ZERO: int(zero.sum())}
    assert result.nobs == len(data) - int(zero.sum())
    assert f"Dropped rows: {ALL_ZERO}: {int(zero.sum())}" in str(result.summary())
    rest = fepois("invest ~ value + capital | firm + year", grunfeld[~zero])
    np.testing.assert_allclose(result.params, rest.params, atol=1e-10)


def test_singletons_and_missing_offset_are_counted(grunfeld):
    data = grunfeld.assign(off=np.log(grunfeld["capital"]))
    data.loc[[0, 1], "off"] = np.nan
    extra = pd.DataFrame({"invest": [5.0], "value": [1.0], "capital": [1.0],
                          "firm": pd.Categorical(["Solo"]), "year": [1935], "off": [0.0]})
    data = pd.concat([data, extra], ignore_index=True)
    result = fepois("invest ~ value | firm + year", data, offset="off")
    assert result.dropped_rows == {"missing off": 2, SINGLETONS: 1}
    assert result.nobs == len(data) - 3
    assert 0 not in result.fit.rows and len(data) - 1 not in result.fit.rows


def test_covariances_not_derived_for_ppml_are_refused(grunfeld):
    from econ.inference.cr2 import CR2

    with pytest.raises(ValueError, match="CR2 is not available for Poisson"):
        fepois("invest ~ value | year", grunfeld, cov=CR2("firm"))
    result = fepois("invest ~ value | year", grunfeld, groups=["firm"])
    with pytest.raises(ValueError, match="use IID\\(\\), HC1\\(\\) or Cluster"):
        result.with_cov(CR2("firm"))


def test_offset_and_exposure_errors(grunfeld):
    with pytest.raises(ValueError, match="not both"):
        fepois("invest ~ value", grunfeld, offset="capital", exposure="capital")
    with pytest.raises(ValueError, match="offset column 'nope' is not in the data"):
        fepois("invest ~ value", grunfeld, offset="nope")
    with pytest.raises(ValueError, match=r"unknown separation check\(s\) \['simplex'\]"):
        fepois("invest ~ value | firm", grunfeld, separation=("fe", "simplex"))
    data = grunfeld.assign(capital=grunfeld["capital"] - grunfeld["capital"].iloc[4])
    with pytest.raises(ValueError, match="exposure 'capital' must be positive"):
        fepois("invest ~ value", data, exposure="capital")


def test_zero_everywhere_and_non_convergence(grunfeld):
    with pytest.raises(ValueError, match="zero in every row"):
        fepois("invest ~ value", grunfeld.assign(invest=0.0))
    with pytest.raises(ConvergenceError, match=r"after iteration 1 the relative change in "
                                              r"deviance is [0-9.e+-]+ \(tolerance 1e-08\)"):
        fepois("invest ~ value + capital | firm", grunfeld, max_iter=1)


def test_etable_lays_out_poisson_beside_ols(grunfeld):
    from econ.models.feols import feols

    ols = feols("invest ~ value + capital | firm + year", grunfeld)
    ppml = fepois("invest ~ value + capital | firm + year", grunfeld)
    table = etable([ols, ppml], digits=6, fit_statistics=("nobs", "r2", "pseudo_r2"))
    text = table.to_text()
    assert f"{ppml.params['value']:.6f}" in text and f"{ols.params['value']:.6f}" in text
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["R²"] == (f"{ols.r2:.6f}", "") and np.isnan(ppml.r2)
    assert rows["Pseudo R²"] == ("", f"{ppml.pseudo_r2:.6f}")
    assert "PPML: invest" in str(ppml.summary())


# score bootstrap -------------------------------------------------------------------------
def _clustered_panel(seed: int, clusters: int, beta: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per, years = 6, 5
    unit = np.repeat(np.arange(clusters * per), years)
    year = np.tile(np.arange(years), clusters * per)
    cluster = unit // per
    d = rng.normal(size=clusters)[cluster] + rng.normal(size=len(unit))
    cluster_shock = rng.normal(scale=0.3, size=clusters)[cluster]
    mu = np.exp(beta * d + rng.normal(scale=0.5, size=clusters * per)[unit] + cluster_shock
                + 0.1 * year)
    return pd.DataFrame({"y": rng.poisson(mu).astype(float), "d": d,
                         "x": rng.normal(size=len(unit)), "unit": unit, "year": year,
                         "cluster": cluster})


def test_score_bootstrap_equals_brute_force():
    """Restricted fit by statsmodels with dummies and the null in the offset; each cluster's
    influence from the full (dummies included) Hessian; all 2^G sign patterns by hand."""
    data = _clustered_panel(seed=2, clusters=6, beta=0.2)
    with pytest.warns(FewClustersWarning):
        result = fepois("y ~ d + x | unit + year", data, cov=Cluster("cluster"), tol=1e-14)
    value = 0.1
    test = result.wild_bootstrap("d", WildBootstrap(reps=9999, seed=1), value=value)
    assert test.enumerated and test.reps == 64 and test.variant == "score"
    assert test.method == "WCR score" and test.tidy()["method"].item() == "WCR score"

    _, X = _glm_dummies(data, "y", ["d", "x"], ["unit", "year"])
    restricted = sm.GLM(data["y"].to_numpy(), X[:, 1:], family=sm.families.Poisson(),
                        offset=value * X[:, 0]).fit(tol=1e-14)
    mu = np.exp(X[:, 1:] @ restricted.params + value * X[:, 0])
    scores = X * (data["y"].to_numpy() - mu)[:, None]
    hessian = (X * mu[:, None]).T @ X
    codes = data["cluster"].to_numpy()
    sums = np.array([scores[codes == g].sum(axis=0) for g in range(6)])
    a = sums @ np.linalg.solve(hessian, np.eye(X.shape[1])[:, 0])
    n, k = len(data), result.fit.fe_params + 2 - (data["unit"].nunique() - 1)
    c = 6 / 5 * (n - 1) / (n - k)  # CR1 with the unit effects nested in the clusters
    observed = a.sum() / np.sqrt(c * (a**2).sum())
    assert test.statistic == pytest.approx(observed, rel=1e-7)
    signs = 1 - 2 * ((np.arange(64)[:, None] >> np.arange(6)) & 1)
    draws = (signs @ a) / np.sqrt(c * (signs**2) @ a**2)
    expected = np.mean(np.abs(draws) >= abs(observed) * (1 - 1e-10))
    assert test.pvalues["symmetric"] == pytest.approx(expected, abs=1e-12)
    assert test.smallest_pvalue == pytest.approx(2 / 64)
    assert test.estimate[0] == pytest.approx(result.params["d"])
    # Bit-reproducible with random weights and a seed.
    webb = WildBootstrap(reps=499, distribution="webb", seed=7)
    assert (result.wild_bootstrap("d", webb).pvalue
            == result.wild_bootstrap("d", webb).pvalue)


def test_score_bootstrap_interval_is_the_set_the_test_does_not_reject():
    data = _clustered_panel(seed=2, clusters=12, beta=0.2)
    with pytest.warns(FewClustersWarning):
        result = fepois("y ~ d + x | unit + year", data, cov=Cluster("cluster"))
    test = result.wild_bootstrap("d", WildBootstrap(reps=999, seed=5, ci_level=0.9))
    low, high = test.ci
    assert low < result.params["d"] < high and test.ci_level == 0.9
    no_ci = WildBootstrap(reps=999, seed=5, ci_level=None)
    step = 1e-3 * result.std_errors["d"]
    for end, outward in ((low, -step), (high, step)):
        assert result.wild_bootstrap("d", no_ci, value=end - outward).pvalue > 0.1
        assert result.wild_bootstrap("d", no_ci, value=end + outward).pvalue <= 0.1
    # Two clusters: no test at 10% can reject (smallest p = 2/4), so the set is everything.
    two = _clustered_panel(seed=2, clusters=2, beta=0.2)
    with pytest.warns(FewClustersWarning):
        few = fepois("y ~ d + x | unit + year", two, cov=Cluster("cluster"))
    assert few.wild_bootstrap("d", WildBootstrap(ci_level=0.9)).ci == (-np.inf, np.inf)


def test_score_bootstrap_refuses_joint_and_multiway(grunfeld):
    data = _clustered_panel(seed=3, clusters=8, beta=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        result = fepois("y ~ d + x | unit + year", data, cov=Cluster("cluster", "year"))
    with pytest.raises(ValueError, match="one-way"):
        result.wild_bootstrap("d")
    with pytest.raises(ValueError, match="one coefficient"):
        result.wild_bootstrap(["d", "x"])


@pytest.mark.parametrize("effects", ["", " | unit", " | unit + year", " | unit + year + x3"])
def test_score_bootstrap_with_one_regressor(effects):
    """The restricted model then has no free regressor left (only fixed effects)."""
    data = _clustered_panel(seed=4, clusters=7, beta=0.0)
    data["x3"] = np.arange(len(data)) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        result = fepois("y ~ d" + effects, data, cov=Cluster("cluster"))
    test = result.wild_bootstrap("d", WildBootstrap(reps=999, seed=2))
    assert test.enumerated and 2 / 128 <= test.pvalue <= 1


@pytest.mark.slow
def test_score_bootstrap_size_and_power():
    """300 simulated panels with 10 clusters: under the null the 5% test rejects within
    Monte Carlo error of 5% (binomial sd 1.3 points; bound 3 sd) and its p-values average
    about one half; at beta = 0.5 it rejects most of the time."""
    rejections, pvalues, power = [], [], []
    settings = WildBootstrap(reps=9999, seed=0, ci_level=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        for seed in range(300):
            null = fepois("y ~ d + x | unit + year", _clustered_panel(seed, 10, 0.0),
                          cov=Cluster("cluster"))
            p = null.wild_bootstrap("d", settings).pvalue
            pvalues.append(p)
            rejections.append(p <= 0.05)
            if seed < 60:
                alt = fepois("y ~ d + x | unit + year", _clustered_panel(seed, 10, 0.5),
                             cov=Cluster("cluster"))
                power.append(alt.wild_bootstrap("d", settings).pvalue <= 0.05)
    rate, sd = np.mean(rejections), np.sqrt(0.05 * 0.95 / 300)
    assert rate <= 0.05 + 3 * sd
    assert abs(np.mean(pvalues) - 0.5) < 3 * 0.289 / np.sqrt(300)
    assert np.mean(power) > 0.8


def test_deviance_definition(grunfeld):
    result = fepois("invest ~ value + capital | firm + year", grunfeld)
    y, mu = grunfeld["invest"].to_numpy()[result.fit.rows], result.fitted_values
    assert result.deviance == pytest.approx(2 * np.sum(xlogy(y, y / mu) - (y - mu)), rel=1e-12)
