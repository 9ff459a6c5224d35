"""CR2 and CR3 against brute-force implementations and pyfixest.

The brute-force references build the full dummy-variable regression explicitly: the dummy
matrix of every fixed effect, the full hat matrix, and one refit per left-out cluster.
``test_cr3_jackknife.py`` compares CR3 with refits by ``econ.feols`` and with stored output of
R's sandwich and clubSandwich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.linalg

import econ
import econ.inference.cr2 as cr2_module
from econ.inference.cr2 import CR2
from econ.inference.cr3 import CR3

RTOL = 1e-8


def make_panel(townships: int = 36, seed: int = 3) -> pd.DataFrame:
    """Villages (3 to 5 per township) observed over five years, errors correlated by township."""
    rng = np.random.default_rng(seed)
    rows = [(f"T{t:02d}", f"T{t:02d}V{v}", 2015 + year)
            for t in range(townships) for v in range(3 + t % 3) for year in range(5)]
    df = pd.DataFrame(rows, columns=["township_id", "village_id", "year"])
    n, town = len(df), pd.factorize(df["township_id"])[0]
    df["x"] = rng.normal(size=n) + rng.normal(size=townships)[town]
    df["z"] = rng.normal(size=n)
    df["w"] = rng.uniform(0.5, 2.0, size=n)
    noise = rng.normal(size=townships)[town] + rng.normal(size=n) * (1 + np.abs(df["x"]))
    df["y"] = 1 + 0.5 * df["x"] - 0.2 * df["z"] + noise
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def design(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None
           ) -> tuple[np.ndarray, np.ndarray, int]:
    """``[x, z, dummies]`` (or ``[1, x, z]``) and ``y`` times root weights; p of interest."""
    if fixed_effects:
        dummies = [pd.get_dummies(df[f], dtype=float).to_numpy() for f in fixed_effects]
        full = np.column_stack([df[["x", "z"]].to_numpy(), *dummies])
        p = 2
    else:
        full = np.column_stack([np.ones(len(df)), df[["x", "z"]].to_numpy()])
        p = 3
    root_w = np.ones(len(df)) if weights is None else np.sqrt(df[weights].to_numpy())
    return full * root_w[:, None], df["y"].to_numpy() * root_w, p


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Dummies of a left-out cluster's villages are all zero: drop them, keep the rest exact.
    kept = np.abs(X).sum(axis=0) > 0
    beta = np.zeros(X.shape[1])
    beta[kept] = np.linalg.lstsq(X[:, kept], y, rcond=None)[0]
    return beta


def refit_jackknife(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None,
                    *, center: bool = False) -> np.ndarray:
    """CV3 by G explicit refits of the dummy-variable regression."""
    X, y, p = design(df, fixed_effects, weights)
    beta = least_squares(X, y)[:p]
    clusters = df["township_id"].to_numpy()
    levels = pd.unique(clusters)
    jack = np.array([least_squares(X[clusters != c], y[clusters != c])[:p] for c in levels])
    centre = jack.mean(axis=0) if center else beta
    g = len(levels)
    return (g - 1) / g * (jack - centre).T @ (jack - centre)


def fit(df: pd.DataFrame, fixed_effects: tuple[str, ...], cov, weights: str | None = None):
    formula = "y ~ x + z" + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    return econ.feols(formula, df, cov=cov, weights=weights)


def assert_cov_close(ours: np.ndarray, reference: np.ndarray, rtol: float = RTOL) -> None:
    # Off-diagonal entries can be near zero: judge them on the scale of the matrix.
    np.testing.assert_allclose(ours, reference, rtol=rtol,
                               atol=rtol * np.abs(reference).max())


# CR3 -----------------------------------------------------------------------------------------
# Village effects are nested in the township clusters, year effects cross them.
FIXED_EFFECTS = [(), ("village_id",), ("year",), ("village_id", "year")]


@pytest.mark.parametrize("fixed_effects", FIXED_EFFECTS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("weights", [None, "w"], ids=["OLS", "WLS"])
@pytest.mark.parametrize("center", [False, True], ids=["beta", "mean"])
def test_cr3_equals_the_refit_jackknife(panel, fixed_effects, weights, center):
    """Nested (village) and crossed (year) effects alike: each refit re-estimates them."""
    result = fit(panel, fixed_effects, CR3("township_id", center=center), weights)
    reference = refit_jackknife(panel, fixed_effects, weights, center=center)
    assert_cov_close(result.cov.to_numpy(), reference)


@pytest.mark.parametrize("fixed_effects", FIXED_EFFECTS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("weights", [None, "w"], ids=["OLS", "WLS"])
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")  # raised inside pyfixest
def test_cr3_matches_pyfixest_crv3(panel, fixed_effects, weights):
    """pyfixest's CRV3 is the sum of outer products times G/(G-1) and (n-1)/(n-K).

    Without those factors (``ssc(k_adj=False, G_adj=False)``) it is ours divided by
    (G-1)/G. pyfixest 0.60 refits the model without each cluster whenever it has fixed
    effects, so crossed year effects are re-estimated there too.
    """
    import pyfixest as pf
    formula = "y ~ x + z" + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    theirs = pf.feols(formula, panel, vcov={"CRV3": "township_id"}, weights=weights,
                      ssc=pf.ssc(k_adj=False, G_adj=False))
    g = panel["township_id"].nunique()
    ours = fit(panel, fixed_effects, CR3("township_id"), weights)
    assert list(ours.names) == list(theirs._coefnames)
    assert_cov_close(ours.cov.to_numpy(), (g - 1) / g * theirs._vcov)


def test_cr3_label_df_and_clusters(panel):
    cov = fit(panel, ("village_id",), CR3("township_id")).covariance
    assert cov.label == "CR3 (township_id)"
    assert cov.df == 35.0 and cov.n_clusters == (36,) and cov.clusters == ("township_id",)


def test_cr3_refuses_a_regressor_identified_in_one_cluster_only(panel):
    df = panel.assign(pilot=np.where(panel["township_id"] == "T07", panel["z"], 0.0))
    with pytest.raises(ValueError, match=r"township_id='T07'.*pilot"):
        econ.feols("y ~ x + pilot", df, cov=CR3("township_id"))


def test_cr3_warns_with_few_clusters():
    df = make_panel(townships=8)
    with pytest.warns(econ.FewClustersWarning, match="only 8 clusters"):
        result = fit(df, ("village_id",), CR3("township_id"))
    assert_cov_close(result.cov.to_numpy(), refit_jackknife(df, ("village_id",), None))


# CR2 -----------------------------------------------------------------------------------------
def brute_force_cr2(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """CR2 and Satterthwaite df from the explicit dummy regression, its n x n hat matrix and
    ``scipy.linalg.sqrtm``."""
    X, _, p = design(df, fixed_effects, weights)
    y = design(df, fixed_effects, weights)[1]
    pseudo_inverse = np.linalg.pinv(X)  # rows: (Z'Z)^+ Z', the coefficients' linear maps
    residuals = y - X @ (pseudo_inverse @ y)
    residual_maker = np.eye(len(y)) - X @ pseudo_inverse
    clusters = df["township_id"].to_numpy()
    members = [np.flatnonzero(clusters == c) for c in pd.unique(clusters)]
    maps = []
    for rows in members:
        root = np.real(scipy.linalg.sqrtm(residual_maker[np.ix_(rows, rows)]))
        maps.append(np.linalg.pinv(root, rtol=1e-7) @ pseudo_inverse[:p, rows].T)
    scores = np.array([m.T @ residuals[rows] for m, rows in zip(maps, members, strict=True)])
    df_by_coef = []
    for k in range(p):
        u = np.zeros((len(y), len(members)))
        for j, (m, rows) in enumerate(zip(maps, members, strict=True)):
            u[rows, j] = m[:, k]
        big_p = u.T @ residual_maker @ u
        df_by_coef.append(np.trace(big_p) ** 2 / np.sum(big_p**2))
    return scores.T @ scores, np.array(df_by_coef)


@pytest.mark.parametrize("fixed_effects", FIXED_EFFECTS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("weights", [None, "w"], ids=["OLS", "WLS"])
@pytest.mark.parametrize("share", [0.5, 1e9], ids=["dense", "low-rank"])
def test_cr2_equals_the_brute_force_dummy_regression(panel, fixed_effects, weights, share,
                                                     monkeypatch):
    """Both routes to ``A_g X_g``: the cluster's ``n_g x n_g`` eigendecomposition (the
    clusters here are small) and, forced, the low-rank one that large clusters take."""
    monkeypatch.setattr(cr2_module, "LOW_RANK_SHARE", share)
    result = fit(panel, fixed_effects, CR2("township_id", df="satterthwaite"), weights)
    cov, df_by_coef = brute_force_cr2(panel, fixed_effects, weights)
    assert_cov_close(result.cov.to_numpy(), cov)
    np.testing.assert_allclose(result.covariance.df_by_coef, df_by_coef, rtol=RTOL)
    assert result.covariance.df == pytest.approx(df_by_coef.min(), rel=RTOL)


def test_cr2_residual_df_label_and_no_per_coefficient_df(panel):
    cov = fit(panel, ("village_id", "year"), CR2("township_id")).covariance
    assert cov.label == "CR2 (township_id)" and cov.df == 35.0 and cov.df_by_coef is None


def test_cr2_warns_with_few_clusters():
    df = make_panel(townships=6)
    with pytest.warns(econ.FewClustersWarning, match="only 6 clusters"):
        result = fit(df, ("village_id", "year"), CR2("township_id", df="satterthwaite"))
    cov, df_by_coef = brute_force_cr2(df, ("village_id", "year"), None)
    assert_cov_close(result.cov.to_numpy(), cov)
    np.testing.assert_allclose(result.covariance.df_by_coef, df_by_coef, rtol=RTOL)


def test_cr2_rejects_an_unknown_df_and_oversized_data(panel, monkeypatch):
    with pytest.raises(ValueError, match="satterthwaite"):
        CR2("township_id", df="kenward-roger")
    monkeypatch.setattr(cr2_module, "MAX_CLUSTER_ROWS", 10)
    with pytest.raises(ValueError, match=r"CR2 is too costly.*CR3\('township_id'\)"):
        fit(panel, ("village_id",), CR2("township_id"))


def test_satterthwaite_df_reach_p_values_and_intervals(panel):
    from scipy import stats

    res = fit(panel, ("village_id", "year"), CR2("township_id", df="satterthwaite"))
    own = res.covariance.df_by_coef
    assert own is not None and res.df_resid == own.min()
    expected = 2 * stats.t.sf(np.abs(res.tstats.to_numpy()), own)
    np.testing.assert_allclose(res.pvalues.to_numpy(), expected, rtol=1e-12)
    half = stats.t.ppf(0.975, own) * res.std_errors.to_numpy()
    np.testing.assert_allclose(res.conf_int()["conf_high"] - res.params, half, rtol=1e-12)
