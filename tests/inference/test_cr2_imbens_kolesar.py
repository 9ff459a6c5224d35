"""CR2 with Imbens-Kolesár degrees of freedom against Kolesár's R package dfadjust and a
brute-force computation from the explicit ``n x n`` working covariance.

``reference/cr2_imbens_kolesar.R`` made ``reference/cr2_imbens_kolesar_r.csv`` (the command is
in both files): ``dfadjustSE(fit, clustervar, IK = TRUE, rho0 = TRUE)`` for the random-effects
working model and ``IK = FALSE`` for Bell-McCaffrey, on Grunfeld with and without year effects,
all rows (11 firms of 20 years) and an unequal subset (6 to 15 years per firm).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.cr2 import CR2, random_effects_model

REFERENCE = Path(__file__).parent / "reference"
RTOL = 1e-8


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "grunfeld.csv")


def unequal(grunfeld: pd.DataFrame) -> pd.DataFrame:
    """The r-th firm of the file (r = 0..10) kept for 1935 to 1940 + r, at most 1949."""
    rank = pd.Series(pd.factorize(grunfeld["firm"])[0], index=grunfeld.index)
    return grunfeld[grunfeld["year"] <= np.minimum(1940 + rank, 1949)]


DESIGNS = {"pooled": (False, "invest ~ value + capital"),
           "year": (False, "invest ~ value + capital | year"),
           "unequal": (True, "invest ~ value + capital"),
           "unequal_year": (True, "invest ~ value + capital | year")}
WORKING = {"random_effects": "imbens_kolesar", "independent": "satterthwaite"}


def fit(data: pd.DataFrame, formula: str, df: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)  # 11 firms
        return econ.feols(formula, data, cov=CR2("firm", df=df))  # type: ignore[arg-type]


@pytest.mark.parametrize("working", list(WORKING))
@pytest.mark.parametrize("design", list(DESIGNS))
def test_matches_dfadjust(grunfeld, design, working):
    reference = pd.read_csv(REFERENCE / "cr2_imbens_kolesar_r.csv", comment="#")
    rows = reference[(reference["design"] == design)
                     & (reference["working_model"] == working)].set_index("term")
    subset, formula = DESIGNS[design]
    data = unequal(grunfeld) if subset else grunfeld
    result = fit(data, formula, WORKING[working])
    terms = ["value", "capital"]
    np.testing.assert_allclose(result.params[terms], rows.loc[terms, "estimate"], rtol=RTOL)
    np.testing.assert_allclose(result.std_errors[terms], rows.loc[terms, "se_hc2"], rtol=RTOL)
    position = [list(result.names).index(t) for t in terms]
    df_by_coef = result.covariance.df_by_coef
    assert df_by_coef is not None
    np.testing.assert_allclose(df_by_coef[position], rows.loc[terms, "df"], rtol=RTOL)
    if working == "random_effects":
        sigma2, rho = random_effects_model(result.fit.residuals,
                                           result.fit.clusters["firm"].codes, 11)
        np.testing.assert_allclose([sigma2, rho], rows.iloc[0][["sigma2", "rho"]].to_numpy(float),
                                   rtol=RTOL)


def brute_force_df(X: np.ndarray, y: np.ndarray, clusters: np.ndarray, k: int) -> float:
    """Satterthwaite df of coefficient ``k`` with ``Omega`` built as an ``n x n`` matrix."""
    n = len(y)
    pinv = np.linalg.pinv(X)
    residuals = y - X @ (pinv @ y)
    residual_maker = np.eye(n) - X @ pinv
    same = clusters[:, None] == clusters[None, :]
    ssr = residuals @ residuals
    rho = max((residuals @ same @ residuals - ssr) / (same.sum() - n), 0.0)
    omega = (ssr / n - rho) * np.eye(n) + rho * same
    levels = pd.unique(clusters)
    u = np.zeros((n, len(levels)))
    for j, level in enumerate(levels):
        rows = np.flatnonzero(clusters == level)
        block = residual_maker[np.ix_(rows, rows)]
        values, vectors = np.linalg.eigh(block)
        inverse_root = np.where(values > 1e-10, 1 / np.sqrt(np.clip(values, 1e-10, None)), 0)
        u[rows, j] = (vectors * inverse_root) @ vectors.T @ pinv[k, rows]
    c = residual_maker @ u
    p = c.T @ omega @ c
    return float(np.trace(p) ** 2 / np.sum(p * p))


@pytest.mark.parametrize("fixed_effects", [(), ("village_id",), ("year",),
                                           ("village_id", "year")],
                         ids=lambda f: "+".join(f) or "none")
def test_matches_the_dense_working_covariance(fixed_effects):
    """Village effects nested in the township clusters, year effects crossing them, on a
    panel whose townships differ in size and share a random effect."""
    from tests.inference.test_cr2_cr3 import make_panel

    panel = make_panel(townships=9)
    formula = "y ~ x + z" + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        result = econ.feols(formula, panel, cov=CR2("township_id", df="imbens_kolesar"))
    dummies = [pd.get_dummies(panel[f], dtype=float).to_numpy() for f in fixed_effects]
    X = (np.column_stack([panel[["x", "z"]].to_numpy(), *dummies]) if fixed_effects
         else np.column_stack([panel[["x", "z"]].to_numpy(), np.ones(len(panel))]))
    clusters = panel["township_id"].to_numpy()
    expected = [brute_force_df(X, panel["y"].to_numpy(), clusters, k) for k in range(2)]
    position = [list(result.names).index(t) for t in ("x", "z")]
    assert result.covariance.df_by_coef is not None
    np.testing.assert_allclose(result.covariance.df_by_coef[position], expected, rtol=RTOL)


def test_negative_within_cluster_covariance_falls_back_to_bell_mccaffrey(grunfeld):
    """Residuals whose within-cluster products average below zero give ``rho = 0``: the
    working model is then ``sigma^2 I`` and the df are Bell-McCaffrey's."""
    data = grunfeld.assign(invest=grunfeld["invest"] - grunfeld.groupby("firm")["invest"]
                           .transform("mean"))
    own = fit(data, "invest ~ value + capital | firm", "imbens_kolesar")
    assert random_effects_model(own.fit.residuals, own.fit.clusters["firm"].codes, 11)[1] == 0
    bell_mccaffrey = fit(data, "invest ~ value + capital | firm", "satterthwaite")
    np.testing.assert_allclose(own.covariance.df_by_coef, bell_mccaffrey.covariance.df_by_coef,
                               rtol=1e-12)


def test_refuses_weights_and_names_the_alternative(grunfeld):
    with pytest.raises(ValueError, match=r"weighted fits.*df='satterthwaite'"):
        econ.feols("invest ~ value + capital", grunfeld, weights="capital",
                   cov=CR2("firm", df="imbens_kolesar"))


def test_nested_fixed_effects_give_bell_mccaffrey_df_to_the_bit():
    """Village effects nested in the township clusters absorb the cluster effect: the df are
    Bell-McCaffrey's exactly, so two table rows that must agree do (whatever BLAS does)."""
    from tests.inference.test_cr2_cr3 import make_panel

    panel = make_panel(townships=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        fits = [econ.feols("y ~ x + z | village_id + year", panel,
                           cov=CR2("township_id", df=df))  # type: ignore[arg-type]
                for df in ("satterthwaite", "imbens_kolesar")]
    assert np.array_equal(fits[0].covariance.df_by_coef, fits[1].covariance.df_by_coef)


def test_the_label_names_the_degrees_of_freedom(grunfeld):
    labels = [fit(grunfeld, "invest ~ value + capital", df).covariance.label
              for df in ("residual", "satterthwaite", "imbens_kolesar")]
    assert labels == ["CR2 (firm)", "CR2 (firm), Bell-McCaffrey df",
                      "CR2 (firm), Imbens-Kolesár df"]
    summary = str(fit(grunfeld, "invest ~ value + capital", "imbens_kolesar").summary())
    assert "Covariance: CR2 (firm), Imbens-Kolesár df" in summary
