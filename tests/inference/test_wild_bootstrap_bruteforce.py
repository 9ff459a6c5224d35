"""The wild cluster bootstrap against a brute-force implementation written out in full.

For every Rademacher sign pattern the reference builds the bootstrap outcome explicitly
(``y* = X b0 + u0 * v``), refits it by ``numpy.linalg.lstsq`` and computes the CR1 (one-way,
subcluster or Cameron-Gelbach-Miller multiway) or CV3 variance from its definition: no cluster
cross products, no affine shortcuts, no score algebra from the engine. All ``2^G`` patterns are
used, so econ (which enumerates when ``2^G <= B``) must reproduce the whole distribution.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.bootstrap.wild import TIE

# Local: every model here has fewer than 30 clusters on purpose (few-cluster inference is what
# the wild bootstrap is for); test_wild_bootstrap_properties.py checks that the warning is raised.
pytestmark = pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")

ATOL = 1e-8
REPS = 5000  # above 2^G for every model here, so econ enumerates


def make_data(clusters: int = 9, seed: int = 11, periods: int = 14) -> pd.DataFrame:
    """Unbalanced clusters (8 to 31 rows) with cluster and period shocks and a coarse grouping.

    ``g`` is the cluster, ``t`` a period crossing the clusters (for multiway clustering), ``h``
    groups clusters three by three (for the subcluster bootstrap) and ``unit`` nests in ``g``.
    """
    rng = np.random.default_rng(seed)
    sizes = 8 + (np.arange(clusters) * 7) % 24
    g = np.repeat(np.arange(clusters), sizes)
    n = len(g)
    t = rng.integers(0, periods, n)
    x1 = rng.normal(size=n) + 0.7 * rng.normal(size=clusters)[g]
    x2 = rng.normal(size=n) + 0.5 * rng.normal(size=periods)[t]
    noise = (rng.normal(size=n) * (1 + 0.5 * np.abs(x1)) + rng.normal(size=clusters)[g]
             + 0.5 * rng.normal(size=periods)[t])
    return pd.DataFrame({
        "y": 1.0 + 0.15 * x1 - 0.4 * x2 + noise, "x1": x1, "x2": x2,
        "g": g, "t": t, "h": g // 3, "unit": g * 10 + np.arange(n) % 3,
    })


def all_patterns(clusters: int) -> np.ndarray:
    """Every Rademacher sign pattern, shape ``(clusters, 2^clusters)``."""
    return np.array(list(itertools.product([1.0, -1.0], repeat=clusters))).T


def dense(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1]


def constrained(X: np.ndarray, y: np.ndarray, R: np.ndarray, r: np.ndarray,
                restricted: bool) -> np.ndarray:
    """Least squares of ``y`` (n x m) on ``X``, under ``R b = r`` when ``restricted``."""
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    if not restricted:
        return beta
    inverse = np.linalg.inv(X.T @ X)
    gap = R @ beta - (r[:, None] if beta.ndim == 2 else r)
    return beta - inverse @ R.T @ np.linalg.solve(R @ inverse @ R.T, gap)


def cr1(X: np.ndarray, residuals: np.ndarray, R: np.ndarray,
        dimensions: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """``sum_d weight_d sum_h (R A X_h'u_h)(R A X_h'u_h)'`` for each column of ``residuals``.

    ``residuals`` is n x B; the result is q x q x B.
    """
    RA = R @ np.linalg.inv(X.T @ X)
    total = np.zeros((R.shape[0], R.shape[0], residuals.shape[1]))
    for codes, weight in dimensions:
        for h in np.unique(codes):
            rows = codes == h
            z = RA @ (X[rows].T @ residuals[rows])  # q x B
            total += weight * np.einsum("qb,pb->qpb", z, z)
    return total


def cv3(X: np.ndarray, y: np.ndarray, R: np.ndarray, boot: np.ndarray) -> np.ndarray:
    """``(G-1)/G sum_g (R b_(g) - R b)(...)'`` with ``b_(g)`` refitted without cluster ``g``."""
    clusters = np.unique(boot)
    full = R @ np.linalg.lstsq(X, y, rcond=None)[0]
    total = np.zeros((R.shape[0], R.shape[0], y.shape[1]))
    for g in clusters:
        keep = boot != g
        gap = R @ np.linalg.lstsq(X[keep], y[keep], rcond=None)[0] - full
        total += np.einsum("qb,pb->qpb", gap, gap)
    return total * (len(clusters) - 1) / len(clusters)


def statistics(difference: np.ndarray, var: np.ndarray) -> np.ndarray:
    """t (q = 1) or ``d' V^{-1} d / q`` per column, computed column by column."""
    q = difference.shape[0]
    if q == 1:
        # A multiway (signed) variance can be negative for some patterns: t* is then NaN.
        with np.errstate(invalid="ignore"):
            return difference[0] / np.sqrt(var[0, 0])
    return np.array([difference[:, b] @ np.linalg.solve(var[:, :, b], difference[:, b]) / q
                     for b in range(difference.shape[1])])


def brute_force(X: np.ndarray, y: np.ndarray, R: np.ndarray, r: np.ndarray, *,
                boot: np.ndarray, dimensions: list[tuple[np.ndarray, float]], variant: str,
                restricted: bool) -> tuple[float, np.ndarray]:
    """Observed statistic and all ``2^G`` bootstrap statistics, by refitting each pattern.

    Parameters
    ----------
    X, y
        Regressors (with any dummies) and outcome.
    R, r
        The null ``R b = r`` (``R`` is q x k).
    boot
        Bootstrap cluster of each row: rows of one cluster share a weight.
    dimensions
        ``(codes, sign x scale)`` of each CR1 term (used when the variance digit is 1).
    variant
        ``"11"``, ``"13"``, ``"31"`` or ``"33"``.
    restricted
        WCR (null imposed on the DGP) or WCU.
    """
    groups = np.unique(boot)
    b0 = constrained(X, y, R, r, restricted)
    if variant[0] == "1":
        u0 = y - X @ b0
    else:
        # Jackknife residuals: each cluster's from the (restricted) fit without that cluster.
        u0 = np.empty_like(y)
        for g in groups:
            rows = boot == g
            u0[rows] = y[rows] - X[rows] @ constrained(X[~rows], y[~rows], R, r, restricted)
    v = all_patterns(len(groups))
    ystar = (X @ b0)[:, None] + u0[:, None] * v[np.searchsorted(groups, boot)]
    bstar = np.linalg.lstsq(X, ystar, rcond=None)[0]

    def variance(outcomes: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
        if variant[1] == "3":
            return cv3(X, outcomes, R, boot)
        return cr1(X, outcomes - X @ coefficients, R, dimensions)

    draws = statistics(R @ bstar - (R @ b0)[:, None], variance(ystar, bstar))
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    observed = statistics((R @ beta - r)[:, None], variance(y[:, None], beta[:, None]))[0]
    return float(observed), draws


def pvalue(observed: float, draws: np.ndarray, joint: bool, rule: str) -> float:
    """Symmetric (or Wald) p-value with econ's documented tie rules, recomputed here:
    inclusive counts draws at least as extreme (ties within a relative TIE), strict only those
    more extreme."""
    if not joint:
        observed, draws = abs(observed), np.abs(draws)
    finite = draws[np.isfinite(draws)]
    tie = TIE * abs(observed)
    if rule == "inclusive":
        return float(np.mean(finite >= observed - tie))
    return float(np.mean(finite > observed + tie))


def cr1_weight(groups: int, n: int, k: int) -> float:
    return groups / (groups - 1) * (n - 1) / (n - k)


def compare(test: econ.WildBootstrapTest, observed: float, draws: np.ndarray) -> None:
    assert test.enumerated and test.reps == len(draws)
    assert test.statistic == pytest.approx(observed, rel=1e-10)
    np.testing.assert_allclose(np.sort(test.draws), np.sort(draws), rtol=0, atol=ATOL)
    assert test.pvalue == pvalue(observed, draws, len(test.estimate) > 1, test.pvalue_rule)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return make_data()


def design(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return np.column_stack([np.ones(len(df)), df["x1"], df["x2"]]), df["y"].to_numpy()


@pytest.mark.parametrize("restricted", [True, False], ids=["WCR", "WCU"])
@pytest.mark.parametrize("variant", ["11", "13", "31", "33"])
def test_one_way_variants_match_brute_force(data: pd.DataFrame, variant: str,
                                            restricted: bool) -> None:
    X, y = design(data)
    boot = data["g"].to_numpy()
    R, r = np.array([[0.0, 1.0, 0.0]]), np.array([0.1])
    weight = cr1_weight(len(np.unique(boot)), len(y), X.shape[1])
    observed, draws = brute_force(X, y, R, r, boot=boot, dimensions=[(boot, weight)],
                                  variant=variant, restricted=restricted)
    result = econ.feols("y ~ x1 + x2", data, cov=econ.Cluster("g"))
    test = result.wild_bootstrap("x1",
                                 econ.WildBootstrap(reps=REPS, variant=variant,
                                                    restricted=restricted,
                                                    keep_draws=True), value=0.1)
    compare(test, observed, draws)


@pytest.mark.parametrize("variant", ["11", "13", "31", "33"])
def test_joint_wald_matches_brute_force(data: pd.DataFrame, variant: str) -> None:
    X, y = design(data)
    boot = data["g"].to_numpy()
    R, r = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.array([0.0, -0.3])
    weight = cr1_weight(len(np.unique(boot)), len(y), X.shape[1])
    observed, draws = brute_force(X, y, R, r, boot=boot, dimensions=[(boot, weight)],
                                  variant=variant, restricted=True)
    result = econ.feols("y ~ x1 + x2", data, cov=econ.Cluster("g"))
    test = result.wild_bootstrap(["x1", "x2"],
                                 econ.WildBootstrap(reps=REPS, variant=variant,
                                                    keep_draws=True), value=[0.0, -0.3])
    compare(test, observed, draws)
    assert set(test.pvalues) == {"wald"} and test.ci is None
    assert 0.0 < test.pvalue < 1.0


@pytest.mark.parametrize("variant", ["11", "31"])
def test_multiway_cgm_matches_brute_force(data: pd.DataFrame, variant: str) -> None:
    X, y = design(data)
    g, t = data["g"].to_numpy(), data["t"].to_numpy()
    # fixest's "min" rule: every term scaled with the smallest cluster count.
    weight = cr1_weight(min(len(np.unique(g)), len(np.unique(t))), len(y), X.shape[1])
    cells = dense(g * 100 + t)
    R, r = np.array([[0.0, 0.0, 1.0]]), np.array([-0.3])
    observed, draws = brute_force(X, y, R, r, boot=g,
                                  dimensions=[(g, weight), (t, weight), (cells, -weight)],
                                  variant=variant, restricted=True)
    result = econ.feols("y ~ x1 + x2", data, cov=econ.Cluster("g", "t"))
    test = result.wild_bootstrap("x2",
                                 econ.WildBootstrap(reps=REPS, variant=variant,
                                                    keep_draws=True), value=-0.3)
    # g has 9 clusters, t 14: the default bootstraps by the dimension with fewer.
    assert test.bootstrap_cluster == ("g",) and test.bootstrap_clusters == 9
    assert test.cluster == ("g", "t")
    # Some patterns give a negative CGM variance; both sides must agree on which (NaN t*), and
    # the p-value counts only the finite draws.
    assert 0 < np.isnan(draws).sum() < len(draws) // 10
    np.testing.assert_array_equal(np.isnan(np.sort(test.draws)), np.isnan(np.sort(draws)))
    compare(test, observed, draws)
    assert test.std_error == pytest.approx(result.std_errors["x2"], rel=1e-10)


@pytest.mark.parametrize("variant", ["11", "31"])
def test_subcluster_matches_brute_force(variant: str) -> None:
    df = make_data(clusters=11, seed=5)
    X, y = design(df)
    coarse, fine = df["h"].to_numpy(), df["g"].to_numpy()
    weight = cr1_weight(len(np.unique(coarse)), len(y), X.shape[1])
    R, r = np.array([[0.0, 1.0, 0.0]]), np.array([0.0])
    observed, draws = brute_force(X, y, R, r, boot=fine, dimensions=[(coarse, weight)],
                                  variant=variant, restricted=True)
    result = econ.feols("y ~ x1 + x2", df, cov=econ.Cluster("h"), groups=["g"])
    test = result.wild_bootstrap("x1",
                                 econ.WildBootstrap(reps=REPS, variant=variant,
                                                    bootstrap_cluster="g", keep_draws=True))
    assert test.bootstrap_clusters == 11 and test.cluster == ("h",)
    compare(test, observed, draws)
    # The observed t is the ordinary CR1 t clustered by the coarse variable.
    assert test.statistic == pytest.approx(result.tstats["x1"], rel=1e-10)


def test_nested_fixed_effect_equals_explicit_dummies(data: pd.DataFrame) -> None:
    # fixef_k="full" counts the absorbed levels in K exactly as the dummy regression does, so the
    # small-sample factor, and with it every statistic, is the same in both fits.
    ssc = econ.SmallSample(fixef_k="full")
    absorbed = econ.feols("y ~ x1 + x2 | unit", data, cov=econ.Cluster("g", ssc=ssc))
    dummies = econ.feols("y ~ x1 + x2 + C(unit)", data, cov=econ.Cluster("g", ssc=ssc))
    for variant in ("11", "13"):
        a = absorbed.wild_bootstrap("x1",
                                    econ.WildBootstrap(reps=REPS, variant=variant, keep_draws=True))
        b = dummies.wild_bootstrap("x1",
                                   econ.WildBootstrap(reps=REPS, variant=variant, keep_draws=True))
        assert a.dummies == () and a.enumerated and b.enumerated
        assert a.statistic == pytest.approx(b.statistic, rel=1e-10)
        np.testing.assert_allclose(a.draws, b.draws, rtol=0, atol=ATOL)
        assert a.pvalues == b.pvalues
        np.testing.assert_allclose(a.ci, b.ci, rtol=1e-8)


def test_nested_fixed_effect_default_ssc_only_rescales(data: pd.DataFrame) -> None:
    # With the default fixef_k="nested" the absorbed fit leaves the nested levels out of K: t and
    # every t* are multiplied by the same sqrt((n - K_nested) / (n - K_dummies)), p unchanged.
    absorbed = econ.feols("y ~ x1 + x2 | unit", data, cov=econ.Cluster("g"))
    dummies = econ.feols("y ~ x1 + x2 + C(unit)", data, cov=econ.Cluster("g"))
    a = absorbed.wild_bootstrap("x1", econ.WildBootstrap(reps=REPS, keep_draws=True))
    b = dummies.wild_bootstrap("x1", econ.WildBootstrap(reps=REPS, keep_draws=True))
    n, levels = len(data), data["unit"].nunique()
    factor = np.sqrt((n - 3) / (n - 2 - levels))
    assert a.statistic == pytest.approx(b.statistic * factor, rel=1e-10)
    np.testing.assert_allclose(a.draws, b.draws * factor, rtol=0, atol=ATOL)
    assert a.pvalues == b.pvalues


def test_non_nested_fixed_effect_is_refit_as_dummies(data: pd.DataFrame) -> None:
    absorbed = econ.feols("y ~ x1 + x2 | unit + t", data, cov=econ.Cluster("g"))
    written = econ.feols("y ~ x1 + x2 + C(t) | unit", data, cov=econ.Cluster("g"))
    for variant in ("11", "31"):
        a = absorbed.wild_bootstrap("x1",
                                    econ.WildBootstrap(reps=REPS, variant=variant, keep_draws=True))
        b = written.wild_bootstrap("x1",
                                   econ.WildBootstrap(reps=REPS, variant=variant, keep_draws=True))
        assert a.dummies == ("t",) and b.dummies == ()
        assert a.statistic == pytest.approx(b.statistic, rel=1e-10)
        assert a.statistic == pytest.approx(absorbed.tstats["x1"], rel=1e-10)
        np.testing.assert_allclose(a.draws, b.draws, rtol=0, atol=ATOL)
        assert a.pvalues == b.pvalues
        np.testing.assert_allclose(a.ci, b.ci, rtol=1e-8)


def test_non_nested_fixed_effect_matches_brute_force(data: pd.DataFrame) -> None:
    # The dummy refit itself against the reference: unit dummies nested in g, period dummies not.
    X = np.column_stack([data[["x1", "x2"]].to_numpy(),
                         pd.get_dummies(data["unit"], dtype=float).to_numpy(),
                         pd.get_dummies(data["t"], dtype=float).to_numpy()[:, 1:]])
    y = data["y"].to_numpy()
    g = data["g"].to_numpy()
    # K of the default ssc: x1, x2, the period dummies and one for the nested unit effect.
    k = 2 + data["t"].nunique() - 1 + 1
    R, r = np.eye(X.shape[1])[[0]], np.array([0.0])
    observed, draws = brute_force(X, y, R, r, boot=g,
                                  dimensions=[(g, cr1_weight(9, len(y), k))], variant="11",
                                  restricted=True)
    result = econ.feols("y ~ x1 + x2 | unit + t", data, cov=econ.Cluster("g"))
    compare(result.wild_bootstrap("x1",
                                  econ.WildBootstrap(reps=REPS, keep_draws=True)), observed, draws)


def test_large_non_nested_fixed_effect_is_refused() -> None:
    rng = np.random.default_rng(2)
    n = 7500
    # 2,500 cells of three rows each (no singletons), spread at random over 12 clusters.
    df = pd.DataFrame({"g": rng.integers(0, 12, n), "cell": np.arange(n) % 2500,
                       "x": rng.normal(size=n)})
    df["y"] = df["x"] + rng.normal(size=n)
    result = econ.feols("y ~ x | cell", df, cov=econ.Cluster("g"))
    assert df["cell"].nunique() > 2000
    with pytest.raises(ValueError, match=r"\['cell'\].*not nested"):
        result.wild_bootstrap("x", econ.WildBootstrap(reps=99))
