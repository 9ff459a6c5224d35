"""Benchmark: validated loading (econ.read_panel) against a plain pandas.read_parquet.

Data: the ``national`` simulated configuration (about 500,000 villages x 13 years, 6.5 million
rows) as a folder of parquet partitions, generated once by ``econ.simulate.write_partitions``
(the folder is shared with bench_feols.py).

Time (protocol in ``harness.py``): cold, fresh child processes (``--children`` per reader,
rotated), each timing its first read (lazy imports included) and then a second one, whose peak
memory above what the process held before is reported; warm, one process reading the folder
once untimed with each reader, then ``--repeats`` rounds in rotated order. Medians, ratios and
the load average are printed. Each warm read's CPU time is reported beside its wall time, for
all threads and for the calling thread alone: on a shared machine wall times stretch with the
load, CPU times much less, and the calling thread's time is the part no idle core can take
over (pyarrow decodes and converts on its thread pool; validation runs on the caller's thread).

Targets (issue 16): econ.read_panel at most 1.2x pandas.read_parquet (warm medians, same
process); peak memory under 3x the data's in-memory size.

    python benchmarks/bench_read_panel.py [--repeats 9] [--children 3]
        [--folder benchmarks/output/national]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import cold_child, colds, load_average, table, warm_rounds

OUTPUT = Path(__file__).resolve().parent / "output"
READERS = ("econ", "pandas")


def _read(reader: str, folder: str) -> Any:
    if reader == "pandas":
        import pandas as pd

        return pd.read_parquet(folder)
    import econ

    return econ.read_panel(folder).data


def _child(reader: str, folder: str) -> None:
    def build() -> str:
        # Imported untimed, as a script does before its first read; what the first read
        # imports lazily (pyarrow for both, econ's loader modules) is in its time.
        __import__("pandas")
        if reader == "econ":
            __import__("econ")
        return folder

    kept: list[Any] = [None]
    result = cold_child(build, lambda f: kept.__setitem__(0, _read(reader, f)))
    result.update(rows=len(kept[0]), data_mib=kept[0].memory_usage(deep=True).sum() / 2**20)
    print(json.dumps(result))


Times = dict[str, list[float]]


def _warm(folder: str, repeats: int) -> tuple[Times, Times, Times]:
    import econ  # noqa: F401  (imported before timing, as a user's script would)

    cpu: Times = {r: [] for r in READERS}
    caller: Times = {r: [] for r in READERS}

    def timed(reader: str) -> None:
        started, own = time.process_time(), time.thread_time()
        result = _read(reader, folder)
        cpu[reader].append(time.process_time() - started)
        caller[reader].append(time.thread_time() - own)
        del result

    for reader in READERS:
        timed(reader)
    for times in (cpu, caller):
        for reader in READERS:
            times[reader].clear()
    wall = warm_rounds({r: lambda r=r: timed(r) for r in READERS}, repeats)
    return wall, cpu, caller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--children", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=OUTPUT / "national")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    if not args.folder.exists():
        import econ

        started = time.perf_counter()
        econ.simulate.write_partitions(args.folder, config="national", seed=args.seed)
        print(f"generated national partitions in {time.perf_counter() - started:.1f}s")
    print(f"read_panel vs pandas.read_parquet, {args.folder}")
    print(f"  {load_average()}")
    # Children first, while this process is small (see harness.py).
    cold = colds(__file__, READERS, args.children, str(args.folder))
    wall, cpu, caller = _warm(str(args.folder), args.repeats)
    first = cold["econ"][0]
    print(f"  rows: {first['rows']:,}; data in memory: {first['data_mib']:.0f} MiB (econ), "
          f"{cold['pandas'][0]['data_mib']:.0f} MiB (pandas)")
    print(table("  times (s), ratios econ / pandas:", cold, wall))
    med = {r: statistics.median(v) for r, v in wall.items()}
    cpu_med = {r: statistics.median(v) for r, v in cpu.items()}
    caller_med = {r: statistics.median(v) for r, v in caller.items()}
    for reader in READERS:
        shown = ", ".join(f"{t:.2f}" for t in cpu[reader])
        print(f"  {reader:>6} warm CPU: median {cpu_med[reader]:.2f}s all threads [{shown}], "
              f"{caller_med[reader]:.2f}s calling thread")
    peak = statistics.median(c["cold_peak_mib"] for c in cold["econ"])
    print(f"  warm time ratio econ / pandas: {med['econ'] / med['pandas']:.2f} (target <= 1.2); "
          f"CPU time ratio {cpu_med['econ'] / cpu_med['pandas']:.2f} (all threads), "
          f"{caller_med['econ'] / caller_med['pandas']:.2f} (calling thread)")
    print(f"  econ peak memory / data size: {peak / first['data_mib']:.2f} (target < 3)")
    print(f"  {load_average()}")
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "bench_read_panel.json").write_text(json.dumps(
        {"cold": cold, "warm": wall, "warm_cpu": cpu, "warm_cpu_calling_thread": caller,
         "load_average": os.getloadavg(),
         "argv": sys.argv[1:]}, indent=2, default=float))


if __name__ == "__main__":
    main()
