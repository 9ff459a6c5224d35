"""Benchmark of the Monte Carlo engine: in process against a LocalCluster of 1 and 2 workers.

Workload (issue 15): SIMULATED ``wp`` panels (2 counties of 15 townships of 11 villages,
2013-2025, the shipped triple difference 0.45), each analysed by the strong-alliance main
regression and a 999-draw restricted wild cluster bootstrap of the triple difference
(``econ.study.power.StrongAllianceDesign``, method ``wild_bootstrap``, one bootstrap thread).

Runs, each timed once with ``time.perf_counter`` around ``econ.montecarlo.montecarlo``:

- in process (``workers=0``), after two warm-up panels (imports, compiled kernels), with the
  process's default BLAS threads (Dask's nanny starts workers with ``OMP_NUM_THREADS=1``; on a
  loaded 2-core machine a multithreaded OpenBLAS makes the regression's QR several times
  slower, which this row shows);
- a LocalCluster of 1 and of 2 single-threaded worker processes, started beforehand (its
  start-up time is reported apart) and warmed up by one small run, so the time is the
  engine's and the work's.

Every run must give bit-identical replications (checked). Then:

- the engine's parallelism apart from free cores: 40 replications that sleep 0.25 s each,
  on 1 and on 2 workers;
- the engine's overhead per task: ``--overhead-tasks`` tasks of one replication that does
  nothing, on the 2-worker cluster, wall time x workers / tasks; and in process, per
  replication;
- the peak memory of each worker process (``ru_maxrss``) after the runs;
- tasks (and panels) per second per core from the 2-worker run, and what that projects for a
  multi-node cluster of ``n`` cores: ``panels / (rate per core x n)`` plus the tasks'
  scheduling overhead, which stays small while a task holds several panels.

    python benchmarks/bench_montecarlo.py [--panels 1000] [--task-size 5] [--overhead-tasks 400]

Writes ``benchmarks/results/bench_montecarlo.md`` (with ``--write``).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import time
import warnings
from functools import partial
from pathlib import Path

import pandas as pd

from econ.montecarlo import montecarlo
from econ.study.power import StrongAllianceDesign, _pvalues

RESULTS = Path(__file__).parent / "results" / "bench_montecarlo.md"
CELL = {"counties": [2], "townships": [15], "villages": [11], "effect": [0.45]}


def nothing(seed: object) -> dict[str, float]:
    """A replication with no work: what remains is the engine's cost."""
    return {"x": 0.0}


def pause(seed: object) -> dict[str, float]:
    """A replication that waits a quarter of a second without using a core: the engine's
    parallelism apart from how many cores the machine has free."""
    time.sleep(0.25)
    return {"x": 0.0}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, **options: object) -> tuple[float, pd.DataFrame]:
    design = StrongAllianceDesign(bootstrap_reps=999)
    started = time.perf_counter()
    run = montecarlo(design, partial(_pvalues, design, ("wild_bootstrap",)), grid=CELL,
                     progress=False, **options)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    if run.n_failed:
        raise RuntimeError(f"{label}: {run.n_failed} panels failed: "
                           f"{run.failures['error'].iloc[0]}")
    print(f"  {label:<24} {seconds:8.1f} s  ({seconds / len(run.replications):.3f} s/panel)",
          flush=True)
    return seconds, run.replications.drop(columns="warnings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=1000)
    parser.add_argument("--task-size", type=int, default=5)
    parser.add_argument("--overhead-tasks", type=int, default=400)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    lines = [f"# Monte Carlo engine benchmark ({platform.machine()}, {os.cpu_count()} cores, "
             f"load average {os.getloadavg()[0]:.1f} at the start)", "",
             f"{args.panels:,} SIMULATED wp panels, strong-alliance regression + 999-draw WCR "
             f"each, {args.task_size} panels per task.", ""]
    print("\n".join(lines), flush=True)
    rows = {}
    timed("warm-up (in process)", reps=2, workers=0, task_size=1, seed=2)
    seconds, reference = timed("in process", reps=args.panels, workers=0,
                               task_size=args.task_size)
    rows["in process"] = seconds
    memory: dict[int, list[float]] = {}
    waits: dict[int, float] = {}
    per_task = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's own start-up and shutdown notices
        for workers in (1, 2):
            started = time.perf_counter()
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
            startup = time.perf_counter() - started
            montecarlo(nothing, reps=workers * 4, task_size=1, client=client, progress=False,
                       seed=1)  # imports econ's engine on every worker
            timed(f"warm-up ({workers} worker)", reps=2 * workers, client=client, task_size=1,
                  seed=2)
            seconds, found = timed(f"LocalCluster, {workers} worker{'s' * (workers > 1)}",
                                   reps=args.panels, client=client, task_size=args.task_size)
            pd.testing.assert_frame_equal(found, reference)
            rows[f"{workers} worker{'s' * (workers > 1)}"] = seconds
            memory[workers] = sorted(client.run(peak_rss_mb).values())
            started = time.perf_counter()
            montecarlo(pause, reps=40, task_size=1, client=client, progress=False, seed=4)
            waits[workers] = time.perf_counter() - started
            print(f"  (cluster start-up {startup:.1f} s; peak RSS per worker "
                  f"{', '.join(f'{m:.0f}' for m in memory[workers])} MB)", flush=True)
            if workers == 2:
                started = time.perf_counter()
                montecarlo(nothing, reps=args.overhead_tasks, task_size=1, client=client,
                           progress=False, seed=3)
                per_task = (time.perf_counter() - started) * workers / args.overhead_tasks
            client.close()
            cluster.close()
    started = time.perf_counter()
    montecarlo(nothing, reps=args.overhead_tasks, task_size=1, workers=0, progress=False,
               seed=3)
    in_process_task = (time.perf_counter() - started) / args.overhead_tasks
    assert per_task is not None
    tasks = -(-args.panels // args.task_size)
    # Per core: the 1-worker run has a core to itself only if the machine is otherwise idle;
    # the 2-worker run shares both cores with whatever else runs. Both are reported.
    rates = {w: tasks / rows[label] / w for w, label in ((1, "1 worker"), (2, "2 workers"))}
    rate = rates[1]
    panel_cost = 1 / (rate * args.task_size)
    lines += ["| run | wall time (s) | s per panel | speed-up vs 1 worker |",
              "| --- | ---: | ---: | ---: |"]
    for label, seconds in rows.items():
        lines.append(f"| {label} | {seconds:.1f} | {seconds / args.panels:.3f} | "
                     f"{rows['1 worker'] / seconds:.2f} |")
    lines += ["", "Results bit-identical in all three runs (checked).", "",
              f"- Parallelism without CPU contention (40 replications that each wait 0.25 s, "
              f"one per task): 1 worker {waits[1]:.1f} s, 2 workers {waits[2]:.1f} s "
              f"({waits[1] / waits[2]:.2f}x).",
              f"- Engine overhead per task (a replication doing nothing, 2 workers): "
              f"{1000 * per_task:.1f} ms of worker time; in process {1000 * in_process_task:.1f} "
              f"ms per replication.",
              f"- Peak memory per worker process (ru_maxrss): 1 worker "
              f"{memory[1][0]:.0f} MB; 2 workers {', '.join(f'{m:.0f}' for m in memory[2])} MB.",
              *(f"- Throughput ({w} worker{'s' * (w > 1)}): {r:.3f} tasks/s/core = "
                f"{r * args.task_size:.3f} panels/s/core ({1 / (r * args.task_size):.2f} "
                f"core-seconds per panel)." for w, r in rates.items()),
              "- Projection for a multi-node cluster of n dedicated cores (panels x the 1-worker "
              "run's core-seconds per panel / n, plus the per-task overhead, "
              f"{100 * per_task / (panel_cost * args.task_size):.1f}% of a task of "
              f"{args.task_size} panels here):"]
    for cores in (16, 64, 256):
        lines.append(f"  - {cores} cores: 1,000 panels in about "
                     f"{1000 * (panel_cost + per_task / args.task_size) / cores:.0f} s; "
                     f"100,000 panels in about "
                     f"{100_000 * (panel_cost + per_task / args.task_size) / cores / 60:.0f} "
                     f"min")
    print("\n".join(lines[4:]), flush=True)
    if args.write:
        RESULTS.write_text("\n".join(lines) + "\n\nCommand: `python benchmarks/"
                           f"bench_montecarlo.py --panels {args.panels} --task-size "
                           f"{args.task_size} --overhead-tasks {args.overhead_tasks} "
                           "--write`\n", encoding="utf-8")


if __name__ == "__main__":
    main()
