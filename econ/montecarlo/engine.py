"""``econ.montecarlo``: replications of a data step and an analysis step, on Dask or here."""

from __future__ import annotations

import itertools
import math
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.montecarlo.cluster import connect, dashboard_link, worker_count
from econ.montecarlo.store import Store, describe
from econ.montecarlo.tasks import (
    CELL,
    ERROR,
    REPLICATION,
    WARNINGS,
    AnalysisStep,
    DataStep,
    Task,
    pack,
    plan,
    run_packed,
    run_task,
)
from econ.results.montecarlo import SUMMARY_COLUMNS, MonteCarloResult

if TYPE_CHECKING:
    from distributed import Client

#: Version of the output layout and seeding rule, part of every run's settings.
FORMAT = 1

Grid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


def montecarlo(
    data: DataStep,
    analysis: AnalysisStep | None = None,
    *,
    reps: int,
    grid: Grid | None = None,
    seed: Seed = DEFAULT_SEED,
    task_size: int | None = None,
    output: str | Path | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    dashboard: bool = True,
    simulated: bool = True,
) -> MonteCarloResult:
    """Run ``reps`` replications (per grid cell) of ``analysis(data(seed))``, in parallel.

    Parameters
    ----------
    data
        The data step, called as ``data(seed, **cell)`` with the replication's
        :class:`numpy.random.SeedSequence` (``SeedSequence(seed, spawn_key=(r,))``, the
        ``r``-th child of ``SeedSequence(seed)``) and the grid cell's values: an
        :class:`~econ.montecarlo.Simulation` (an ``econ.simulate`` preset with overrides) or
        any function. On a cluster the steps travel with cloudpickle: functions of importable
        modules by reference, those of ``__main__`` (a script) by value; a module workers
        cannot import (a script loaded by path) needs
        ``cloudpickle.register_pickle_by_value(module)``.
    analysis
        Called as ``analysis(data_step_result, analysis_seed)`` and returning a mapping of
        names to numbers (estimates, p-values, 0/1 coverage) or text (``None`` for missing).
        ``analysis_seed`` is an ``int`` from a stream independent of the data's, for the
        analysis's bootstrap or permutations. ``None``: the data step returns the mapping itself.
    reps
        Replications per grid cell.
    grid
        Settings to vary: a mapping of names to values (every combination is a cell) or a
        list of cells (mappings with the same names). Every cell uses the same replication
        seeds (common random numbers), so differences between cells are not noise of the
        draws. The names are passed to the data step and become columns of the result.
    seed
        Root seed (an ``int``, or a ``numpy.random.Generator`` from which one is drawn).
    task_size
        Replications per task (default ``ceil(reps / 100)``): the unit of scheduling, of
        retries and of the output files. The numbers do not depend on it.
    output
        Folder of the Parquet output, one file per finished task and ``settings.json``. An
        existing run's folder is resumed (its finished tasks are read, not recomputed);
        a folder of a run with other settings is refused.
    client
        A :class:`distributed.Client` of an existing cluster, or its scheduler's address
        (``"tcp://host:8786"``). Default: the address in ``ECON_SCHEDULER`` if set, else a
        LocalCluster started and stopped by this call.
    workers
        Worker processes of the embedded LocalCluster (default: one per core); ``0`` runs
        every task in this process, without Dask.
    progress
        Show a progress bar and the dashboard address on standard error (default: when it
        is a terminal).
    dashboard
        Serve the Dask dashboard of the embedded cluster.
    simulated
        Whether the data are simulated (the summary then carries the SIMULATED label).

    Returns
    -------
    MonteCarloResult
        ``replications`` (one row each, failures with their ``error``), ``tidy()``,
        ``rejection_rates()``, ``summary()``.

    Raises
    ------
    SchedulerUnreachable
        If a scheduler address does not answer within 5 seconds.
    FileExistsError
        If ``output`` holds another run's results, or files that are not a run's.
    ValueError
        For a non-positive ``reps`` or ``task_size``, or an inconsistent grid.

    Notes
    -----
    A replication whose data or analysis step raises is recorded with its error and the run
    goes on. A worker that dies has its tasks rerun elsewhere by Dask; an interrupted run
    resumes from its ``output`` folder. Results are bit-identical whatever the workers, the
    task size, the order tasks finish in, and in process.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    size = math.ceil(reps / 100) if task_size is None else task_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"task_size must be a positive integer, got {task_size!r}")
    cells = _cells(grid)
    names = tuple(cells[0]) if cells[0] else ()
    root = entropy(seed)
    settings = {"format": FORMAT, "data": describe(data), "analysis": describe(analysis),
                "reps": reps, "seed": root, "task_size": size,
                "grid": [{k: _plain(v) for k, v in c.items()} for c in cells]}
    store = Store(output, settings)
    tasks = plan(reps, cells, size, root)
    done = {n: rows for n, rows in store.open().items() if n < len(tasks)}
    todo = [t for t in tasks if t.number not in done]
    started = time.perf_counter()
    bar = _Progress(len(tasks), len(done), progress)
    with connect(client, workers, dashboard=dashboard) as dask:
        count = worker_count(dask)
        if dask is None:
            for task in todo:
                done[task.number] = _finish(store, task, run_task(data, analysis, task), bar)
        else:
            link = dashboard_link(dask)
            if link:
                bar.say(f"Dask dashboard: {link}")
            run = partial(run_packed, pack(data, analysis))
            done.update(_on_dask(dask, run, todo, store, bar, settings_key=store.fingerprint))
    bar.close()
    frame = _assemble([_normal(done[t.number], t) for t in tasks], names)
    values = tuple(c for c in frame.columns
                   if c not in (CELL, REPLICATION, ERROR, WARNINGS, *names))
    return MonteCarloResult(
        replications=frame, grid=names, values=values, reps=reps, seed=root, task_size=size,
        tasks=len(tasks), resumed=len(tasks) - len(todo), workers=count,
        seconds=time.perf_counter() - started,
        output=None if output is None else Path(output), fingerprint=store.fingerprint,
        settings=settings, simulated=simulated)


def _on_dask(dask: Client, run: partial[pd.DataFrame], todo: list[Task], store: Store,
             bar: _Progress, *, settings_key: str) -> dict[int, pd.DataFrame]:
    """Submit every task, write each one's file as it finishes; cancel the rest on error."""
    from distributed import as_completed

    token = f"{settings_key[:10]}-{uuid.uuid4().hex[:8]}"
    futures = dask.map(run, todo, key=[f"econ-montecarlo-{token}-{t.number}" for t in todo],
                       retries=2, pure=False)
    by_key = {f.key: t for f, t in zip(futures, todo, strict=True)}
    finished = {}
    try:
        # Results come back in batches as they finish: one round trip per batch, not per task.
        for future, rows in as_completed(futures, with_results=True):
            task = by_key[future.key]
            finished[task.number] = _finish(store, task, rows, bar)
            future.release()
    finally:
        # An error or an interrupt leaves nothing running on a cluster the caller may keep.
        dask.cancel([f for f in futures if f.status == "pending"])
    return finished


def _finish(store: Store, task: Task, rows: pd.DataFrame, bar: _Progress) -> pd.DataFrame:
    store.write(task.number, rows)
    bar.step(task.size, int(rows[ERROR].notna().sum()))
    return rows


def _cells(grid: Grid | None) -> list[dict[str, Any]]:
    if grid is None:
        return [{}]
    if isinstance(grid, Mapping):
        if not grid:
            return [{}]
        keys = list(grid)
        columns = [list(grid[k]) if isinstance(grid[k], Sequence) and not isinstance(
            grid[k], str) else [grid[k]] for k in keys]
        cells = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*columns)]
    else:
        cells = [dict(c) for c in grid]
    if not cells:
        raise ValueError("the grid has no cells")
    names = list(cells[0])
    odd = [i for i, c in enumerate(cells) if list(c) != names]
    if odd:
        raise ValueError(f"every grid cell needs the names {names}; cells {odd} differ")
    taken = (CELL, REPLICATION, ERROR, WARNINGS, *SUMMARY_COLUMNS)
    if any(not isinstance(n, str) or n in taken for n in names):
        raise ValueError(f"grid names must be strings other than {', '.join(taken)}; got "
                         f"{names}")
    return cells


def _plain(value: Any) -> Any:
    """A grid value as JSON would keep it (numpy scalars as Python numbers)."""
    return value.item() if hasattr(value, "item") else value


def _normal(rows: pd.DataFrame, task: Task) -> pd.DataFrame:
    """One dtype per column whether the rows were just computed or read back from Parquet."""
    rows = rows.copy()
    for name, value in task.values:
        rows[name] = pd.Series([value] * len(rows), dtype=pd.Series([value]).dtype)
    for name in (CELL, REPLICATION):
        rows[name] = rows[name].astype("int64")
    for name in (ERROR, WARNINGS):
        rows[name] = rows[name].astype("string")
    return rows


def _assemble(frames: list[pd.DataFrame], names: tuple[str, ...]) -> pd.DataFrame:
    """Rows in (cell, replication) order; value columns in order of first appearance."""
    frame = pd.concat(frames, ignore_index=True).sort_values([CELL, REPLICATION],
                                                             kind="stable")
    fixed = [CELL, *names, REPLICATION]
    others = [c for c in frame.columns if c not in (*fixed, ERROR, WARNINGS)]
    first = {c: frame[c].notna().to_numpy().argmax() if frame[c].notna().any()
             else len(frame) for c in others}
    values = sorted(others, key=lambda c: (first[c], others.index(c)))
    frame = frame[[*fixed, *values, ERROR, WARNINGS]].reset_index(drop=True)
    for name in values:
        text = frame[name].map(lambda v: isinstance(v, str)).any()
        frame[name] = frame[name].astype("string" if text else "float64")
    return frame


class _Progress:
    """A redrawn bar of tasks and replications on a terminal, nothing elsewhere."""

    def __init__(self, tasks: int, done: int, enabled: bool | None,
                 stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.tasks, self.done, self.reps, self.failed = tasks, done, 0, 0
        self.started = time.perf_counter()
        if done:
            self.say(f"resuming: {done:,} of {tasks:,} tasks already in the output")

    def say(self, line: str) -> None:
        if self.enabled:
            print(line, file=self.stream, flush=True)

    def step(self, reps: int, failed: int) -> None:
        self.done += 1
        self.reps += reps
        self.failed += failed
        if not self.enabled:
            return
        width = 24
        filled = width * self.done // max(self.tasks, 1)
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done:,}/"
                          f"{self.tasks:,} tasks, {self.reps:,} replications run, "
                          f"{self.failed:,} failed, {elapsed:,.0f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.reps:
            self.stream.write("\n")
            self.stream.flush()
