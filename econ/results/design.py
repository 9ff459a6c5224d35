"""Results of the study designs: named effects with cluster-robust and bootstrap inference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import RegressionResult, WaldTest
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True)
class NamedEffect:
    """One effect the study names, the coefficient behind it and its two kinds of inference."""

    name: str
    coefficient: str
    meaning: str
    expected_sign: int
    regression: RegressionResult
    bootstrap: WildBootstrapTest | None

    def row(self) -> dict[str, object]:
        ci = self.regression.conf_int().loc[self.coefficient]
        assert isinstance(ci, pd.Series)  # one row: coefficient names are unique
        boot_ci = self.bootstrap.ci if self.bootstrap and self.bootstrap.ci else (np.nan, np.nan)
        return {
            "effect": self.name, "coefficient": self.coefficient,
            "nobs": self.regression.nobs,
            "estimate": float(self.regression.params[self.coefficient]),
            "std_error": float(self.regression.std_errors[self.coefficient]),
            "p_cluster": float(self.regression.pvalues[self.coefficient]),
            "conf_low": float(ci["conf_low"]),
            "conf_high": float(ci["conf_high"]),
            "p_bootstrap": self.bootstrap.pvalue if self.bootstrap else np.nan,
            "boot_conf_low": boot_ci[0], "boot_conf_high": boot_ci[1],
            "expected_sign": {1: "+", -1: "-", 0: ""}[self.expected_sign],
        }


@dataclass(frozen=True, repr=False)
class DesignResult(SummaryDisplay):
    """A study design: its regressions and the effects it reports by name."""

    title: str
    effects: tuple[NamedEffect, ...]
    notes: tuple[str, ...] = ()
    simulated: bool = False

    def __getitem__(self, name: str) -> NamedEffect:
        for effect in self.effects:
            if effect.name == name:
                return effect
        raise KeyError(f"no effect {name!r}; effects: {[e.name for e in self.effects]}")

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([e.row() for e in self.effects])

    def summary(self) -> Summary:
        rows = []
        for r in self.tidy().itertuples():
            boot = ("" if np.isnan(cast(float, r.p_bootstrap)) else
                    f"{r.p_bootstrap:.4f} [{r.boot_conf_low:.3f}, {r.boot_conf_high:.3f}]")
            rows.append((str(r.effect), str(r.coefficient), f"{r.estimate:.4f}",
                         f"({r.std_error:.4f})", f"{r.p_cluster:.4f}", boot, str(r.expected_sign),
                         f"{r.nobs:,}"))
        first = self.effects[0]
        facts = [("Covariance", first.regression.covariance.label)]
        if first.bootstrap is not None:
            facts.append(("Bootstrap", f"{first.bootstrap.method}, {first.bootstrap.distribution}, "
                                       f"B = {first.bootstrap.reps:,}, seed "
                                       f"{first.bootstrap.seed}"))
        notes = list(self.notes) + ([SIMULATED_LABEL] if self.simulated else [])
        return Summary(self.title, tuple(facts),
                       ("effect", "coefficient", "estimate", "s.e.", "p (cluster)",
                        "p [CI] (wild bootstrap)", "expected", "N"), tuple(rows), tuple(notes))


@dataclass(frozen=True, repr=False)
class Heterogeneity(SummaryDisplay):
    """Post-transition changes by group, and tests that they are equal.

    Attributes
    ----------
    effects
        One named effect per group: the change in the outcome after ``post_year`` for villages
        of that group (fixed at ``post_year``), relative to villages with no team then.
    equality
        Cluster-robust F test that all group effects are equal.
    equality_bootstrap
        Wild bootstrap Wald test of the same hypothesis (``None`` without a bootstrap).
    """

    effects: DesignResult
    equality: WaldTest
    equality_bootstrap: WildBootstrapTest | None

    def tidy(self) -> pd.DataFrame:
        return self.effects.tidy()

    def summary(self) -> Summary:
        base = self.effects.summary()
        facts = (*base.facts, ("Equal effects (CR1 F test)", f"p = {self.equality.pvalue:.4g}"))
        if self.equality_bootstrap is not None:
            facts = (*facts, ("Equal effects (wild bootstrap Wald)",
                              f"p = {self.equality_bootstrap.pvalue:.4g}"))
        return Summary(base.title, facts, base.header, base.rows, base.notes)


@dataclass(frozen=True, repr=False)
class DesignationEffect(SummaryDisplay):
    """The average effect of demonstration designation on designated village-years.

    Attributes
    ----------
    estimate, std_error, conf_int, level
        The cell-size weighted average of the cohort-by-event-time designation coefficients,
        its CR1 standard error and t interval at confidence ``level``.
    cells
        Each cohort and event time: coefficient, village-years (the weight).
    bootstrap
        Wild cluster bootstrap test of ``average = 0`` with its interval (or ``None``).
    """

    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    level: float
    cells: pd.DataFrame
    bootstrap: WildBootstrapTest | None
    regression: RegressionResult
    simulated: bool = False

    def summary(self) -> Summary:
        rows = tuple((f"{r.cohort}", f"{r.event_time}", f"{r.estimate:.4f}", f"{r.rows:,}")
                     for r in self.cells.itertuples())
        facts = [("Average effect", f"{self.estimate:.4f} (s.e. {self.std_error:.4f}, CR1)"),
                 (f"{self.level:.0%} CI (CR1)",
                  f"[{self.conf_int[0]:.4f}, {self.conf_int[1]:.4f}]")]
        if self.bootstrap is not None and self.bootstrap.ci is not None:
            low, high = self.bootstrap.ci
            facts.append(("Wild bootstrap", f"p = {self.bootstrap.pvalue:.4f}, CI "
                                            f"[{low:.4f}, {high:.4f}]"))
        notes = (SIMULATED_LABEL,) if self.simulated else ()
        return Summary("Effect of demonstration designation", tuple(facts),
                       ("cohort", "event time", "estimate", "village-years"), rows, notes)
