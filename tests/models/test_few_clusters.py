"""few_cluster_inference: every method that applies, each equal to its own direct computation,
and a recommendation that follows the number of clusters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import econ
from econ.data.seeds import DEFAULT_SEED
from econ.models.few_clusters import few_cluster_inference

TRIPLE = "high_level:rich:post"
FEW = "ignore::econ.FewClustersWarning"


@pytest.fixture(scope="module")
def shipped() -> econ.RegressionResult:
    derived = econ.derive(econ.read_panel("data/village_panel.parquet"))
    panel = derived.data.copy()
    # Every third village keeps both counties and every township, and keeps CR2's per-county
    # eigendecompositions (n_g^3) small enough for the default suite.
    villages = panel["village_id"].unique()[::3]
    panel = panel[panel["village_id"].isin(villages)].reset_index(drop=True)
    panel["y"] = np.log1p(panel["assistance_funds"])
    panel = econ.Dataset(panel, simulated=derived.simulated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        return econ.feols(f"y ~ {TRIPLE} + rich:post + high_level:post + high_level"
                          " | village_id + year", panel, cov=econ.Cluster("county_id"),
                          groups=["township_id"])


@pytest.fixture(scope="module")
def inference(shipped) -> econ.FewClusterInference:
    return few_cluster_inference(shipped, TRIPLE, reps=499, seed=3)


def test_every_row_is_the_direct_computation(shipped, inference):
    table = inference.tidy()
    assert set(table["clustering"]) == {"county_id", "township_id"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        cr1 = shipped.with_cov(econ.Cluster("township_id"))
        cr2 = shipped.with_cov(econ.CR2("township_id", df="satterthwaite"))
    assert inference.pvalue("CR1, t(G-1)", "township_id") == pytest.approx(
        cr1.pvalues[TRIPLE], rel=1e-12)
    assert inference.pvalue("CR2, Bell-McCaffrey df", "township_id") == pytest.approx(
        cr2.pvalues[TRIPLE], rel=1e-12)
    webb = shipped.wild_bootstrap(TRIPLE, econ.WildBootstrap(
        reps=499, seed=3, distribution="webb", cluster="township_id"))
    assert inference.pvalue("WCR, Webb", "township_id") == webb.pvalue
    sub = shipped.wild_bootstrap(TRIPLE, econ.WildBootstrap(
        reps=499, seed=3, cluster="county_id", bootstrap_cluster="township_id"))
    assert inference.pvalue("WCR subcluster, weights by township_id", "county_id") == sub.pvalue


def test_two_counties_cannot_reject_and_the_recommendation_says_so(inference):
    table = inference.tidy().set_index(["clustering", "method"])
    rademacher = table.loc[("county_id", "WCR, Rademacher")]
    assert rademacher["smallest_p"] == 0.5 and rademacher["p_value"] >= 0.5
    assert np.isinf(rademacher["conf_low"]) and np.isinf(rademacher["conf_high"])
    # Webb weights with G = 2: 36 patterns of which the 6 constant ones reproduce |t|.
    assert table.loc[("county_id", "WCR, Webb"), "smallest_p"] == pytest.approx(1 / 6)
    assert "Do not cluster by county_id" in inference.recommendation
    assert "no valid test clustered by it can reject at 5%" in inference.reason
    assert "subcluster" in inference.reason
    text = inference.summary().as_text()
    assert "SIMULATED DATA" in text and "Recommended" in text


@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize(("clusters", "treated", "expected"), [
    (8, 8, "CR2, Imbens-Kolesár df by g"),
    (8, 2, "WCR, Webb by g"),
    (20, 20, "WCR, Rademacher by g"),
])
def test_the_recommendation_follows_the_clusters_and_the_treated(clusters, treated, expected):
    """Below 12 clusters CR2 with Imbens-Kolesár df, unless one or two clusters carry the
    regressor (then the restricted wild bootstrap, conservative, with Webb weights); from 12
    the wild bootstrap with Rademacher weights."""
    rng = np.random.default_rng(clusters)
    g = np.repeat(np.arange(clusters), 25)
    df = pd.DataFrame({"g": g, "x": rng.normal(size=g.size) * (g < treated)})
    df["y"] = 0.3 * df["x"] + rng.normal(size=clusters)[g] + rng.normal(size=g.size)
    fit = econ.feols("y ~ x", df, cov=econ.Cluster("g"))
    result = few_cluster_inference(fit, "x", reps=199)
    assert result.recommendation == expected
    row = result.table.set_index("method").loc["CR2, Imbens-Kolesár df"]
    reference = fit.with_cov(econ.CR2("g", df="imbens_kolesar")).tidy().set_index("term")
    assert row["p_value"] == pytest.approx(reference.loc["x", "p_value"], rel=1e-12)


def test_errors_name_the_fix(shipped):
    with pytest.raises(KeyError, match="x9"):
        few_cluster_inference(shipped, "x9")
    with pytest.raises(ValueError, match=r"groups=\["):
        few_cluster_inference(shipped, TRIPLE, clusters=["city_id"])


def test_diagnostics_and_the_coarser_clustering_inform_the_reason(shipped):
    by_township = shipped.with_cov(econ.Cluster("township_id"))
    result = few_cluster_inference(by_township, TRIPLE, reps=199)
    assert result.recommendation == "WCR, Rademacher by township_id"
    effective = result.diagnostics["township_id"].effective_clusters
    assert 1 <= effective < 31 and f"{effective:.1f} of 31" in result.reason
    assert "Clustered by county_id (2 clusters) no valid test can reject" in result.reason


@pytest.mark.filterwarnings(FEW)
def test_randomization_inference_is_added_and_recommended_below_twelve_clusters():
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(8), 30)
    df = pd.DataFrame({"g": g, "x": rng.normal(size=g.size),
                       "treat": np.isin(g, [0, 3, 5, 6]).astype(float)})
    df["y"] = 0.2 * df["x"] + rng.normal(size=8)[g] + rng.normal(size=g.size)
    fit = econ.feols("y ~ treat + x", df, cov=econ.Cluster("g"))
    result = few_cluster_inference(fit, "treat", reps=199,
                                   assignment=econ.Assignment(df, "treat"))
    direct = econ.randomization_inference("y ~ treat + x", df, term="treat", treatment="treat",
                                          cluster="g", reps=199, seed=DEFAULT_SEED)
    assert result.pvalue("Randomization inference", "g") == direct.pvalue
    assert direct.enumerated and direct.assignments == 70  # 8 choose 4
    assert result.recommendation == "Randomization inference by g"


@pytest.mark.filterwarnings(FEW)
def test_few_treated_clusters_are_flagged_in_the_reason():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(20), 20)
    df = pd.DataFrame({"g": g, "treat": np.isin(g, [2]).astype(float)})
    df["y"] = rng.normal(size=20)[g] + rng.normal(size=g.size)
    fit = econ.feols("y ~ treat", df, cov=econ.Cluster("g"))
    result = few_cluster_inference(fit, "treat", reps=199)
    assert result.recommendation == "WCR, Rademacher by g"
    assert "Only 1 of 20 clusters have a non-zero treat" in result.reason
    assert "conservative by construction" in result.reason
    assert "pass assignment= for randomization inference" in result.reason
    # With the assignment, randomization inference is exact: 20 assignments, smallest p 1/20.
    with_assignment = few_cluster_inference(fit, "treat", reps=199,
                                            assignment=econ.Assignment(df, "treat"))
    assert with_assignment.recommendation == "Randomization inference by g"
    assert "1 of 20 clusters treated" in with_assignment.reason


@pytest.mark.filterwarnings(FEW)
def test_randomization_with_too_few_assignments_says_no_test_is_available():
    # 6 clusters, 3 treated: 20 assignments, and each has its mirror image, so the smallest
    # two-sided p-value of the coefficient is above 5%.
    rng = np.random.default_rng(6)
    g = np.repeat(np.arange(6), 30)
    df = pd.DataFrame({"g": g, "treat": np.isin(g, [0, 2, 4]).astype(float)})
    df["y"] = rng.normal(size=6)[g] + rng.normal(size=g.size)
    fit = econ.feols("y ~ treat", df, cov=econ.Cluster("g"))
    result = few_cluster_inference(fit, "treat", reps=199,
                                   assignment=econ.Assignment(df, "treat"))
    smallest = result.table.set_index("method").loc["Randomization inference", "smallest_p"]
    assert smallest > 0.05
    assert result.recommendation == "No test by g can reject at 5%"
    assert f"{smallest:.3f}" in result.reason
    # Without the assignment, CR2 with Imbens-Kolesár df, which held its size in the benchmark
    # where the wild bootstrap did not.
    plain = few_cluster_inference(fit, "treat", reps=199)
    assert plain.recommendation == "CR2, Imbens-Kolesár df by g"
    assert "rejected 7.7-8.0% of true nulls" in plain.reason
    assert "pass assignment=" in plain.reason


@pytest.mark.filterwarnings(FEW)
def test_without_cr2_the_wild_bootstrap_is_recommended_with_a_caution(monkeypatch):
    """Data too large for CR2: its row says why, and the recommendation falls back on the wild
    bootstrap, saying that it over-rejected in this design."""
    import econ.inference.cr2 as cr2_module

    monkeypatch.setattr(cr2_module, "MAX_ROWS", 10)
    rng = np.random.default_rng(6)
    g = np.repeat(np.arange(8), 30)
    df = pd.DataFrame({"g": g, "treat": np.isin(g, [0, 2, 4, 6]).astype(float)})
    df["y"] = rng.normal(size=8)[g] + rng.normal(size=g.size)
    fit = econ.feols("y ~ treat", df, cov=econ.Cluster("g"))
    result = few_cluster_inference(fit, "treat", reps=199)
    row = result.table.set_index("method").loc["CR2, Imbens-Kolesár df"]
    assert str(row["assumes"]).startswith("not computed")
    assert result.recommendation == "WCR, Webb by g"
    assert "could not be computed" in result.reason and "7.7-8.0%" in result.reason


def test_iv_results_are_referred_to_their_own_few_cluster_tools():
    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(12), 30)
    z = rng.normal(size=g.size)
    d = z + rng.normal(size=g.size)
    df = pd.DataFrame({"g": g, "z": z, "d": d, "y": 0.5 * d + rng.normal(size=g.size)})
    with pytest.warns(econ.FewClustersWarning):
        fit = econ.feols("y ~ 1 | d ~ z", df, cov=econ.Cluster("g"))
    with pytest.raises(ValueError, match=r"wild_bootstrap\('d'\).*anderson_rubin"):
        few_cluster_inference(fit, "d")
