"""Run every replication script and record what produced the outputs.

A replication script is a file ``replication/<step>.py`` (names starting with ``_`` are skipped)
that imports only the public ``econ`` API, so it can also be run on its own, and defines:

- ``SEED: int | None``: the seed of its random numbers (``None`` if it draws none);
- ``REPS: int | None``: its default bootstrap replications (``None`` if it does not
  bootstrap);
- ``NEEDS: tuple[str, ...]``: the panel columns it needs beyond the required ones (the derived
  study variables need ``unit_level`` and ``endowment``);
- ``main(*, panel: econ.Dataset, output: pathlib.Path, reps: int | None) -> list[Path]``.

The runner checks these declarations when it loads a script (a missing one is an error naming
the script) and records the seed and replications each step used in the manifest. A step whose
columns are missing from the panel is skipped, and a step that stops on a data problem (a
``ValueError`` from the package) is recorded as failed; either way the reason is printed and
kept in the manifest, the other steps run, and the manifest is written.

Steps are independent (each reads the panel and writes its own files), so on a machine with
several cores they run in that many worker processes at once, each with one BLAS thread, and
the steps that took longest in the previous run (its manifest) start first. The outputs are
the bytes a run in one process gives with one BLAS thread (``OPENBLAS_NUM_THREADS=1``); with
more BLAS threads a number whose last bits depend on how BLAS splits a sum can round
differently, as it can from one machine to another (on the shipped panel, one marker offset of
1e-11 pt in Figure 6's PDF, written ``0`` or ``-0``).
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import importlib.util
import json
import multiprocessing
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from econ.data.dataset import Dataset
# The panel reader and the table writers (both import pandas) are imported where they are
# used: replicate() starts the workers' fork server before this process spends half a second
# importing pandas, so that the two import side by side.

DEFAULT_PANEL = Path("data") / "village_panel.parquet"
SCRIPTS = Path("replication")
OUTPUT = SCRIPTS / "output"
_VERSIONED = ("econ", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "linearmodels",
              "matplotlib")
#: ``progress(step number, steps, step name, seconds)``: seconds is ``None`` when a step starts.
#: Steps may run side by side, so the number counts the steps finished: a step that ends is the
#: ``n``-th to finish, and one that starts gets the number of those finished plus one.
Progress = Callable[[int, int, str, float | None], None]
#: Modules nearly every step imports (the panel reader, tables, figures and their PDF writer,
#: event-study and regression results and their inference), loaded once in the fork server the
#: workers start from. scipy.stats, which econ's own results no longer import, is among them:
#: statsmodels (survey, efficiency) and the pre-test power's multivariate normal
#: (designation_robust) need it, and those steps usually run on different workers.
_PRELOAD = ("econ.data.io", "econ.table", "econ.presentation.figures",
            "matplotlib.backends.backend_pdf", "econ.results.event_study",
            "econ.results.regression", "scipy.stats")
#: Set in the environment of the workers' fork server (and of spawned workers) only: importing
#: this module there loads :data:`_PRELOAD` (:func:`_preload`).
_SERVER_FLAG = "ECON_REPLICATION_PRELOAD"
#: Environment variables that size the BLAS and OpenMP thread pools of a worker process.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Script(Protocol):
    """What a replication script declares.

    A script may also declare ``SECONDS``, about how long it takes on the shipped panel: a
    first run, with no manifest that timed the steps, starts the longest first by it.
    """

    SEED: int | None
    REPS: int | None
    NEEDS: tuple[str, ...]

    def main(self, *, panel: Dataset, output: Path, reps: int | None) -> list[Path]:
        """Write the step's outputs; return the files written."""
        ...


@dataclass(frozen=True)
class StepRecord:
    """One script's run: its outputs (with SHA-256), its seed and how long it took."""

    step: str
    outputs: tuple[tuple[str, str], ...]
    seconds: float
    seed: int | None
    reps: int | None
    status: str = "done"
    reason: str = ""


@dataclass(frozen=True)
class Replication:
    """A replication run: the manifest written and the steps that did not run."""

    manifest: Path
    records: tuple[StepRecord, ...]

    @property
    def incomplete(self) -> dict[str, str]:
        """``{step: reason}`` for the steps skipped or failed."""
        return {r.step: f"{r.status}: {r.reason}" for r in self.records if r.status != "done"}


def find_steps(scripts: Path) -> dict[str, Path]:
    """``{step name: script path}`` for every replication script, in name order."""
    if not scripts.is_dir():
        raise FileNotFoundError(
            f"no replication scripts at {str(scripts)!r}: run `econ replicate` from the "
            f"project root or pass --root"
        )
    return {p.stem: p for p in sorted(scripts.glob("*.py")) if not p.stem.startswith("_")}


def replicate(
    *,
    root: Path = Path("."),
    panel_path: Path | None = None,
    steps: Sequence[str] | None = None,
    output: Path | None = None,
    reps: int | None = None,
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    mapping: Mapping[str, str] | None = None,
    value_mapping: Mapping[str, Mapping[str, str]] | None = None,
    workers: int | None = None,
) -> Replication:
    """Run the replication scripts on a panel and write a manifest.

    Parameters
    ----------
    root
        Project root holding ``replication/`` and ``data/``.
    panel_path
        Input panel; the shipped simulated panel ``data/village_panel.parquet`` by default.
    steps
        Script names to run (default: all).
    output
        Output folder (default ``replication/output``).
    reps
        Bootstrap replications for the steps that bootstrap (each script's default if
        ``None``); recorded in the manifest.
    formats
        Table formats (``"docx"``, ``"xlsx"``, ``"md"``, ... see :data:`econ.table.FORMATS`)
        for every table the scripts write, in place of each script's own choice (through
        :func:`econ.table.table_formats`); recorded in the manifest. ``None``: the scripts'.
    progress
        Called as each step starts (``seconds=None``) and ends.
    mapping, value_mapping
        Header and value mappings for :func:`econ.read_panel` (``econ replicate --map`` or
        ``--mapping FILE``); recorded in the manifest.
    workers
        Worker processes running steps side by side: by default one per core available to
        this process, at most one per step; ``1`` runs every step in this process. Workers
        are started afresh and import the calling script again, so a script that calls
        ``replicate`` needs an ``if __name__ == "__main__":`` guard (or ``workers=1``).
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    available = find_steps(root / SCRIPTS)
    chosen = list(available) if not steps else list(steps)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise ValueError(f"unknown replication step(s) {unknown}; available: {list(available)}")
    expected = min(workers or _cores(), len(chosen))
    if expected > 1:
        _start_fork_server(max(1, _cores() // expected))
    from econ.data.io import read_panel
    from econ.table import check_formats

    chosen_formats = None if formats is None else check_formats(formats)
    source = panel_path or root / DEFAULT_PANEL
    panel = read_panel(source, mapping=mapping, value_mapping=value_mapping)
    out = output or root / OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    tally = _Tally(progress, len(chosen))
    records: dict[str, StepRecord] = {}
    runs: list[tuple[_Step, Script]] = []
    columns = set(panel.data.columns)
    for name in chosen:
        script = _load(available[name])
        used = None if script.REPS is None else (reps if reps is not None else script.REPS)
        absent = [c for c in script.NEEDS if c not in columns]
        if absent:
            records[name] = StepRecord(name, (), 0.0, script.SEED, used, "skipped",
                                       f"the panel has no column(s) {', '.join(absent)}")
        else:
            runs.append((_Step(name, available[name], script.SEED, used,
                               getattr(script, "SECONDS", None)), script))
    # Read now, while the workers' fork server imports, rather than after the last step.
    versions = _versions()
    processes = min(workers or _cores(), len(runs))
    if processes > 1:
        for name, record in records.items():
            tally.started(name)
            tally.ended(name, record.seconds)
        order = _longest_first([step for step, _ in runs],
                               (out / "manifest.json", root / OUTPUT / "manifest.json"))
        records.update(_run_in_workers(order, processes, out, chosen_formats,
                                       (source, mapping, value_mapping), tally))
    else:
        ran = {step.name: (step, script) for step, script in runs}
        for name in chosen:
            tally.started(name)
            if name in ran:
                step, script = ran[name]
                records[name] = _run(step, script, panel, out, chosen_formats)
            tally.ended(name, records[name].seconds)
    ordered = [records[name] for name in chosen]
    manifest = {
        "input": {"path": str(source), "sha256": _input_digest(Path(source)),
                  "simulated": panel.simulated, "rows": len(panel),
                  "mapping": dict(mapping or {}),
                  "value_mapping": {c: dict(v) for c, v in (value_mapping or {}).items()}},
        "bootstrap_reps": reps,
        "table_formats": None if chosen_formats is None else list(chosen_formats),
        "steps": [{"step": r.step, "status": r.status, "reason": r.reason, "seed": r.seed,
                   "reps": r.reps, "seconds": r.seconds,
                   "outputs": [{"file": f, "sha256": h} for f, h in r.outputs]}
                  for r in ordered],
        "versions": versions,
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Replication(path, tuple(ordered))


@dataclass(frozen=True)
class _Step:
    """A step to run: its script, the seed and replications recorded for it, and the seconds
    it declares it takes (``None``: not declared)."""

    name: str
    path: Path
    seed: int | None
    reps: int | None
    typical: float | None = None


class _Tally:
    """Reports starts and ends to ``progress``, numbering steps by how many have finished."""

    def __init__(self, progress: Progress | None, steps: int) -> None:
        self.progress = progress
        self.steps = steps
        self.finished = 0

    def started(self, name: str) -> None:
        if self.progress is not None:
            self.progress(self.finished + 1, self.steps, name, None)

    def ended(self, name: str, seconds: float) -> None:
        self.finished += 1
        if self.progress is not None:
            self.progress(self.finished, self.steps, name, seconds)


def _run(step: _Step, script: Script, panel: Dataset, out: Path,
         formats: Sequence[str] | None) -> StepRecord:
    """Run one script; a ``ValueError`` (a data problem) is recorded as a failed step."""
    from econ.table import table_formats

    started = time.perf_counter()
    try:
        with table_formats(formats) if formats else nullcontext():
            written = script.main(panel=panel, output=out, reps=step.reps)
    except ValueError as error:
        # A data problem stops this step only; the message names what to fix.
        return StepRecord(step.name, (), round(time.perf_counter() - started, 3), step.seed,
                          step.reps, "failed", str(error))
    seconds = time.perf_counter() - started
    return StepRecord(step.name, tuple((p.relative_to(out).as_posix(), _sha256(p))
                                       for p in written), round(seconds, 3),
                      step.seed, step.reps)


def _cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _longest_first(steps: list[_Step], manifests: Sequence[Path]) -> list[_Step]:
    """``steps`` with those that took longest in the previous run first.

    The times are those of the first of ``manifests`` that can be read (this output folder's,
    then the default one's); without one (a first run, as in a fresh clone) the seconds the
    scripts declare. Starting the long steps first keeps one from running alone at the end;
    steps with neither start before the others, in name order.
    """
    seconds = {step.name: step.typical for step in steps if step.typical is not None}
    for manifest in manifests:
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8"))
            seconds = {s["step"]: float(s["seconds"]) for s in previous["steps"]}
        except (OSError, ValueError, KeyError, TypeError):
            # No usable manifest there (first run, or edited by hand).
            continue
        break
    return sorted(steps, key=lambda step: -seconds.get(step.name, float("inf")))


#: The panel of a worker process, read once when the worker starts.
_WORKER_PANEL: list[Dataset] = []


def _start_worker(source: Path, mapping: Mapping[str, str] | None,
                  value_mapping: Mapping[str, Mapping[str, str]] | None) -> None:
    from econ.data.io import read_panel

    # The parent has read the panel (and reported any warning): this reads the same file again.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _WORKER_PANEL.append(read_panel(source, mapping=mapping, value_mapping=value_mapping))


def _run_in_worker(step: _Step, out: Path, formats: Sequence[str] | None) -> StepRecord:
    return _run(step, _load(step.path), _WORKER_PANEL[0], out, formats)


def _run_in_workers(steps: list[_Step], processes: int, out: Path,
                    formats: Sequence[str] | None,
                    panel: tuple[Path, Mapping[str, str] | None,
                                 Mapping[str, Mapping[str, str]] | None],
                    tally: _Tally) -> dict[str, StepRecord]:
    """Run ``steps`` in ``processes`` worker processes, starting each when a worker is free."""
    queue = list(steps)
    records: dict[str, StepRecord] = {}
    context = _worker_context()
    with _threads_per_worker(max(1, _cores() // processes)), ProcessPoolExecutor(
            processes, mp_context=context, initializer=_start_worker, initargs=panel) as pool:
        running: dict[Future[StepRecord], _Step] = {}
        try:
            while queue or running:
                while queue and len(running) < processes:
                    step = queue.pop(0)
                    tally.started(step.name)
                    running[pool.submit(_run_in_worker, step, out, formats)] = step
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f].name):
                    step = running.pop(future)
                    records[step.name] = future.result()
                    tally.ended(step.name, records[step.name].seconds)
        except BrokenProcessPool as error:
            script = getattr(sys.modules.get("__main__"), "__file__", None)
            hint = (f" The workers import {script!r} again: put the replicate call under "
                    f"`if __name__ == \"__main__\":`, or pass workers=1 to run every step in "
                    f"this process." if script else "")
            raise RuntimeError(f"a replication worker process stopped ({error}).{hint}"
                               ) from error
    return records


def _worker_context() -> multiprocessing.context.BaseContext:
    """Where workers come from: a fork server that has imported what most steps use.

    Workers forked from it skip those imports (about 2 s of CPU each), yet start as clean as
    spawned ones: the server is itself a fresh interpreter, started with the environment of
    :func:`_threads_per_worker`, and never runs a step. Where there is no fork server
    (Windows), workers are spawned.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # This module, imported with _SERVER_FLAG set, imports the rest (_preload).
    context.set_forkserver_preload([__name__])
    return context


def _start_fork_server(threads: int) -> None:
    """Start the fork server of :func:`_worker_context` now, with ``threads`` BLAS threads,
    so that its imports overlap this process's work before the first step is handed out."""
    if _worker_context().get_start_method() == "forkserver":
        import multiprocessing.forkserver

        with _threads_per_worker(threads):
            multiprocessing.forkserver.ensure_running()


@contextmanager
def _threads_per_worker(threads: int) -> Iterator[None]:
    """Size the BLAS and OpenMP thread pools of the workers started inside the block, and have
    the fork server (or a spawned worker) preload the steps' modules.

    Workers running side by side, each with a pool as large as the machine, would make the
    pools' threads wait on each other. A size the user set is kept.
    """
    unset = [name for name in _THREAD_VARIABLES if name not in os.environ]
    for name in unset:
        os.environ[name] = str(threads)
    os.environ[_SERVER_FLAG] = "1"
    try:
        yield
    finally:
        for name in [*unset, _SERVER_FLAG]:
            os.environ.pop(name, None)


def _load(script: Path) -> Script:
    spec = importlib.util.spec_from_file_location(f"econ_replication_{script.stem}", script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import replication script {script}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise TypeError(f"replication script {script} defines no main(*, panel, output, reps)")
    needs = getattr(module, "NEEDS", None)
    if not (isinstance(needs, tuple) and all(isinstance(c, str) for c in needs)):
        raise TypeError(f"replication script {script} must declare NEEDS, a tuple of the panel "
                        f"columns it needs (() for none); found {needs!r}")
    for name in ("SEED", "REPS"):
        value = getattr(module, name, "absent")
        if not (value is None or isinstance(value, int)) or value == "absent":
            raise TypeError(f"replication script {script} must declare {name} (an int, or None "
                            f"when it has no {'random numbers' if name == 'SEED' else 'bootstrap'}"
                            f"); found {value!r}")
    return cast(Script, module)


def _preload() -> None:
    """Import :data:`_PRELOAD`: run when this module is imported by the workers' fork server.

    The cyclic garbage collector is paused meanwhile: the imports make some 300,000 objects
    and no garbage, so collections would only scan them (a tenth to a fifth of the import
    time). The objects are then frozen, so that the workers' collections skip them too (about
    0.05 s per second of a figure-heavy step).
    """
    gc.disable()
    try:
        for name in _PRELOAD:
            importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def _versions() -> dict[str, str]:
    """Versions of Python and of :data:`_VERSIONED`, for the manifest."""
    # importlib.metadata takes 20-50 ms to import: not in the fork server's way to its preload.
    from importlib import metadata

    return {"python": platform.python_version(),
            **{name: metadata.version(name) for name in _VERSIONED}}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _input_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (by relative path then content)."""
    if path.is_file():
        return _sha256(path)
    digest = hashlib.sha256()
    for part in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(part.relative_to(path).as_posix().encode())
        digest.update(_sha256(part).encode())
    return digest.hexdigest()


if os.environ.pop(_SERVER_FLAG, None) == "1":
    _preload()
