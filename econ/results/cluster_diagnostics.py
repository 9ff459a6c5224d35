"""The immutable result of the cluster diagnostics (leverage, influence, effective clusters)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.inference.cluster_diagnostics import ClusterDiagnosticsOutcome
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class ClusterDiagnostics(SummaryDisplay):
    """How the clusters differ in size, leverage and influence on one coefficient.

    Attributes
    ----------
    term, cluster
        The coefficient and the cluster variable.
    estimate
        The coefficient's full-sample estimate.
    table
        One row per cluster: ``cluster`` (its value), ``rows``, ``leverage`` (``L_g``),
        ``leverage_share`` (``L_g / k``), ``partial_leverage``, ``estimate_without`` (the
        coefficient with the cluster left out) and ``change`` (``estimate_without`` less the
        full-sample estimate).
    clusters
        ``G``.
    size_min, size_median, size_max
        Rows per cluster.
    coefficients
        ``k``, the coefficients of the within-transformed regression (the leverages' sum).
    max_leverage_share, max_partial_leverage
        The largest cluster shares of leverage and of the coefficient's partial leverage
        (``1 / G`` each when the clusters are alike).
    effective_clusters
        ``G*(0)`` of Carter, Schnepel and Steigerwald (2017) for the coefficient.
    notes
        Caveats, printed under the summary.
    """

    term: str
    cluster: str
    estimate: float
    table: pd.DataFrame
    clusters: int
    size_min: int
    size_median: float
    size_max: int
    coefficients: int
    max_leverage_share: float
    max_partial_leverage: float
    effective_clusters: float
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, outcome: ClusterDiagnosticsOutcome) -> ClusterDiagnostics:
        """The result of :func:`econ.inference.cluster_diagnostics.cluster_diagnostics`."""
        o = outcome
        share = o.leverage / o.coefficients
        table = pd.DataFrame({
            "cluster": o.labels, "rows": o.sizes, "leverage": o.leverage,
            "leverage_share": share, "partial_leverage": o.partial_leverage,
            "estimate_without": o.leave_out, "change": o.leave_out - o.estimate})
        return cls(o.term, o.cluster, o.estimate, table, len(o.labels), int(o.sizes.min()),
                   float(np.median(o.sizes)), int(o.sizes.max()), o.coefficients,
                   float(share.max()), float(o.partial_leverage.max()), o.effective_clusters,
                   _notes(o))

    def tidy(self) -> pd.DataFrame:
        """The per-cluster table, with the ``term`` as first column."""
        return self.table.assign(term=self.term)[["term", *self.table.columns]]

    def summary(self) -> Summary:
        facts = (("Coefficient", f"{self.term} = {self.estimate:.4g}"),
                 ("Clusters", f"{self.clusters} ({self.cluster})"),
                 ("Rows per cluster", f"min {self.size_min:,}, median {self.size_median:g}, "
                                      f"max {self.size_max:,}"),
                 ("Largest leverage share", f"{self.max_leverage_share:.3f} "
                                            f"(equal shares: {1 / self.clusters:.3f})"),
                 ("Largest partial leverage", f"{self.max_partial_leverage:.3f}"),
                 ("Effective clusters G*(0)", f"{self.effective_clusters:.2f}"))
        header = ("Cluster", "Rows", "Leverage", "Partial leverage", f"{self.term} without")
        t = self.table
        rows = tuple((str(label), f"{size:,}", f"{leverage:.4f}", f"{partial:.4f}",
                      "undefined" if np.isnan(without) else f"{without:.4g}")
                     for label, size, leverage, partial, without in zip(
                         t["cluster"], t["rows"], t["leverage"], t["partial_leverage"],
                         t["estimate_without"].to_numpy(), strict=True))
        return Summary(f"Cluster diagnostics: {self.term} by {self.cluster}", facts, header,
                       rows, self.notes)


def _notes(o: ClusterDiagnosticsOutcome) -> tuple[str, ...]:
    notes = ["Leverage is of the regression with the fixed effects partialled out; G*(0) "
             "assumes errors uncorrelated within clusters (rho = 0)."]
    undefined = [str(label) for label, b in zip(o.labels, o.leave_out, strict=True)
                 if np.isnan(b)]
    if undefined:
        notes.append(f"Without {o.cluster} = {', '.join(undefined)} some coefficient is not "
                     f"identified: the leave-one-out estimate is undefined.")
    if o.not_nested:
        notes.append(f"Fixed effects not nested in {o.cluster}: {', '.join(o.not_nested)}. "
                     f"The leave-one-out estimates keep their full-sample projection, so they "
                     f"differ from refits without the cluster.")
    return tuple(notes)
