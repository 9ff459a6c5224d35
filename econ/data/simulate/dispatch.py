"""Who is dispatched where, and which villages become demonstration villages.

Codes follow the schema's category order (``UNIT_LEVELS``: township 0 ... central 4; strength:
marginal 0, general 1, strong 2; kind: government 0, state_enterprise 1, public_institution 2);
``-1`` means no team.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from econ.data.schema import HIGH_LEVELS, UNIT_LEVELS
from econ.data.simulate.calibration import Intercepts
from econ.data.simulate.params import Dispatch, SimulationParams

HIGH_LEVEL_CODE = UNIT_LEVELS.index(HIGH_LEVELS[0])
STRONG_CODE = 2


@dataclass(frozen=True)
class Units:
    """The unit in post in each village (one entry per village)."""

    level: np.ndarray
    strength: np.ndarray
    kind: np.ndarray
    size: np.ndarray

    @classmethod
    def none(cls, n: int) -> Units:
        empty = np.full(n, -1, dtype=np.int8)
        return cls(empty, empty, empty, np.zeros(n, dtype=np.int64))

    def where(self, mask: np.ndarray, other: Units) -> Units:
        """These units where ``mask`` holds, ``other`` elsewhere."""
        return Units(*(np.where(mask, a, b) for a, b in
                       zip(self._arrays(), other._arrays(), strict=True)))

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return self.level, self.strength, self.kind, self.size


@dataclass(frozen=True)
class Assignment:
    """Village-by-year unit codes, designation years and the 2023 rotation's size."""

    level: np.ndarray
    strength: np.ndarray
    kind: np.ndarray
    size: np.ndarray
    demonstration_year: np.ndarray
    team_pre: np.ndarray
    newly_posted: int


def _counts(shares: tuple[float, ...], n: int) -> np.ndarray:
    # Largest-remainder rounding: the county's supply of units matches the shares exactly.
    raw = np.asarray(shares) / sum(shares) * n
    counts = np.floor(raw).astype(np.int64)
    short = n - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _rank_allocate(score: np.ndarray, mask: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    codes = np.full(score.size, -1, dtype=np.int8)
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(-score[idx], kind="stable")]
    top_first = np.arange(len(shares))[::-1]
    codes[order] = np.repeat(top_first, _counts(shares, idx.size)[::-1])
    return codes


def _draw_units(rng: np.random.Generator, d: Dispatch, mask: np.ndarray, score: np.ndarray,
                shares: tuple[float, ...]) -> Units:
    # Draws are made for every village, posted or not, so streams never depend on the mask.
    n = mask.size
    ranked = score + rng.standard_normal(n)
    level = _rank_allocate(ranked, mask, shares)
    strength = _rank_allocate(ranked + rng.standard_normal(n), mask, d.strength_shares)
    kind = rng.choice(len(d.type_shares), size=n, p=np.asarray(d.type_shares)).astype(np.int8)
    size = rng.choice(len(d.team_sizes), size=n, p=np.asarray(d.team_sizes)) + 1
    none = Units.none(n)
    return Units(level, strength, np.where(mask, kind, none.kind), np.where(mask, size, 0))


def _rotate(rng: np.random.Generator, d: Dispatch, old: Units, designated: np.ndarray,
            endowment: np.ndarray) -> tuple[Units, int]:
    n = endowment.size
    had = old.level >= 0
    keep = had & (rng.random(n) < d.team_retention_rotation)
    new = ~had & (rng.random(n) < d.new_team_share_rotation)
    team = designated | keep | new
    fresh = team & (~had | (rng.random(n) < d.rotation_share))
    score = d.allocation_endowment_post * endowment + d.allocation_demonstration * designated
    drawn = _draw_units(rng, d, fresh, score, d.level_shares_post)
    kept = old.where(team, Units.none(n))
    return drawn.where(fresh, kept), int(drawn.size[fresh].sum())


def assign(rng: np.random.Generator, params: SimulationParams, intercepts: Intercepts, *,
           endowment: np.ndarray, poverty: np.ndarray, deep: np.ndarray,
           village_z: np.ndarray) -> Assignment:
    """Dispatch units to one county's villages and designate demonstration villages.

    ``village_z`` is the village funds effect divided by its standard deviation; designation
    leans slightly on it, so designated villages differ in levels as well as in endowment.
    """
    s, d, g = params.structure, params.dispatch, params.designation
    n = endowment.size
    team_pre = poverty | (rng.random(n) < d.nonpoor_team_share_pre)
    early = poverty & (rng.random(n) < d.early_team_share)
    start = np.where(early, s.first_year, d.campaign_year)
    score_pre = -d.allocation_endowment_pre * endowment + d.allocation_deep_pre * deep
    campaign = _draw_units(rng, d, team_pre, score_pre, d.level_shares_pre)

    p_team = np.where(poverty, d.team_retention_post,
                      expit(intercepts.assisted_post + d.assisted_slope_post * endowment))
    team_post = rng.random(n) < p_team
    units = _draw_units(rng, d, team_post, d.allocation_endowment_post * endowment,
                        d.level_shares_post)
    demonstration = np.zeros(n, dtype=np.int64)
    newly_posted = 0
    by_year: list[Units] = []
    for year in s.years:
        if year < d.reform_year:
            by_year.append(campaign.where(team_pre & (year >= start), Units.none(n)))
            continue
        if year == d.rotation_year:
            units, newly_posted = _rotate(rng, d, units, demonstration > 0, endowment)
        if g.years[0] <= year <= g.years[1]:
            z = (g.intercept + g.endowment * endowment
                 + g.high_level * (units.level >= HIGH_LEVEL_CODE) + g.village_effect * village_z)
            chosen = (demonstration == 0) & (rng.random(n) < expit(z))
            demonstration = np.where(chosen, year, demonstration)
        by_year.append(units)
    level, strength, kind, size = (np.column_stack([getattr(u, name) for u in by_year])
                                   for name in ("level", "strength", "kind", "size"))
    return Assignment(level, strength, kind, size, demonstration_year=demonstration,
                      team_pre=team_pre, newly_posted=newly_posted)
