"""Benchmark: econ.att_gt against diff-diff, moderndid and csdid on the province-sized panel.

Data: ``econ.simulate("province")`` (about 9,400 villages x 13 years; ``--villages N`` scales
its counties to about ``N`` villages and ``--years T`` keeps the last ``T`` years: the issue's
size is ``--villages 50000 --years 10``), outcome
``log1p(assistance_funds)``, cohort ``demonstration_year`` (missing = never designated), unit
``village_id``, period ``year``; doubly robust ATT(g, t) with not-yet-treated controls, then
the dynamic aggregation. Every package gets a DataFrame with integer ids and the cohort as 0
for never designated (csdid and moderndid need numeric ids and 0).

Configurations (``--configs``): ``plain`` (no covariates, analytic standard errors),
``covariates`` (``endowment``, analytic), ``bootstrap`` (``endowment``, 999 multiplier draws,
bootstrapped aggregation). csdid has no analytic-only mode and runs in ``bootstrap`` only.

Time (protocol in ``harness.py``): cold, a fresh process per package and configuration timing
its first call (imports, compilation), then a second call whose peak memory above what the
process held before is reported; warm, one process, one untimed call each, then ``--repeats``
rounds in rotated order. Medians, ratios econ / peer and the load average are printed, and the
largest ATT(g, t) difference from econ's, matched by (cohort, period).

Target: econ at least 2x faster than diff-diff in every configuration; econ's bootstrap peak
memory no higher than diff-diff's.

    python benchmarks/bench_callaway_santanna.py [--repeats 3] [--children 1]
        [--configs plain covariates bootstrap] [--packages econ diff-diff moderndid csdid]
        [--villages 50000 --years 10]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from harness import colds, load_average, table, warm_rounds

OUTPUT = Path(__file__).resolve().parent / "output"
REPS = 999
PACKAGES = ("econ", "diff-diff", "moderndid", "csdid")
CONFIGS = ("plain", "covariates", "bootstrap")

#: (cohort, period) -> ATT of one run.
Estimates = dict[tuple[int, int], float]


def make_data(villages: int = 0, years: int = 0) -> pd.DataFrame:
    """The panel: the province preset, or about ``villages`` villages (0: the preset's) over
    its last ``years`` years (0: all)."""
    import dataclasses

    import econ
    from econ.data.simulate.params import PROVINCE

    params = None
    if villages:
        # The preset averages about 156 villages per county.
        counties = max(1, round(villages / 156))
        params = dataclasses.replace(
            PROVINCE, structure=dataclasses.replace(PROVINCE.structure, n_counties=counties))
    sim = econ.simulate("province", params=params)
    data = sim.data
    if years:
        data = data[data["year"].astype(int) > int(data["year"].astype(int).max()) - years]
    return pd.DataFrame({
        "village": data["village_id"].cat.codes.astype(np.int64),
        "year": data["year"].astype(np.int64),
        "cohort": data["demonstration_year"].astype("Int64").fillna(0).astype(np.int64),
        "y": np.log1p(data["assistance_funds"].to_numpy(dtype=float)),
        "endowment": data["endowment"].astype(float),
    })


def _keyed(groups: object, times: object, att: object) -> Estimates:
    return {(int(g), int(t)): float(a) for g, t, a in zip(np.asarray(groups), np.asarray(times),
                                                           np.asarray(att), strict=True)}


def run_econ(data: pd.DataFrame, config: str) -> Estimates:
    from econ.inference.multiplier import Multiplier
    from econ.models.staggered import att_gt

    result = att_gt(data, outcome="y", unit="village", time="year", cohort="cohort",
                    covariates=() if config == "plain" else ["endowment"],
                    control="not_yet_treated",
                    bootstrap=Multiplier(reps=REPS, seed=1) if config == "bootstrap" else None)
    result.aggregate("dynamic")
    tidy = result.tidy()
    return _keyed(tidy["group"], tidy["time"], tidy["estimate"])


def run_diff_diff(data: pd.DataFrame, config: str) -> Estimates:
    from diff_diff import CallawaySantAnna

    model = CallawaySantAnna(control_group="not_yet_treated", estimation_method="dr",
                             n_bootstrap=REPS if config == "bootstrap" else 0, seed=1)
    result = model.fit(data, outcome="y", unit="village", time="year", first_treat="cohort",
                       covariates=None if config == "plain" else ["endowment"],
                       aggregate="event_study")
    cells = result.group_time_effects
    return {(int(g), int(t)): float(v["effect"]) for (g, t), v in cells.items()}


def run_moderndid(data: pd.DataFrame, config: str) -> Estimates:
    import moderndid

    result = moderndid.att_gt(data, yname="y", tname="year", idname="village", gname="cohort",
                              xformla=None if config == "plain" else "~endowment",
                              control_group="notyettreated", boot=config == "bootstrap",
                              biters=REPS, random_state=1)
    moderndid.aggte(result, type="dynamic")
    return _keyed(result.groups, result.times, result.att_gt)


def run_csdid(data: pd.DataFrame, config: str) -> Estimates:
    from csdid.att_gt import ATTgt

    with contextlib.redirect_stdout(io.StringIO()):
        model = ATTgt(yname="y", gname="cohort", idname="village", tname="year", data=data,
                      xformla=None if config == "plain" else "y ~ endowment",
                      control_group="notyettreated", biters=REPS, cband=True)
        model.fit(est_method="dr", bstrap=True)
        model.aggte(typec="dynamic")
    frame = model.results
    return _keyed(frame["group"], frame["year"], frame["att"])


RUNS: dict[str, Callable[[pd.DataFrame, str], Estimates]] = {
    "econ": run_econ, "diff-diff": run_diff_diff, "moderndid": run_moderndid,
    "csdid": run_csdid}


def quiet(run: Callable[[pd.DataFrame, str], Estimates], data: pd.DataFrame, config: str
          ) -> Estimates:
    with warnings.catch_warnings():
        # The peers' warnings about their own internals are not under test.
        warnings.simplefilter("ignore")
        return run(data, config)


def child(package: str, config: str, villages: str, years: str) -> dict[str, object]:
    from harness import cold_child

    return cold_child(lambda: make_data(int(villages), int(years)),
                      lambda data: quiet(RUNS[package], data, config))


def gap(econ: Estimates, other: Estimates) -> float:
    shared = set(econ) & set(other)
    return max((abs(econ[k] - other[k]) for k in shared), default=float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--children", type=int, default=1,
                        help="cold fresh processes per package and configuration")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--packages", nargs="+", choices=PACKAGES, default=list(PACKAGES))
    parser.add_argument("--villages", type=int, default=0,
                        help="about this many villages (default: the province preset's)")
    parser.add_argument("--years", type=int, default=0,
                        help="keep the last this many years (default: all 13)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    print(f"Callaway-Sant'Anna benchmark: simulated province panel"
          f"{f' scaled to about {args.villages:,} villages' if args.villages else ''}"
          f"{f', last {args.years} years' if args.years else ''}, DR, not-yet-treated "
          f"controls, dynamic aggregation; {load_average()}")
    report: dict[str, object] = {}
    for config in args.configs:
        packages = [p for p in args.packages if p != "csdid" or config == "bootstrap"]
        cold = (colds(__file__, packages, args.children, config, str(args.villages),
                      str(args.years)) if args.children else None)
        data = make_data(args.villages, args.years)
        estimates = {p: quiet(RUNS[p], data, config) for p in packages}  # untimed warm-up
        warm = warm_rounds({p: lambda p=p, d=data, c=config: quiet(RUNS[p], d, c)
                            for p in packages}, args.repeats)
        print()
        print(table(f"{config} ({len(data):,} rows, {len(estimates['econ'])} ATT(g, t)):",
                    cold, warm))
        for p in packages[1:]:
            print(f"  max |ATT(g, t) - econ's| {p}: {gap(estimates['econ'], estimates[p]):.2e}")
        med = {p: statistics.median(v) for p, v in warm.items()}
        if "diff-diff" in med:
            verdict = "met" if med["diff-diff"] / med["econ"] >= 2 else "NOT met"
            print(f"  econ {med['diff-diff'] / med['econ']:.2f}x faster than diff-diff warm "
                  f"(target >= 2: {verdict})")
        print(f"  {load_average()}")
        report[config] = {"rows": len(data), "cold": cold, "warm": warm,
                          "gaps": {p: gap(estimates["econ"], estimates[p])
                                   for p in packages[1:]}}
    report["load_average"] = os.getloadavg()
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / "bench_callaway_santanna.json"
    target.write_text(json.dumps(report, indent=2, default=float))
    print(f"raw figures: {target}")


if __name__ == "__main__":
    main()
