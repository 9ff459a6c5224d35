"""The Parquet output of a run: one file per finished task and the run's settings.

``settings.json`` holds the settings that determine the numbers (steps, grid, replications,
seed, task size) and their fingerprint; ``task-NNNNNN.parquet`` the rows of one task, written
to a temporary name and renamed, so that a file present is a task finished. A run given a
folder with files resumes: it reads the finished tasks and computes only the others, and it
refuses a folder written with other settings.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import is_dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

SETTINGS = "settings.json"
PATTERN = "task-{:06d}.parquet"


def describe(step: object) -> str:
    """A stable text identity of a data or analysis step, for the settings fingerprint.

    Functions are named by module and qualified name plus a digest of their source (or byte
    code) and of their defaults and closure; partials and dataclass instances by their parts.
    Other objects by their type and ``repr``.
    """
    if step is None:
        return "None"
    if isinstance(step, partial):
        keywords = ", ".join(f"{k}={describe(v)}" for k, v in sorted(step.keywords.items()))
        arguments = ", ".join(describe(a) for a in step.args)
        return f"partial({describe(step.func)}, {arguments}; {keywords})"
    if inspect.isfunction(step) or inspect.ismethod(step):
        function = step.__func__ if inspect.ismethod(step) else step
        try:
            body = inspect.getsource(function)
        except (OSError, TypeError):
            body = function.__code__.co_code.hex()
        closure = [describe(cell.cell_contents) for cell in function.__closure__ or ()]
        digest = hashlib.sha256(
            "\x00".join([body, describe(function.__defaults__), *closure]).encode()
        ).hexdigest()[:16]
        owner = f"{describe(step.__self__)}." if inspect.ismethod(step) else ""
        return f"{owner}{function.__module__}.{function.__qualname__}#{digest}"
    if isinstance(step, tuple | list):
        return f"{type(step).__name__}({', '.join(describe(v) for v in step)})"
    if is_dataclass(step) or isinstance(step, str | int | float | bool | Mapping):
        return repr(step)
    return f"{type(step).__module__}.{type(step).__qualname__}:{step!r}"


def fingerprint(settings: Mapping[str, Any]) -> str:
    """SHA-256 of the settings as canonical JSON."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """A run's output folder (or none: results kept in memory only)."""

    def __init__(self, folder: str | Path | None, settings: Mapping[str, Any]) -> None:
        self.folder = None if folder is None else Path(folder)
        self.settings = dict(settings)
        self.fingerprint = fingerprint(settings)

    def open(self) -> dict[int, pd.DataFrame]:
        """Create the folder, or check it holds this run; return the finished tasks' rows."""
        if self.folder is None:
            return {}
        record = self.folder / SETTINGS
        if self.folder.exists() and not self.folder.is_dir():
            raise FileExistsError(f"{self.folder} is a file, not a folder for the run's "
                                  f"Parquet files; choose another output path")
        if record.exists():
            self._check(json.loads(record.read_text(encoding="utf-8")))
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise FileExistsError(f"{self.folder} is not empty and holds no {SETTINGS}: it is "
                                  f"not the output of a Monte Carlo run; choose an empty or "
                                  f"new folder")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = record.with_suffix(".tmp")
            temporary.write_text(json.dumps({"fingerprint": self.fingerprint,
                                             "settings": self.settings}, indent=2,
                                            sort_keys=True, default=str), encoding="utf-8")
            os.replace(temporary, record)
        return dict(self._finished())

    def write(self, number: int, rows: pd.DataFrame) -> None:
        """Store a finished task's rows (atomically: a partial file never has the final name)."""
        if self.folder is None:
            return
        path = self.folder / PATTERN.format(number)
        temporary = path.with_name(f".{path.name}.tmp")
        rows.to_parquet(temporary, index=False)
        os.replace(temporary, path)

    def _finished(self) -> Iterable[tuple[int, pd.DataFrame]]:
        assert self.folder is not None
        for path in sorted(self.folder.glob("task-*.parquet")):
            yield int(path.stem.split("-")[1]), pd.read_parquet(path)

    def _check(self, stored: Mapping[str, Any]) -> None:
        if stored.get("fingerprint") == self.fingerprint:
            return
        old = stored.get("settings", {})
        mine = json.loads(json.dumps(self.settings, default=str))
        differ = sorted(k for k in set(old) | set(mine) if old.get(k) != mine.get(k))
        lines = "; ".join(f"{k}: folder {_short(old.get(k))}, this run {_short(mine.get(k))}"
                          for k in differ)
        raise FileExistsError(f"{self.folder} holds the results of another Monte Carlo run "
                              f"(settings differ: {lines}). Use another output folder, or "
                              f"the same settings to resume that run")


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
