"""Results of the efficiency design: returns of funds and industry survival by village type."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import RegressionResult, WaldTest
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True)
class Returns:
    """Slopes of one outcome on log cumulative funds by village type, and their equality."""

    outcome: str
    regression: RegressionResult
    slopes: pd.DataFrame
    equality: WaldTest
    equality_bootstrap: WildBootstrapTest | None


@dataclass(frozen=True)
class Survival:
    """Survival of pre-transition industries by type under three models."""

    table: pd.DataFrame
    equality_lpm: WaldTest
    villages: int


@dataclass(frozen=True, repr=False)
class Efficiency(SummaryDisplay):
    """Returns of funds for each outcome, and industry survival, by village type."""

    returns: tuple[Returns, ...]
    survival: Survival | None
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        frames = [r.slopes.assign(outcome=r.outcome) for r in self.returns]
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> Summary:
        rows = tuple((r.outcome, str(row.type), f"{row.slope:.4f}", f"({row.std_error:.4f})",
                      f"{row.p_value:.4f}")
                     for r in self.returns for row in r.slopes.itertuples())
        facts = [(f"Equal slopes, {r.outcome}",
                  f"CR1 F p = {r.equality.pvalue:.4g}" + (
                      f"; wild bootstrap p = {r.equality_bootstrap.pvalue:.4g}"
                      if r.equality_bootstrap is not None else ""))
                 for r in self.returns]
        if self.survival is not None:
            for row in self.survival.table.itertuples():
                facts.append((f"Industry survival, type {row.type}",
                              f"LPM {row.lpm:.3f}, logit {row.logit:.3f}, probit "
                              f"{row.probit:.3f} (n = {row.villages})"))
        notes = (SIMULATED_LABEL,) if self.simulated else ()
        return Summary("Returns of funds and industry survival by village type", tuple(facts),
                       ("outcome", "type", "slope", "s.e.", "p"), rows, notes)
