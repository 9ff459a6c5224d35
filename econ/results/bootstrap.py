"""The immutable result of a wild cluster bootstrap test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.inference.bootstrap.wild import pvalue_mc_se
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
    ci_mc_se
        Monte Carlo standard errors of the interval's ends (0 under enumeration): half the
        distance between the ends at the levels one binomial standard deviation either side,
        see :func:`econ.inference.bootstrap.wild.interval_mc_se`. Another seed moves an end
        by about this much; raise ``reps`` to shrink it (as ``1 / sqrt(B)``).
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
    ci_mc_se: tuple[float, float] | None = None

    @property
    def pvalue_mc_se(self) -> float:
        """Monte Carlo standard error of :attr:`pvalue`, ``sqrt(p (1 - p) / B)``.

        0 under enumeration. With ``p = 0`` it is 0 as well: then read the p-value as below
        ``1 / B`` (see :attr:`pvalue_bound`).
        """
        return pvalue_mc_se(self.pvalue, self.reps, self.enumerated)

    @property
    def pvalue_bound(self) -> float | None:
        """``1 / B`` when no draw was as extreme as the observed statistic (p = 0), else None."""
        return 1 / self.reps if self.pvalue == 0 and not self.enumerated else None

    @property
    def pvalue(self) -> float:
        """The symmetric p-value (one restriction) or the Wald p-value (several)."""
        return self.pvalues.get("symmetric", self.pvalues.get("wald", float("nan")))

    @property
    def method(self) -> str:
        if self.variant == "score":
            # The restricted wild score bootstrap of a Poisson fit (Kline and Santos 2012).
            return "WCR score"
        kind = "WCR" if self.restricted else "WCU"
        return f"{kind}{self.variant}"

    def tidy(self) -> pd.DataFrame:
        row = {"hypothesis": self.hypothesis, "statistic": self.statistic,
               "p_value": self.pvalue, "p_value_mc_se": self.pvalue_mc_se,
               "conf_low": np.nan, "conf_high": np.nan,
               "conf_low_mc_se": np.nan, "conf_high_mc_se": np.nan,
               "reps": self.reps, "method": self.method,
               "distribution": self.distribution}
        if self.ci is not None:
            row["conf_low"], row["conf_high"] = self.ci
        if self.ci_mc_se is not None:
            row["conf_low_mc_se"], row["conf_high_mc_se"] = self.ci_mc_se
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
        rows = [(f"p-value ({name})", self._pvalue_text(value))
                for name, value in self.pvalues.items()]
        if not self.enumerated:
            rows.append(("Monte Carlo s.e. of p", f"{self.pvalue_mc_se:.2g}"))
        if self.ci is not None:
            rows.append((f"{self.ci_level:.0%} CI", f"[{self.ci[0]:.4g}, {self.ci[1]:.4g}]"))
        if self.ci_mc_se is not None and not self.enumerated:
            rows.append(("Monte Carlo s.e. of the ends",
                         f"({self.ci_mc_se[0]:.2g}, {self.ci_mc_se[1]:.2g})"))
        header = ("H0: " + self.hypothesis, f"statistic {self.statistic:.4f}")
        return Summary("Wild cluster bootstrap test", tuple(facts), header, tuple(rows))

    def _pvalue_text(self, value: float) -> str:
        # With no draw as extreme, p = 0 only says that p is below 1/B.
        if value == 0 and not self.enumerated:
            return f"< 1/{self.reps}"
        return f"{value:.4g}"
