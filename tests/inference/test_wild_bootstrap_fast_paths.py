"""The wild bootstrap's fast paths against its general ones, and what makes them reproducible.

- :func:`~econ.inference.bootstrap.engine.exact_split` products are exact, so their sum does
  not depend on the order BLAS adds them in;
- :meth:`~econ.inference.resampling.WeightStream.pieces` reads the same weights as
  :meth:`~econ.inference.resampling.WeightStream.chunk`;
- :class:`~econ.inference.bootstrap.engine.Compact` (one restriction, CRVE clusters within
  bootstrap clusters) gives the draws, p-values and interval of the cluster-by-draw path;
- ``_one_way_refit`` gives the bootstrap of :func:`~econ.estimation.linear.with_dummies`;
- the interval's narrowing counts exactly what evaluating every draw counts;
- Rademacher draws (the exact-product path) are bit-identical whatever the chunk size, the
  worker threads and the BLAS threads.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.bootstrap import engine, wild
from econ.inference.resampling import stream

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")


def make_data(clusters: int = 24, seed: int = 3, n: int = 1200) -> pd.DataFrame:
    """Clusters with a shock, a unit nested in them, subclusters and a crossing period."""
    rng = np.random.default_rng(seed)
    g = np.sort(rng.integers(0, clusters, n))
    x1 = rng.normal(size=n) + 0.6 * rng.normal(size=clusters)[g]
    x2 = rng.normal(size=n)
    t = rng.integers(0, 7, n)
    y = (0.1 * x1 - 0.5 * x2 + 0.3 * t + rng.normal(size=n)
         + rng.normal(size=clusters)[g])
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "sub": g * 3 + np.arange(n) % 3,
                         "unit": g * 5 + rng.integers(0, 5, n), "t": t})


def test_exact_split_products_are_correctly_rounded_in_any_order() -> None:
    rng = np.random.default_rng(0)
    G = 37
    K = rng.normal(size=(6, G)) * np.array([[1.0], [1e-8], [1e6], [3.0], [0.0], [1e-300]])
    K[3, 5] = 1e12  # one large entry among small ones
    V = np.where(rng.random((50, G)) < 0.5, -1.0, 1.0)
    pieces, scale = engine.exact_split(K)
    m = len(K)
    sums = (V @ pieces[:m].T + V @ pieces[m:].T) * scale
    for b in range(len(V)):
        for i in range(m):
            exact = math.fsum(K[i] * V[b])
            assert abs(sums[b, i] - exact) <= np.spacing(abs(exact)) + 1e-290
    # Clusters in another order: the same pieces permuted, the same sums bit for bit.
    order = rng.permutation(G)
    shuffled, _ = engine.exact_split(K[:, order])
    again = (V[:, order] @ shuffled[:m].T + V[:, order] @ shuffled[m:].T) * scale
    assert np.array_equal(again, sums)
    # BLAS in slices or at once (different blocking, possibly threads): the same bits.
    sliced = engine._split_product(np.ascontiguousarray(pieces.T), V, m) * scale[:, None]
    assert np.array_equal(sliced, sums.T)
    # High pieces only past the first rows: those rows as before, the others the exact
    # products of the high pieces.
    high_only = engine._split_product(np.ascontiguousarray(pieces[:m + 2].T), V, 2)
    assert np.array_equal(high_only[:2] * scale[:2, None], sums.T[:2])
    assert np.array_equal(high_only[2:], (pieces[2:m] @ V.T))


@pytest.mark.parametrize("distribution", ["rademacher", "webb", "mammen", "normal"])
def test_weight_pieces_are_the_chunks(distribution: str) -> None:
    for clusters, reps in ((50, 9000), (7, 5000), (13, 2**13), (1500, 4500)):
        weights = stream(distribution, clusters, reps, seed=5)
        whole = weights.chunk(0, weights.reps)
        for rows in (32, 100, 4096):
            starts, pieces = [], []
            for block in range(weights.blocks):
                for start, piece in weights.pieces(block, rows):
                    starts.append(start)
                    pieces.append(piece)
            assert starts == list(np.cumsum([0] + [len(p) for p in pieces[:-1]]))
            assert np.array_equal(np.vstack(pieces).T, whole)


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every test take the cluster-by-draw path."""
    monkeypatch.setattr(wild, "compact_applies", lambda problem: False)


def assert_close(fast: econ.WildBootstrapTest, general: econ.WildBootstrapTest) -> None:
    """Same statistic and p-values; draws and interval equal to rounding."""
    assert fast.statistic == general.statistic
    np.testing.assert_allclose(fast.draws, general.draws, rtol=1e-9, atol=1e-12)
    assert fast.pvalues == general.pvalues
    if general.ci is not None:
        np.testing.assert_allclose(fast.ci, general.ci, rtol=0, atol=1e-9 * fast.std_error)


@pytest.mark.parametrize("options", [
    dict(reps=2999),
    dict(reps=2999, distribution="webb", variant="31"),
    dict(reps=2000, restricted=False),
    dict(reps=2**10 + 5),  # enumeration of 10 clusters
    dict(reps=1999, cluster=("g", "sub")),  # multiway, every dimension within g
    dict(reps=1999, cluster="sub", bootstrap_cluster="g"),
], ids=["wcr11", "webb31", "wcu", "enumerated", "nested-multiway", "finer-crve"])
def test_compact_path_matches_the_general_path(options: dict, monkeypatch) -> None:
    data = make_data(clusters=10 if options["reps"] == 2**10 + 5 else 24)
    fit = econ.feols("y ~ x1 + x2 | unit", data, cov=econ.Cluster("g"), groups=["sub"])
    settings = econ.WildBootstrap(keep_draws=True, seed=11, **options)
    problem_applies = []
    original = wild.compact_applies
    monkeypatch.setattr(wild, "compact_applies",
                        lambda p: problem_applies.append(original(p)) or problem_applies[-1])
    fast = fit.wild_bootstrap("x1", settings)
    assert problem_applies == [True]
    _general(monkeypatch)
    assert_close(fast, fit.wild_bootstrap("x1", settings))


def test_general_path_still_serves_joint_cv3_and_crossed_clusters(monkeypatch) -> None:
    fit = econ.feols("y ~ x1 + x2", make_data(), cov=econ.Cluster("g"), groups=["t"])
    seen = []
    original = wild.compact_applies
    monkeypatch.setattr(wild, "compact_applies", lambda p: seen.append(original(p)) or seen[-1])
    fit.wild_bootstrap(["x1", "x2"], econ.WildBootstrap(reps=499))
    fit.wild_bootstrap("x1", econ.WildBootstrap(reps=499, variant="13"))
    fit.wild_bootstrap("x1", econ.WildBootstrap(reps=499, cluster=("g", "t")))
    assert seen == [False, False, False]


@pytest.mark.parametrize("missing", [0.0, 0.15], ids=["balanced", "unbalanced"])
def test_one_way_refit_matches_the_generic_dummy_refit(missing: float, monkeypatch) -> None:
    """Years cross the clusters and are refit as dummies; villages stay absorbed."""
    rng = np.random.default_rng(8)
    villages, years = 120, 9
    df = pd.DataFrame({"village": np.repeat(np.arange(villages), years),
                       "year": np.tile(np.arange(years), villages)})
    df["township"] = df["village"] // 6
    df = df[rng.random(len(df)) >= missing].reset_index(drop=True)
    df["x"] = rng.normal(size=len(df)) + 0.2 * df["year"]
    df["w"] = rng.normal(size=len(df))
    df["y"] = (0.3 * df["x"] + 0.1 * df["w"] + rng.normal(size=years)[df["year"]]
               + rng.normal(size=villages)[df["village"]] + rng.normal(size=len(df)))
    fit = econ.feols("y ~ x + w | village + year", df, cov=econ.Cluster("township"))
    settings = econ.WildBootstrap(reps=1999, seed=3, keep_draws=True)
    fast = fit.wild_bootstrap("x", settings)
    assert fast.dummies == ("year",)
    assert fast.statistic == pytest.approx(fit.tstats["x"], rel=1e-10)
    monkeypatch.setattr(wild, "_one_way_refit", lambda fit, outside: None)
    generic = fit.with_cov(econ.Cluster("township")).wild_bootstrap("x", settings)
    assert fast.statistic == pytest.approx(generic.statistic, rel=1e-10)
    np.testing.assert_allclose(fast.draws, generic.draws, rtol=1e-8)
    assert fast.pvalues == generic.pvalues
    np.testing.assert_allclose(fast.ci, generic.ci, rtol=0, atol=1e-8 * fast.std_error)


def test_narrowing_counts_what_every_draw_counts() -> None:
    rng = np.random.default_rng(4)
    B = 20_000
    # Draws like t statistics, so that some cross the observed |t| = |0.5 - r| / 0.2 within
    # each window.
    n0, n1 = rng.normal(size=B) * np.sqrt(12), rng.normal(size=B) * 0.3
    z0, z1 = rng.normal(size=(12, B)), 0.05 * rng.normal(size=(12, B))
    convex = np.vstack([n0, n1, (z0 * z0).sum(0), (z0 * z1).sum(0), (z1 * z1).sum(0)])
    # A multiway variance subtracts its intersection's term: c (and the variance) can be
    # below 0 for some draws, which the narrowing must then leave undecided.
    w0, w1 = z0[:4] + 0.3 * rng.normal(size=(4, B)), z1[:4] + 0.06 * rng.normal(size=(4, B))
    signed = convex - np.vstack([0 * n0, 0 * n1, (w0 * w0).sum(0), (w0 * w1).sum(0),
                                 (w1 * w1).sum(0)]) / 3
    assert (signed[4] < 0).any() and (signed[4] > 0).any()
    for pieces, is_convex in ((convex, True), (signed, False)):
        pieces[:, :3] = np.nan  # draws without a statistic stay out of both counts
        for rule in ("inclusive", "strict"):
            full = wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, rule)
            narrowed = wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, rule)
            assert narrowed.convex is is_convex
            with np.errstate(invalid="ignore", divide="ignore"):
                for low, high in ((0.9, 1.3), (0.95, 1.0), (-0.6, 0.0), (0.2, 0.8)):
                    narrowed.narrow(low, high)
                    assert 3 < narrowed.subset_size() < B
                    for value in np.linspace(low, high, 23):
                        assert narrowed.pvalue(value) == full.pvalue(value)
    # Draws whose variance 1.5 - (t - 5.5)^2 is concave over the window 0.9 .. 1.3 (t = 4.5
    # .. 6.5, observed |t| 2 .. 4): taken as convex, its bound at the middle (1.5) would call
    # them never counted, yet at 0.9 their statistic is 2 / sqrt(0.5) > 2.
    concave = np.tile([[2.0], [0.0], [-28.75], [5.5], [-1.0]], 50)
    pieces = np.hstack([signed, concave])
    wrong = wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, "inclusive", convex=True)
    right, full = (wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, "inclusive") for _ in range(2))
    with np.errstate(invalid="ignore", divide="ignore"):
        wrong.narrow(0.9, 1.3)
        right.narrow(0.9, 1.3)
        assert right.pvalue(0.9) == full.pvalue(0.9) != wrong.pvalue(0.9)


def test_scalar_end_of_the_bisection_takes_the_same_steps(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # The last bisection steps over a few draws run in Python floats: the same interval,
    # bit for bit, as numpy's, with draws whose variance is 0 or NaN among them.
    rng = np.random.default_rng(9)
    B = 3000
    n0, n1 = rng.normal(size=B) * np.sqrt(12), rng.normal(size=B) * 0.3
    z0, z1 = rng.normal(size=(12, B)), 0.05 * rng.normal(size=(12, B))
    pieces = np.vstack([n0, n1, (z0 * z0).sum(0), (z0 * z1).sum(0), (z1 * z1).sum(0)])
    pieces[:, :3] = np.nan
    pieces[2:, 3:6] = 0.0  # variance 0 at every value: an infinite or undefined statistic
    pieces[0, 5] = 0.0
    intervals = {}
    for scalar in (0, wild._SCALAR, 10_000):
        monkeypatch.setattr(wild, "_SCALAR", scalar)
        monkeypatch.setattr(wild, "_NARROW", max(scalar, 256))
        for rule in ("inclusive", "strict"):
            for level in (0.9, 0.95, 0.99):
                tallies = (wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, rule),
                           wild._Tally(pieces, 0.5, 0.0, 0.2, 0.2, rule))
                with np.errstate(invalid="ignore", divide="ignore"):
                    ends = wild._invert(tallies, 0.5, 0.2, level)
                    # from nearby ends, as the Monte Carlo error's intervals start
                    again = wild._invert(tallies, 0.5, 0.2, level + 0.002, ends)
                intervals.setdefault((rule, level), []).append((ends, again))
    for (rule, level), found in intervals.items():
        assert found[0] == found[1] == found[2], (rule, level, found)
        assert all(np.isfinite(found[0][0]))


def _compact_of(fit, **options) -> engine.Compact:
    """The :class:`~econ.inference.bootstrap.engine.Compact` a wild bootstrap of ``x1`` builds."""
    captured = []
    original = engine.Compact.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        captured.append(self)

    engine.Compact.__init__ = init
    try:
        fit.wild_bootstrap("x1", econ.WildBootstrap(**options))
    finally:
        engine.Compact.__init__ = original
    return captured[0]


def test_cancellation_bound_flags_the_same_draws() -> None:
    # Compact settles most draws' cancellation test by a bound on every draw's size; the
    # draws it flags are those the test on each draw's own size flags. Few clusters carry x1
    # (their restricted scores nearly vanish), so some draws are flagged.
    data = make_data(clusters=12)
    data["x1"] = np.where(data["g"] < 2, data["x1"], 0.0)
    fit = econ.feols("y ~ x1 + x2 | unit", data, cov=econ.Cluster("g"))
    flagged = []
    for bounded in (True, False):
        compact = _compact_of(fit, reps=999, seed=1, ci_level=0.95)
        if not bounded:
            compact.largest = [None, None]
        V = np.where(np.random.default_rng(2).random((4096, compact.pieces.shape[0])) < 0.5,
                     -1.0, 1.0)
        flagged.append(compact.evaluate(V))
    (values_b, unsure_b), (values_u, unsure_u) = flagged
    assert 0 < unsure_b.sum() < len(unsure_b)
    assert np.array_equal(unsure_b, unsure_u) and np.array_equal(values_b, values_u)


def test_prescaled_pieces_give_the_products_of_scaled_sums_bit_for_bit() -> None:
    # The exact product's pieces are scaled by their rows' powers of two once, not the sums
    # of every draw; both are exact, so the draws' rows must agree bit for bit. The slope
    # set's numerator, one more column of the product, is w' tau of its own sums up to
    # rounding.
    fit = econ.feols("y ~ x1 + x2 | unit", make_data(clusters=12), cov=econ.Cluster("g"))
    compact = _compact_of(fit, reps=999, seed=1, ci_level=0.95)
    assert compact.scale is None and compact.sets == 2
    _, scale = engine.exact_split(compact.K)
    scales = np.concatenate([scale, scale[:compact.low]])
    assert not np.all(scales == 1.0)
    unscaled = object.__new__(engine.Compact)
    unscaled.__dict__.update(compact.__dict__)
    unscaled.pieces = np.ascontiguousarray(compact.pieces / scales)
    unscaled.scale = scale
    V = np.where(np.random.default_rng(5).random((3000, compact.pieces.shape[0])) < 0.5,
                 -1.0, 1.0)
    (values, unsure), (values_u, unsure_u) = compact.evaluate(V), unscaled.evaluate(V)
    assert np.array_equal(values, values_u) and np.array_equal(unsure, unsure_u)
    k = compact.k
    tau1 = compact.K[2 * k:3 * k] @ V.T
    assert np.allclose(values[1], compact.w @ tau1, rtol=1e-13,
                       atol=1e-13 * np.abs(compact.K[4 * k]).sum())


def test_what_reads_every_row_is_done_once_per_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    # A second test on the same fit reuses the nesting check and the bootstrap codes (kept
    # with the fit) and gives the numbers of a test on a fresh fit.
    data = make_data()
    calls = []
    original = wild.crossed_effects
    monkeypatch.setattr(wild, "crossed_effects",
                        lambda *a: calls.append(1) or original(*a))
    fit = econ.feols("y ~ x1 + x2 | unit + t", data, cov=econ.Cluster("g"))
    options = dict(reps=999, seed=4)
    first = fit.wild_bootstrap("x1", econ.WildBootstrap(**options))
    second = fit.wild_bootstrap("x2", econ.WildBootstrap(**options))
    assert len(calls) == 1
    fresh = econ.feols("y ~ x1 + x2 | unit + t", data, cov=econ.Cluster("g"))
    again = fresh.wild_bootstrap("x2", econ.WildBootstrap(**options))
    assert (second.pvalues, second.ci) == (again.pvalues, again.ci)
    assert first.pvalues != second.pvalues


def test_general_path_exact_products_match_the_fixed_order_sums(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A joint test (the general path) with years refit as dummies and few clusters (G <= 2k)
    # takes exact products of S, W S and E S with the signs: the same draws as the sums in
    # fixed order up to rounding, and bit-identical whatever the chunks or threads.
    data = make_data(clusters=9)
    fit = econ.feols("y ~ x1 + x2 | unit + t", data, cov=econ.Cluster("g"))
    options = dict(reps=4000, keep_draws=True, seed=6)
    used = []
    signed = engine.Problem._signed
    monkeypatch.setattr(engine.Problem, "_signed",
                        lambda self, *a: used.append(1) or signed(self, *a))
    exact = fit.wild_bootstrap(["x1", "x2"], econ.WildBootstrap(**options))
    assert used
    for extra in (dict(chunk_size=7), dict(chunk_size=999), dict(threads=3)):
        again = fit.wild_bootstrap(["x1", "x2"], econ.WildBootstrap(**options, **extra))
        assert np.array_equal(again.draws, exact.draws)
    draw = engine.Problem.draw
    monkeypatch.setattr(engine.Problem, "draw",
                        lambda self, scores, v, signs=False: draw(self, scores, v))
    fixed = fit.wild_bootstrap(["x1", "x2"], econ.WildBootstrap(**options))
    np.testing.assert_allclose(exact.draws, fixed.draws, rtol=1e-10)
    assert exact.pvalues == fixed.pvalues


def test_rademacher_draws_change_no_bit_with_chunks_or_workers() -> None:
    fit = econ.feols("y ~ x1 + x2 | unit", make_data(), cov=econ.Cluster("g"))
    options = dict(reps=20_000, keep_draws=True, seed=2)
    reference = fit.wild_bootstrap("x1", econ.WildBootstrap(**options))
    for extra in (dict(chunk_size=7), dict(chunk_size=1000), dict(chunk_size=4097),
                  dict(threads=1), dict(threads=5)):
        test = fit.wild_bootstrap("x1", econ.WildBootstrap(**options, **extra))
        assert np.array_equal(test.draws, reference.draws)
        assert (test.statistic, test.pvalues, test.ci, test.ci_mc_se) == (
            reference.statistic, reference.pvalues, reference.ci, reference.ci_mc_se)


BLAS_SCRIPT = textwrap.dedent("""
    import hashlib, warnings
    import numpy as np
    import pandas as pd
    import econ
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(12)
    n, clusters = 3000, 40
    g = np.sort(rng.integers(0, clusters, n))
    X = rng.normal(size=(n, 5)) + rng.normal(size=(clusters, 5))[g]
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    df["g"] = g
    df["y"] = X @ np.linspace(0.1, 0.5, 5) + rng.normal(size=n) + rng.normal(size=clusters)[g]
    fit = econ.feols("y ~ x0 + x1 + x2 + x3 + x4", df, cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=30_000, keep_draws=True))
    print(hashlib.sha256(test.draws.tobytes()).hexdigest(), repr(test.pvalues), repr(test.ci))
""")


def test_blas_threads_change_no_bit_of_rademacher_draws() -> None:
    outputs = []
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, "-c", BLAS_SCRIPT], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=True)
        outputs.append(out.stdout)
    assert outputs[0] == outputs[1] and outputs[0]
