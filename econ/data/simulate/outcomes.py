"""Assistance funds from the outcome equation, and the outcomes that follow from funds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from econ.data.simulate.dispatch import HIGH_LEVEL_CODE, STRONG_CODE, Assignment
from econ.data.simulate.params import Funds, SimulationParams


def demonstration_effect(funds: Funds, cohort: np.ndarray, event_time: np.ndarray,
                         last_cohort: int) -> np.ndarray:
    """Effect of designation on log(1 + funds) ``event_time`` years after designation in ``cohort``.

    Zero before designation (``event_time < 0``) and for never-designated villages (cohort 0).
    """
    effect = (funds.demonstration + funds.growth * np.minimum(event_time, funds.growth_cap)
              + funds.early_bonus * (last_cohort - cohort))
    return np.where((cohort > 0) & (event_time >= 0), effect, 0.0)


def structural_mean(params: SimulationParams, *, level: np.ndarray, strength: np.ndarray,
                    endowment: np.ndarray, demonstration_year: np.ndarray) -> np.ndarray:
    """The systematic part of log(1 + funds), village by year, without ``a_i``, ``u`` and ``e``.

    ``level`` and ``strength`` are (villages, years) codes with ``-1`` for no team;
    ``demonstration_year`` is 0 for never-designated villages.
    """
    f, d = params.funds, params.dispatch
    years = np.asarray(params.structure.years)
    post = years >= d.reform_year
    team = level >= 0
    high = level >= HIGH_LEVEL_CODE
    strong = strength == STRONG_CODE
    e = endowment[:, None]
    cohort = demonstration_year[:, None]
    return (f.intercept + np.asarray(f.year_effects) + f.team * team + f.level * high
            + f.strength * strong + np.where(post, f.gradient_post, f.gradient_pre) * e
            + f.triple * high * e * post
            + demonstration_effect(f, cohort, years - cohort, params.designation.years[1]))


def draw_funds(rng: np.random.Generator, params: SimulationParams, mean: np.ndarray,
               village_effect: np.ndarray, township: np.ndarray, n_townships: int) -> np.ndarray:
    """Add the village effect, township-year shocks and AR(1) errors; return funds >= 0."""
    f = params.funds
    n, n_years = mean.shape
    shocks = rng.normal(0.0, f.township_year_sd, size=(n_townships, n_years))[township]
    innovations = rng.standard_normal((n, n_years))
    errors = np.empty((n, n_years))
    errors[:, 0] = f.error_sd * innovations[:, 0]
    scale = f.error_sd * np.sqrt(1.0 - f.ar1**2)
    for t in range(1, n_years):
        errors[:, t] = f.ar1 * errors[:, t - 1] + scale * innovations[:, t]
    y = mean + village_effect[:, None] + shocks + errors
    return np.expm1(np.maximum(y, 0.0))


@dataclass(frozen=True)
class Consequences:
    """Outcomes driven by funds: (villages, years) arrays; ``industry_known`` masks NA."""

    projects: np.ndarray
    infrastructure: np.ndarray
    collective_income: np.ndarray
    income_per_capita: np.ndarray
    industry_active: np.ndarray
    industry_known: np.ndarray
    relapse: np.ndarray


def _industry(rng: np.random.Generator, params: SimulationParams, funds: np.ndarray,
              endowment: np.ndarray, assignment: Assignment) -> tuple[np.ndarray, np.ndarray]:
    o, d, s = params.outcomes, params.dispatch, params.structure
    years = np.asarray(s.years)
    n = endowment.size
    team = assignment.team_pre
    has_pre = rng.random(n) < np.where(team, o.industry_share_team, o.industry_share_other)
    start_pre = np.where(team, rng.integers(d.campaign_year, d.reform_year - 1, size=n,
                                            endpoint=True),
                         rng.integers(s.first_year, d.reform_year, size=n))
    designated = assignment.demonstration_year
    has_post = ~has_pre & (designated > 0) & (rng.random(n) < o.industry_share_demonstration)
    start = np.where(has_pre, start_pre, np.where(has_post, designated, 0))
    has = has_pre | has_post
    campaign = (years >= d.campaign_year) & (years < d.reform_year)
    baseline = funds[:, campaign].mean(axis=1)
    draws = rng.random(funds.shape)
    alive = np.ones(n, dtype=bool)
    active = np.zeros(funds.shape, dtype=bool)
    for t, year in enumerate(years):
        started = has & (start <= year)
        if year < d.reform_year:
            hazard = np.full(n, o.hazard_pre)
        else:
            # Industries built on campaign money fail when that money is cut (C villages most).
            cut = (start < d.reform_year) & (funds[:, t] < o.funds_cut_ratio * baseline)
            hazard = expit(o.hazard_intercept + o.hazard_funds_cut * cut
                           - o.hazard_endowment * endowment)
        alive &= ~(started & (start < year) & (draws[:, t] < hazard))
        active[:, t] = started & alive
    known = has[:, None] & (start[:, None] <= years)
    return active, known


def consequences(rng: np.random.Generator, params: SimulationParams, funds: np.ndarray, *,
                 endowment: np.ndarray, population: np.ndarray,
                 assignment: Assignment) -> Consequences:
    """Projects, infrastructure, collective income, income per capita, industry and relapse."""
    o, d = params.outcomes, params.dispatch
    years = np.asarray(params.structure.years)
    n: int  # typed: numpy types standard_normal(n) as an array only for an int n
    n, n_years = funds.shape
    e = endowment[:, None]
    post = years >= d.reform_year
    active, known = _industry(rng, params, funds, endowment, assignment)
    collapsed = known & ~active
    before = np.cumsum(funds, axis=1) - funds
    efficiency = expit(o.efficiency_intercept + o.efficiency_slope * e)

    base = np.exp(o.collective_base_log + o.collective_base_endowment * endowment
                  + o.collective_base_sd * rng.standard_normal(n))[:, None]
    built = o.collective_return * efficiency * np.log1p(before / o.collective_scale)
    noise = o.collective_noise_sd * rng.standard_normal((n, n_years))
    collective = ((base + built * (1.0 - o.collapse_loss * collapsed))
                  * np.exp(noise - o.collective_noise_sd**2 / 2))

    log_income = (o.income_log_2013 + o.income_growth * (years - years[0]) + o.income_endowment * e
                  + o.income_return * efficiency * np.log1p(before / o.income_scale)
                  + o.income_village_sd * rng.standard_normal(n)[:, None]
                  + o.income_noise_sd * rng.standard_normal((n, n_years)))

    projects = rng.poisson(o.projects_base + o.projects_return * np.log1p(funds / o.projects_scale))
    share = np.where(post, o.infrastructure_share_post, o.infrastructure_share_pre)
    c = o.infrastructure_concentration
    infrastructure = funds * rng.beta(share * c, (1.0 - share) * c, size=(n, n_years))
    rate = (population / 1000.0 * np.exp(o.relapse_log_rate - o.relapse_endowment * e
                                         - o.relapse_funds * np.log1p(funds)
                                         + o.relapse_collapse * collapsed + o.relapse_post * post))
    relapse = rng.poisson(rate)
    return Consequences(projects, infrastructure, collective, np.exp(log_income), active, known,
                        relapse)
