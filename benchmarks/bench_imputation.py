"""Benchmark: econ's imputation estimator against the did_imputation port and pyfixest's did2s.

Data: ``econ.simulate("province")`` (SIMULATED: about 9,400 villages x 13 years), outcome
``log1p(assistance_funds)``, cohort ``demonstration_year`` (missing = never designated), unit
``village_id`` as integer codes, period ``year``. Each package estimates the effects at every
event time ``e >= 0`` with unit and year effects fitted on never- and not-yet-designated
observations, standard errors clustered by village:

- ``econ``: ``econ.models.imputation.did_imputation`` (BJS conservative standard errors);
- ``did_imputation``: the Python port of Stata's did_imputation (same estimator and standard
  errors; ``minn=0``);
- ``did2s``: pyfixest's two-stage estimator with one dummy per event time (the same point
  estimates; GMM standard errors). Its variance uses dense design matrices with a column per
  village (rows x villages x 8 bytes: about 8.5 GiB at province scale, where it was killed for
  memory); it is skipped above ``DENSE_LIMIT`` and compared on the ``wp`` panel instead.

Each run is in a fresh child process, which reports its wall time and its peak resident memory
above what it held before the call. ``econ`` and ``did2s`` run ``--repeats`` times (medians);
the port runs once (it takes minutes), with a time limit. The point estimates of the peers are
compared with econ's.

    python benchmarks/bench_imputation.py [--repeats 3] [--limit 3600] [--config province]
    python benchmarks/bench_imputation.py --villages 2000   # with did2s
    python benchmarks/bench_imputation.py --national-scale 500000   # econ alone
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from memory import current_mib, peak_mib, reset_peak

import econ

OUTPUT = Path(__file__).resolve().parent / "output"
#: GiB of dense design a peer may allocate before it is skipped.
DENSE_LIMIT = 2.0


def make_data(path: Path, config: str, villages: int | None) -> None:
    data = econ.simulate(config).data
    if villages is not None:
        kept = data["village_id"].cat.categories[:villages]
        data = data[data["village_id"].isin(kept)]
        data = data.assign(village_id=data["village_id"].cat.remove_unused_categories())
    frame = pd.DataFrame({
        "village": data["village_id"].cat.codes.astype(np.int64),
        "year": data["year"].astype(np.int64),
        "cohort": data["demonstration_year"].astype("float64"),
        "y": np.log1p(data["assistance_funds"].to_numpy(dtype=float)),
    })
    frame.to_parquet(path)


def run_econ(data: pd.DataFrame) -> np.ndarray:
    from econ.models.imputation import did_imputation

    return did_imputation(data, outcome="y", unit="village", time="year",
                          cohort="cohort").params.to_numpy()


def run_port(data: pd.DataFrame) -> np.ndarray:
    from did_imputation import did_imputation

    horizons = sorted((data["year"] - data["cohort"]).dropna().pipe(lambda e: e[e >= 0])
                      .astype(int).unique().tolist())
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result = did_imputation(data.copy(), y="y", i="village", t="year", Ei="cohort",
                                horizons=horizons, minn=0)
    return np.array([result.estimates[f"tau{h}"] for h in horizons])


def run_did2s(data: pd.DataFrame) -> np.ndarray:
    import pyfixest as pf

    frame = data.assign(treat=(data["year"] >= data["cohort"]).astype(int),
                        rel=(data["year"] - data["cohort"]).fillna(np.inf))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(frame, yname="y", first_stage="~0|village+year",
                       second_stage="~i(rel,ref=-1.0)", treatment="treat", cluster="village")
    coef = fit.coef()
    rel = np.array([float(name.split("::")[1]) for name in coef.index])
    return coef.to_numpy()[np.isfinite(rel) & (rel >= 0)]


RUNNERS = {"econ": run_econ, "did_imputation": run_port, "did2s": run_did2s}


def make_synthetic(path: Path, units: int, seed: int = 20240501) -> None:
    """SIMULATED staggered panel of ``units`` x 13 years (2013-2025): cohorts 2016-2024 or
    never (40%), effect 0.1 + 0.05 e, unit and year effects, normal noise."""
    rng = np.random.default_rng(seed)
    years = np.arange(2013, 2026)
    cohort = rng.choice(np.r_[np.arange(2016, 2025), np.nan], size=units,
                        p=np.r_[np.full(9, 0.6 / 9), 0.4])
    unit = np.repeat(np.arange(units), len(years))
    year = np.tile(years, units)
    event = year - cohort[unit]
    effect = np.where(event >= 0, 0.1 + 0.05 * event, 0.0)
    y = (rng.normal(size=units)[unit] + 0.02 * (year - 2013) + effect
         + rng.normal(scale=0.5, size=len(unit)))
    pd.DataFrame({"village": unit, "year": year, "cohort": cohort[unit], "y": y}).to_parquet(
        path)


def child(name: str, path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    data = pd.read_parquet(path)
    # Imports and first-call overhead outside the timing: a small panel of 50 designated and
    # 50 never-designated villages.
    first = data.groupby("village")["cohort"].first()
    few = np.r_[first[first.notna()].index[:50], first[first.isna()].index[:50]]
    RUNNERS[name](data[data["village"].isin(few)])
    reset_peak()
    before = current_mib()
    start = time.perf_counter()
    estimates = RUNNERS[name](data)
    seconds = time.perf_counter() - start
    queue.put((seconds, peak_mib() - before, estimates.tolist()))


def measure(name: str, path: Path, limit: float) -> tuple[float, float, np.ndarray] | None:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=child, args=(name, str(path), queue))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.terminate()
        process.join()
        return None
    if process.exitcode != 0:
        print(f"{name} failed in its child process (exit code {process.exitcode})")
        return None
    seconds, peak, estimates = queue.get(timeout=60)
    return seconds, peak, np.array(estimates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=float, default=3600.0,
                        help="seconds allowed to the did_imputation port")
    parser.add_argument("--config", default="province",
                        help="econ.simulate preset: province (default), wp (quick), national")
    parser.add_argument("--villages", type=int, default=None,
                        help="keep only the first N villages (did2s needs dense dummies)")
    parser.add_argument("--national-scale", type=int, default=0,
                        help="time econ alone on a synthetic panel of this many units x 13 "
                             "years (the national configuration's size: 500000)")
    args = parser.parse_args()
    if args.national_scale:
        national(args.national_scale, args.repeats)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "province.parquet"
        make_data(path, args.config, args.villages)
        data = pd.read_parquet(path)
        results: dict[str, dict[str, object]] = {}
        reference: np.ndarray | None = None
        # did2s builds its variance from dense model matrices with one column per village
        # (pyfixest's _did2s_vcov calls to_numpy() on them): refuse sizes that would take
        # more than DENSE_LIMIT of a shared machine's memory rather than be killed.
        dense_gib = len(data) * data["village"].nunique() * 8 / 2**30
        for name in RUNNERS:
            if name == "did2s" and dense_gib > DENSE_LIMIT:
                results[name] = {"status": f"skipped: its dense first-stage design would take "
                                           f"{dense_gib:.1f} GiB per copy (killed for memory "
                                           f"when tried)"}
                continue
            rounds = 1 if name == "did_imputation" else args.repeats
            runs = [measure(name, path, args.limit if name == "did_imputation" else 1800.0)
                    for _ in range(rounds)]
            done = [r for r in runs if r is not None]
            if not done:
                results[name] = {"status": "failed or not finished within the time limit"}
                continue
            estimates = done[0][2]
            if name == "econ":
                reference = estimates
            gap = (float(np.max(np.abs(estimates - reference)))
                   if reference is not None and len(estimates) == len(reference) else None)
            results[name] = {"median_seconds": statistics.median(r[0] for r in done),
                             "seconds": [r[0] for r in done],
                             "peak_mib": max(r[1] for r in done),
                             "max_abs_difference_from_econ": gap}
    econ_time = float(results["econ"]["median_seconds"])  # type: ignore[arg-type]
    econ_peak = float(results["econ"]["peak_mib"])  # type: ignore[arg-type]
    for name, entry in results.items():
        if name != "econ" and "median_seconds" in entry:
            entry["time_ratio_over_econ"] = float(entry["median_seconds"]) / econ_time  # type: ignore[arg-type]
            entry["memory_ratio_over_econ"] = float(entry["peak_mib"]) / econ_peak  # type: ignore[arg-type]
    subset = f", first {args.villages} villages" if args.villages else ""
    report = {"data": f"SIMULATED {args.config} panel (econ.simulate({args.config!r}){subset})",
              "rows": len(data), "villages": int(data["village"].nunique()),
              "years": int(data["year"].nunique()), "results": results}
    OUTPUT.mkdir(exist_ok=True)
    suffix = f"_{args.villages}" if args.villages else ""
    (OUTPUT / f"bench_imputation_{args.config}{suffix}.json").write_text(
        json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def national(units: int, repeats: int) -> None:
    """econ alone at the national configuration's size (the peers cannot hold it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "national.parquet"
        make_synthetic(path, units)
        runs = [measure("econ", path, 3600.0) for _ in range(repeats)]
    done = [r for r in runs if r is not None]
    truth = 0.1 + 0.05 * np.arange(len(done[0][2])) if done else None
    report = {"data": f"SIMULATED synthetic panel, {units:,} units x 13 years",
              "rows": units * 13,
              "econ": {"median_seconds": statistics.median(r[0] for r in done),
                       "seconds": [r[0] for r in done], "peak_mib": max(r[1] for r in done),
                       "max_abs_error_vs_truth": float(np.max(np.abs(done[0][2] - truth)))}
              if done else {"status": "failed"}}
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"bench_imputation_national_{units}.json").write_text(
        json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
