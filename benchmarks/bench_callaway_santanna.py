"""Benchmark: econ.att_gt against csdid on the province-sized simulated panel.

Data: ``econ.simulate("province")`` (about 9,400 villages x 13 years), outcome
``log1p(assistance_funds)``, cohort ``demonstration_year`` (missing = never designated), unit
``village_id``, period ``year``; doubly robust ATT(g, t) with not-yet-treated controls and
``endowment`` as covariate, 999 multiplier-bootstrap draws, then the dynamic aggregation
(also bootstrapped). Both packages get a DataFrame with integer ids and the cohort as 0 for
never designated (csdid needs numeric ids and 0); econ's time includes that conversion too.

Time: one untimed warm-up each, then ``--repeats`` rounds alternating the order; medians are
reported with their ratio, and the ATT(g, t) agreement is checked.

    python benchmarks/bench_callaway_santanna.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import econ
from econ.inference.multiplier import Multiplier
from econ.models.staggered import att_gt

OUTPUT = Path(__file__).resolve().parent / "output"
REPS = 999


def make_data() -> pd.DataFrame:
    sim = econ.simulate("province")
    data = sim.data
    return pd.DataFrame({
        "village": data["village_id"].cat.codes.astype(np.int64),
        "year": data["year"].astype(np.int64),
        "cohort": data["demonstration_year"].astype("Int64").fillna(0).astype(np.int64),
        "y": np.log1p(data["assistance_funds"].to_numpy(dtype=float)),
        "endowment": data["endowment"].astype(float),
    })


def run_econ(data: pd.DataFrame) -> np.ndarray:
    result = att_gt(data, outcome="y", unit="village", time="year", cohort="cohort",
                    covariates=["endowment"], control="not_yet_treated",
                    bootstrap=Multiplier(reps=REPS, seed=1))
    result.aggregate("dynamic")
    return result.tidy()["estimate"].to_numpy()


def run_csdid(data: pd.DataFrame) -> np.ndarray:
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model = ATTgt(yname="y", gname="cohort", idname="village", tname="year", data=data,
                      xformla="y ~ endowment", control_group="notyettreated", biters=REPS,
                      cband=True)
        model.fit(est_method="dr", bstrap=True)
        model.aggte(typec="dynamic")
    return np.asarray(model.results["att"], dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = make_data()
    runners = {"econ": run_econ, "csdid": run_csdid}
    estimates = {name: run(data) for name, run in runners.items()}  # warm-up
    gap = float(np.max(np.abs(estimates["econ"] - estimates["csdid"])))
    times: dict[str, list[float]] = {name: [] for name in runners}
    for round_ in range(args.repeats):
        order = list(runners) if round_ % 2 == 0 else list(runners)[::-1]
        for name in order:
            start = time.perf_counter()
            runners[name](data)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    report = {
        "rows": len(data), "villages": int(data["village"].nunique()),
        "cells": len(estimates["econ"]), "bootstrap_draws": REPS,
        "median_seconds": medians, "all_seconds": times,
        "csdid_over_econ": medians["csdid"] / medians["econ"],
        "max_abs_att_difference": gap,
    }
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "bench_callaway_santanna.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
