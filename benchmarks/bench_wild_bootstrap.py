"""Benchmark: econ's wild cluster bootstrap against wildboottest and pyfixest.

Data: 1,000,000 rows, regressors x1-x4, a fixed effect of 2,000 groups nested in 50 clusters
(40 groups per cluster), drawn from ``numpy.random.default_rng(seed)``; the regressors and the
errors have cluster components, and ``x1``'s true coefficient is 0. Test: ``x1 = 0`` by WCR11
(restricted, CR1 variance), Rademacher weights, B = 99,999, symmetric p-value only.

Each package gets a fitted model (or, for wildboottest, the arrays it needs) built before any
timing; only the bootstrap call is timed:

- econ: ``feols("y ~ x1 + x2 + x3 + x4 | fe", cov=Cluster("cluster")).wild_bootstrap("x1",
  WildBootstrap(reps=B, ci_level=None))``; the fixed effect stays absorbed (it is nested in
  the clusters);
- wildboottest: ``WildboottestCL`` (its defaults, ``parallel=True``) on ``y`` and ``X``
  demeaned by the fixed effect here, with numpy group means: WildboottestCL takes arrays only,
  and demeaning a nested effect leaves the WCR test unchanged;
- pyfixest: ``feols("y ~ x1 + x2 + x3 + x4 - 1", demeaned frame, vcov={"CRV1": "cluster"})
  .wildboottest(param="x1", reps=B, cluster="cluster")`` (its defaults, ``parallel=False``).
  Also on the demeaned data: its ``wildboottest`` one-hot encodes absorbed fixed effects into a
  dense n x 2,000 matrix (``Feols._model_matrix_one_hot``), 16 GB at 1,000,000 rows.

Time: each package is first run once untimed at B / 10 (pyfixest and wildboottest compile with
numba); if that projects past ``--peer-limit`` seconds at B, the peer is timed at B / 10 and its
time scaled linearly in B, and the output says so. Then ``--repeats`` rounds in rotated order;
in each, every package gets a fresh fit (built untimed) whose first bootstrap is timed (cold:
econ's per-fit cluster cross products are not cached yet, which is what a user's first test on
a new model pays) and then a second one (warm: econ reuses the cross products). Medians are
reported, as ratios econ / peer, with the load average. Then the cost of econ's 95% confidence
interval (with its Monte Carlo errors) relative to the p-value alone at B = 999, 9,999 and B:
``3 x --repeats`` rounds, interval and p-value alternated, each on a fresh fit, first call
(cold) and second (warm). The p-values are printed side by side with their Monte Carlo
standard error.

Memory: econ at B = 999,999 (p-value only, then with the interval) runs in fresh child
processes started before the parent holds any data (on Linux a child's ``ru_maxrss`` starts from
its parent's resident size), ``--big-children`` of each, alternated; the first calls' medians
give the interval's cost there. Each child generates the data, fits, times its first bootstrap,
resets its peak mark (``/proc/self/clear_refs``) and times ``--big-repeats`` bootstraps; it
reports the peak above what it held before, and its whole-process peak.

Target: econ at least 10x faster than the fastest peer at equal B, cold; the interval by test
inversion at most 1.5x the p-value alone.

National (``--national``, econ only; no peer runs it): a fresh child loads the simulated
national panel written by ``econ.simulate.write_partitions(config="national")`` (6.54 million
village-years, 33,535 townships; the folder ``--folder`` is shared with bench_feols.py and
bench_read_panel.py and generated once), derives the study variables, fits bench_feols.py's
two-way model ``y ~ high_level:rich:post + rich:post + high_level:post + high_level |
village_id + year`` clustered by township, and runs the default wild bootstrap of the triple
interaction with its 95% interval (WCR11, Rademacher, B = 9,999; years cross the townships and
are refit as dummies). It reports the fit's and the bootstrap's times (each call the first on
its fit) and the peak memory above the loaded panel, and the process peak. Target: fit and
bootstrap within 20 s and 6 GB.

``--weights`` runs every package with Webb, Mammen or normal weights instead of Rademacher
(pyfixest and wildboottest call the normal ``norm``), and ``--clusters G`` puts the same rows
in ``G`` clusters (the 2,000 fixed-effect groups rounded down to a multiple of ``G``): the few
clusters of a county or township design, where Webb's six points replace Rademacher's two
(with Rademacher weights and ``2^G`` at most B, econ runs the ``2^G`` sign patterns and the
peers B random draws).

    python benchmarks/bench_wild_bootstrap.py [--repeats 3] [--big-repeats 3]
        [--big-children 3] [--quick] [--profile] [--weights webb] [--clusters 12]
        [--national [--folder DIR] [--national-repeats 1]]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from harness import load_average, rotated
from memory import current_mib, peak_mib, reset_peak

if TYPE_CHECKING:
    from econ.inference.resampling import Distribution

OUTPUT = Path(__file__).resolve().parent / "output"
NATIONAL_TERM = "high_level:rich:post"
REGRESSORS = ["x1", "x2", "x3", "x4"]
FORMULA = "y ~ x1 + x2 + x3 + x4 | fe"
PEERS = ("wildboottest", "pyfixest")
WEIGHTS = ("rademacher", "webb", "mammen", "normal")
#: The peers' names of econ's weight distributions, where they differ.
PEER_WEIGHTS = {"normal": "norm"}
TARGET = 10.0


@dataclass(frozen=True)
class Size:
    """Rows, clusters, fixed-effect groups and replications of one configuration."""

    rows: int
    clusters: int
    groups: int
    reps: int
    big_reps: int


FULL = Size(rows=1_000_000, clusters=50, groups=2_000, reps=99_999, big_reps=999_999)
QUICK = Size(rows=50_000, clusters=50, groups=500, reps=9_999, big_reps=29_999)


def _sized(size: Size, clusters: int | None) -> Size:
    """``size`` with ``clusters`` clusters (its groups rounded down to a multiple of them, so
    that they still nest), or as it is."""
    if clusters is None or clusters == size.clusters:
        return size
    if not 2 <= clusters <= size.groups:
        raise SystemExit(f"--clusters must be between 2 and {size.groups}, not {clusters}")
    return replace(size, clusters=clusters, groups=size.groups // clusters * clusters)


# data ----------------------------------------------------------------------------------------
def make_data(size: Size, seed: int) -> dict[str, np.ndarray]:
    """Arrays of one dataset; groups are numbered within clusters so that they nest."""
    rng = np.random.default_rng(seed)
    per_cluster = size.groups // size.clusters
    fe = np.sort(rng.integers(0, size.groups, size=size.rows))
    cluster = fe // per_cluster
    # Cluster components in X and u make clustering matter, as in the bootstrap's use.
    X = rng.normal(size=(size.rows, 4)) + 0.5 * rng.normal(size=(size.clusters, 4))[cluster]
    u = 0.5 * rng.normal(size=size.clusters)[cluster] + rng.normal(size=size.rows)
    y = X @ np.array([0.0, 0.5, -0.3, 0.2]) + rng.normal(size=size.groups)[fe] + u
    return {"y": y, "X": X, "fe": fe, "cluster": cluster}


def econ_frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({"y": data["y"], **dict(zip(REGRESSORS, data["X"].T, strict=True))})
    for name in ("fe", "cluster"):
        codes = data[name]
        frame[name] = pd.Categorical.from_codes(codes, categories=np.arange(codes.max() + 1))
    return frame


def demeaned(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``y`` and ``X`` minus their fixed-effect group means (the within transformation)."""
    fe = data["fe"]
    counts = np.bincount(fe)

    def within(a: np.ndarray) -> np.ndarray:
        return a - (np.bincount(fe, weights=a) / counts)[fe]

    return within(data["y"]), np.column_stack([within(x) for x in data["X"].T])


# bootstraps: each returns (p-value, t statistic) ---------------------------------------------
def econ_result(frame: pd.DataFrame) -> Any:
    import econ

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        return econ.feols(FORMULA, frame, cov=econ.Cluster("cluster"))


def run_econ(result: Any, reps: int, seed: int, ci_level: float | None = None,
             weights: str = "rademacher") -> tuple[float, float]:
    import econ

    settings = econ.WildBootstrap(reps=reps, seed=seed, ci_level=ci_level,
                                  distribution=cast("Distribution", weights))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        test = result.wild_bootstrap("x1", settings)
    return test.pvalue, test.statistic


def run_wildboottest(arrays: tuple[np.ndarray, np.ndarray, np.ndarray], reps: int, seed: int,
                     weights: str = "rademacher") -> tuple[float, float]:
    from wildboottest.wildboottest import WildboottestCL

    y, X, cluster = arrays
    boot = WildboottestCL(X=X, Y=y, cluster=cluster, R=np.array([1.0, 0.0, 0.0, 0.0]), B=reps,
                          seed=seed)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type=PEER_WEIGHTS.get(weights, weights))
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return float(boot.pvalue), float(np.squeeze(boot.t_stat))


def pyfixest_fit(y: np.ndarray, X: np.ndarray, cluster: np.ndarray) -> Any:
    import pyfixest as pf

    frame = pd.DataFrame({"y": y, **dict(zip(REGRESSORS, X.T, strict=True)),
                          "cluster": cluster})
    return pf.feols("y ~ x1 + x2 + x3 + x4 - 1", frame, vcov={"CRV1": "cluster"})


def run_pyfixest(fit: Any, reps: int, seed: int, weights: str = "rademacher"
                 ) -> tuple[float, float]:
    out = fit.wildboottest(param="x1", reps=reps, cluster="cluster", seed=seed,
                           weights_type=PEER_WEIGHTS.get(weights, weights))
    return float(np.squeeze(out["Pr(>|t|)"])), float(np.squeeze(out["t value"]))


# memory (fresh children) ---------------------------------------------------------------------
def child_big(size: Size, seed: int, with_ci: bool, repeats: int, weights: str
              ) -> dict[str, Any]:
    """Run in a fresh process: econ at ``size.big_reps``, its times and peak memory."""
    result = econ_result(econ_frame(make_data(size, seed)))
    ci_level = 0.95 if with_ci else None
    started = time.perf_counter()
    # first call: cross products, lazy imports
    run_econ(result, size.big_reps, seed, ci_level, weights)
    cold = time.perf_counter() - started
    gc.collect()
    reset = reset_peak()
    baseline = current_mib("VmRSS") if reset else peak_mib()
    seconds, pvalue = [], float("nan")
    for _ in range(repeats):
        started = time.perf_counter()
        pvalue, _ = run_econ(result, size.big_reps, seed, ci_level, weights)
        seconds.append(time.perf_counter() - started)
    return {"cold": cold, "seconds": seconds, "pvalue": pvalue, "peak_mib": peak_mib() - baseline,
            "baseline_mib": baseline, "process_peak_mib": peak_mib(), "reset": reset}


def child_national(folder: Path, repeats: int) -> dict[str, Any]:
    """Run in a fresh process: load the national panel, then fit and bootstrap it ``repeats``
    times, each bootstrap the first on its fit; times and peaks."""
    from bench_feols import NATIONAL_FORMULA

    import econ

    started = time.perf_counter()
    derived = econ.derive(econ.read_panel(folder)).data
    booleans = {c: derived[c].astype("float64") for c in ("high_level", "rich", "post")}
    data = derived.assign(y=np.log1p(derived["assistance_funds"]), **booleans)
    del derived, booleans
    gc.collect()
    loaded = time.perf_counter() - started
    reset = reset_peak()
    baseline = current_mib("VmRSS") if reset else peak_mib()
    fits, boots, outcome = [], [], {}
    for _ in range(repeats):
        began = time.perf_counter()
        result = econ.feols(NATIONAL_FORMULA, data, cov=econ.Cluster("township_id"))
        fitted = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", econ.FewClustersWarning)
            test = result.wild_bootstrap(NATIONAL_TERM, econ.WildBootstrap())
        fits.append(fitted - began)
        boots.append(time.perf_counter() - fitted)
        outcome = {"rows": result.nobs, "clusters": test.bootstrap_clusters,
                   "reps": test.reps, "dummies": list(test.dummies),
                   "statistic": test.statistic, "pvalue": test.pvalue, "ci": list(test.ci)}
        del result, test
        gc.collect()
    return {**outcome, "load_seconds": loaded, "fit_seconds": fits, "boot_seconds": boots,
            "baseline_mib": baseline, "peak_increase_mib": peak_mib() - baseline,
            "process_peak_mib": peak_mib(), "reset": reset}


def national(folder: Path, repeats: int, seed: int) -> None:
    """Print the national row (see the module docstring)."""
    if not any(folder.glob("*.parquet")):
        began = time.perf_counter()
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_feols.py")),
                        "--child", "generate", str(folder), str(seed)], check=True,
                       capture_output=True)
        print(f"generated national partitions in {time.perf_counter() - began:.1f}s")
    print(f"national panel ({folder}): fit and wild bootstrap with its 95% interval in a "
          f"fresh process, {repeats} time(s) ...", flush=True)
    print(f"  {load_average()}")
    out = _spawn("national", str(folder), str(repeats))
    total = [f + b for f, b in zip(out["fit_seconds"], out["boot_seconds"], strict=True)]
    print(f"  {out['rows']:,} rows, {out['clusters']:,} township clusters, B = {out['reps']:,}, "
          f"{', '.join(out['dummies'])} refit as dummies; panel loaded in "
          f"{out['load_seconds']:.1f}s")
    print(f"  fit {_runs(out['fit_seconds'])}, bootstrap with interval "
          f"{_runs(out['boot_seconds'])}, together {_runs(total)} (target <= 20 s: "
          f"{'met' if statistics.median(total) <= 20 else 'NOT met'})")
    peak_gib = out["process_peak_mib"] / 1024
    print(f"  memory: +{out['peak_increase_mib'] / 1024:.2f} GiB over the "
          f"{out['baseline_mib'] / 1024:.2f} GiB holding the panel; process peak "
          f"{peak_gib:.2f} GiB (target <= 6 GB: {'met' if peak_gib * 1.074 <= 6 else 'NOT met'})"
          + ("" if out["reset"] else " (peak mark not reset: process peaks only)"))
    print(f"  t = {out['statistic']:.4f}, p = {out['pvalue']:.4g}, 95% interval "
          f"[{out['ci'][0]:.6f}, {out['ci'][1]:.6f}]")
    print(f"  {load_average()}")
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / "bench_wild_bootstrap_national.json"
    target.write_text(json.dumps({"commit": _commit(), **out,
                                  "load_average": os.getloadavg()}, indent=2))
    print(f"raw figures: {target}")


def _runs(seconds: list[float]) -> str:
    return (f"{statistics.median(seconds):.1f}s" if len(seconds) == 1 else
            f"median {statistics.median(seconds):.1f}s [{', '.join(f'{s:.1f}' for s in seconds)}]")


def _spawn(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# time ----------------------------------------------------------------------------------------
def _timed(call: Callable[..., tuple[float, float]], *args: Any
           ) -> tuple[float, tuple[float, float]]:
    gc.collect()
    started = time.perf_counter()
    out = call(*args)
    return time.perf_counter() - started, out


Call = Callable[[Any, int], tuple[float, float]]


def timings(fits: dict[str, Callable[[], Any]], calls: dict[str, Call], reps: int,
            repeats: int, limit: float
            ) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int],
                       dict[str, tuple[float, float]]]:
    """Per package: cold and warm times scaled to ``reps``, the B actually timed, and
    (p-value, t) at it. ``fits[name]()`` builds a fresh fit; ``calls[name](fit, B)`` tests."""
    timed_reps: dict[str, int] = {}
    for name, call in calls.items():
        fit = fits[name]()
        seconds, _ = _timed(call, fit, max(reps // 10, 1))  # warm-up, projection
        timed_reps[name] = reps if name == "econ" or seconds * 10 <= limit else reps // 10
    cold: dict[str, list[float]] = {n: [] for n in calls}
    warm: dict[str, list[float]] = {n: [] for n in calls}
    results: dict[str, tuple[float, float]] = {}
    for i in range(repeats):
        for name in rotated(list(calls), i):
            fit = fits[name]()
            scale = reps / timed_reps[name]
            seconds, results[name] = _timed(calls[name], fit, timed_reps[name])
            cold[name].append(seconds * scale)
            seconds, _ = _timed(calls[name], fit, timed_reps[name])
            warm[name].append(seconds * scale)
    return cold, warm, timed_reps, results


def profile_econ(result: Any, reps: int, seed: int, weights: str, lines: int = 14) -> str:
    """cProfile of one econ bootstrap, sorted by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(run_econ, result, reps, seed, None, weights)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(lines)
    return text.getvalue()


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=False, cwd=Path(__file__).resolve().parent)
    return out.stdout.strip() or "unknown"


# main ----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-repeats", type=int, default=None,
                        help="econ bootstraps at the large B per child (default 3; 1 quick)")
    parser.add_argument("--big-children", type=int, default=3,
                        help="fresh children per mode (p-value, interval) at the large B")
    parser.add_argument("--quick", action="store_true",
                        help="50,000 rows, 500 groups, B = 9,999 and 29,999")
    parser.add_argument("--peer-limit", type=float, default=600.0,
                        help="seconds above which a peer is timed at B / 10 and extrapolated")
    parser.add_argument("--profile", action="store_true", help="cProfile econ's bootstrap")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--national", action="store_true",
                        help="only the national panel row (fit + bootstrap with interval)")
    parser.add_argument("--folder", type=Path, default=OUTPUT / "national",
                        help="national partitions (generated there if missing)")
    parser.add_argument("--national-repeats", type=int, default=1)
    parser.add_argument("--weights", choices=WEIGHTS, default="rademacher",
                        help="wild bootstrap weights of every package (default rademacher)")
    parser.add_argument("--clusters", type=int, default=None,
                        help="bootstrap clusters G (default 50)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = _sized(QUICK if args.quick else FULL, args.clusters)
    weights = args.weights

    if args.child and args.child[0] == "national":
        print(json.dumps(child_national(Path(args.child[1]), int(args.child[2]))))
        return
    if args.national:
        national(args.folder, args.national_repeats, args.seed)
        return
    if args.child:
        kind, with_ci, repeats, weights, clusters = args.child
        report = child_big(_sized(QUICK if kind == "quick" else FULL, int(clusters)),
                           args.seed, with_ci == "ci", int(repeats), weights)
        print(json.dumps(report))
        return

    big_repeats = args.big_repeats or (1 if args.quick else 3)
    print(f"wild bootstrap benchmark (econ at {_commit()}, {os.cpu_count()} CPUs): "
          f"{size.rows:,} rows, {size.clusters} clusters, {size.groups:,} fixed-effect groups "
          f"nested in them; {FORMULA}; WCR11 test of x1 = 0, {weights.capitalize()} weights")

    # Children first, while this process is small (see the module docstring).
    print(f"econ at B = {size.big_reps:,}: {args.big_children} fresh process(es) per mode, "
          f"alternated, {big_repeats} run(s) each ...", flush=True)
    kind = "quick" if args.quick else "full"
    children: dict[str, list[dict[str, Any]]] = {"p": [], "ci": []}
    for _ in range(args.big_children):
        for mode in ("p", "ci"):
            children[mode].append(_spawn(kind, mode, str(big_repeats), weights,
                                         str(size.clusters)))

    data = make_data(size, args.seed)
    frame = econ_frame(data)
    y_within, X_within = demeaned(data)
    with warnings.catch_warnings():
        # The peers' warnings about their own internals are not under test.
        warnings.simplefilter("ignore")
        arrays = (y_within, X_within, data["cluster"])
        fits: dict[str, Callable[[], Any]] = {
            "econ": lambda: econ_result(frame),
            "wildboottest": lambda: arrays,
            "pyfixest": lambda: pyfixest_fit(*arrays),
        }
        calls: dict[str, Call] = {
            "econ": lambda fit, b: run_econ(fit, b, args.seed, None, weights),
            "wildboottest": lambda fit, b: run_wildboottest(fit, b, args.seed, weights),
            "pyfixest": lambda fit, b: run_pyfixest(fit, b, args.seed, weights),
        }
        print(f"time at B = {size.reps:,}: warm-up, then {args.repeats} rounds (fresh fit: "
              f"cold, then warm) ...", flush=True)
        print(f"  {load_average()}")
        cold, times, timed_reps, results = timings(fits, calls, size.reps, args.repeats,
                                                   args.peer_limit)
        # Interval and p-value alone on fresh fits, alternated, so that both see the same
        # machine load; at the default B and below as well as at B.
        interval_reps = sorted({999, 9_999, size.reps})
        costs: dict[tuple[int, str, str], list[float]] = {}
        for _ in range(args.repeats * 3):
            for reps in interval_reps:
                for mode, ci_level in (("ci", 0.95), ("p", None)):
                    result = econ_result(frame)
                    for state in ("cold", "warm"):
                        seconds, _ = _timed(run_econ, result, reps, args.seed, ci_level,
                                            weights)
                        costs.setdefault((reps, mode, state), []).append(seconds)
        result = econ_result(frame)

    med = {name: statistics.median(v) for name, v in times.items()}
    cold_med = {name: statistics.median(v) for name, v in cold.items()}
    print()
    print(f"{'package':<14}{'cold s':>9}{'econ/it':>9}{'warm s':>9}{'econ/it':>9}  "
          f"cold runs; warm runs (s)")
    for name in times:
        note = ("" if timed_reps[name] == size.reps else
                f"  EXTRAPOLATED linearly from B = {timed_reps[name]:,}")
        print(f"{name:<14}{cold_med[name]:>9.3f}{cold_med['econ'] / cold_med[name]:>9.3f}"
              f"{med[name]:>9.3f}{med['econ'] / med[name]:>9.3f}  "
              f"[{', '.join(f'{t:.3f}' for t in cold[name])}]; "
              f"[{', '.join(f'{t:.3f}' for t in times[name])}]{note}")
    cost = {key: statistics.median(v) for key, v in costs.items()}
    print(f"{'econ + 95% CI':<14}{cost[size.reps, 'ci', 'cold']:>9.3f}{'':>9}"
          f"{cost[size.reps, 'ci', 'warm']:>9.3f}")
    print()
    print(f"interval cost: 95% CI by test inversion (with its Monte Carlo errors) over the "
          f"p-value alone, medians of {args.repeats * 3} alternated rounds, each on a fresh fit "
          f"(cold: its first call; warm: its second); target <= 1.5x")
    print(f"{'B':>10}{'p cold s':>10}{'CI cold s':>11}{'ratio':>7}{'p warm s':>10}"
          f"{'CI warm s':>11}{'ratio':>7}")
    for reps in interval_reps:
        row = [cost[reps, mode, state] for state in ("cold", "warm") for mode in ("p", "ci")]
        print(f"{reps:>10,}{row[0]:>10.4f}{row[1]:>11.4f}{row[1] / row[0]:>7.2f}"
              f"{row[2]:>10.4f}{row[3]:>11.4f}{row[3] / row[2]:>7.2f}")
    fastest = min(PEERS, key=lambda p: cold_med[p])
    speedup = cold_med[fastest] / cold_med["econ"]
    verdict = "met" if speedup >= TARGET else "NOT met"
    print(f"target: econ >= {TARGET:.0f}x faster than the fastest peer ({fastest}) at "
          f"B = {size.reps:,}, cold: econ is {speedup:.2f}x as fast -> {verdict} (warm "
          f"{med[min(PEERS, key=lambda p: med[p])] / med['econ']:.2f}x)")
    print(f"  {load_average()}")

    print()
    print("p-values (same hypothesis, different weight draws):")
    p_econ = results["econ"][0]
    for name, (p, t) in results.items():
        se = np.sqrt(2 * p_econ * (1 - p_econ) / size.reps)
        z = (p - p_econ) / se if name != "econ" and se > 0 else 0.0
        reps_note = "" if timed_reps[name] == size.reps else f" (at B = {timed_reps[name]:,})"
        print(f"  {name:<13} p = {p:.5f}, t = {t:.6f}{reps_note}"
              + (f"; p - p_econ = {p - p_econ:+.5f} = {z:+.2f} MC s.e." if name != "econ"
                 else ""))

    print()
    print(f"econ at B = {size.big_reps:,} (fresh processes):")
    firsts = {}
    for mode, label in (("p", "p-value only"), ("ci", "with 95% CI")):
        runs = children[mode]
        firsts[mode] = statistics.median(child["cold"] for child in runs)
        child = runs[-1]
        listed = ", ".join(f"{c['cold']:.3f}" for c in runs)
        print(f"  {label:<13} first call {firsts[mode]:.3f}s (fresh fit; median of "
              f"[{listed}])")
        print(f"  {label:<13} median {statistics.median(child['seconds']):.2f}s "
              f"[{', '.join(f'{t:.2f}' for t in child['seconds'])}], p = {child['pvalue']:.5f};"
              f" peak +{child['peak_mib']:.0f} MiB over {child['baseline_mib']:.0f} MiB held "
              f"(process peak {child['process_peak_mib']:.0f} MiB)")
    print(f"  interval cost, first calls: {firsts['ci'] / firsts['p']:.2f}x the p-value alone "
          f"(target <= 1.5x)")
    if not all(c["reset"] for runs in children.values() for c in runs):
        print("  (peak mark could not be reset: peaks are above ru_maxrss after the fit)")
    if args.quick:
        print("(quick: small data time mostly fixed overheads; the target is for the full run)")

    if args.profile:
        print()
        print(f"cProfile of econ at B = {size.reps:,} (own time):")
        print(profile_econ(result, size.reps, args.seed, weights))

    OUTPUT.mkdir(exist_ok=True)
    variant = "".join([f"_{weights}" if weights != "rademacher" else "",
                       f"_G{size.clusters}" if args.clusters else ""])
    target = OUTPUT / (f"bench_wild_bootstrap{'_quick' if args.quick else ''}{variant}.json")
    target.write_text(json.dumps({"commit": _commit(), "size": asdict(size), "times": times,
                                  "cold": cold, "timed_reps": timed_reps,
                                  "econ_interval_cost": [[*key, v] for key, v in
                                                         costs.items()],
                                  "load_average": os.getloadavg(),
                                  "results": results, "big": children}, indent=2))
    print(f"raw figures: {target}")


if __name__ == "__main__":
    main()
