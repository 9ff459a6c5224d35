"""The result of ``econ.few_cluster_inference``: one coefficient under every few-cluster method."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.summary import Summary, SummaryDisplay

#: Columns of :attr:`FewClusterInference.table`, in order.
COLUMNS = ("clustering", "clusters", "method", "p_value", "conf_low", "conf_high",
           "smallest_p", "assumes")


@dataclass(frozen=True, eq=False, repr=False)
class FewClusterInference(SummaryDisplay):
    """A coefficient's tests and intervals under each method that applies, and a recommendation.

    Attributes
    ----------
    term, estimate
        The coefficient and its estimate.
    table
        One row per method and clustering: :data:`COLUMNS` (``smallest_p`` is the smallest
        p-value the method can give with these clusters: a method whose ``smallest_p`` is above
        the test level cannot reject, whatever the data).
    recommendation, reason
        The method to report and why.
    diagnostics
        Cluster diagnostics by clustering variable (sizes, leverage, G*), when computed.
    level
        Confidence level of the intervals.
    """

    term: str
    estimate: float
    table: pd.DataFrame
    recommendation: str
    reason: str
    level: float
    diagnostics: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def pvalue(self, method: str, clustering: str) -> float:
        """The p-value of ``method`` clustered by ``clustering``."""
        rows = self.table[(self.table["method"] == method)
                          & (self.table["clustering"] == clustering)]
        if rows.empty:
            known = sorted(set(zip(self.table["method"], self.table["clustering"],
                                   strict=True)))
            raise KeyError(f"no {method!r} by {clustering!r}; methods: {known}")
        return float(rows["p_value"].iloc[0])

    def summary(self) -> Summary:
        def number(value: float, digits: int = 4) -> str:
            return "" if not np.isfinite(value) else f"{value:.{digits}f}"

        rows = tuple(
            (str(r["clustering"]), str(int(r["clusters"])), str(r["method"]),
             number(float(r["p_value"])),
             "" if not (np.isfinite(r["conf_low"]) or np.isfinite(r["conf_high"]))
             else f"[{number(float(r['conf_low']))}, {number(float(r['conf_high']))}]",
             number(float(r["smallest_p"]), 3), str(r["assumes"]))
            for r in self.table.to_dict("records"))
        facts = (("Coefficient", f"{self.term} = {self.estimate:.4f}"),
                 ("Recommended", self.recommendation), ("Why", self.reason))
        notes = [*self.notes, *([SIMULATED_LABEL] if self.simulated else [])]
        return Summary(f"Few-cluster inference: {self.term}", facts,
                       ("clustering", "G", "method", "p", f"{self.level:.0%} CI",
                        "smallest p", "assumes"), rows, tuple(notes))
