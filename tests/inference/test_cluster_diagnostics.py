"""Cluster diagnostics against brute force: the explicit hat matrix of the regression with the
fixed effects as dummies, explicit Frisch-Waugh-Lovell residuals, one refit per left-out cluster
and the Carter-Schnepel-Steigerwald formula written out with the dummy-variable design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.cluster_diagnostics import cluster_diagnostics
from econ.results.cluster_diagnostics import ClusterDiagnostics

RTOL = 1e-8


def make_panel(townships: int = 10, seed: int = 11) -> pd.DataFrame:
    """Villages (3 to 5 per township) over five years, unequal townships."""
    rng = np.random.default_rng(seed)
    rows = [(f"T{t:02d}", f"T{t:02d}V{v}", 2015 + year)
            for t in range(townships) for v in range(3 + t % 3) for year in range(5)]
    df = pd.DataFrame(rows, columns=["township_id", "village_id", "year"])
    n, town = len(df), pd.factorize(df["township_id"])[0]
    df["x"] = rng.normal(size=n) * (1 + 2 * (town == 0)) + rng.normal(size=townships)[town]
    df["z"] = rng.normal(size=n)
    df["w"] = rng.uniform(0.5, 2.0, size=n)
    df["y"] = 1 + 0.5 * df["x"] - 0.2 * df["z"] + rng.normal(size=townships)[town] \
        + rng.normal(size=n)
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def dummy_design(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None,
                 regressors: tuple[str, ...] = ("x", "z")
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-rank ``[regressors, dummies]``, ``y`` and the dummies alone, times root weights.

    The first fixed effect keeps all its levels (it replaces the intercept), later ones drop
    their first; without fixed effects the "dummies" are the intercept.
    """
    blocks = [pd.get_dummies(df[f], dtype=float).to_numpy()[:, (i > 0):]
              for i, f in enumerate(fixed_effects)]
    dummies = np.column_stack(blocks) if blocks else np.ones((len(df), 1))
    root = np.ones(len(df)) if weights is None else np.sqrt(df[weights].to_numpy())
    full = np.column_stack([df[list(regressors)].to_numpy(), dummies])
    return full * root[:, None], df["y"].to_numpy() * root, dummies * root[:, None]


def hat(A: np.ndarray) -> np.ndarray:
    return A @ np.linalg.pinv(A)


def fit_of(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None,
           regressors: str = "x + z"):
    formula = f"y ~ {regressors}" + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    return econ.feols(formula, df, weights=weights, groups=["township_id"]).fit


SPECS = [((), None), (("village_id",), None), (("village_id",), "w"),
         (("village_id", "year"), None), (("village_id", "year"), "w")]


@pytest.mark.parametrize(("fixed_effects", "weights"), SPECS)
def test_leverage_is_the_within_block_of_the_explicit_hat_matrix(panel, fixed_effects, weights):
    full, _, dummies = dummy_design(panel, fixed_effects, weights)
    # With fixed effects, the full hat matrix less the dummies' own is the hat matrix of the
    # within regression; without them the intercept is one of the fit's coefficients.
    within_hat = np.diag(hat(full) - hat(dummies)) if fixed_effects else np.diag(hat(full))
    town = panel["township_id"].to_numpy()
    expected = np.array([within_hat[town == t].sum() for t in sorted(set(town))])
    outcome = cluster_diagnostics(fit_of(panel, fixed_effects, weights), "x", "township_id")
    np.testing.assert_allclose(outcome.leverage, expected, rtol=RTOL)
    k = 2 if fixed_effects else 3
    assert outcome.leverage.sum() == pytest.approx(k, rel=1e-10)
    assert outcome.coefficients == k


@pytest.mark.parametrize(("fixed_effects", "weights"), SPECS)
def test_partial_leverage_and_effective_clusters_match_the_dummy_regression(
        panel, fixed_effects, weights):
    full, _, _ = dummy_design(panel, fixed_effects, weights)
    others = full[:, 1:]
    x_check = full[:, 0] - others @ np.linalg.lstsq(others, full[:, 0], rcond=None)[0]
    town = panel["township_id"].to_numpy()
    clusters = sorted(set(town))
    partial = np.array([x_check[town == t] @ x_check[town == t] for t in clusters])
    partial /= x_check @ x_check
    # Carter, Schnepel and Steigerwald (2017) with rho = 0, written out with X_g'X_g.
    inverse = np.linalg.inv(full.T @ full)
    a = np.zeros(full.shape[1])
    a[0] = 1.0
    gamma = np.array([a @ inverse @ full[town == t].T @ full[town == t] @ inverse @ a
                      for t in clusters])
    big_gamma = np.mean((gamma - gamma.mean()) ** 2) / gamma.mean() ** 2
    outcome = cluster_diagnostics(fit_of(panel, fixed_effects, weights), "x", "township_id")
    np.testing.assert_allclose(outcome.partial_leverage, partial, rtol=RTOL)
    assert outcome.effective_clusters == pytest.approx(len(clusters) / (1 + big_gamma),
                                                       rel=RTOL)
    assert outcome.partial_leverage.sum() == pytest.approx(1, rel=1e-12)


def refit_without_each(df: pd.DataFrame, fixed_effects: tuple[str, ...], weights: str | None,
                       regressors: tuple[str, ...] = ("x", "z")) -> np.ndarray:
    """``x``'s coefficient from the dummy-variable regression without each township."""
    full, y, _ = dummy_design(df, fixed_effects, weights, regressors)
    town = df["township_id"].to_numpy()
    estimates = []
    for t in sorted(set(town)):
        keep = town != t
        # The left-out township's village dummies are all zero: drop them (and only them).
        columns = np.abs(full[keep]).sum(axis=0) > 0
        columns[:len(regressors)] = True
        X = full[keep][:, columns]
        if np.linalg.matrix_rank(X) < X.shape[1]:
            estimates.append(np.nan)
            continue
        estimates.append(np.linalg.lstsq(X, y[keep], rcond=None)[0][0])
    return np.array(estimates)


@pytest.mark.parametrize(("fixed_effects", "weights"),
                         [((), None), ((), "w"), (("village_id",), None),
                          (("village_id",), "w")])
def test_leave_one_out_estimates_match_refits_without_the_cluster(panel, fixed_effects,
                                                                  weights):
    outcome = cluster_diagnostics(fit_of(panel, fixed_effects, weights), "x", "township_id")
    np.testing.assert_allclose(outcome.leave_out, refit_without_each(panel, fixed_effects,
                                                                     weights), rtol=RTOL)
    assert outcome.not_nested == ()


def test_a_cluster_without_which_a_coefficient_is_unidentified_gets_nan(panel):
    df = panel.assign(d=panel["z"] * (panel["township_id"] == "T02"))
    outcome = cluster_diagnostics(fit_of(df, (), None, "x + z + d"), "x", "township_id")
    expected = refit_without_each(df, (), None, ("x", "z", "d"))
    assert np.isnan(expected[2]) and np.isnan(outcome.leave_out[2])
    np.testing.assert_allclose(outcome.leave_out, expected, rtol=RTOL)
    result = ClusterDiagnostics.of(outcome)
    assert any("township_id = T02" in note for note in result.notes)
    assert "undefined" in repr(result)


def test_fixed_effects_not_nested_in_the_clusters_are_named(panel):
    outcome = cluster_diagnostics(fit_of(panel, ("village_id", "year"), None), "x",
                                  "township_id")
    assert outcome.not_nested == ("year",)
    assert any("not nested in township_id: year" in note
               for note in ClusterDiagnostics.of(outcome).notes)


def test_result_figures_summary_and_tidy(panel):
    fit = fit_of(panel, ("village_id",), None)
    result = ClusterDiagnostics.of(cluster_diagnostics(fit, "x", "township_id"))
    sizes = panel.groupby("township_id").size().to_numpy()
    assert (result.clusters, result.size_min, result.size_max) == (10, sizes.min(), sizes.max())
    assert result.size_median == np.median(sizes)
    assert result.max_leverage_share == pytest.approx(result.table["leverage"].max() / 2)
    assert result.max_partial_leverage == result.table["partial_leverage"].max()
    # Township T00's x varies three times as much as elsewhere: it dominates.
    assert result.table["partial_leverage"].idxmax() == 0
    assert 1 < result.effective_clusters < 10
    np.testing.assert_allclose(result.table["change"],
                               result.table["estimate_without"] - fit.params[0])
    tidy = result.tidy()
    assert list(tidy.columns) == ["term", "cluster", "rows", "leverage", "leverage_share",
                                  "partial_leverage", "estimate_without", "change"]
    assert list(tidy["cluster"]) == sorted(panel["township_id"].unique())
    text = repr(result)
    assert "G*(0)" in text and "T09" in text
