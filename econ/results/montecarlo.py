"""The result of a Monte Carlo run: one row per replication, and its summaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from econ.results.summary import Summary, SummaryDisplay

#: Column names of the summaries, which grid names may not take.
SUMMARY_COLUMNS = ("value", "mean", "std", "mc_se", "replications", "failed", "test", "rate")
#: The note of every summary of simulated replications.
SIMULATED_NOTE = "SIMULATED DATA (Monte Carlo replications; not real villages)"


@dataclass(frozen=True, eq=False, repr=False)
class MonteCarloResult(SummaryDisplay):
    """Every replication of a Monte Carlo run, with where and how it ran.

    Attributes
    ----------
    replications
        One row per replication, sorted by ``cell`` and ``replication``: the grid's values,
        the analysis's values (float64; missing for a failed replication), ``error`` (the
        exception as ``"Type: message"``, missing when it succeeded) and ``warnings``.
    grid
        Names of the grid columns (empty without a grid).
    values
        Names of the analysis's values (numbers as float64, text as strings; the summaries
        use the numbers).
    reps
        Replications per grid cell.
    seed
        Root seed: replication ``r`` draws from ``SeedSequence(seed, spawn_key=(r,))``.
    task_size
        Replications per task.
    tasks, resumed
        Tasks of the run, and how many of them were read back from ``output`` instead of run.
    workers
        Dask workers at the start (0: run in this process).
    seconds
        Wall time of the run.
    output
        The Parquet folder, or ``None``.
    fingerprint, settings
        The settings that determine the numbers, and their SHA-256.
    simulated
        Whether the data are simulated (summaries then say so).
    """

    replications: pd.DataFrame
    grid: tuple[str, ...]
    values: tuple[str, ...]
    reps: int
    seed: int
    task_size: int
    tasks: int
    resumed: int
    workers: int
    seconds: float
    output: Path | None
    fingerprint: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    simulated: bool = True

    @property
    def failures(self) -> pd.DataFrame:
        """The replications whose data or analysis step raised, with their ``error``."""
        return self.replications[self.replications["error"].notna()]

    @property
    def n_failed(self) -> int:
        """Number of failed replications."""
        return int(self.replications["error"].notna().sum())

    @property
    def numbers(self) -> tuple[str, ...]:
        """The numeric values (those the summaries describe)."""
        return tuple(v for v in self.values
                     if pd.api.types.is_float_dtype(self.replications[v].dtype))

    def tidy(self) -> pd.DataFrame:
        """Per grid cell and value: ``mean``, ``std``, ``mc_se`` (``std / sqrt(n)``),
        ``replications`` (``n``, those with the value) and ``failed``."""
        rows = []
        for key, group in self._cells():
            failed = int(group["error"].notna().sum())
            for name in self.numbers:
                column = group[name].dropna()
                n = len(column)
                std = float(column.std(ddof=1)) if n > 1 else float("nan")
                rows.append({**key, "value": name,
                             "mean": float(column.mean()) if n else float("nan"),
                             "std": std, "mc_se": std / np.sqrt(n) if n > 1 else float("nan"),
                             "replications": n, "failed": failed})
        return pd.DataFrame(rows)

    def rejection_rates(self, pvalues: Sequence[str] | None = None, *, level: float = 0.05
                        ) -> pd.DataFrame:
        """Share of replications with ``p < level`` for each p-value column, per grid cell.

        Columns: the grid, ``test``, ``rate``, ``mc_se`` (``sqrt(rate (1 - rate) / n)``),
        ``replications`` (``n``, those with that p-value) and ``failed``. ``pvalues``
        defaults to every numeric value.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        names = list(self.numbers if pvalues is None else pvalues)
        unknown = [n for n in names if n not in self.numbers]
        if unknown:
            raise KeyError(f"no numeric value(s) {unknown}; the run has {list(self.numbers)}")
        rows = []
        for key, group in self._cells():
            failed = int(group["error"].notna().sum())
            for name in names:
                column = group[name].dropna()
                n = len(column)
                rate = float((column < level).mean()) if n else float("nan")
                rows.append({**key, "test": name, "rate": rate,
                             "mc_se": float(np.sqrt(rate * (1 - rate) / n)) if n
                             else float("nan"), "replications": n, "failed": failed})
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        tidy = self.tidy()
        rows = tuple((*(str(r[g]) for g in self.grid), r["value"], f"{r['mean']:.4f}",
                      f"{r['std']:.4f}", f"{r['mc_se']:.4f}", f"{r['replications']:,}")
                     for r in tidy.to_dict("records"))
        where = ("in this process" if self.workers == 0
                 else f"on {self.workers} Dask worker{'s' * (self.workers != 1)}")
        facts = (("Replications", f"{self.reps:,} per cell, {len(self.replications):,} in all"),
                 ("Seed", f"{self.seed} (replication r: SeedSequence(seed, spawn_key=(r,)))"),
                 ("Tasks", f"{self.tasks:,} of {self.task_size:,} replications; "
                           f"{self.resumed:,} read back from the output"),
                 ("Ran", f"{where} in {self.seconds:.1f} s"),
                 ("Failed replications", f"{self.n_failed:,}"),
                 ("Output", str(self.output) if self.output is not None else "none"))
        notes = []
        if self.n_failed:
            first = self.failures["error"].value_counts().index[0]
            notes.append(f"{self.n_failed:,} replication(s) failed and are left out of the "
                         f"means; most common error: {first}")
        if self.simulated:
            notes.append(SIMULATED_NOTE)
        return Summary("Monte Carlo", facts,
                       (*self.grid, "value", "mean", "std", "MC s.e.", "n"), rows, tuple(notes))

    def _cells(self) -> list[tuple[dict[str, Any], pd.DataFrame]]:
        if not self.grid:
            return [({}, self.replications)]
        groups = self.replications.groupby("cell", sort=True)
        return [({g: group[g].iloc[0] for g in self.grid}, group) for _, group in groups]
