"""Benchmark: econ's IV (econ.models.iv.feiv, 2SLS) against pyfixest's IV on a two-way panel.

Data (simulated): 50,000 villages x 20 years (1,000,000 rows), village and year effects, one
exogenous regressor x, one endogenous regressor d whose error is correlated with the outcome's,
two instruments z1, z2; 10 villages per township (5,000 township clusters); drawn from
``numpy.random.default_rng(seed)``. Model: ``y ~ x | village + year | d ~ z1 + z2`` with CR1
standard errors clustered by township. Both packages get one DataFrame with categorical
village, year and township, built before any timing.

Time: one process fits each package once untimed (pyfixest compiles with numba on first use),
then ``--repeats`` rounds, alternating the order; medians and their ratio are reported. The
econ fit includes what its result always computes (first stages and the first-stage F used for
the weak-instrument check); pyfixest's includes its first stage. Memory: fresh child processes
(``--children`` each, median), each importing its package, warming up on a small panel,
generating the data, then resetting its peak-resident-memory mark and fitting; the peak above
the memory held before the fit is reported.

Targets: econ's median time at most 0.8x pyfixest's at equal coefficients (1e-6); peak fit
memory no higher than pyfixest's.

    python benchmarks/bench_iv.py [--repeats 5] [--children 3] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from memory import current_mib, peak_mib, reset_peak

OUTPUT = Path(__file__).resolve().parent / "output"
PACKAGES = ("econ", "pyfixest")
FORMULA = "y ~ x | village + year | d ~ z1 + z2"
TERMS = ["d", "x"]
VILLAGES_PER_TOWNSHIP = 10
YEARS = 20


def make_panel(villages: int, seed: int) -> pd.DataFrame:
    """Simulated balanced village x year panel; true coefficients d 1.0, x 0.5."""
    rng = np.random.default_rng(seed)
    n = villages * YEARS
    village = np.repeat(np.arange(villages), YEARS)
    year = np.tile(np.arange(YEARS), villages)
    effect = rng.normal(size=villages)[village] + rng.normal(size=YEARS)[year]
    z1, z2, x, u, e = rng.normal(size=(5, n))
    d = 0.5 * z1 + 0.3 * z2 + 0.3 * x + 0.5 * u + e + effect
    y = d + 0.5 * x + u + effect
    frame = pd.DataFrame({"y": y, "x": x, "d": d, "z1": z1, "z2": z2})
    frame["village"] = pd.Categorical.from_codes(village, categories=np.arange(villages))
    frame["year"] = pd.Categorical.from_codes(year, categories=np.arange(2001, 2001 + YEARS))
    townships = village // VILLAGES_PER_TOWNSHIP
    frame["township"] = pd.Categorical.from_codes(townships,
                                                  categories=np.arange(townships.max() + 1))
    return frame


def fit_econ(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from econ.inference.covariance import Cluster
    from econ.models.iv import feiv

    result = feiv(FORMULA, frame, cov=Cluster("township"))
    return result.params[TERMS].to_numpy(), result.std_errors[TERMS].to_numpy()


def fit_pyfixest(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    import pyfixest as pf

    fit = pf.feols(FORMULA, frame, vcov={"CRV1": "township"})
    return fit.coef()[TERMS].to_numpy(), fit.se()[TERMS].to_numpy()


FITS: dict[str, Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]] = {
    "econ": fit_econ, "pyfixest": fit_pyfixest}


def child_fit(package: str, villages: int, seed: int) -> dict[str, float]:
    """Run in a fresh process: the peak memory of one fit above what the process held before."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FITS[package](make_panel(400, seed + 1))  # warm-up: JIT, lazy imports
        frame = make_panel(villages, seed)
        gc.collect()
        reset = reset_peak()
        baseline = current_mib("VmRSS") if reset else peak_mib()
        started = time.perf_counter()
        FITS[package](frame)
        seconds = time.perf_counter() - started
    return {"peak_mib": peak_mib() - baseline, "baseline_mib": baseline, "seconds": seconds,
            "reset": reset}


def _spawn(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--children", type=int, default=None,
                        help="memory children per package (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="2,500 villages (50,000 rows)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        package, villages, seed = args.child
        print(json.dumps(child_fit(package, int(villages), int(seed)), default=float))
        return

    villages = 2_500 if args.quick else 50_000
    children = args.children or (1 if args.quick else 3)
    rows = villages * YEARS
    print(f"IV benchmark (simulated data): {rows:,} rows = {villages:,} villages x {YEARS} "
          f"years, {villages // VILLAGES_PER_TOWNSHIP:,} township clusters; {FORMULA}, CR1 "
          f"by township")
    print(f"memory: {children} fresh process(es) per package ...", flush=True)
    peaks = {p: [_spawn(p, str(villages), str(args.seed)) for _ in range(children)]
             for p in PACKAGES}

    print(f"time: {args.repeats} rounds after one warm-up fit each ...", flush=True)
    frame = make_panel(villages, args.seed)
    times: dict[str, list[float]] = {p: [] for p in PACKAGES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimates = {p: FITS[p](frame) for p in PACKAGES}
        for i in range(args.repeats):
            for package in PACKAGES[i % 2:] + PACKAGES[: i % 2]:
                gc.collect()
                started = time.perf_counter()
                FITS[package](frame)
                times[package].append(time.perf_counter() - started)
    coef_diff = float(np.abs(estimates["econ"][0] - estimates["pyfixest"][0]).max())
    se_diff = float(np.abs(estimates["econ"][1] / estimates["pyfixest"][1] - 1).max())
    print(f"  econ vs pyfixest: max |coef diff| {coef_diff:.2e}; max relative SE diff "
          f"{se_diff:.2e}")
    if coef_diff > 1e-6:
        raise SystemExit(f"coefficients disagree by {coef_diff:.2e} (> 1e-6): timings are void")

    med = {p: statistics.median(v) for p, v in times.items()}
    peak = {p: statistics.median(c["peak_mib"] for c in peaks[p]) for p in PACKAGES}
    print()
    print(f"{'package':<13}{'median s':>10}{'peak MiB':>10}  runs (s)")
    for p in PACKAGES:
        runs = ", ".join(f"{t:.3f}" for t in times[p])
        print(f"{p:<13}{med[p]:>10.3f}{peak[p]:>10.0f}  [{runs}]")
    print(f"time econ/pyfixest: {med['econ'] / med['pyfixest']:.2f} (target <= 0.8)")
    each = "; ".join(p + " [" + ", ".join(f"{c['peak_mib']:.0f}" for c in peaks[p]) + "]"
                     for p in PACKAGES)
    print(f"peak fit memory econ/pyfixest: {peak['econ'] / peak['pyfixest']:.2f} (target <= 1);"
          f" each child (MiB): {each}")
    if not all(c["reset"] for v in peaks.values() for c in v):
        print("  (peak mark could not be reset: peaks are above ru_maxrss after data generation)")
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / ("bench_iv_quick.json" if args.quick else "bench_iv.json")
    target.write_text(json.dumps({"rows": rows, "times": times, "peaks": peaks}, indent=2,
                                 default=float))
    print(f"raw figures: {target}")


if __name__ == "__main__":
    main()
