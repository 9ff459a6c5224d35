"""Shared timing protocol of the side-by-side benchmarks (issue 16).

Every row of the README's benchmark table is one command that reports, for econ and the peer(s):

- cold: a fresh process per package, timing its first call on a freshly built input (what a
  user running a script pays once: lazy imports, compilation, first-touch allocations, caches
  that are empty);
- warm: the same call repeated in one long-lived process per run, packages in rotated order
  each round, medians;
- the ratios econ / peer of both medians, the load average before and after (the machine may be
  shared), and the peak memory of a call above what the process held before it.

A benchmark script runs its own ``--child`` mode for the cold figures: it builds the input,
times the first call, resets its peak-memory mark, times a second call and prints one JSON line
(:func:`cold_child`); the parent spawns those children before it holds any data, because on
Linux a child's ``ru_maxrss`` starts from its parent's resident size.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from memory import current_mib, peak_mib, reset_peak


def load_average() -> str:
    """The 1, 5 and 15 minute load averages and the CPU count, as one phrase."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def cold_child(build: Callable[[], Any], call: Callable[[Any], Any]) -> dict[str, Any]:
    """In a fresh process: time ``call(build())`` once (cold), then again (warm), each with
    its peak memory above what the process held just before it.

    ``build`` is not timed. The first call's peak (``cold_peak_mib``) includes what its lazy
    imports and compilation load; the second's (``peak_mib``) is a lower bound of the call's
    own working memory, as the allocator may reuse pages the first call freed. Peaks are
    measured from a reset mark (``/proc/self/clear_refs``) where permitted, otherwise above the
    process's peak so far.
    """
    inputs = build()
    peaks, seconds, reset = [], [], True
    for _ in range(2):
        gc.collect()
        reset = reset_peak() and reset
        baseline = current_mib("VmRSS") if reset else peak_mib()
        started = time.perf_counter()
        call(inputs)
        seconds.append(time.perf_counter() - started)
        peaks.append(peak_mib() - baseline)
    return {"cold": seconds[0], "warm": seconds[1], "cold_peak_mib": peaks[0],
            "peak_mib": peaks[1], "baseline_mib": baseline, "reset": reset}


def spawn(script: str, *args: str) -> dict[str, Any]:
    """Run ``script --child args`` in a fresh interpreter; its last stdout line as JSON."""
    out = subprocess.run([sys.executable, script, "--child", *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def colds(script: str, packages: Sequence[str], children: int, *args: str
          ) -> dict[str, list[dict[str, Any]]]:
    """``children`` fresh processes per package, packages rotated between rounds."""
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in packages}
    for i in range(children):
        for package in rotated(packages, i):
            out[package].append(spawn(script, package, *args))
    return out


def rotated(names: Sequence[str], round_: int) -> list[str]:
    """``names`` started at position ``round_`` (each package goes first in turn)."""
    shift = round_ % len(names)
    return list(names[shift:]) + list(names[:shift])


def warm_rounds(calls: Mapping[str, Callable[[], Any]], repeats: int
                ) -> dict[str, list[float]]:
    """Seconds of each call over ``repeats`` rounds in rotated order (after no warm-up: the
    caller runs one untimed call of each first)."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(repeats):
        for name in rotated(list(calls), i):
            gc.collect()
            started = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - started)
    return times


def table(title: str, cold: Mapping[str, list[dict[str, Any]]] | None,
          warm: Mapping[str, list[float]], reference: str = "econ") -> str:
    """Medians, ratios ``reference / package`` and peaks, one line per package."""
    lines = [title, f"  {'package':<14}{'cold s':>9}{'econ/it':>9}{'warm s':>9}{'econ/it':>9}"
                    f"{'peak MiB 1st/2nd call':>23}  warm runs (s)"]
    cold_med = ({p: statistics.median(c["cold"] for c in v) for p, v in cold.items()}
                if cold else {})
    warm_med = {p: statistics.median(v) for p, v in warm.items()}
    for package in warm:
        c = cold_med.get(package)
        peak = ((statistics.median(x["cold_peak_mib"] for x in cold[package]),
                 statistics.median(x["peak_mib"] for x in cold[package]))
                if cold and package in cold else None)
        cold_text = (f"{c:>9.3f}{cold_med[reference] / c:>9.2f}" if c is not None
                     and reference in cold_med else f"{'-':>9}{'-':>9}")
        peak_text = (f"{peak[0]:>16.0f} / {peak[1]:<4.0f}" if peak is not None
                     else f"{'-':>23}")
        runs = ", ".join(f"{t:.3f}" for t in warm[package])
        lines.append(f"  {package:<14}{cold_text}{warm_med[package]:>9.3f}"
                     f"{warm_med[reference] / warm_med[package]:>9.2f}{peak_text}  [{runs}]")
    return "\n".join(lines)
