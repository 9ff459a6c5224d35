"""The immutable result of a wild cluster bootstrap test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class WildBootstrapTest(SummaryDisplay):
    """A wild cluster bootstrap test of ``R b = r``.

    Attributes
    ----------
    hypothesis
        The null in words, e.g. ``"high_level:rich:post = 0"``.
    statistic
        Observed t (one restriction) or Wald/q (several), with the CR1 (or CV3) variance.
    pvalues
        ``symmetric``, ``equal_tailed``, ``upper`` and ``lower`` for one restriction, ``wald``
        for several.
    ci, ci_level
        Confidence interval by test inversion (restricted) or studentized (unrestricted) and its
        level; ``None`` for joint tests.
    reps, enumerated
        Replications used and whether they are all ``2^G`` Rademacher patterns (then ``reps``
        is the number of distinct patterns).
    pvalue_rule, smallest_pvalue
        How ties with the observed statistic were counted (``"inclusive"`` or ``"strict"``) and
        the smallest p-value the test can give (``2 / 2^G`` under enumeration with the
        inclusive rule: with two clusters no test at 5% can reject).
    draws
        The bootstrap statistics when requested with ``keep_draws=True``.
    """

    hypothesis: str
    statistic: float
    estimate: tuple[float, ...]
    std_error: float
    pvalues: dict[str, float]
    ci: tuple[float, float] | None
    ci_level: float | None
    reps: int
    enumerated: bool
    distribution: str
    variant: str
    restricted: bool
    cluster: tuple[str, ...]
    bootstrap_cluster: tuple[str, ...]
    bootstrap_clusters: int
    seed: int
    pvalue_rule: str = "inclusive"
    smallest_pvalue: float = 0.0
    dummies: tuple[str, ...] = ()
    draws: np.ndarray | None = None

    @property
    def pvalue(self) -> float:
        """The symmetric p-value (one restriction) or the Wald p-value (several)."""
        return self.pvalues.get("symmetric", self.pvalues.get("wald", float("nan")))

    @property
    def method(self) -> str:
        kind = "WCR" if self.restricted else "WCU"
        return f"{kind}{self.variant}"

    def tidy(self) -> pd.DataFrame:
        row = {"hypothesis": self.hypothesis, "statistic": self.statistic,
               "p_value": self.pvalue, "conf_low": np.nan, "conf_high": np.nan,
               "reps": self.reps, "method": self.method,
               "distribution": self.distribution}
        if self.ci is not None:
            row["conf_low"], row["conf_high"] = self.ci
        return pd.DataFrame([row])

    def summary(self) -> Summary:
        facts = [("Method", f"{self.method} wild cluster bootstrap, {self.distribution} weights"),
                 ("Clusters", f"{', '.join(self.cluster)} (bootstrap by "
                              f"{', '.join(self.bootstrap_cluster)}: "
                              f"{self.bootstrap_clusters} clusters)"),
                 ("Replications", f"{self.reps:,}" + (" (all 2^G patterns)"
                                                      if self.enumerated else "")),
                 ("p-value rule", f"{self.pvalue_rule}; smallest attainable p "
                                  f"{self.smallest_pvalue:.4g}"),
                 ("Seed", str(self.seed))]
        if self.dummies:
            facts.append(("Fixed effects as dummies", ", ".join(self.dummies)))
        rows = [(name, f"{value:.4g}") for name, value in self.pvalues.items()]
        if self.ci is not None:
            rows.append((f"{self.ci_level:.0%} CI", f"[{self.ci[0]:.4g}, {self.ci[1]:.4g}]"))
        header = ("H0: " + self.hypothesis, f"statistic {self.statistic:.4f}")
        return Summary("Wild cluster bootstrap test", tuple(facts), header,
                       tuple((f"p-value ({k})" if "CI" not in k else k, v) for k, v in rows))
