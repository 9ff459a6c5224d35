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
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

from econ.data.dataset import Dataset
from econ.data.io import read_panel
from econ.table import check_formats, table_formats

DEFAULT_PANEL = Path("data") / "village_panel.parquet"
SCRIPTS = Path("replication")
OUTPUT = SCRIPTS / "output"
_VERSIONED = ("econ", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "linearmodels",
              "matplotlib")
#: ``progress(step number, steps, step name, seconds)``: seconds is ``None`` when a step starts.
Progress = Callable[[int, int, str, float | None], None]


class Script(Protocol):
    """What a replication script declares."""

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
    """
    available = find_steps(root / SCRIPTS)
    chosen = list(available) if not steps else list(steps)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise ValueError(f"unknown replication step(s) {unknown}; available: {list(available)}")
    chosen_formats = None if formats is None else check_formats(formats)
    source = panel_path or root / DEFAULT_PANEL
    panel = read_panel(source, mapping=mapping, value_mapping=value_mapping)
    out = output or root / OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda *_: None)
    records: list[StepRecord] = []
    columns = set(panel.data.columns)
    for i, name in enumerate(chosen, start=1):
        say(i, len(chosen), name, None)
        started = time.perf_counter()
        script = _load(available[name])
        used = None if script.REPS is None else (reps if reps is not None else script.REPS)
        absent = [c for c in script.NEEDS if c not in columns]
        if absent:
            records.append(StepRecord(name, (), 0.0, script.SEED, used, "skipped",
                                      f"the panel has no column(s) {', '.join(absent)}"))
            say(i, len(chosen), name, 0.0)
            continue
        try:
            with table_formats(chosen_formats) if chosen_formats else nullcontext():
                written = script.main(panel=panel, output=out, reps=used)
        except ValueError as error:
            # A data problem stops this step only; the message names what to fix.
            records.append(StepRecord(name, (), round(time.perf_counter() - started, 3),
                                      script.SEED, used, "failed", str(error)))
            say(i, len(chosen), name, time.perf_counter() - started)
            continue
        seconds = time.perf_counter() - started
        records.append(StepRecord(name, tuple((p.relative_to(out).as_posix(), _sha256(p))
                                              for p in written), round(seconds, 3),
                                  script.SEED, used))
        say(i, len(chosen), name, seconds)
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
                  for r in records],
        "versions": {"python": platform.python_version(),
                     **{name: metadata.version(name) for name in _VERSIONED}},
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Replication(path, tuple(records))


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
