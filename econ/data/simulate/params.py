"""Parameters of the simulated village panel, grouped by the part of the model they drive.

Every number that shapes the shipped data lives here, with its meaning, so the codebook and the
true estimands can be read off one object. Effects on funds are in log points of
``1 + assistance_funds`` (funds in 10,000 yuan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from econ.data.schema import UNIT_LEVELS


@dataclass(frozen=True)
class Structure:
    """Nesting and time span: cities -> counties -> townships -> villages, one row a year.

    Parameters
    ----------
    n_counties
        Counties simulated; each draws its own number of townships and villages.
    townships_per_county, villages_per_township
        Inclusive ``(low, high)`` ranges, drawn uniformly per county and per township.
    counties_per_city
        Consecutive counties sharing one ``city_id``.
    first_year, last_year
        The panel's years (inclusive).
    """

    n_counties: int = 2
    townships_per_county: tuple[int, int] = (12, 18)
    villages_per_township: tuple[int, int] = (8, 15)
    counties_per_city: int = 2
    first_year: int = 2013
    last_year: int = 2025

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))


@dataclass(frozen=True)
class Villages:
    """Fixed village attributes.

    ``endowment`` is standard normal in the population: a county shift with standard deviation
    ``county_endowment_sd`` plus a village part with the remaining variance. Poverty and deep
    poverty are logistic in endowment with intercepts solved so the expected shares hit the targets.

    Parameters
    ----------
    county_endowment_sd
        Standard deviation of the county mean of endowment.
    poverty_share, poverty_slope
        Expected share of registered poverty villages; logit slope on endowment (negative).
    deep_share, deep_slope
        Expected share of deep-poverty villages among poverty villages; logit slope on endowment.
    population_median, population_log_sd, population_trend
        Median and log standard deviation of 2013 population; yearly growth (out-migration < 0).
    """

    county_endowment_sd: float = 0.3
    poverty_share: float = 0.45
    poverty_slope: float = -1.5
    deep_share: float = 0.35
    deep_slope: float = -1.5
    population_median: float = 1400.0
    population_log_sd: float = 0.45
    population_trend: float = -0.01


@dataclass(frozen=True)
class Dispatch:
    """Who is sent where: the 2013-2020 campaign, the 2021 re-dispatch and the 2023 rotation.

    Units are allocated within each county by rank of a score: the county hands its
    highest-level units to the highest scores, in the proportions ``level_shares_*`` (listed in
    ``UNIT_LEVELS`` order, township first). Strength is ranked on the same score plus fresh
    noise. Scores: before 2021 ``-allocation_endowment_pre * E + allocation_deep_pre * deep +
    N(0, 1)`` ("benefits all"); from 2021 ``allocation_endowment_post * E +
    allocation_demonstration * designated + N(0, 1)`` ("strong alliance").

    Parameters
    ----------
    campaign_year
        Year the campaign gave every poverty village a team.
    early_team_share
        Share of poverty villages whose team was already in post in the first panel year.
    nonpoor_team_share_pre
        Share of non-poverty villages (weak, disorganised ones) with a team before 2021.
    reform_year, rotation_year
        The 2021 re-dispatch and the 2023 rotation.
    assisted_share_post
        Expected share of villages with a team after the 2021 re-dispatch.
    team_retention_post
        Probability that a former poverty village keeps a team in 2021 (the rest lose it).
    assisted_slope_post
        Logit slope on endowment of getting a team in 2021 for non-poverty villages.
    team_retention_rotation, new_team_share_rotation
        In 2023: probability a team is kept; probability a village without one gets one.
        Designated demonstration villages always have a team.
    rotation_share
        Probability that a kept team is replaced by a newly dispatched unit in 2023.
    level_shares_pre, level_shares_post
        Shares of dispatched units by level (township, county, municipal, provincial, central).
    strength_shares
        Shares by strength (marginal, general, strong).
    type_shares
        Shares by kind (government, state_enterprise, public_institution).
    team_sizes
        Probabilities of 1, 2, 3, 4 and 5 persons (first secretary included).
    allocation_endowment_pre, allocation_deep_pre
        Weight of ``-E`` and of deep poverty in the pre-2021 score.
    allocation_endowment_post, allocation_demonstration
        Weight of ``E`` and of being a designated demonstration village in the post-2021 score.
    """

    campaign_year: int = 2015
    early_team_share: float = 0.4
    nonpoor_team_share_pre: float = 0.08
    reform_year: int = 2021
    rotation_year: int = 2023
    assisted_share_post: float = 0.55
    team_retention_post: float = 0.85
    assisted_slope_post: float = 1.0
    team_retention_rotation: float = 0.92
    new_team_share_rotation: float = 0.03
    rotation_share: float = 0.4
    level_shares_pre: tuple[float, ...] = (0.20, 0.58, 0.14, 0.05, 0.03)
    level_shares_post: tuple[float, ...] = (0.18, 0.62, 0.13, 0.045, 0.025)
    strength_shares: tuple[float, float, float] = (0.25, 0.45, 0.30)
    type_shares: tuple[float, float, float] = (0.60, 0.15, 0.25)
    team_sizes: tuple[float, ...] = (0.19, 0.12, 0.45, 0.18, 0.06)
    allocation_endowment_pre: float = 0.7
    allocation_deep_pre: float = 0.8
    allocation_endowment_post: float = 1.5
    allocation_demonstration: float = 1.5

    def __post_init__(self) -> None:
        for name in ("level_shares_pre", "level_shares_post"):
            if len(getattr(self, name)) != len(UNIT_LEVELS):
                raise ValueError(f"{name} needs one share per level in {UNIT_LEVELS}")


@dataclass(frozen=True)
class Designation:
    """Staggered demonstration-village designation.

    Each year in ``years`` a not-yet-designated village is designated with probability
    ``logistic(intercept + endowment * E + high_level * L + village_effect * a / sd(a))`` where
    ``L`` is a municipal-or-higher unit in post that year and ``a`` the village's funds effect.
    """

    years: tuple[int, int] = (2021, 2024)
    intercept: float = -4.0
    endowment: float = 1.2
    high_level: float = 1.8
    village_effect: float = 0.5


@dataclass(frozen=True)
class Funds:
    """The outcome equation for ``y = log(1 + assistance_funds)`` (funds in 10,000 yuan).

    ``y_it = intercept + a_i + year_effects[t] + team * T + level * L + strength * S
    + gradient_pre * E (1 - post) + gradient_post * E post + triple * L E post + D_it
    + u_{township, t} + e_it``, with ``D_it = demonstration + growth * min(k, growth_cap)
    + early_bonus * (last designation year - cohort)`` for ``k = year - cohort >= 0``,
    ``a_i ~ N(0, village_sd^2)``, ``u ~ N(0, township_year_sd^2)`` and stationary AR(1)
    ``e_it`` with coefficient ``ar1`` and marginal standard deviation ``error_sd``.
    Funds are ``exp(max(y, 0)) - 1`` so they are never negative.
    """

    intercept: float = 2.0
    year_effects: tuple[float, ...] = (0.0, 0.05, 0.20, 0.30, 0.40, 0.50, 0.55, 0.60,
                                       0.30, 0.35, 0.40, 0.45, 0.50)
    team: float = 1.0
    level: float = 0.6
    strength: float = 0.35
    gradient_pre: float = -0.25
    gradient_post: float = 0.20
    triple: float = 0.45
    demonstration: float = 0.25
    growth: float = 0.08
    growth_cap: int = 3
    early_bonus: float = 0.05
    village_sd: float = 0.35
    township_year_sd: float = 0.20
    ar1: float = 0.5
    error_sd: float = 0.30


@dataclass(frozen=True)
class Outcomes:
    """The other outcomes, driven by funds and endowment.

    ``efficiency_i = logistic(efficiency_intercept + efficiency_slope * E)`` scales the return
    of cumulative funds (to the end of the previous year, ``F``) on collective income
    (``base_i + collective_return * efficiency * log(1 + F / collective_scale)``, less
    ``collapse_loss`` of the industry part once the industry collapses, times lognormal noise)
    and on log income per capita (``income_return * efficiency * log(1 + F / income_scale)``).
    An industry started before 2021 fails each year after 2021 with probability
    ``logistic(hazard_intercept + hazard_funds_cut * cut - hazard_endowment * E)``, where
    ``cut`` flags funds below ``funds_cut_ratio`` of the village's 2015-2020 mean.

    Parameters
    ----------
    efficiency_intercept, efficiency_slope
        Logit of the efficiency with which a village turns funds into income.
    collective_base_log, collective_base_endowment, collective_base_sd
        ``base_i = exp(collective_base_log + collective_base_endowment * E + sd * z)``.
    collective_return, collective_scale, collective_noise_sd, collapse_loss
        Return and scale of cumulative funds; mean-one lognormal noise; share of the
        funds-built part lost once the industry has collapsed.
    income_log_2013, income_growth, income_endowment, income_return, income_scale
        Log income per capita: 2013 level, yearly growth, endowment slope, return and scale of
        cumulative funds.
    income_village_sd, income_noise_sd
        Village and village-year noise of log income per capita.
    industry_share_team, industry_share_other, industry_share_demonstration
        Probability of an assisted industry: villages with a pre-2021 team (started 2015-2020),
        other villages (2013-2020), designated villages without one (in the designation year).
    hazard_pre, hazard_intercept, hazard_funds_cut, hazard_endowment, funds_cut_ratio
        Yearly failure probability before 2021; the logit of failure from 2021.
    projects_base, projects_return, projects_scale
        Poisson mean of projects: ``base + return * log(1 + funds / scale)``.
    infrastructure_share_pre, infrastructure_share_post, infrastructure_concentration
        Mean share of funds spent on infrastructure (Beta distributed) before and from 2021.
    relapse_log_rate, relapse_endowment, relapse_funds, relapse_collapse, relapse_post
        Log of relapse households per 1,000 residents: intercept, slopes on ``E`` and
        ``log(1 + funds)``, shifts for a collapsed industry and for the monitored post-2021
        period.
    """

    efficiency_intercept: float = 0.5
    efficiency_slope: float = 1.0
    collective_base_log: float = 0.0
    collective_base_endowment: float = 0.5
    collective_base_sd: float = 0.5
    collective_return: float = 4.0
    collective_scale: float = 30.0
    collective_noise_sd: float = 0.15
    collapse_loss: float = 0.4
    income_log_2013: float = 8.7
    income_growth: float = 0.07
    income_endowment: float = 0.12
    income_return: float = 0.12
    income_scale: float = 100.0
    income_village_sd: float = 0.1
    income_noise_sd: float = 0.04
    industry_share_team: float = 0.8
    industry_share_other: float = 0.3
    industry_share_demonstration: float = 0.9
    hazard_pre: float = 0.03
    hazard_intercept: float = -3.0
    hazard_funds_cut: float = 2.2
    hazard_endowment: float = 0.8
    funds_cut_ratio: float = 0.5
    projects_base: float = 0.3
    projects_return: float = 1.5
    projects_scale: float = 20.0
    infrastructure_share_pre: float = 0.55
    infrastructure_share_post: float = 0.35
    infrastructure_concentration: float = 10.0
    relapse_log_rate: float = 0.6
    relapse_endowment: float = 0.4
    relapse_funds: float = 0.15
    relapse_collapse: float = 0.5
    relapse_post: float = -0.7


@dataclass(frozen=True)
class SimulationParams:
    """Everything that defines a simulated panel; presets are in :data:`PRESETS`."""

    structure: Structure = field(default_factory=Structure)
    villages: Villages = field(default_factory=Villages)
    dispatch: Dispatch = field(default_factory=Dispatch)
    designation: Designation = field(default_factory=Designation)
    funds: Funds = field(default_factory=Funds)
    outcomes: Outcomes = field(default_factory=Outcomes)

    def __post_init__(self) -> None:
        n_years = len(self.structure.years)
        if len(self.funds.year_effects) != n_years:
            raise ValueError(f"funds.year_effects needs {n_years} values, one per year")
        first, last = self.designation.years
        if not (self.dispatch.reform_year <= first <= last <= self.structure.last_year):
            raise ValueError("designation years must fall within the transition period")
        if self.dispatch.team_retention_post * self.villages.poverty_share > (
                self.dispatch.assisted_share_post):
            raise ValueError("assisted_share_post is below the share of poverty villages kept")


#: Two counties like W and P of city X: western, poor, a few hundred villages.
WP = SimulationParams()

#: J province: about 9,400 villages, 22.1% assisted from 2021, about 2,200 cadres rotated in 2023.
PROVINCE = SimulationParams(
    structure=Structure(n_counties=60, townships_per_county=(8, 16),
                        villages_per_township=(8, 18), counties_per_city=6),
    villages=Villages(poverty_share=0.16, county_endowment_sd=0.4),
    dispatch=Dispatch(assisted_share_post=0.221, team_retention_post=0.8,
                      assisted_slope_post=1.2, rotation_share=0.25,
                      new_team_share_rotation=0.01),
    designation=Designation(intercept=-4.8),
)

#: National scale: about 500,000 villages in 2,800 counties.
NATIONAL = replace(
    PROVINCE,
    structure=Structure(n_counties=2800, townships_per_county=(8, 16),
                        villages_per_township=(10, 20), counties_per_city=8),
    villages=Villages(poverty_share=0.24, county_endowment_sd=0.4),
    dispatch=Dispatch(assisted_share_post=0.33, team_retention_post=0.85),
)

PRESETS: Mapping[str, SimulationParams] = MappingProxyType(
    {"wp": WP, "province": PROVINCE, "national": NATIONAL})
