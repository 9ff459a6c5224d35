"""The result of :func:`econ.study.inequality.inequality`: measures by year and period, with CIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.summary import Summary, SummaryDisplay

TIDY_COLUMNS = ("scope", "label", "measure", "estimate", "std_error", "conf_low", "conf_high")


@dataclass(frozen=True, repr=False)
class InequalityResult(SummaryDisplay):
    """Inequality of an allocation by year, by period and its change between the periods.

    ``table`` is tidy: ``scope`` is ``"year"``, ``"period"`` or ``"change"``; ``label`` the year,
    the period name or ``"transition - poverty_alleviation"``; ``measure`` e.g. ``gini`` or
    ``between_share_T[typology]``. Standard errors and percentile intervals come from a
    cluster bootstrap (``reps`` replicates of ``clusters`` clusters, ``seed``).
    """

    table: pd.DataFrame
    value: str
    cluster: str
    clusters: int
    reps: int
    seed: int
    level: float
    notes: tuple[str, ...] = ()
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def change(self, measure: str) -> pd.Series:
        """The row for the change in ``measure`` from the first period to the second."""
        rows = self.table[(self.table["scope"] == "change") & (self.table["measure"] == measure)]
        if rows.empty:
            raise KeyError(f"no measure {measure!r}; have "
                           f"{sorted(self.table['measure'].unique())}")
        return rows.iloc[0]

    def summary(self) -> Summary:
        shown = self.table[self.table["scope"] != "year"]
        rows = tuple((f"{r.label}", str(r.measure), f"{r.estimate:.4f}", f"({r.std_error:.4f})",
                      f"[{r.conf_low:.4f}, {r.conf_high:.4f}]") for r in shown.itertuples())
        facts = (("Value", self.value), ("Clusters", f"{self.cluster} ({self.clusters})"),
                 ("Bootstrap", f"{self.reps} replicates, seed {self.seed}, percentile "
                               f"{self.level:.0%} CI"))
        notes = (*self.notes, *((SIMULATED_LABEL,) if self.simulated else ()))
        return Summary("Inequality of allocations by period", facts,
                       ("period", "measure", "estimate", "s.e.", "CI"), rows, notes)


def tidy_table(scopes: list[tuple[str, str, str]], estimate: np.ndarray, draws: np.ndarray,
               level: float) -> pd.DataFrame:
    """Rows from ``(scope, label, measure)`` keys, estimates ``(m,)`` and draws ``(B, m)``."""
    alpha = 1.0 - level
    lower, upper = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    frame = pd.DataFrame(scopes, columns=["scope", "label", "measure"])
    frame["estimate"] = estimate
    frame["std_error"] = np.nanstd(draws, axis=0, ddof=1)
    frame["conf_low"], frame["conf_high"] = lower, upper
    return frame.loc[:, list(TIDY_COLUMNS)]
