"""The rotation design's result: dCDH event studies by endowment group and switch direction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.event_study import EventStudy
from econ.results.summary import Summary, SummaryDisplay

#: Switch directions, as ``did_multiplegt``'s ``switchers`` names them, with their meaning.
DIRECTIONS = {"in": "to a higher-level unit", "out": "to a lower-level unit",
              "both": "either way (pooled)"}


@dataclass(frozen=True, eq=False, repr=False)
class RotationDesign(SummaryDisplay):
    """Effects of switching the dispatching unit's level, per endowment group and direction.

    Attributes
    ----------
    outcome
        What was estimated on (e.g. ``log(1 + assistance_funds)``).
    studies
        ``{(group, direction): EventStudy}``: ``group`` ``"all"``, ``"low endowment"`` or
        ``"high endowment"``; ``direction`` ``"in"`` (to a higher level), ``"out"`` (to a lower
        level; effects sign-flipped, so per level *gained*) or ``"both"``.
    average_effects
        One row per study: ``group``, ``direction``, ``estimate`` and ``std_error`` of the
        average total effect per level of change, ``switchers`` (at effect 1).
    missing
        ``{(group, direction): reason}`` for cells with nothing to estimate.
    years
        First and last year of the window.
    threshold
        The endowment cut between the groups (median of the villages').
    level
        Confidence level of the intervals.
    simulated
        Whether the panel was simulated.
    """

    outcome: str
    studies: dict[tuple[str, str], EventStudy]
    average_effects: pd.DataFrame
    missing: dict[tuple[str, str], str]
    years: tuple[int, int]
    threshold: float
    level: float = 0.95
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        """Every estimated period of every study: ``group``, ``direction``, then the event-study
        columns (reference rows included)."""
        frames = [study.to_frame().assign(group=group, direction=direction)
                  for (group, direction), study in self.studies.items()]
        if not frames:
            return pd.DataFrame(columns=["group", "direction", "period", "estimate"])
        table = pd.concat(frames, ignore_index=True)
        first = ["group", "direction"]
        return table[first + [c for c in table.columns if c not in first]]

    def summary(self) -> Summary:
        rows = []
        for row in self.tidy().itertuples():
            if row.is_reference:
                continue
            rows.append((str(row.group), DIRECTIONS[str(row.direction)], str(row.period),
                         f"{row.estimate:.4f}", f"{row.std_error:.4f}",
                         f"[{row.conf_low:.4f}, {row.conf_high:.4f}]"))
        facts = [("Outcome", self.outcome), ("Years", f"{self.years[0]}-{self.years[1]}"),
                 ("Endowment cut (median)", f"{self.threshold:.3f}")]
        for row in self.average_effects.itertuples():
            if np.isfinite(float(row.estimate)):  # type: ignore[arg-type]
                facts.append((f"Average effect per level, {row.group}, {row.direction}",
                              f"{row.estimate:.4f} (s.e. {row.std_error:.4f})"))
        notes = [f"{group}, {DIRECTIONS[direction]}: {reason}"
                 for (group, direction), reason in self.missing.items()]
        notes.append("de Chaisemartin-D'Haultfoeuille DID_l; period l >= 1: l-th year from the "
                     "first change of the unit's level, -l: placebos; switchers out are "
                     "sign-flipped (effect per level gained).")
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary("Rotation design: effects of a change in the dispatching unit's level",
                       tuple(facts), ("group", "switch", "period", "estimate", "std. error",
                                      f"{self.level:.0%} CI"), tuple(rows), tuple(notes))
