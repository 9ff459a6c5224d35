"""The Goodman-Bacon decomposition as a result: each 2x2 comparison, and a summary by type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.did.bacon import KINDS, BaconParts
from econ.estimation.did.cohorts import period_label
from econ.results.summary import Summary, SummaryDisplay


def _dot(a: pd.Series, b: pd.Series) -> float:
    """``a @ b`` of two float columns (pandas-stubs type it as any scalar)."""
    return float(cast(float, a @ b))


@dataclass(frozen=True, eq=False, repr=False)
class BaconDecomposition(SummaryDisplay):
    """The two-way fixed-effects DiD estimate split into 2x2 comparisons (Goodman-Bacon 2021).

    Attributes
    ----------
    parts
        The comparisons and the panel they come from.
    outcome, unit, time, treated_from
        The columns used.
    simulated
        Whether the data were simulated; summaries then carry the SIMULATED label.
    """

    parts: BaconParts
    outcome: str
    unit: str
    time: str
    treated_from: str
    simulated: bool = False

    @property
    def twfe(self) -> float:
        """The coefficient on the treatment in ``outcome ~ d | unit + time``."""
        return self.parts.twfe

    @property
    def estimate(self) -> float:
        """The weighted sum of the 2x2 estimates (equal to :attr:`twfe` up to rounding)."""
        table = self.tidy()
        return _dot(table["weight"], table["estimate"])

    def tidy(self) -> pd.DataFrame:
        """One row per 2x2 comparison.

        Columns: ``type``, ``treated``, ``control`` (first treated period, or ``"never"`` /
        ``"always"``), ``estimate``, ``weight``, ``first`` and ``last`` period of the window,
        ``n_treated`` and ``n_control`` units.
        """
        rows = [{"type": c.kind, "treated": c.treated, "control": c.control,
                 "estimate": c.estimate, "weight": c.weight, "first": c.first, "last": c.last,
                 "n_treated": c.n_treated, "n_control": c.n_control}
                for c in self.parts.comparisons]
        table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight",
                                            "first", "last", "n_treated", "n_control"])
        order = table["type"].map({kind: j for j, kind in enumerate(KINDS)})
        return table.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)

    def by_type(self) -> pd.DataFrame:
        """Per comparison type: number of 2x2s, total weight and weighted-average estimate.

        ``weight * estimate`` summed over the types gives the two-way fixed-effects estimate.
        """
        table = self.tidy()
        rows = []
        for kind in KINDS:
            part = table[table["type"] == kind]
            if part.empty:
                continue
            total = float(part["weight"].sum())
            average = (_dot(part["weight"], part["estimate"]) / total if total > 0
                       else float("nan"))
            rows.append({"type": kind, "comparisons": len(part), "weight": total,
                         "estimate": average})
        return pd.DataFrame(rows, columns=["type", "comparisons", "weight", "estimate"])

    def summary(self) -> Summary:
        rows = tuple((str(row.type), str(row.comparisons), f"{row.weight:.4f}",
                      f"{row.estimate:.4f}") for row in self.by_type().itertuples())
        periods = self.parts.periods
        groups = ", ".join(f"{label}: {n}" for label, n in self.parts.group_sizes.items())
        facts = (("Outcome", self.outcome),
                 ("TWFE estimate", f"{self.twfe:.6f}"),
                 ("Sum of weight x estimate", f"{self.estimate:.6f}"),
                 ("Units", f"{self.parts.n_units:,}"),
                 ("Periods", f"{len(periods)} ({period_label(periods[0])}-"
                             f"{period_label(periods[-1])})"),
                 ("Groups (first treated: units)", groups))
        notes = [f"Treatment from {self.treated_from!r}; fixed effects {self.unit} + "
                 f"{self.time}; later-vs-earlier and always-treated comparisons use already "
                 f"treated units as controls."]
        notes += list(self.parts.notes)
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"Goodman-Bacon decomposition: {self.outcome}", facts,
                       ("comparison", "2x2s", "weight", "avg. estimate"), rows, tuple(notes))
