"""The true estimands of a simulated panel, on the scale the designs estimate them.

All effects are on ``log(1 + assistance_funds)`` (funds in 10,000 yuan).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.simulate.dispatch import HIGH_LEVEL_CODE, STRONG_CODE
from econ.data.simulate.outcomes import demonstration_effect, structural_mean
from econ.data.simulate.params import SimulationParams

SCALE = "log(1 + assistance_funds), funds in 10,000 yuan"


@dataclass(frozen=True, eq=False)
class PanelTruth:
    """True values of what the designs estimate.

    Attributes
    ----------
    scale
        The outcome scale of every effect: ``log(1 + assistance_funds)``.
    triple_difference
        ``g``, the coefficient on ``high_level x endowment x post`` (``high_level`` = unit level
        municipal or above, ``post`` = year >= 2021) with continuous endowment.
    triple_difference_rich
        The same contrast with the binary ``rich`` (endowment above ``rich_threshold``) in place
        of endowment: the population coefficient on ``high_level x rich x post`` in a two-way
        (village, year) fixed-effects regression of the noise-free outcome on ``team``,
        ``high_level``, ``strong``, ``high_level x post``, ``high_level x rich``, ``rich x post``,
        ``high_level x rich x post`` and demonstration cohort-by-event-time indicators, on this
        panel's own design; NaN when that design leaves it unidentified. It is roughly ``g``
        times the gap in mean endowment between rich and poor high-level villages, not ``g``,
        and varies from draw to draw with the realised design.
    level_effect
        ``b_L``, municipal-or-higher vs county or township unit (at endowment 0 after 2021; the
        level effect after 2021 at endowment ``E`` is ``level_effect + triple_difference * E``).
    strength_effect
        ``b_S``, a strong department vs a general or marginal one.
    team_effect
        Having a team in post at all vs none.
    endowment_gradient_pre, endowment_gradient_post
        ``b_Epre`` and ``b_Epost``: the endowment gradient before and from 2021 for villages
        without a high-level unit (holding the unit fixed).
    endowment_gradient_change
        ``b_Epost - b_Epre``: the coefficient on ``endowment x post`` once village fixed effects
        absorb the time-invariant gradient.
    demonstration_att
        One row per realised cohort and event time ``k >= 0``: ``cohort``, ``event_time``,
        ``year``, ``att`` and ``villages``. Effects are homogeneous within a cohort, so the ATT
        equals the structural effect ``d + growth * min(k, cap) + early_bonus * (2024 - cohort)``.
    demonstration_att_overall
        Mean effect over all designated village-years (the ATT a single post-designation dummy
        targets under homogeneous timing).
    rich_threshold
        Median endowment of the panel's villages, the cut for ``rich``.
    assisted_share_reform
        Share of villages with a team in the reform year (2021).
    newly_posted_rotation
        Cadres newly in post at the 2023 rotation.
    censored_share
        Share of village-years whose latent ``y`` fell below 0 and was set to 0 (funds 0).
    """

    scale: str
    triple_difference: float
    triple_difference_rich: float
    level_effect: float
    strength_effect: float
    team_effect: float
    endowment_gradient_pre: float
    endowment_gradient_post: float
    endowment_gradient_change: float
    demonstration_att: pd.DataFrame
    demonstration_att_overall: float
    rich_threshold: float
    assisted_share_reform: float
    newly_posted_rotation: int
    censored_share: float


@dataclass(frozen=True)
class Design:
    """A balanced panel's design as (villages, years) arrays."""

    level: np.ndarray
    strength: np.ndarray
    endowment: np.ndarray
    demonstration_year: np.ndarray

    @classmethod
    def from_frame(cls, data: pd.DataFrame, n_years: int) -> Design:
        def grid(name: str) -> np.ndarray:
            return data[name].cat.codes.to_numpy().reshape(-1, n_years)

        endowment = data["endowment"].to_numpy().reshape(-1, n_years)[:, 0]
        demo = data["demonstration_year"].fillna(0).to_numpy(dtype=np.int64)
        return cls(grid("unit_level"), grid("unit_strength"), endowment,
                   demo.reshape(-1, n_years)[:, 0])


def _within(x: np.ndarray) -> np.ndarray:
    # Exact two-way demeaning for a balanced (villages, years, k) array.
    return (x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True)
            + x.mean(axis=(0, 1), keepdims=True))


def pseudo_true(params: SimulationParams, design: Design, moderator: np.ndarray) -> np.ndarray:
    """Two-way FE coefficients on the noise-free outcome (see ``triple_difference_rich``).

    ``moderator`` is the per-village variable interacted with level and post (``rich`` or
    endowment). Returns the coefficients on ``team, high_level, strong, high_level x post,
    high_level x moderator, moderator x post, high_level x moderator x post``, or NaNs when the
    design does not identify them (no high-level unit in a rich village before 2021).
    """
    years = np.asarray(params.structure.years)
    post = (years >= params.dispatch.reform_year).astype(float)
    y = structural_mean(params, level=design.level, strength=design.strength,
                        endowment=design.endowment, demonstration_year=design.demonstration_year)
    high = (design.level >= HIGH_LEVEL_CODE).astype(float)
    m = moderator[:, None].astype(float)
    columns = [design.level >= 0, high, design.strength == STRONG_CODE, high * post, high * m,
               m * post, high * m * post]
    cohort = design.demonstration_year[:, None]
    event = np.where(cohort > 0, years - cohort, -1)
    for c in np.unique(design.demonstration_year[design.demonstration_year > 0]):
        for k in range(int(years[-1] - c) + 1):
            columns.append((cohort == c) & (event == k))
    x = _within(np.stack([np.broadcast_to(col, y.shape).astype(float) for col in columns], -1))
    coef, _, rank, _ = np.linalg.lstsq(x.reshape(-1, x.shape[-1]),
                                       _within(y[..., None]).ravel(), rcond=None)
    if rank < x.shape[-1]:
        return np.full(7, np.nan)
    return coef[:7]


def panel_truth(params: SimulationParams, data: pd.DataFrame, *,
                newly_posted: int) -> PanelTruth:
    """Compute the true estimands for a simulated panel ``data`` made from ``params``."""
    f = params.funds
    years = np.asarray(params.structure.years)
    design = Design.from_frame(data, years.size)
    threshold = float(np.median(design.endowment))
    rich = design.endowment > threshold

    cohorts = design.demonstration_year
    rows = []
    for c, villages in zip(*np.unique(cohorts[cohorts > 0], return_counts=True), strict=True):
        k = np.arange(int(years[-1] - c) + 1)
        att = demonstration_effect(f, np.full(k.size, c), k, params.designation.years[1])
        rows.append(pd.DataFrame({"cohort": int(c), "event_time": k, "year": c + k, "att": att,
                                  "villages": int(villages)}))
    att_table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["cohort", "event_time", "year", "att", "villages"])
    treated = (cohorts[:, None] > 0) & (years >= cohorts[:, None])
    effects = demonstration_effect(f, cohorts[:, None], years - cohorts[:, None],
                                   params.designation.years[1])
    reform = years == params.dispatch.reform_year
    return PanelTruth(
        scale=SCALE,
        triple_difference=f.triple,
        triple_difference_rich=float(pseudo_true(params, design, rich)[-1]),
        level_effect=f.level,
        strength_effect=f.strength,
        team_effect=f.team,
        endowment_gradient_pre=f.gradient_pre,
        endowment_gradient_post=f.gradient_post,
        endowment_gradient_change=f.gradient_post - f.gradient_pre,
        demonstration_att=att_table,
        demonstration_att_overall=float(effects[treated].mean()) if treated.any() else float("nan"),
        rich_threshold=threshold,
        assisted_share_reform=float((design.level[:, reform] >= 0).mean()),
        newly_posted_rotation=newly_posted,
        censored_share=float((data["assistance_funds"].to_numpy() == 0.0).mean()),
    )
