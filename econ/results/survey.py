"""Result of the cadre-survey ordered models: coefficients, marginal effects, adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class OrderedModels(SummaryDisplay):
    """Ordered logit or probit of each difficulty on the dispatching level and controls.

    Attributes
    ----------
    coefficients
        One row per (item, term): ``estimate``, ``std_error``, ``z``, ``p_value`` (statsmodels,
        asymptotic). For level terms also ``p_holm`` (Holm across items, from ``p_value``),
        ``p_bootstrap`` (bootstrap-t, unadjusted) and ``p_romano_wolf`` (Romano-Wolf step-down
        across items on the recentred studentized bootstrap coefficients).
    cutpoints
        Thresholds between the observed answer categories, one row per item.
    marginal_effects
        One row per (item, level): the average change in ``P(answer >= 4)`` from a county unit
        to that level holding controls at observed values (``ame``), its bootstrap standard
        error and percentile interval (``conf_low``, ``conf_high``).
    descriptives
        Mean, sd, n and share answering 4-5 by level and item.
    link, reference_unit, controls, nobs, reps, seed, level
        Settings of the fit; ``level`` is the confidence level of the intervals.
    redrawn
        Bootstrap resamples discarded and redrawn (a level or answer category absent, or a fit
        that did not converge).
    simulated
        Whether the survey was simulated; then the summary carries :data:`SIMULATED_LABEL`.
    """

    coefficients: pd.DataFrame
    cutpoints: pd.DataFrame
    marginal_effects: pd.DataFrame
    descriptives: pd.DataFrame
    link: str
    reference_unit: str
    controls: tuple[str, ...]
    nobs: int
    reps: int
    seed: int
    level: float
    redrawn: int
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        """Coefficients and, for level terms, the marginal effect with its interval."""
        effects = self.marginal_effects.rename(columns={"level": "term"})
        out = self.coefficients.merge(effects, on=["item", "term"], how="left")
        if self.simulated:
            out = out.assign(label=SIMULATED_LABEL)
        return out

    def summary(self) -> Summary:
        effects = self.marginal_effects.set_index(["item", "level"])
        rows = []
        for row in self.coefficients.itertuples():
            ame = ci = ""
            key = (str(row.item), str(row.term))
            if key in effects.index:
                e = effects.xs(key)
                assert isinstance(e, pd.Series)  # (item, level) is unique: one row
                ame = f"{e.ame:.3f}"
                ci = f"[{e.conf_low:.3f}, {e.conf_high:.3f}]"
            holm, rw = _adjusted(row.p_holm), _adjusted(row.p_romano_wolf)
            rows.append((*key, f"{row.estimate:.4f}", f"({row.std_error:.4f})",
                         f"{row.p_value:.4f}", holm, rw, ame, ci))
        facts = (("Link", self.link), ("Respondents", f"{self.nobs:,}"),
                 ("Reference unit level", self.reference_unit),
                 ("Controls", ", ".join(self.controls) or "none"),
                 ("Bootstrap", f"{self.reps} respondent resamples, seed {self.seed}"
                  + (f", {self.redrawn} redrawn" if self.redrawn else "")))
        notes = [f"AME: average change in P(answer >= 4) from a {self.reference_unit} unit; "
                 f"{self.level:.0%} bootstrap percentile interval. Holm from asymptotic p; "
                 "Romano-Wolf step-down from the studentized bootstrap, across difficulties "
                 "for each level."]
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"Ordered {self.link}: difficulties by dispatching level", facts,
                       ("item", "term", "coef", "s.e.", "p", "Holm p", "RW p", "AME", "CI"),
                       tuple(rows), tuple(notes))


def _adjusted(p_value: object) -> str:
    """An adjusted p-value cell: empty where the column is NaN (terms other than levels)."""
    p = cast(float, p_value)  # the p_holm and p_romano_wolf columns are float
    return "" if pd.isna(p) else f"{p:.4f}"
