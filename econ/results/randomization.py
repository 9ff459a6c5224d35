"""The immutable result of a randomization-inference test of one coefficient."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class RandomizationTest(SummaryDisplay):
    """A randomization-inference (permutation) test of ``term = 0`` under a cluster assignment.

    The reference distribution is the statistic of ``term`` under every distinct reassignment
    of the clusters' treatment values (``enumerated``), or under ``reps`` random ones.

    Attributes
    ----------
    term
        The coefficient tested.
    kind
        ``"coefficient"`` or ``"t"``: which statistic of ``term`` is compared.
    statistic
        Its value under the observed assignment.
    estimate
        The observed coefficient (equal to ``statistic`` when ``kind`` is ``"coefficient"``).
    pvalue
        Two-sided: the share of the reference distribution, the observed assignment
        included, whose absolute statistic is at least the observed one.
    extreme
        How many of the ``reps`` reference statistics are that extreme (the observed
        assignment counted among them when enumerated, added as ``+1`` when drawn).
    smallest_p
        The smallest p-value the design could give: with enumeration, the p-value of the most
        extreme assignment (ties, such as an assignment and its mirror image, raise it above
        ``1 / assignments``); with random draws, ``1 / (reps + 1)``.
    reps, enumerated
        Size of the reference distribution and whether it is every distinct assignment.
    assignments
        Number of distinct assignments of the treatment values to the clusters.
    formula, covariance
        The model and the covariance label (that of the t statistic).
    treatment, cluster, strata
        The treatment column, the cluster it is assigned by, and the strata (or ``None``).
    clusters, n_strata
        Number of clusters and of strata.
    seed
        Entropy of the permutation stream (reproduces the draws when passed back).
    engine
        ``"refit"``: every assignment refitted; ``"partialled"``: the term's column is linear
        in the treatment, and each assignment's coefficient comes from one partialling of
        its per-cluster pieces (Frisch-Waugh-Lovell), equal to a refit up to rounding.
    simulated
        Whether the data were simulated; summaries then carry the SIMULATED label.
    draws
        The reference statistics when requested with ``keep_draws=True``, in enumeration or
        replicate order.
    """

    term: str
    kind: str
    statistic: float
    estimate: float
    pvalue: float
    extreme: int
    smallest_p: float
    reps: int
    enumerated: bool
    assignments: int
    formula: str
    covariance: str
    treatment: str
    cluster: str
    strata: str | None
    clusters: int
    n_strata: int
    seed: int
    engine: str = "refit"
    simulated: bool = False
    draws: np.ndarray | None = None

    def tidy(self) -> pd.DataFrame:
        """One row: ``term, statistic, p_value, reps, enumerated, assignments, smallest_p``."""
        return pd.DataFrame([{"term": self.term, "statistic": self.statistic,
                              "p_value": self.pvalue, "reps": self.reps,
                              "enumerated": self.enumerated, "assignments": self.assignments,
                              "smallest_p": self.smallest_p}])

    def summary(self) -> Summary:
        statistic = ("coefficient" if self.kind == "coefficient"
                     else f"t ({self.covariance})")
        design = f"{self.treatment}, assigned by {self.cluster} ({self.clusters} clusters)"
        if self.strata is not None:
            design += f" within {self.strata} ({self.n_strata} strata)"
        if self.enumerated:
            reference = f"all {self.assignments:,} distinct assignments"
        else:
            reference = (f"{self.reps:,} random permutations of {self.assignments:,} "
                         f"distinct assignments (seed {self.seed})")
        count = (f"{self.extreme:,} of {self.reps:,}, the observed one included"
                 if self.enumerated else
                 f"{self.extreme:,} of {self.reps:,}; p = ({self.extreme:,} + 1)/"
                 f"({self.reps:,} + 1)")
        facts = (("Formula", self.formula), ("Statistic", statistic),
                 ("Treatment", design), ("Reference distribution", reference),
                 ("At least as extreme", count),
                 ("Computed by", "refitting every assignment" if self.engine == "refit"
                  else "partialling the per-cluster pieces of the term's column once"))
        rows = ((self.term, f"{self.estimate:.4f}", f"{self.statistic:.4f}",
                 f"{self.pvalue:.4f}", f"{self.smallest_p:.4g}"),)
        notes = ["Two-sided randomization-inference p-value: the share of assignments, the "
                 "observed one included, whose |statistic| is at least the observed one."]
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"Randomization inference: {self.term}", facts,
                       ("term", "estimate", "statistic", "p-value", "smallest p"), rows,
                       tuple(notes))
