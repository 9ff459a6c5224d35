"""Benchmark: validated loading (econ.read_panel) against a plain pandas.read_parquet.

Generates the ``national`` simulated configuration (about 500,000 villages x 13 years) as a
folder of parquet partitions, then, in fresh child processes so that each peak is its own,
alternately reads it with ``pandas.read_parquet`` and with ``econ.read_panel`` and reports the
median wall time, the ratio, and the peak resident memory above the process's post-import
baseline, against the data's in-memory size.

Targets (issue 2): validation at most 1.5x the plain read; peak memory under 3x the data's size.

    python benchmarks/bench_read_panel.py [--repeats 5] [--folder benchmarks/output/national]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import econ
folder, reader = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if reader == "pandas":
    frame = pd.read_parquet(folder)
else:
    frame = econ.read_panel(folder).data
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": (peak - base) / 1024,
                  "rows": len(frame), "data_mib": frame.memory_usage(deep=True).sum() / 2**20}))
"""


def _measure(folder: Path, reader: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), reader], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=Path("benchmarks/output/national"))
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()

    import econ

    if not args.folder.exists():
        started = time.perf_counter()
        econ.simulate.write_partitions(args.folder, config="national", seed=args.seed)
        print(f"generated national partitions in {time.perf_counter() - started:.1f}s")
    runs: dict[str, list[dict[str, float]]] = {"pandas": [], "econ": []}
    for i in range(args.repeats):
        order = ("pandas", "econ") if i % 2 == 0 else ("econ", "pandas")
        for reader in order:
            runs[reader].append(_measure(args.folder, reader))
    med = {r: statistics.median(x["seconds"] for x in v) for r, v in runs.items()}
    peak = {r: statistics.median(x["peak_mib"] for x in v) for r, v in runs.items()}
    data_mib = runs["econ"][0]["data_mib"]
    print(f"rows: {runs['econ'][0]['rows']:,}; data in memory: {data_mib:.0f} MiB "
          f"(econ canonical dtypes), {runs['pandas'][0]['data_mib']:.0f} MiB (pandas)")
    for reader in ("pandas", "econ"):
        times = ", ".join(f"{x['seconds']:.2f}" for x in runs[reader])
        print(f"{reader:>6}: median {med[reader]:.2f}s [{times}]; peak +{peak[reader]:.0f} MiB")
    print(f"time ratio econ/pandas: {med['econ'] / med['pandas']:.2f} (target <= 1.5)")
    print(f"peak memory / data size: {peak['econ'] / data_mib:.2f} (target < 3)")


if __name__ == "__main__":
    main()
