"""Replications grouped into tasks, and the function a worker runs on one task.

Replication ``r`` draws its data from ``SeedSequence(seed, spawn_key=(r,))``, the ``r``-th child
of ``SeedSequence(seed)``, and its analysis from an independent stream of the same index, so a
replication's numbers depend only on the root seed and ``r``: not on the task it falls in, the
worker that runs it, or the order tasks finish in.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cloudpickle  # type: ignore[import-untyped]
import numpy as np
import pandas as pd

#: Word of the analysis streams' entropy, so that no seed a data step may derive from its own
#: SeedSequence (children, ``generate_state``) coincides with the analysis seed.
ANALYSIS_STREAM = 0x414E414C

#: Columns the engine adds to the user's values.
REPLICATION, CELL, ERROR, WARNINGS = "replication", "cell", "error", "warnings"


class DataStep(Protocol):
    """Draws one replication's data from its seed (and the cell's settings, if any)."""

    def __call__(self, seed: np.random.SeedSequence, /, **cell: Any) -> Any: ...


class AnalysisStep(Protocol):
    """Analyses one replication's data; ``seed`` feeds its bootstraps or permutations."""

    def __call__(self, data: Any, seed: int, /) -> Mapping[str, Any]: ...


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The data stream of ``replication``: ``SeedSequence(seed).spawn(n)[replication]``."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def analysis_seed(seed: int, replication: int) -> int:
    """The analysis seed of ``replication``: 63 bits of a stream independent of its data's."""
    words = np.random.SeedSequence([seed, ANALYSIS_STREAM],
                                   spawn_key=(replication,)).generate_state(2, np.uint32)
    return (int(words[0]) << 31) ^ int(words[1])


@dataclass(frozen=True)
class Task:
    """Replications ``first`` to ``stop - 1`` of grid cell ``cell`` (settings ``values``)."""

    number: int
    cell: int
    values: tuple[tuple[str, Any], ...]
    first: int
    stop: int
    seed: int

    @property
    def size(self) -> int:
        return self.stop - self.first


def plan(reps: int, cells: Sequence[Mapping[str, Any]], task_size: int, seed: int
         ) -> list[Task]:
    """Cut each cell's ``reps`` replications into tasks of ``task_size`` (the last shorter)."""
    per_cell = math.ceil(reps / task_size)
    return [Task(c * per_cell + k, c, tuple(cell.items()), k * task_size,
                 min(reps, (k + 1) * task_size), seed)
            for c, cell in enumerate(cells) for k in range(per_cell)]


def run_task(data: DataStep, analysis: AnalysisStep | None, task: Task) -> pd.DataFrame:
    """Run a task's replications; one row each, a failing replication recorded, not raised.

    Numbers are stored as float64 (booleans as 0/1), text as strings (``None``: missing). A
    replication whose data or analysis step raises, or returns anything but a mapping of
    names to numbers or text, gets its
    exception as ``"Type: message"`` in ``error`` and missing values; the warnings it emitted
    are listed in ``warnings`` (distinct ``Category: message`` lines).
    """
    cell = dict(task.values)
    rows: list[dict[str, Any]] = []
    for r in range(task.first, task.stop):
        row: dict[str, Any] = {CELL: task.cell, **cell, REPLICATION: r}
        with warnings.catch_warnings(record=True) as caught:
            # Whatever filters the caller set (pytest turns warnings into errors), every
            # replication sees the same ones, in process and on a worker.
            warnings.simplefilter("always")
            try:
                drawn = data(replication_seed(task.seed, r), **cell)
                found = (drawn if analysis is None
                         else analysis(drawn, analysis_seed(task.seed, r)))
                row.update(_values(found, cell))
                row[ERROR] = None
            except Exception as error:
                # One bad draw must not end a run of thousands: it is recorded instead.
                row[ERROR] = f"{type(error).__name__}: {error}"
        notes = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
        row[WARNINGS] = "\n".join(notes) if notes else None
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in (ERROR, WARNINGS):
        frame[name] = frame[name].astype("string")
    return frame


#: Steps already unpickled in this (worker) process, by the digest of their bytes.
_STEPS: dict[str, tuple[DataStep, AnalysisStep | None]] = {}


def pack(data: DataStep, analysis: AnalysisStep | None) -> bytes:
    """The steps as cloudpickle bytes, so that functions of ``__main__`` and of modules
    registered with ``cloudpickle.register_pickle_by_value`` travel by value to workers that
    cannot import them (Dask pickles a task's arguments by reference when it can)."""
    return bytes(cloudpickle.dumps((data, analysis)))


def run_packed(steps: bytes, task: Task) -> pd.DataFrame:
    """:func:`run_task` on steps packed by :func:`pack`, unpickled once per process."""
    key = hashlib.sha256(steps).hexdigest()
    if key not in _STEPS:
        _STEPS[key] = cloudpickle.loads(steps)
    data, analysis = _STEPS[key]
    return run_task(data, analysis, task)


def _values(found: object, cell: Mapping[str, Any]) -> dict[str, float | str | None]:
    if not isinstance(found, Mapping):
        raise TypeError(f"the analysis must return a mapping of names to numbers, got "
                        f"{type(found).__name__}")
    values: dict[str, float | str | None] = {}
    for name, value in found.items():
        if not isinstance(name, str) or name in (REPLICATION, CELL, ERROR, WARNINGS) or (
                name in cell):
            raise ValueError(f"value name {name!r} is not a string or is reserved "
                             f"({REPLICATION}, {CELL}, {ERROR}, {WARNINGS}, the grid's "
                             f"names)")
        if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
            values[name] = float(value)
        elif isinstance(value, str) or value is None:
            values[name] = value
        else:
            raise TypeError(f"value {name!r} must be a real number, a boolean or a string "
                            f"(or None), got {type(value).__name__}")
    return values

