"""Benchmark: validated loading (econ.read_panel) against a plain pandas.read_parquet.

Generates the ``national`` simulated configuration (about 500,000 villages x 13 years) as a
folder of parquet partitions. Time: one process reads the folder alternately with
``pandas.read_parquet`` and ``econ.read_panel`` (after one untimed read of each) and reports the
medians and their ratio. Memory: fresh child processes, so each peak is its own, report the peak
resident memory above the post-import baseline, against the data's in-memory size.

Targets (issue 2): validation at most 1.5x the plain read; peak memory under 3x the data's size.

    python benchmarks/bench_read_panel.py [--repeats 9] [--folder benchmarks/output/national]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

PEAK = r"""
import json, resource, sys
import pandas as pd
import econ
folder, reader = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
frame = pd.read_parquet(folder) if reader == "pandas" else econ.read_panel(folder).data
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mib": (peak - base) / 1024, "rows": len(frame),
                  "data_mib": frame.memory_usage(deep=True).sum() / 2**20}))
"""


def _peak(folder: Path, reader: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PEAK, str(folder), reader], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def _timings(folder: Path, repeats: int) -> dict[str, list[float]]:
    import pandas as pd

    import econ

    readers = {"pandas": lambda: pd.read_parquet(folder),
               "econ": lambda: econ.read_panel(folder)}
    for read in readers.values():
        read()
    times: dict[str, list[float]] = {"pandas": [], "econ": []}
    for i in range(repeats):
        for name in (("pandas", "econ") if i % 2 == 0 else ("econ", "pandas")):
            started = time.perf_counter()
            result = readers[name]()
            times[name].append(time.perf_counter() - started)
            del result
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--folder", type=Path, default=Path("benchmarks/output/national"))
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()

    if not args.folder.exists():
        import econ

        started = time.perf_counter()
        econ.simulate.write_partitions(args.folder, config="national", seed=args.seed)
        print(f"generated national partitions in {time.perf_counter() - started:.1f}s")
    # Peaks first: on Linux a child's ru_maxrss starts from its parent's, so the parent must
    # still be small when the children run.
    peaks = {r: [_peak(args.folder, r) for _ in range(3)] for r in ("pandas", "econ")}
    times = _timings(args.folder, args.repeats)
    med = {r: statistics.median(v) for r, v in times.items()}
    peak = {r: statistics.median(x["peak_mib"] for x in v) for r, v in peaks.items()}
    data_mib = peaks["econ"][0]["data_mib"]
    print(f"rows: {peaks['econ'][0]['rows']:,}; data in memory: {data_mib:.0f} MiB "
          f"(econ canonical dtypes), {peaks['pandas'][0]['data_mib']:.0f} MiB (pandas)")
    for reader in ("pandas", "econ"):
        shown = ", ".join(f"{t:.2f}" for t in times[reader])
        print(f"{reader:>6}: median {med[reader]:.2f}s [{shown}]; peak +{peak[reader]:.0f} MiB")
    print(f"time ratio econ/pandas: {med['econ'] / med['pandas']:.2f} (target <= 1.5)")
    print(f"peak memory / data size: {peak['econ'] / data_mib:.2f} (target < 3)")

if __name__ == "__main__":
    main()
