"""CR3 is the leave-one-cluster-out jackknife: the same matrix as refitting without each cluster.

The reference is the definition itself: ``econ.feols`` with the same formula on the data without
each cluster, fixed effects re-estimated by the refit. Fixed effects nested in the clusters
(villages in townships), crossed with them (years), both, weighted, and years observed in one
cluster only. Grunfeld's year effects with firm clusters are also compared with R's sandwich and
clubSandwich (``reference/cr3_grunfeld.R``; the stored output needs no R to test against).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
import econ.estimation.linear as linear_module
from econ.estimation.linear import EstimationWarning
from econ.inference.cr3 import CR3

RTOL = 1e-8
REFERENCE = Path(__file__).parent / "reference"
GRUNFELD = "invest ~ value + capital | year"

pytestmark = pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")


def make_panel(townships: int = 24, seed: int = 11) -> pd.DataFrame:
    """Villages (2 to 4 per township) over six years, each row in one of 30 sectors (more
    levels than a township has rows); errors correlated by township, year and sector."""
    rng = np.random.default_rng(seed)
    rows = [(f"T{t:02d}", f"T{t:02d}V{v}", 2015 + year)
            for t in range(townships) for v in range(2 + t % 3) for year in range(6)]
    df = pd.DataFrame(rows, columns=["township_id", "village_id", "year"])
    n = len(df)
    town = pd.factorize(df["township_id"])[0]
    year = df["year"].to_numpy() - 2015
    df["x"] = rng.normal(size=n) + rng.normal(size=townships)[town] + 0.3 * year
    df["z"] = rng.normal(size=n) + rng.normal(size=6)[year]
    df["sector"] = sector = rng.integers(0, 30, size=n)
    df["w"] = rng.uniform(0.5, 2.0, size=n)
    noise = (rng.normal(size=townships)[town] + rng.normal(size=6)[year]
             + rng.normal(size=30)[sector]
             + rng.normal(size=n) * (1 + np.abs(df["x"])))
    df["y"] = 1 + 0.5 * df["x"] - 0.2 * df["z"] + noise
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "grunfeld.csv")


def explicit_jackknife(formula: str, df: pd.DataFrame, cluster: str, *,
                       weights: str | None = None, center: bool = False) -> np.ndarray:
    """CV3 by definition: ``(G - 1) / G`` times the sum of outer products of the shifts of
    ``econ.feols(formula)`` refitted on the data without each cluster."""
    def params(data: pd.DataFrame) -> np.ndarray:
        # A refit may drop rows that became singletons: the original fit warned already.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            return econ.feols(formula, data, weights=weights).params.to_numpy()

    full = params(df)
    jack = np.array([params(df[df[cluster] != c]) for c in pd.unique(df[cluster])])
    centre = jack.mean(axis=0) if center else full
    g = len(jack)
    return (g - 1) / g * (jack - centre).T @ (jack - centre)


def cr3(formula: str, df: pd.DataFrame, cluster: str, *, weights: str | None = None,
        center: bool = False) -> np.ndarray:
    result = econ.feols(formula, df, cov=CR3(cluster, center=center), weights=weights)
    return result.cov.to_numpy()


def assert_cov_close(ours: np.ndarray, reference: np.ndarray) -> None:
    # Off-diagonal entries can be near zero: judge them on the scale of the matrix.
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=RTOL * np.abs(reference).max())


PANEL_MODELS = {
    "nested village FE": "y ~ x + z | village_id",
    "crossed year FE": "y ~ x + z | year",
    "nested and crossed FE": "y ~ x + z | village_id + year",
    "crossed FE with many levels": "y ~ x + z | sector",
    "nested and crossed FE with many levels": "y ~ x + z | village_id + sector",
}


@pytest.mark.parametrize("formula", PANEL_MODELS.values(), ids=PANEL_MODELS.keys())
@pytest.mark.parametrize("weights", [None, "w"], ids=["OLS", "WLS"])
@pytest.mark.parametrize("center", [False, True], ids=["beta", "mean"])
def test_cr3_equals_the_explicit_refit_jackknife(panel, formula, weights, center):
    ours = cr3(formula, panel, "township_id", weights=weights, center=center)
    reference = explicit_jackknife(formula, panel, "township_id", weights=weights,
                                   center=center)
    assert_cov_close(ours, reference)


def test_cr3_equals_the_explicit_refit_jackknife_on_grunfeld(grunfeld):
    """Year effects with firm clusters: re-estimating the years matters here (the standard
    errors of a jackknife that kept them at their full-sample values are 7% and 16% lower)."""
    assert_cov_close(cr3(GRUNFELD, grunfeld, "firm"),
                     explicit_jackknife(GRUNFELD, grunfeld, "firm"))


def stored_r(estimator: str) -> np.ndarray:
    table = pd.read_csv(REFERENCE / "cr3_grunfeld_r.csv", comment="#")
    rows = table[table["estimator"] == estimator]
    terms = ["value", "capital"]
    return rows.pivot(index="row", columns="column", values="value").loc[terms, terms].to_numpy()


def test_cr3_matches_sandwich_hc3_without_cluster_adjustment(grunfeld):
    """``vcovCL(type = "HC3", cadjust = FALSE)`` of ``lm(invest ~ value + capital +
    factor(year))`` is CV3 (sandwich scales HC3's clustered meat by (G - 1) / G), as is the
    explicit jackknife of ``lm`` refits computed in the same R script."""
    ours = cr3(GRUNFELD, grunfeld, "firm")
    assert_cov_close(ours, stored_r("vcovCL"))
    assert_cov_close(ours, stored_r("refit"))


def test_clubsandwich_cr3_is_cr3_without_the_jackknife_factor(grunfeld):
    """clubSandwich's CR3 for ``lm`` is Bell and McCaffrey's sum of outer products of the
    leave-one-cluster-out shifts, without CV3's (G - 1) / G."""
    g = grunfeld["firm"].nunique()
    assert_cov_close(g / (g - 1) * cr3(GRUNFELD, grunfeld, "firm"), stored_r("vcovCR"))


def test_grunfeld_csv_is_the_statsmodels_data(grunfeld):
    from statsmodels.datasets import grunfeld as source

    data = source.load_pandas().data
    pd.testing.assert_frame_equal(
        grunfeld.astype({"year": float}),
        data[["firm", "year", "invest", "value", "capital"]].astype({"firm": str}),
        check_dtype=False)


def with_lonely_levels(df: pd.DataFrame) -> pd.DataFrame:
    """Add rows in year 2014 and sector -1 (the first levels: the reference levels of the
    dummies) only in township T03, and in year 2021 and sector 99 only in T05, so that
    without either the refit has one year and one sector fewer."""
    extra = [df[(df["township_id"] == t) & (df["year"] == 2015)].assign(year=year, sector=sector)
             for t, year, sector in (("T03", 2014, -1), ("T05", 2021, 99))]
    return pd.concat([df, *extra], ignore_index=True)


@pytest.mark.parametrize("formula", ["y ~ x + z | year", "y ~ x + z | village_id + year",
                                     "y ~ x + z | sector", "y ~ x + z | village_id + sector"])
def test_cr3_levels_seen_in_one_cluster_only(panel, formula):
    """Without T03 or T05 some dummies (with an intercept or nested effects, also the others
    of the same effect together) are not identified, but the coefficients of x and z are."""
    df = with_lonely_levels(panel)
    assert_cov_close(cr3(formula, df, "township_id"),
                     explicit_jackknife(formula, df, "township_id"))


def test_cr3_a_regressor_the_crossed_effect_absorbs(panel):
    """``trend`` is dropped (absorbed by the years); the dummy refit keeps it ahead of the
    year dummies instead, so the original coefficients are found by name."""
    df = panel.assign(trend=(panel["year"] - 2015) ** 2)
    formula = "y ~ trend + x + z | village_id + year"
    with pytest.warns(EstimationWarning, match="trend"):
        ours = cr3(formula, df, "township_id")
    assert_cov_close(ours, explicit_jackknife(formula, df, "township_id"))


def test_cr3_refuses_a_crossed_effect_with_too_many_levels(panel, monkeypatch):
    monkeypatch.setattr(linear_module, "MAX_DUMMIES", 5)
    with pytest.raises(ValueError, match=r"fixed effect\(s\) year are not nested in the "
                                         r"clusters 'township_id' and have too many levels to "
                                         r"refit as dummies \(at most 5 columns on"):
        econ.feols("y ~ x + z | village_id + year", panel, cov=CR3("township_id"))
    # Nested effects are never expanded, whatever their number of levels.
    econ.feols("y ~ x + z | village_id", panel, cov=CR3("township_id"))


def test_cr3_refuses_a_regressor_identified_in_one_cluster_only_with_crossed_effects(panel):
    df = panel.assign(pilot=np.where(panel["township_id"] == "T07", panel["z"], 0.0))
    with pytest.raises(ValueError, match=r"township_id='T07', coefficient\(s\) pilot cannot"):
        econ.feols("y ~ x + pilot | year", df, cov=CR3("township_id"))
