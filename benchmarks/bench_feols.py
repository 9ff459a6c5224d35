"""Benchmark: econ.feols against pyfixest and linearmodels on a two-way fixed-effect panel.

Data: 50,000 villages x 20 years (1,000,000 rows), regressors x1-x3, village and year effects,
10 villages per township (5,000 township clusters), drawn from ``numpy.random.default_rng(seed)``.
Model: ``y ~ x1 + x2 + x3 | village + year`` with CR1 standard errors clustered by township.

Designs (``--design``): ``balanced`` (the full grid); ``unbalanced``, the same panel with
``--missing`` (default 5%) of the village-years dropped at random; ``three``, the unbalanced
panel with a third fixed effect, township x year (``| village + year + twpyear``; year is nested
in it), against pyfixest only (linearmodels' PanelOLS takes at most two effects).

Each package gets the input form it handles best, built before any timing:

- econ and pyfixest: one DataFrame with categorical village, year and township (what
  ``econ.read_panel`` returns; pyfixest is also faster with categoricals than with integer ids);
- linearmodels: ``PanelOLS(dep, exog)`` on a (village, year) MultiIndex, township clusters as a
  DataFrame on the same index.

Time (protocol in ``harness.py``): cold, fresh child processes (``--children`` per package,
rotated), each generating the data and timing its first fit (imports, pyfixest's numba
compilation) and then a second fit, whose peak memory above what the process held before is
reported; warm, one process fitting each package once untimed, then ``--repeats`` rounds,
rotating the order each round. Medians, ratios econ / peer and the load average are printed.

National: a child loads ``econ.simulate.write_partitions(config="national")`` (about 6.5
million rows; the folder is shared with bench_read_panel.py and generated once), derives the
study variables and fits ``y ~ high_level:rich:post + rich:post + high_level:post + high_level |
village_id + year`` with ``y = log1p(assistance_funds)``, clustered by township_id.

Targets: econ's median time at most 0.8x pyfixest's and well under linearmodels';
econ's peak fit memory no higher than pyfixest's; the national fit within 24 GiB.

    python benchmarks/bench_feols.py [--design balanced|unbalanced|three] [--repeats 5]
        [--children 3] [--villages N] [--quick] [--no-national]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import cold_child, load_average, rotated, spawn, table, warm_rounds
from memory import current_mib, peak_mib, reset_peak

OUTPUT = Path(__file__).resolve().parent / "output"
PACKAGES = ("econ", "pyfixest", "linearmodels")
FORMULAS = {"balanced": "y ~ x1 + x2 + x3 | village + year",
            "unbalanced": "y ~ x1 + x2 + x3 | village + year",
            "three": "y ~ x1 + x2 + x3 | village + year + twpyear"}
FORMULA = FORMULAS["balanced"]
REGRESSORS = ["x1", "x2", "x3"]
NATIONAL_FORMULA = ("y ~ high_level:rich:post + rich:post + high_level:post + high_level "
                    "| village_id + year")
INPUT_FORMS = {
    "econ": "DataFrame, categorical village/year/township",
    "pyfixest": "DataFrame, categorical village/year/township",
    "linearmodels": "PanelOLS(dep, exog) on a (village, year) MultiIndex, clusters DataFrame",
}
VILLAGES_PER_TOWNSHIP = 10
YEARS = 20
GIB = 2**30


# data ------------------------------------------------------------------------------------
def make_panel(villages: int, seed: int, missing: float = 0.0) -> dict[str, np.ndarray]:
    """A village x year panel with known slopes (1, -0.5, 0.25), as plain arrays, with a share
    ``missing`` of its rows dropped at random (0: balanced)."""
    rng = np.random.default_rng(seed)
    n = villages * YEARS
    village = np.repeat(np.arange(villages, dtype=np.int32), YEARS)
    year = np.tile(np.arange(YEARS, dtype=np.int32), villages)
    township = village // VILLAGES_PER_TOWNSHIP
    village_effect = rng.normal(size=villages)
    # Regressors correlated with the village effect, so that omitting the effects would bias.
    X = rng.normal(size=(n, 3)) + 0.5 * village_effect[village, None]
    shock = rng.normal(size=villages // VILLAGES_PER_TOWNSHIP)[township]
    y = (X @ np.array([1.0, -0.5, 0.25]) + village_effect[village]
         + rng.normal(size=YEARS)[year] + shock + rng.normal(size=n))
    arrays = {"y": y, "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2], "village": village,
              "year": year, "township": township, "twpyear": township * YEARS + year}
    if missing > 0:
        keep = rng.random(n) >= missing
        arrays = {k: v[keep] for k, v in arrays.items()}
    return arrays


def _categorical(codes: np.ndarray, start: int = 0) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=np.arange(start, start + codes.max() + 1))


def prepare(package: str, arrays: dict[str, np.ndarray]) -> Any:
    """The input form ``package`` handles best (see ``INPUT_FORMS``)."""
    if package == "linearmodels":
        index = pd.MultiIndex.from_arrays([arrays["village"], arrays["year"] + 2001],
                                          names=["village", "year"])
        frame = pd.DataFrame({k: arrays[k] for k in ("y", *REGRESSORS, "township")},
                             index=index)
        return frame["y"], frame[REGRESSORS], frame[["township"]]
    frame = pd.DataFrame({k: arrays[k] for k in ("y", *REGRESSORS)})
    frame["village"] = _categorical(arrays["village"])
    frame["year"] = _categorical(arrays["year"], 2001)
    frame["township"] = _categorical(arrays["township"])
    frame["twpyear"] = _categorical(arrays["twpyear"])
    return frame


# fits: each returns (coefficients, standard errors) of x1..x3 --------------------------------
def fit_econ(frame: pd.DataFrame, formula: str = FORMULA) -> tuple[np.ndarray, np.ndarray]:
    import econ

    result = econ.feols(formula, frame, cov=econ.Cluster("township"))
    return result.params[REGRESSORS].to_numpy(), result.std_errors[REGRESSORS].to_numpy()


def fit_pyfixest(frame: pd.DataFrame, formula: str = FORMULA) -> tuple[np.ndarray, np.ndarray]:
    import pyfixest as pf

    fit = pf.feols(formula, frame, vcov={"CRV1": "township"})
    return fit.coef()[REGRESSORS].to_numpy(), fit.se()[REGRESSORS].to_numpy()


def fit_linearmodels(inputs: tuple[pd.Series, pd.DataFrame, pd.DataFrame],
                     formula: str = FORMULA) -> tuple[np.ndarray, np.ndarray]:
    from linearmodels import PanelOLS

    dep, exog, clusters = inputs
    fit = PanelOLS(dep, exog, entity_effects=True, time_effects=True).fit(
        cov_type="clustered", clusters=clusters)
    return fit.params[REGRESSORS].to_numpy(), fit.std_errors[REGRESSORS].to_numpy()


FITS: dict[str, Callable[[Any, str], tuple[np.ndarray, np.ndarray]]] = {
    "econ": fit_econ, "pyfixest": fit_pyfixest, "linearmodels": fit_linearmodels}


def packages_of(design: str) -> tuple[str, ...]:
    return PACKAGES if design != "three" else PACKAGES[:2]


# memory --------------------------------------------------------------------------------------
def child_fit(package: str, villages: int, seed: int, design: str, missing: float
              ) -> dict[str, Any]:
    """Run in a fresh process: the first fit's time (cold), the second's time and peak."""
    return cold_child(lambda: prepare(package, make_panel(villages, seed, missing)),
                      lambda inputs: FITS[package](inputs, FORMULAS[design]))


def child_national(folder: Path, repeats: int) -> dict[str, Any]:
    """Run in a fresh process: load, derive and fit the national panel; times and peaks."""
    import econ

    started = time.perf_counter()
    panel = econ.read_panel(folder)
    loaded = time.perf_counter()
    derived = econ.derive(panel)
    data = derived.data
    booleans = {c: data[c].astype("float64") for c in ("high_level", "rich", "post")}
    data = data.assign(y=np.log1p(data["assistance_funds"]), **booleans)
    prepared = time.perf_counter()
    del panel, derived, booleans
    gc.collect()
    load_peak = peak_mib()
    reset = reset_peak()
    baseline = current_mib("VmRSS") if reset else load_peak
    seconds, fit_peak, summary = [], 0.0, {}
    for _ in range(repeats):
        began = time.perf_counter()
        result = econ.feols(NATIONAL_FORMULA, data, cov=econ.Cluster("township_id"))
        errors = result.std_errors
        seconds.append(time.perf_counter() - began)
        fit_peak = max(fit_peak, peak_mib())
        summary = {"nobs": result.nobs, "iterations": result.fit.iterations,
                   "params": result.params.round(6).to_dict(),
                   "std_errors": errors.round(6).to_dict()}
        # Release this fit before the next, so that no repeat's peak includes two results.
        del result, errors
        gc.collect()
    return {"rows": len(data), **summary, "load_seconds": loaded - started,
            "derive_seconds": prepared - loaded, "fit_seconds": seconds,
            "baseline_mib": baseline, "load_peak_mib": load_peak,
            "fit_increase_mib": fit_peak - baseline,
            "process_peak_mib": max(load_peak, fit_peak)}


def _spawn(*args: str) -> dict[str, Any]:
    return spawn(__file__, *args)


# time ----------------------------------------------------------------------------------------
def timings(inputs: dict[str, Any], repeats: int, design: str
            ) -> tuple[dict[str, list[float]], dict[str, tuple[np.ndarray, ...]]]:
    formula = FORMULAS[design]
    packages = packages_of(design)
    # Untimed warm-up, and the agreement check.
    estimates = {p: FITS[p](inputs[p], formula) for p in packages}
    times = warm_rounds({p: lambda p=p: FITS[p](inputs[p], formula) for p in packages},
                        repeats)
    return times, estimates


def agreement(estimates: dict[str, tuple[np.ndarray, ...]], frame: pd.DataFrame) -> float:
    """Print coefficient and standard-error differences; return the largest coefficient one."""
    import econ

    base_params, base_se = estimates["econ"]
    worst = 0.0
    for other in [p for p in ("pyfixest", "linearmodels") if p in estimates]:
        params, se = estimates[other]
        diff = float(np.abs(params - base_params).max())
        worst = max(worst, diff)
        print(f"  econ vs {other}: max |coef diff| {diff:.2e}; "
              f"max relative SE diff {np.abs(se / base_se - 1).max():.2e}")
    if "linearmodels" not in estimates:
        return worst
    # linearmodels' defaults count the village effects in K although villages are nested in
    # the township clusters (fixest's fixef_k="full") and apply no G / (G - 1); econ with those
    # rules should reproduce its standard errors, up to its n / (n - K) against (n - 1) / (n - K)
    # (a relative difference of about 1 / (2n)).
    rules = econ.SmallSample(fixef_k="full", cluster_adj=False)
    same = econ.feols(FORMULA, frame, cov=econ.Cluster("township", ssc=rules))
    se_same = same.std_errors[REGRESSORS].to_numpy()
    print(f"  econ with SmallSample(fixef_k='full', cluster_adj=False) vs linearmodels: max "
          f"relative SE diff {np.abs(estimates['linearmodels'][1] / se_same - 1).max():.2e}")
    return worst


# main ----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", choices=tuple(FORMULAS), default="balanced")
    parser.add_argument("--missing", type=float, default=None,
                        help="share of village-years dropped (default 0.05 off the balanced "
                             "design, 0 on it)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--children", type=int, default=None,
                        help="cold children per package (default 3; 1 with --quick)")
    parser.add_argument("--villages", type=int, default=None,
                        help="villages (20 years each; default 50,000, 2,500 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="2,500 villages (50,000 rows), no national run")
    parser.add_argument("--no-national", action="store_true", help="skip the national run")
    parser.add_argument("--folder", type=Path, default=OUTPUT / "national")
    parser.add_argument("--national-repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, *rest = args.child
        if kind == "national":
            report = child_national(Path(rest[0]), int(rest[1]))
        elif kind == "generate":
            import econ

            econ.simulate.write_partitions(rest[0], config="national", seed=int(rest[1]))
            report = {}
        else:
            report = child_fit(kind, int(rest[0]), int(rest[1]), rest[2], float(rest[3]))
        print(json.dumps(report, default=float))
        return

    design = args.design
    missing = (args.missing if args.missing is not None
               else 0.0 if design == "balanced" else 0.05)
    packages = packages_of(design)
    villages = args.villages or (2_500 if args.quick else 50_000)
    children = args.children or (1 if args.quick else 3)
    formula = FORMULAS[design]
    print(f"econ.feols benchmark ({design}): {villages:,} villages x {YEARS} years"
          f"{f' less {missing:.0%} of the rows at random' if missing else ''}, "
          f"{villages // VILLAGES_PER_TOWNSHIP:,} township clusters; {formula}, CR1 by "
          f"township")
    print(f"  {load_average()}")
    for package in packages:
        print(f"  input for {package}: {INPUT_FORMS[package]}")

    # Children first, while this process is small (see harness.py).
    print(f"cold: {children} fresh process(es) per package ...", flush=True)
    colds: dict[str, list[dict[str, Any]]] = {p: [] for p in packages}
    for i in range(children):
        for p in rotated(packages, i):
            colds[p].append(_spawn(p, str(villages), str(args.seed), design, str(missing)))
    national: dict[str, Any] | None = None
    if not (args.quick or args.no_national):
        if not any(args.folder.glob("*.parquet")):
            began = time.perf_counter()
            _spawn("generate", str(args.folder), str(args.seed))
            print(f"generated national partitions in {time.perf_counter() - began:.1f}s")
        print("national: fitting in a fresh process ...", flush=True)
        national = _spawn("national", str(args.folder), str(args.national_repeats))

    print(f"warm: {args.repeats} rounds after one warm-up fit each ...", flush=True)
    arrays = make_panel(villages, args.seed, missing)
    rows = len(arrays["y"])
    inputs = {p: prepare(p, arrays) for p in packages}
    with warnings.catch_warnings():
        # pyfixest and linearmodels warnings about their own internals are not under test.
        warnings.simplefilter("ignore")
        times, estimates = timings(inputs, args.repeats, design)
        worst = agreement(estimates, inputs["econ"])
    if worst > 1e-6:
        raise SystemExit(f"coefficients disagree by {worst:.2e} (> 1e-6): timings are void")

    print()
    print(table(f"{rows:,} rows, {design}:", colds, times))
    cold_med = {p: statistics.median(c["cold"] for c in colds[p]) for p in packages}
    med = {p: statistics.median(v) for p, v in times.items()}
    peak = {p: statistics.median(c["peak_mib"] for c in colds[p]) for p in packages}
    print(f"econ/pyfixest: cold {cold_med['econ'] / cold_med['pyfixest']:.2f}, warm "
          f"{med['econ'] / med['pyfixest']:.2f} (target <= {0.8 if design == 'balanced' else 0.5})"
          f"; peak {peak['econ'] / peak['pyfixest']:.2f} (target <= 1)")
    print(f"  {load_average()}")
    if args.quick:
        print("  (quick: 50,000 rows time mostly fixed overheads; the targets are for 1,000,000)")
    if not all(c["reset"] for v in colds.values() for c in v):
        print("  (peak mark could not be reset: peaks are above ru_maxrss after data generation)")
    if national is not None:
        fit_med = statistics.median(national["fit_seconds"])
        print(f"national: {national['rows']:,} rows ({national['nobs']:,} used), load "
              f"{national['load_seconds']:.1f}s, derive+prepare {national['derive_seconds']:.1f}s,"
              f" fit median {fit_med:.1f}s "
              f"[{', '.join(f'{t:.1f}' for t in national['fit_seconds'])}], "
              f"{national['iterations']} absorption sweep(s)")
        print(f"  memory: fit +{national['fit_increase_mib']:.0f} MiB over "
              f"{national['baseline_mib']:.0f} MiB held; process peak "
              f"{national['process_peak_mib'] / 1024:.2f} GiB (limit 24 GiB)")
        print("  coefficients: " + ", ".join(f"{k} {v:.4f} ({national['std_errors'][k]:.4f})"
                                            for k, v in national["params"].items()))
    OUTPUT.mkdir(exist_ok=True)
    name = "bench_feols" + ("" if design == "balanced" else f"_{design}")
    target = OUTPUT / (name + ("_quick.json" if args.quick else ".json"))
    target.write_text(json.dumps({"design": design, "missing": missing, "rows": rows,
                                  "times": times, "cold": colds, "national": national,
                                  "load_average": os.getloadavg()}, indent=2, default=float))
    print(f"raw figures: {target}")


if __name__ == "__main__":
    main()
