"""Results of the study designs: named effects with cluster-robust and bootstrap inference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import RegressionResult
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
        ci = self.regression.conf_int()
        boot_ci = self.bootstrap.ci if self.bootstrap and self.bootstrap.ci else (np.nan, np.nan)
        return {
            "effect": self.name, "coefficient": self.coefficient,
            "nobs": self.regression.nobs,
            "estimate": float(self.regression.params[self.coefficient]),
            "std_error": float(self.regression.std_errors[self.coefficient]),
            "p_cluster": float(self.regression.pvalues[self.coefficient]),
            "conf_low": float(ci.loc[self.coefficient, "lower"]),
            "conf_high": float(ci.loc[self.coefficient, "upper"]),
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
            boot = ("" if np.isnan(r.p_bootstrap) else
                    f"{r.p_bootstrap:.4f} [{r.boot_conf_low:.3f}, {r.boot_conf_high:.3f}]")
            rows.append((r.effect, r.coefficient, f"{r.estimate:.4f}", f"({r.std_error:.4f})",
                         f"{r.p_cluster:.4f}", boot, r.expected_sign, f"{r.nobs:,}"))
        first = self.effects[0]
        facts = [("Covariance", first.regression.covariance.label)]
        if first.bootstrap is not None:
            facts.append(("Bootstrap", f"{first.bootstrap.method}, {first.bootstrap.weights}, "
                                       f"B = {first.bootstrap.reps:,}, seed "
                                       f"{first.bootstrap.seed}"))
        notes = list(self.notes) + ([SIMULATED_LABEL] if self.simulated else [])
        return Summary(self.title, tuple(facts),
                       ("effect", "coefficient", "estimate", "s.e.", "p (cluster)",
                        "p [CI] (wild bootstrap)", "expected", "N"), tuple(rows), tuple(notes))
