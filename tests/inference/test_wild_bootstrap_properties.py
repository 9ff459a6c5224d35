"""Wild cluster bootstrap: identities, reproducibility, enumeration, errors and the shipped data.

Numerical agreement with references lives in test_wild_bootstrap_bruteforce.py and
test_wild_bootstrap_reference.py; this file checks what must hold whatever the numbers are.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.bootstrap import wild
from econ.inference.resampling import stream

ROOT = Path(__file__).resolve().parents[2]
FEW = "ignore::econ.FewClustersWarning"
REPS = 9999


def make_data(clusters: int = 20, seed: int = 4, n: int = 400) -> pd.DataFrame:
    """Unequal random clusters with a cluster shock, a period ``t`` and a coarse group ``h``."""
    rng = np.random.default_rng(seed)
    g = np.sort(rng.integers(0, clusters, n))
    x1 = rng.normal(size=n) + 0.6 * rng.normal(size=clusters)[g]
    x2 = rng.normal(size=n)
    y = 1.0 + 0.08 * x1 - 0.5 * x2 + rng.normal(size=n) + rng.normal(size=clusters)[g]
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "h": g // 4,
                         "t": rng.integers(0, 6, n)})


@pytest.fixture(scope="module")
def result() -> econ.RegressionResult:
    with pytest.warns(econ.FewClustersWarning):
        return econ.feols("y ~ x1 + x2", make_data(), cov=econ.Cluster("g"), groups=["h", "t"])


def test_few_clusters_warning_is_issued_once_per_fit() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = econ.feols("y ~ x1 + x2", make_data(clusters=10), cov=econ.Cluster("g"))
        fit.wild_bootstrap("x1", econ.WildBootstrap(reps=99))
        fit.wild_bootstrap("x2", econ.WildBootstrap(reps=99))
    few = [w for w in caught if issubclass(w.category, econ.FewClustersWarning)]
    assert len(few) == 1 and "only 10 clusters in 'g'" in str(few[0].message)
    # Each covariance chosen is a new result and warns for itself, once.
    with pytest.warns(econ.FewClustersWarning) as again:
        fit.with_cov(econ.CR2("g"))
    assert len(again) == 1


@pytest.mark.filterwarnings(FEW)
def test_an_unclustered_fit_bootstraps_by_a_variable_resolved_at_the_fit() -> None:
    data = make_data(clusters=10)
    unclustered = econ.feols("y ~ x1 + x2", data, groups=["g"])
    clustered = econ.feols("y ~ x1 + x2", data, cov=econ.Cluster("g"))
    settings = econ.WildBootstrap(reps=99, cluster="g")
    a, b = unclustered.wild_bootstrap("x1", settings), clustered.wild_bootstrap("x1", settings)
    assert (a.statistic, a.pvalues, a.ci) == (b.statistic, b.pvalues, b.ci)
    with pytest.raises(ValueError, match=r"not grouped by it.*groups=\['h'\]"):
        unclustered.wild_bootstrap("x1", econ.WildBootstrap(reps=99, cluster="h"))


# identities ----------------------------------------------------------------------------------
@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize("variant", ["11", "31", "13", "33"])
def test_null_at_the_estimate_and_interval_bounds(result: econ.RegressionResult,
                                                  variant: str) -> None:
    """p = 1 at the estimate; p at each CI bound within 1/B of 1 - level.

    Webb weights, G = 20, B = 9999: not enumerated, so no two draws tie and the symmetric
    p-value, a step function of the null value, jumps by exactly 1/B where one draw crosses. The
    interval bound is the bisected crossing (to 1e-10 standard errors), so a fresh test there
    gives one of the two neighbouring steps: 500/B or 499/B (the crossing draw lies inside the
    1e-10 tie band or just outside it), both within 1/B of 0.05. No extra tolerance is needed.
    """
    options = dict(reps=REPS, distribution="webb", variant=variant)
    test = result.wild_bootstrap("x1", econ.WildBootstrap(**options))
    assert not test.enumerated and test.reps == REPS
    estimate = test.estimate[0]
    at_estimate = result.wild_bootstrap("x1", econ.WildBootstrap(**options), value=estimate)
    assert at_estimate.statistic == 0.0
    assert at_estimate.pvalue == 1.0
    low, high = test.ci
    assert np.isfinite([low, high]).all()
    assert low < estimate < high
    for bound in (low, high):
        at_bound = result.wild_bootstrap("x1", econ.WildBootstrap(**options), value=bound)
        assert abs(at_bound.pvalue - (1 - test.ci_level)) <= 1 / REPS
    # Just inside the bounds the null is not rejected, just outside it is.
    width = high - low
    for value, rejected in [(low - 1e-3 * width, True), (low + 1e-3 * width, False),
                            (high - 1e-3 * width, False), (high + 1e-3 * width, True)]:
        p = result.wild_bootstrap("x1", econ.WildBootstrap(**options), value=value).pvalue
        assert (p <= 1 - test.ci_level) == rejected


@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize("clusters", [6, 40])
def test_interval_bounds_found_from_the_pilot(clusters: int, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    """From B = 16,384 draws the search starts at the ends of a pilot of the first 4,096, whose
    own search starts at their percentile-t interval: with 6 clusters that guess is off by
    several tenths of a standard error, and the bounds must still be where the p-value of all
    the draws crosses 0.05: within one step of it (as above; with 6 clusters Webb has 6^6
    patterns, so among 20,000 draws some repeat and a step can be 2/B)."""
    reps = 20_000
    fit = econ.feols("y ~ x1 + x2", make_data(clusters=clusters, seed=11, n=600),
                     cov=econ.Cluster("g"))
    options = dict(reps=reps, distribution="webb", seed=5)
    # The per-draw pieces (N0, N1, a, b, c) the interval inverts, as the bootstrap made them.
    made = []
    original = wild._Tally.__init__

    def record(self, pieces, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(pieces)
        original(self, pieces, *args, **kwargs)

    monkeypatch.setattr(wild._Tally, "__init__", record)
    test = fit.wild_bootstrap("x1", econ.WildBootstrap(**options))
    monkeypatch.undo()
    low, high = test.ci
    with np.errstate(invalid="ignore", divide="ignore"):
        n0, _, a, _, _ = made[0][:, :4096]
    star = np.abs(n0) / np.sqrt(a)
    guess = np.quantile(star[np.isfinite(star)], 0.95) * test.std_error
    estimate = test.estimate[0]
    off = max(abs(low - (estimate - guess)), abs(high - (estimate + guess))) / test.std_error
    assert off > (0.1 if clusters == 6 else 0.0)
    for bound in (low, high):
        at_bound = fit.wild_bootstrap("x1", econ.WildBootstrap(**options), value=bound)
        assert abs(at_bound.pvalue - 0.05) <= (2 if clusters == 6 else 1) / reps + 1e-12
    width = high - low
    for value, rejected in [(low - 1e-3 * width, True), (low + 1e-3 * width, False),
                            (high - 1e-3 * width, False), (high + 1e-3 * width, True)]:
        p = fit.wild_bootstrap("x1", econ.WildBootstrap(**options), value=value).pvalue
        assert (p <= 0.05) == rejected


@pytest.mark.filterwarnings(FEW)
def test_pvalue_directions_are_consistent(result: econ.RegressionResult) -> None:
    test = result.wild_bootstrap("x1",
                                 econ.WildBootstrap(reps=REPS, distribution="webb",
                                                    keep_draws=True), value=0.3)
    p = test.pvalues
    assert p["upper"] + p["lower"] == pytest.approx(1.0, abs=1e-12)
    assert p["equal_tailed"] == pytest.approx(min(1.0, 2 * min(p["upper"], p["lower"])))
    assert np.mean(np.abs(test.draws) > abs(test.statistic)) == pytest.approx(p["symmetric"])


@pytest.mark.filterwarnings(FEW)
def test_enumerated_wcr11_ties_are_the_two_constant_patterns() -> None:
    # The docstring's tie rules: v = +1 and v = -1 reproduce t and -t; the inclusive rule (the
    # default) counts them, the strict rule does not.
    fit = econ.feols("y ~ x1 + x2", make_data(clusters=9, seed=8), cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=1000, keep_draws=True))
    strict = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=1000, pvalue_rule="strict"))
    assert test.enumerated and test.reps == 512
    t = test.statistic
    assert test.draws[0] == pytest.approx(t, rel=1e-12)  # pattern 0 is all +1
    assert test.draws[-1] == pytest.approx(-t, rel=1e-12)  # the last is all -1
    ties = np.abs(np.abs(test.draws) - abs(t)) <= 1e-10 * abs(t)
    assert ties.sum() == 2
    above = np.abs(test.draws) > abs(t)
    assert strict.pvalue == (above & ~ties).sum() / 512
    assert test.pvalue == strict.pvalue + 2 / 512
    assert test.smallest_pvalue == 2 / 512 and strict.smallest_pvalue == 0.0


@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize("clusters", [2, 3])
def test_two_or_three_clusters_cannot_reject_a_true_null_by_construction(clusters) -> None:
    """With G = 2 (3) there are 4 (8) sign patterns and the inclusive p-value is at least
    1/2 (1/4): the test keeps its size by never rejecting at 5%, and says so."""
    rejections = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        g = np.repeat(np.arange(clusters), 30)
        df = pd.DataFrame({"g": g, "x": rng.normal(size=g.size)})
        df["y"] = rng.normal(size=clusters)[g] + rng.normal(size=g.size)
        fit = econ.feols("y ~ x", df, cov=econ.Cluster("g"))
        test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=999))
        assert test.enumerated and test.pvalue >= test.smallest_pvalue == 2 / 2**clusters
        rejections += test.pvalue < 0.05
    assert rejections == 0


# reproducibility ------------------------------------------------------------------------------
def assert_identical(a: econ.WildBootstrapTest, b: econ.WildBootstrapTest) -> None:
    assert np.array_equal(a.draws, b.draws, equal_nan=True)
    assert a.statistic == b.statistic and a.pvalues == b.pvalues and a.ci == b.ci


def test_weight_stream_is_chunk_invariant() -> None:
    for weights in ("rademacher", "webb", "mammen", "normal"):
        draws = stream(weights, 20, REPS, seed=3)
        whole = draws.chunk(0, REPS)
        for size in (1000, 4097):
            pieces = [draws.chunk(a, min(a + size, REPS)) for a in range(0, REPS, size)]
            assert np.array_equal(np.hstack(pieces), whole)
        # Small chunks regenerate a whole 4,096-draw block each: check them across a block edge.
        for size in (1, 7):
            pieces = [draws.chunk(a, a + size) for a in range(3990, 4200, size)]
            assert np.array_equal(np.hstack(pieces), whole[:, 3990:4200])


def assert_same_test(a: econ.WildBootstrapTest, b: econ.WildBootstrapTest) -> None:
    """Same statistic, p-values, interval and draws, bit for bit."""
    assert np.array_equal(a.draws, b.draws)
    assert a.statistic == b.statistic and a.pvalues == b.pvalues and a.ci == b.ci


@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize("variant", ["11", "33"])
def test_chunk_size_keeps_pvalues_and_interval(result: econ.RegressionResult, variant: str
                                               ) -> None:
    options = dict(reps=REPS, distribution="webb", variant=variant, keep_draws=True)
    reference = result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=REPS, **options))
    # Chunks of 7 regenerate a weight block per chunk (slow), so once, for variant 11.
    for chunk_size in (7, 1000, 4097) if variant == "11" else (1000, 4097):
        assert_same_test(result.wild_bootstrap("x1",
                                               econ.WildBootstrap(chunk_size=chunk_size,
                                                                  **options)),
                         reference)
    # chunk_size=1 at full B is in the slow test; here on fewer draws.
    small = dict(options, reps=600)
    assert_same_test(result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=1, **small)),
                     result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=600, **small)))


@pytest.mark.slow
@pytest.mark.filterwarnings(FEW)
def test_chunk_size_one_at_full_reps(result: econ.RegressionResult) -> None:
    options = dict(reps=REPS, distribution="webb", keep_draws=True)
    assert_same_test(result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=1, **options)),
                     result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=REPS, **options)))


@pytest.mark.filterwarnings(FEW)
def test_chunk_size_keeps_multiway_and_enumerated_results() -> None:
    fit = econ.feols("y ~ x1 + x2", make_data(clusters=10, seed=6), cov=econ.Cluster("g", "t"))
    for options in (dict(reps=REPS, distribution="mammen"), dict(reps=2000, bootstrap_cluster="g")):
        reference = fit.wild_bootstrap("x2",
                                       econ.WildBootstrap(chunk_size=8192, keep_draws=True,
                                                          **options))
        for chunk_size in (7, 1000) if options["reps"] == REPS else (1, 7, 1000):
            assert_same_test(fit.wild_bootstrap("x2",
                                                econ.WildBootstrap(chunk_size=chunk_size,
                                                                   keep_draws=True,
                                                                   **options)), reference)


@pytest.mark.filterwarnings(FEW)
def test_chunk_size_changes_no_bit(result: econ.RegressionResult) -> None:
    options = dict(reps=2000, distribution="webb", keep_draws=True)
    reference = result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=2000, **options))
    for chunk_size in (7, 1000):
        test = result.wild_bootstrap("x1", econ.WildBootstrap(chunk_size=chunk_size, **options))
        assert np.array_equal(test.draws, reference.draws)


THREAD_SCRIPT = textwrap.dedent("""
    import hashlib, warnings
    import numpy as np
    import pandas as pd
    import econ
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(12)
    n, clusters = 1200, 24
    g = rng.integers(0, clusters, n)
    X = rng.normal(size=(n, 6)) + rng.normal(size=(clusters, 6))[g]
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    df["g"], df["t"] = g, rng.integers(0, 40, n)
    df["y"] = X @ np.linspace(0.1, 0.6, 6) + rng.normal(size=n) + rng.normal(size=clusters)[g]
    fit = econ.feols("y ~ x0 + x1 + x2 + x3 + x4 + x5", df, cov=econ.Cluster("g"), groups=["t"])
    cases = {"one-way": {}, "cv3": {"variant": "33"}, "multiway": {"cluster": ("g", "t")}}
    for name, options in cases.items():
        test = fit.wild_bootstrap("x1",
                                  econ.WildBootstrap(reps=2999, distribution="webb",
                                                     keep_draws=True, **options))
        digest = hashlib.sha256(test.draws.tobytes()).hexdigest()
        print(name, digest, repr(test.statistic), repr(sorted(test.pvalues.items())),
              repr(test.ci))
    joint = fit.wild_bootstrap(["x1", "x2"], econ.WildBootstrap(reps=2999, keep_draws=True))
    print("joint-pvalue", repr(joint.statistic), repr(joint.pvalues))
    print("joint-draws", hashlib.sha256(joint.draws.tobytes()).hexdigest())
""")


@pytest.fixture(scope="module")
def by_threads() -> dict[int, dict[str, str]]:
    """The script's lines by case name, run once with 1 and once with 2 BLAS threads."""
    children = {}
    for threads in (1, 2):
        env = dict(os.environ)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
        children[threads] = subprocess.Popen(
            [sys.executable, "-c", THREAD_SCRIPT], env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
    lines = {}
    for threads, child in children.items():
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        lines[threads] = dict(line.split(" ", 1) for line in out.splitlines())
    return lines


def test_thread_count_changes_no_bit(by_threads: dict[int, dict[str, str]]) -> None:
    # Draws' sha256, statistic, p-values and interval of one restriction; joint p-value.
    assert set(by_threads[1]) == {"one-way", "cv3", "multiway", "joint-pvalue", "joint-draws"}
    for case in ("one-way", "cv3", "multiway", "joint-pvalue"):
        assert by_threads[1][case] == by_threads[2][case], case


def test_thread_count_changes_no_bit_joint_draws(by_threads: dict[int, dict[str, str]]
                                                 ) -> None:
    assert by_threads[1]["joint-draws"] == by_threads[2]["joint-draws"]


@pytest.mark.filterwarnings(FEW)
def test_seed_reproduces_and_changes_draws(result: econ.RegressionResult) -> None:
    options = dict(reps=2000, distribution="webb", keep_draws=True)
    first = result.wild_bootstrap("x1", econ.WildBootstrap(seed=5, **options))
    assert_identical(first, result.wild_bootstrap("x1", econ.WildBootstrap(seed=5, **options)))
    other = result.wild_bootstrap("x1", econ.WildBootstrap(seed=6, **options))
    assert not np.array_equal(first.draws, other.draws)
    assert other.seed == 6 and first.statistic == other.statistic


@pytest.mark.filterwarnings(FEW)
def test_enumeration_only_for_rademacher_when_all_patterns_fit() -> None:
    fit = econ.feols("y ~ x1 + x2", make_data(clusters=10, seed=9), cov=econ.Cluster("g"))
    cases = [("rademacher", 1024, True, 1024), ("rademacher", 5000, True, 1024),
             ("rademacher", 1023, False, 1023), ("webb", 5000, False, 5000),
             ("mammen", 2000, False, 2000), ("normal", 2000, False, 2000)]
    for weights, reps, enumerated, used in cases:
        test = fit.wild_bootstrap("x1",
                                  econ.WildBootstrap(reps=reps, distribution=weights,
                                                     keep_draws=True))
        assert (test.enumerated, test.reps, len(test.draws)) == (enumerated, used, used)
    # Enumeration ignores the seed.
    a = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=5000, seed=1, keep_draws=True))
    b = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=5000, seed=2, keep_draws=True))
    assert_identical(a, b)


# errors ---------------------------------------------------------------------------------------
@pytest.mark.filterwarnings(FEW)
def test_crossed_effects_too_large_to_refit_as_dummies_are_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Years (6 levels) cross the clusters g and are refit as 5 dummies; the limits are scaled
    # down to this panel's 400 rows. On a million rows the memory cap (2^28 values) allows 268
    # dummies: 2,000 would have taken 16 GB and exhausted the memory instead of failing here.
    from econ.estimation import linear

    fit = econ.feols("y ~ x1 + x2 | t", make_data(), cov=econ.Cluster("g"))
    fit.wild_bootstrap("x1", econ.WildBootstrap(reps=99))  # 5 dummies: allowed
    monkeypatch.setattr(linear, "MAX_DUMMY_CELLS", 400 * 4)
    with pytest.raises(ValueError, match=r"fixed effect\(s\) \['t'\] are not nested in the "
                                         r"bootstrap clusters \('g',\) and have too many levels "
                                         r"to refit as dummies \(at most 4 columns on 400 rows\)"
                                         r".*bootstrap_cluster="):
        econ.feols("y ~ x1 + x2 | t", make_data(), cov=econ.Cluster("g")).wild_bootstrap(
            "x1", econ.WildBootstrap(reps=99))
    monkeypatch.setattr(linear, "MAX_DUMMY_CELLS", 1 << 28)
    monkeypatch.setattr(linear, "MAX_DUMMIES", 4)
    with pytest.raises(ValueError, match=r"\['t'\].*at most 4 columns on 400 rows"):
        econ.feols("y ~ x1 + x2 | t", make_data(), cov=econ.Cluster("g")).wild_bootstrap(
            "x1", econ.WildBootstrap(reps=99))
    # Two crossed effects each within the limit but not together: both are named.
    monkeypatch.setattr(linear, "MAX_DUMMIES", 8)
    data = make_data().assign(q=lambda d: np.arange(len(d)) % 5)
    with pytest.raises(ValueError, match=r"\['t', 'q'\].*at most 8 columns"):
        econ.feols("y ~ x1 + x2 | t + q", data, cov=econ.Cluster("g")).wild_bootstrap(
            "x1", econ.WildBootstrap(reps=99))


@pytest.mark.filterwarnings(FEW)
def test_error_paths(result: econ.RegressionResult) -> None:
    with pytest.raises(ValueError, match="variant must be one of"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=99, variant="21"))
    for variant in ("13", "33"):
        with pytest.raises(ValueError, match=f"variant '{variant}'.*one-way"):
            result.wild_bootstrap("x1",
                                  econ.WildBootstrap(reps=99, variant=variant, cluster=("g", "t")))
        with pytest.raises(ValueError, match=f"variant '{variant}'"):
            result.wild_bootstrap("x1",
                                  econ.WildBootstrap(reps=99, variant=variant, cluster="h",
                                                     bootstrap_cluster="g"))
    with pytest.raises(KeyError, match=r"no coefficient.*x9"):
        result.wild_bootstrap("x9", econ.WildBootstrap(reps=99))
    with pytest.raises(KeyError, match="x9"):
        result.wild_bootstrap(["x1", "x9"], econ.WildBootstrap(reps=99))
    with pytest.raises(ValueError, match="unknown weights 'gaussian'"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=99, distribution="gaussian"))
    # A bad name is refused even when Rademacher-style enumeration would otherwise apply.
    with pytest.raises(ValueError, match="unknown weights"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=10**7, distribution="rademacker"))
    with pytest.raises(ValueError, match="positive"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=0))
    with pytest.raises(ValueError, match="positive"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=99, chunk_size=0))
    with pytest.raises(ValueError, match=r"'county'.*not grouped"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=99, cluster="county"))
    with pytest.raises(ValueError, match="R must be"):
        result.wild_bootstrap((np.ones((1, 2)), np.zeros(1)), econ.WildBootstrap(reps=99))


def test_unclustered_result_needs_cluster() -> None:
    fit = econ.feols("y ~ x1 + x2", make_data(), cov=econ.HC1())
    with pytest.raises(ValueError, match=r"needs cluster variables.*not clustered"):
        fit.wild_bootstrap("x1", econ.WildBootstrap(reps=99))


# the shipped simulated panel ------------------------------------------------------------------
TRIPLE = "high_level:rich:post"


@pytest.fixture(scope="module")
def shipped() -> econ.RegressionResult:
    panel = econ.derive(econ.read_panel(ROOT / "data" / "village_panel.parquet")).data.copy()
    panel["log_funds"] = np.log1p(panel["assistance_funds"])
    return econ.feols(f"log_funds ~ {TRIPLE} + rich:post + high_level:post + high_level"
                      " | village_id + year", panel, cov=econ.Cluster("township_id"),
                      groups=["county_id"])


def test_shipped_panel_township_bootstrap_covers_the_truth(shipped: econ.RegressionResult
                                                           ) -> None:
    test = shipped.wild_bootstrap(TRIPLE, econ.WildBootstrap(reps=REPS))
    # Villages nest in townships (absorbed); years cross them (refit as dummies).
    assert test.dummies == ("year",) and test.bootstrap_clusters == 31
    assert test.statistic == pytest.approx(shipped.tstats[TRIPLE], rel=1e-10)
    low, high = test.ci
    assert np.isfinite([low, high]).all() and low < test.estimate[0] < high
    # The simulation's effect for the binary "rich" split (not its continuous-gradient g).
    truth = econ.simulate("wp", seed=20240501).truth.triple_difference_rich
    assert low < truth < high


@pytest.mark.filterwarnings(FEW)
def test_shipped_panel_subcluster_bootstrap_by_township(shipped: econ.RegressionResult
                                                        ) -> None:
    # Two counties: CRVE by county, one weight per township (MacKinnon and Webb's subcluster
    # wild bootstrap).
    test = shipped.wild_bootstrap(TRIPLE,
                                  econ.WildBootstrap(reps=REPS, cluster="county_id",
                                                     bootstrap_cluster="township_id"))
    assert test.cluster == ("county_id",) and test.bootstrap_cluster == ("township_id",)
    assert test.bootstrap_clusters == 31 and not test.enumerated
    county = shipped.with_cov(econ.Cluster("county_id"))
    assert test.statistic == pytest.approx(county.tstats[TRIPLE], rel=1e-10)
    assert 0.0 <= test.pvalue <= 1.0 and test.ci[0] < test.estimate[0] < test.ci[1]


@pytest.mark.filterwarnings(FEW)
def test_worker_threads_change_no_bit(result: econ.RegressionResult) -> None:
    options = dict(reps=5000, distribution="webb", keep_draws=True, chunk_size=700)
    one = result.wild_bootstrap("x1", econ.WildBootstrap(threads=1, **options))
    assert_identical(one, result.wild_bootstrap("x1", econ.WildBootstrap(threads=2, **options)))
    assert_identical(one, result.wild_bootstrap("x1", econ.WildBootstrap(threads=5, **options)))


# one cluster specification ------------------------------------------------------------------
@pytest.mark.filterwarnings(FEW)
@pytest.mark.parametrize("spec", [econ.CR2("g"), econ.CR3("g")], ids=["CR2", "CR3"])
def test_cr2_and_cr3_fits_are_wild_bootstrapped_by_their_cluster(result, spec) -> None:
    """The bootstrap statistic is the CR1 t of the same cluster variable (WCR11), so a CR2 or
    CR3 fit gives the test of the CR1 fit, bit for bit."""
    settings = econ.WildBootstrap(reps=999, seed=4)
    other = result.with_cov(spec)
    a, b = other.wild_bootstrap("x1", settings), result.wild_bootstrap("x1", settings)
    assert a.cluster == ("g",) and a.statistic == b.statistic
    assert (a.pvalues, a.ci) == (b.pvalues, b.ci)
    assert a.statistic == pytest.approx(result.tstats["x1"], rel=1e-10)


@pytest.mark.filterwarnings(FEW)
def test_a_generator_seed_is_read_once_and_recorded() -> None:
    fit = econ.feols("y ~ x1 + x2", make_data(), cov=econ.Cluster("g"))
    settings = econ.WildBootstrap(reps=999, seed=np.random.default_rng(11))
    assert isinstance(settings.seed, int)
    first, second = fit.wild_bootstrap("x1", settings), fit.wild_bootstrap("x1", settings)
    assert first.seed == settings.seed and first.pvalues == second.pvalues
    replay = fit.wild_bootstrap("x1", econ.WildBootstrap(reps=999, seed=first.seed))
    assert replay.pvalues == first.pvalues and replay.ci == first.ci


@pytest.mark.filterwarnings(FEW)
def test_fixed_effects_not_nested_keep_the_model_when_refitted_as_dummies() -> None:
    """``y ~ x | year`` bootstrapped by firm: no fixed effect stays absorbed, so the refit
    needs an intercept besides the year dummies; its observed t is then the fit's CR1 t."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"g": np.repeat(np.arange(10), 20), "year": np.tile(np.arange(20), 10)})
    df["x"] = rng.normal(size=200) + 0.1 * df["year"]
    df["y"] = df["x"] + 3 * rng.normal(size=20)[df["year"]] + rng.normal(size=200)
    fit = econ.feols("y ~ x | year", df, cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=999, seed=1))
    assert test.dummies == ("year",)
    assert test.statistic == pytest.approx(fit.tstats["x"], rel=1e-10)
    assert test.std_error == pytest.approx(fit.std_errors["x"], rel=1e-10)


@pytest.mark.filterwarnings(FEW)
@pytest.mark.filterwarnings("ignore::econ.estimation.linear.EstimationWarning")
def test_a_regressor_absorbed_by_a_crossed_effect_does_not_shift_the_hypothesis() -> None:
    """``z`` varies by year only: the year effects absorb it in the fit, but in the bootstrap's
    dummy refit it comes back and a year dummy goes instead. The tested coefficient must be
    found by name, so the observed t is still the fit's CR1 t."""
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": np.repeat(np.arange(12), 15), "year": np.tile(np.arange(15), 12)})
    df["z"] = rng.normal(size=15)[df["year"]]
    df["x"] = rng.normal(size=len(df))
    df["y"] = 0.5 * df["x"] + rng.normal(size=15)[df["year"]] + rng.normal(size=len(df))
    fit = econ.feols("y ~ z + x | year", df, cov=econ.Cluster("g"))
    assert "z" not in fit.names
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=999, seed=2))
    assert test.statistic == pytest.approx(fit.tstats["x"], rel=1e-10)


@pytest.mark.filterwarnings(FEW)
def test_bootstrap_arguments_get_named_errors(result) -> None:
    with pytest.raises(ValueError, match=r"reps must be a whole number, got 9\.5"):
        econ.WildBootstrap(reps=9.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be non-negative"):
        econ.WildBootstrap(seed=-1)
    with pytest.raises(ValueError, match="ci_level must be in"):
        econ.WildBootstrap(ci_level=1.5)
    with pytest.raises(ValueError, match="must be finite"):
        result.wild_bootstrap("x1", econ.WildBootstrap(reps=99), value=float("nan"))
    with pytest.raises(ValueError, match="pvalue_rule"):
        econ.WildBootstrap(pvalue_rule="loose")  # type: ignore[arg-type]


@pytest.mark.filterwarnings(FEW)
def test_the_unrestricted_bootstrap_claims_no_floor_on_its_p_value() -> None:
    """WCU's observed pattern gives t* = 0, not t, so p = 0 is reachable even at G = 2."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(2), 40)
    df = pd.DataFrame({"g": g, "x": rng.normal(size=g.size)})
    df["y"] = 2.0 * df["x"] + rng.normal(size=g.size)
    fit = econ.feols("y ~ x", df, cov=econ.Cluster("g"))
    wcu = fit.wild_bootstrap("x", econ.WildBootstrap(reps=999, restricted=False))
    wcr = fit.wild_bootstrap("x", econ.WildBootstrap(reps=999))
    assert wcu.smallest_pvalue == 0.0 and wcr.smallest_pvalue == 0.5
    assert wcr.pvalue >= 0.5 and np.isinf(wcr.ci[0])
