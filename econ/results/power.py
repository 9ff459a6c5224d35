"""The result of a simulated power analysis: power by design size, effect and test, and MDEs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from econ.data.figure_labels import POWER_METHODS
from econ.results.montecarlo import SIMULATED_NOTE, MonteCarloResult
from econ.results.summary import Summary, SummaryDisplay
from econ.table import Table


@dataclass(frozen=True, eq=False, repr=False)
class PowerResult(SummaryDisplay):
    """Simulated power and minimum detectable effects of a design's tests.

    Attributes
    ----------
    design
        The design's name.
    sizes
        Names of the size columns (``counties``, ``townships``, ``villages`` or the design's).
    methods
        The tests, in the order asked for.
    power
        One row per size, effect and method: ``power`` (share of replications with
        ``p < alpha``), ``mc_se`` (``sqrt(power (1 - power) / reps)``), ``reps`` (replications
        that gave the test's p-value) and ``failed``.
    mde
        One row per size and method: ``mde``, the smallest effect whose power reaches
        ``target``, interpolated linearly between the simulated effects, and its Monte Carlo
        standard error ``mc_se`` (the power's, divided by the slope of the curve there);
        ``bound`` is ``""``, ``"below grid"`` (power reaches the target at the smallest
        non-zero effect simulated: the MDE is at most that) or ``"above grid"`` (never reached).
    alpha, target
        Test level and target power.
    reps
        Replications per cell.
    montecarlo
        The engine's run (every replication's p-values and errors).
    """

    design: str
    sizes: tuple[str, ...]
    methods: tuple[str, ...]
    power: pd.DataFrame
    mde: pd.DataFrame
    alpha: float
    target: float
    reps: int
    montecarlo: MonteCarloResult
    simulated: bool = True

    def tidy(self) -> pd.DataFrame:
        """The power table (a copy)."""
        return self.power.copy()

    def to_table(self, *, digits: int = 3) -> Table:
        """Power by size and effect (rows) and method (columns), MC s.e. in parentheses."""
        wide = self.power.pivot_table(index=[*self.sizes, "effect"], columns="method",
                                      values=["power", "mc_se"], sort=True)
        rows = []
        for key, row in wide.iterrows():
            keys = key if isinstance(key, tuple) else (key,)
            rows.append((*(_plain(k) for k in keys),
                         *(f"{row[('power', m)]:.{digits}f} ({row[('mc_se', m)]:.{digits}f})"
                           for m in self.methods)))
        notes = [f"Share of {self.reps:,} simulated replications per cell with p < "
                 f"{self.alpha:g} (Monte Carlo standard error in parentheses); effect 0 is "
                 f"the size of the test."]
        notes += [f"MDE at {self.target:.0%} power, {POWER_METHODS.get(m, (m,))[0]}: "
                  f"{_mde_text(r)} at "
                  + ", ".join(f"{s} {_plain(r[s])}" for s in self.sizes)
                  for m in self.methods
                  for r in self.mde[self.mde["method"] == m].to_dict("records")]
        if self.simulated:
            notes.append(SIMULATED_NOTE)
        names = tuple(POWER_METHODS.get(m, (m,))[0] for m in self.methods)
        return Table(f"Power: {self.design}", (*self.sizes, "effect", *names),
                     tuple(rows), tuple(notes))

    def summary(self) -> Summary:
        table = self.to_table()
        run = self.montecarlo
        facts = (("Design", self.design), ("Test level", f"{self.alpha:g}"),
                 ("Replications", f"{self.reps:,} per cell (seed {run.seed})"),
                 ("Failed replications", f"{run.n_failed:,}"),
                 ("Ran", ("in this process" if run.workers == 0
                          else f"on {run.workers} Dask workers") + f" in {run.seconds:.1f} s"))
        return Summary(table.title, facts, table.header, table.rows, table.notes)


def _plain(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer() and abs(
            float(value)) > 1:
        return str(int(value))
    return str(value)


def _mde_text(row: Mapping[Any, Any]) -> str:
    if row["bound"] == "above grid":
        return "above the largest effect simulated"
    if row["bound"] == "below grid":
        return f"at most {row['mde']:.3g}"
    return f"{row['mde']:.3g} (MC s.e. {row['mc_se']:.2g})"


def minimum_detectable(power: pd.DataFrame, sizes: tuple[str, ...], target: float
                       ) -> pd.DataFrame:
    """MDE per size and method from a power table (see :class:`PowerResult`)."""
    rows = []
    for key, group in power.groupby([*sizes, "method"], sort=False):
        curve = group[group["effect"] > 0].sort_values("effect")
        effects, values = curve["effect"].to_numpy(), curve["power"].to_numpy()
        errors = curve["mc_se"].to_numpy()
        keys = dict(zip([*sizes, "method"], key, strict=True))
        reached = np.flatnonzero(values >= target)
        if not len(reached):
            rows.append({**keys, "mde": np.nan, "mc_se": np.nan, "bound": "above grid"})
            continue
        k = int(reached[0])
        if k == 0:
            rows.append({**keys, "mde": float(effects[0]), "mc_se": np.nan,
                         "bound": "below grid"})
            continue
        slope = (values[k] - values[k - 1]) / (effects[k] - effects[k - 1])
        share = (target - values[k - 1]) / (values[k] - values[k - 1])
        mde = effects[k - 1] + share * (effects[k] - effects[k - 1])
        spread = np.sqrt(((1 - share) * errors[k - 1]) ** 2 + (share * errors[k]) ** 2)
        rows.append({**keys, "mde": float(mde), "mc_se": float(spread / slope), "bound": ""})
    return pd.DataFrame(rows)
