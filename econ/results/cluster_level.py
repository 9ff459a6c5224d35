"""The immutable result of a cluster-level test (Ibragimov-Müller, Canay-Romano-Shaikh)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from econ.inference.cluster_level import ClusterEstimates, ClusterLevelOutcome
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class ClusterLevelTest(SummaryDisplay):
    """A test of ``term = value`` from the coefficient estimated on each cluster separately.

    Attributes
    ----------
    method
        ``"Ibragimov-Müller"`` or ``"Canay-Romano-Shaikh"``.
    term, cluster
        The coefficient and the cluster variable.
    value
        Hypothesised value.
    estimate
        Mean of the cluster estimates used (unweighted across clusters).
    full_sample_estimate
        The estimate on all rows, for comparison: the two differ when the clusters' sizes or
        designs differ, or the coefficient differs across clusters.
    statistic
        ``sqrt(q) (mean - value) / sd`` of the cluster estimates (Ibragimov-Müller), its
        absolute value (Canay-Romano-Shaikh).
    p_value
        Two-sided p-value.
    conf_low, conf_high, level
        Confidence interval and its level (Ibragimov-Müller; NaN and ``None`` otherwise).
    df
        Degrees of freedom ``q - 1`` (Ibragimov-Müller).
    sign_changes
        ``2^q`` sign changes enumerated (Canay-Romano-Shaikh).
    clusters, clusters_used
        Clusters in the sample (``G``) and those where the coefficient is identified (``q``).
    smallest_p_value
        Smallest p-value attainable with ``q`` clusters (``2 / 2^q`` for Canay-Romano-Shaikh,
        0 for Ibragimov-Müller).
    estimates
        One row per cluster: ``cluster`` (its value), ``rows``, ``estimate`` (NaN if not
        identified), ``used`` and ``reason`` (why not identified).
    notes
        Clusters excluded and caveats, printed under the summary.
    """

    method: str
    term: str
    cluster: str
    value: float
    estimate: float
    full_sample_estimate: float
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float
    level: float | None
    df: int | None
    sign_changes: int | None
    clusters: int
    clusters_used: int
    smallest_p_value: float
    estimates: pd.DataFrame
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, outcome: ClusterLevelOutcome) -> ClusterLevelTest:
        """The result of a test run by :mod:`econ.inference.cluster_level`."""
        e = outcome.estimates
        low, high = outcome.conf_int if outcome.conf_int is not None else (math.nan, math.nan)
        return cls(outcome.method, e.term, e.cluster, outcome.value, outcome.estimate,
                   e.full_sample, outcome.statistic, outcome.p_value, low, high, outcome.level,
                   outcome.df, outcome.sign_changes, len(e.labels), e.q,
                   outcome.smallest_p_value, _table(e), _notes(outcome))

    @property
    def clusters_excluded(self) -> int:
        """Clusters where the coefficient is not identified."""
        return self.clusters - self.clusters_used

    def tidy(self) -> pd.DataFrame:
        """One row: ``term``, ``method``, ``estimate``, ``statistic``, ``p_value``,
        ``conf_low``, ``conf_high``, ``clusters_used``, ``smallest_p_value``."""
        return pd.DataFrame([{
            "term": self.term, "method": self.method, "estimate": self.estimate,
            "statistic": self.statistic, "p_value": self.p_value, "conf_low": self.conf_low,
            "conf_high": self.conf_high, "clusters_used": self.clusters_used,
            "smallest_p_value": self.smallest_p_value}])

    def summary(self) -> Summary:
        used = f"{self.clusters_used} of {self.clusters} clusters of {self.cluster} used"
        facts = [("Method", self.method), ("Clusters", used),
                 ("Full-sample estimate", f"{self.full_sample_estimate:.4g}")]
        if self.df is not None:
            facts.append(("Degrees of freedom", str(self.df)))
        if self.sign_changes is not None:
            facts.append(("Sign changes", f"all {self.sign_changes:,} (2^q)"))
        rows = [("Estimate (mean of cluster estimates)", f"{self.estimate:.4g}"),
                ("Statistic", f"{self.statistic:.4f}"), ("p-value", f"{self.p_value:.4g}")]
        if self.level is not None:
            rows.append((f"{self.level:.0%} CI", f"[{self.conf_low:.4g}, {self.conf_high:.4g}]"))
        if self.sign_changes is not None:
            rows.append(("Smallest attainable p-value", f"{self.smallest_p_value:.4g}"))
        rows += [(f"{self.cluster} = {row.cluster}",
                  f"{row.estimate:.4g} ({row.rows:,} rows)" if row.used else "not identified")
                 for row in self.estimates.itertuples()]
        header = (f"H0: {self.term} = {self.value:g}", "")
        return Summary(f"Cluster-level test ({self.method})", tuple(facts), header,
                       tuple(rows), self.notes)


def _table(estimates: ClusterEstimates) -> pd.DataFrame:
    return pd.DataFrame({"cluster": estimates.labels, "rows": estimates.rows,
                         "estimate": estimates.estimates, "used": estimates.identified,
                         "reason": list(estimates.reasons)})


def _notes(outcome: ClusterLevelOutcome) -> tuple[str, ...]:
    e = outcome.estimates
    notes = [f"{e.cluster} = {label}: {e.term} not identified ({reason}); excluded"
             for label, reason in zip(e.labels, e.reasons, strict=True) if reason]
    if outcome.smallest_p_value > 0.05:
        notes.append(f"With {e.q} clusters the smallest attainable p-value is "
                     f"{outcome.smallest_p_value:.4g}: the test cannot reject at the 5% level.")
    if outcome.level is not None and outcome.level < 0.95:
        notes.append("The t test of cluster estimates is shown to be conservative only at "
                     "two-sided levels of 5% or lower; this interval's level is not covered.")
    return tuple(notes)
