"""Benchmark: econ's dCDH DID_l against py-did-multiplegt-dyn on a province-sized panel.

Data: ``simulate.rotation("province")`` (SIMULATED; about 9,400 villages x 13 years), outcome
``rotation_outcome``, treatment ``unit_rank`` (the dispatching unit's level, -1 no team: it
changes at the 2015 campaign, the 2021 re-dispatch and the 2023 rotation, up or down), 5
effects, 3 placebos, switchers in and out pooled, standard errors clustered by township. Both
get the same pandas frame (the port a polars copy, made outside the timing).

Each package runs in its own fresh child process, which loads the data, notes its resident
memory, runs ``--repeats`` times and reports the median time and the peak resident memory above
the level after loading. The estimates and standard errors of the two are compared.

    python benchmarks/bench_dcdh.py [--repeats 2]
    python benchmarks/bench_dcdh.py --national-scale 500000

Writes ``benchmarks/results/bench_dcdh.json``. ``--national-scale G`` instead times econ alone
(same options) on a synthetic panel of ``G`` groups x 13 periods with a three-valued treatment
that rises or falls once or twice, the size of the national configuration: the port is not run
there, since its peak memory on the province panel (about 1 GB for 119,000 rows) scales to tens
of GB. Writes ``benchmarks/results/bench_dcdh_national_scale.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import current_mib, peak_mib

RESULTS = Path(__file__).resolve().parent / "results"
OPTIONS = {"effects": 5, "placebos": 3}


def make_data(path: Path) -> None:
    from econ.data.simulate import simulate

    data = simulate.rotation("province").data
    pd.DataFrame({
        "village": data["village_id"].cat.codes.astype(np.int64),
        "township": data["township_id"].cat.codes.astype(np.int64),
        "year": data["year"].astype(np.int64),
        "rank": data["unit_rank"].astype(float),
        "y": data["rotation_outcome"].astype(float),
    }).to_parquet(path)


def synthetic(groups: int, periods: int = 13, seed: int = 13) -> pd.DataFrame:
    """A non-binary, non-absorbing panel of ``groups`` x ``periods`` (SIMULATED)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 3, groups).astype(float)
    first = rng.integers(2, periods + 4, groups)
    step = rng.choice([-1.0, 1.0, 2.0], groups)
    t = np.arange(periods)[None, :]
    d = np.where(t >= first[:, None], base[:, None] + step[:, None], base[:, None])
    again = rng.random(groups) < 0.3
    d = np.where(again[:, None] & (t >= first[:, None] + 2), d + np.sign(step)[:, None], d)
    y = (rng.normal(size=groups)[:, None] + 0.1 * t + 0.3 * (d - base[:, None])
         + rng.normal(size=(groups, periods)))
    return pd.DataFrame({"village": np.repeat(np.arange(groups), periods),
                         "township": np.repeat(np.arange(groups) // 12, periods),
                         "year": np.tile(2013 + np.arange(periods), groups),
                         "rank": d.ravel(), "y": y.ravel()})


def run_econ(data: pd.DataFrame) -> pd.DataFrame:
    from econ.models.dcdh import dcdh_estimate

    result = dcdh_estimate(data, outcome="y", group="village", time="year", treatment="rank",
                           cluster="township", drop_uncontrolled=True, **OPTIONS)
    return result.table.set_index("period")[["estimate", "std_error"]]


def run_port(data: object) -> pd.DataFrame:
    import polars as pl
    from did_multiplegt_dyn import DidMultiplegtDyn

    original = pl.count
    # The port calls polars.count() with no argument, which polars >= 1.0 refuses.
    pl.count = lambda *a, **k: pl.len() if not (a or k) else original(*a, **k)  # type: ignore[assignment]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fit = DidMultiplegtDyn(data, "y", "village", "year", "rank", cluster="township",
                               effects=OPTIONS["effects"], placebo=OPTIONS["placebos"]).fit()
    out = fit.result["did_multiplegt_dyn"]
    rows = [(i + 1, float(r["Estimate"]), float(r["SE"]))
            for i, (_, r) in enumerate(out["Effects"].iterrows())]
    rows += [(-(i + 1), float(r["Estimate"]), float(r["SE"]))
             for i, (_, r) in enumerate(out["Placebos"].iterrows())]
    return pd.DataFrame(rows, columns=["period", "estimate", "std_error"]).set_index("period")


def child(which: str, path: Path, repeats: int) -> None:
    frame = pd.read_parquet(path)
    if which == "port":
        import polars as pl

        data: object = pl.from_pandas(frame)
        runner = run_port
    else:
        data = frame
        runner = run_econ  # type: ignore[assignment]
    # Both packages' modules are imported before the baseline, outside the timing.
    import did_multiplegt_dyn  # noqa: F401

    import econ.models.dcdh  # noqa: F401
    baseline = current_mib()
    seconds, table = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        table = runner(data)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - start)
    assert table is not None
    print(json.dumps({"seconds": seconds, "median": statistics.median(seconds),
                      "peak_above_loaded_mib": peak_mib() - baseline,
                      "table": table.reset_index().to_dict(orient="list")}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", choices=("econ", "port"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--national-scale", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.repeats)
        return
    if args.national_scale:
        national(args.national_scale, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        make_data(path)
        rows = len(pd.read_parquet(path))
        runs = {}
        for which in ("econ", "port"):
            done = subprocess.run([sys.executable, __file__, "--child", which, "--data",
                                   str(path), "--repeats", str(args.repeats)],
                                  capture_output=True, text=True, check=True)
            runs[which] = json.loads(done.stdout.strip().splitlines()[-1])
    ours = pd.DataFrame(runs["econ"].pop("table")).set_index("period")
    theirs = pd.DataFrame(runs["port"].pop("table")).set_index("period").reindex(ours.index)
    report = {
        "data": "SIMULATED: simulate.rotation('province'), rotation_outcome on unit_rank",
        "rows": rows, "options": OPTIONS, "repeats": args.repeats, "runs": runs,
        "port_over_econ_time": runs["port"]["median"] / runs["econ"]["median"],
        "port_over_econ_peak_memory": (runs["port"]["peak_above_loaded_mib"]
                                       / max(runs["econ"]["peak_above_loaded_mib"], 1e-9)),
        "max_abs_estimate_difference": float((ours["estimate"] - theirs["estimate"]).abs().max()),
        "max_abs_se_difference": float((ours["std_error"] - theirs["std_error"]).abs().max()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_dcdh.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def national(groups: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        synthetic(groups).to_parquet(path)
        done = subprocess.run([sys.executable, __file__, "--child", "econ", "--data", str(path),
                               "--repeats", str(repeats)], capture_output=True, text=True,
                              check=True)
    run = json.loads(done.stdout.strip().splitlines()[-1])
    run.pop("table")
    report = {"data": f"SIMULATED synthetic panel, {groups:,} groups x 13 periods",
              "rows": groups * 13, "options": OPTIONS, "repeats": repeats, "econ": run}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_dcdh_national_scale.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
