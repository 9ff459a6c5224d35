"""Simulate one county block: the unit of generation, so chunking never changes the result.

Each county draws from its own stream ``SeedSequence([entropy, county_index])``; nothing in a
county depends on any other county.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from econ.data.schema import PANEL, categorical_dtype
from econ.data.simulate.calibration import Intercepts, probability
from econ.data.simulate.dispatch import assign
from econ.data.simulate.outcomes import consequences, draw_funds, structural_mean
from econ.data.simulate.params import SimulationParams


def _code_width(n: int) -> int:
    return max(2, len(str(n)))


def _category(name: str, codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.ravel(), dtype=categorical_dtype(PANEL[name]))


def _nullable_int(values: np.ndarray, missing: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.IntegerArray(values.astype(np.int64), missing)


def simulate_county(params: SimulationParams, intercepts: Intercepts, *, entropy: int,
                    county: int) -> tuple[pd.DataFrame, int]:
    """Simulate county number ``county`` (0-based).

    Returns
    -------
    frame
        The county's rows in canonical columns, sorted by village and year; ids are plain
        strings until :func:`~econ.data.simulate.panel.canonical` casts the assembled table.
    newly_posted
        Cadres newly in post at the rotation (``rotation_year``).
    """
    rng = np.random.default_rng(np.random.SeedSequence([entropy, county]))
    s, v = params.structure, params.villages
    years = np.asarray(s.years)
    n_years = years.size
    n_townships = int(rng.integers(*s.townships_per_county, endpoint=True))
    per_township = rng.integers(*s.villages_per_township, size=n_townships, endpoint=True)
    township = np.repeat(np.arange(n_townships), per_township)
    n = township.size
    number = np.arange(n) - np.repeat(np.cumsum(per_township) - per_township, per_township)

    shift = rng.normal(0.0, v.county_endowment_sd)
    endowment = shift + np.sqrt(1.0 - v.county_endowment_sd**2) * rng.standard_normal(n)
    poverty = rng.random(n) < probability(intercepts.poverty, v.poverty_slope, endowment)
    deep = poverty & (rng.random(n) < probability(intercepts.deep, v.deep_slope, endowment))
    village_effect = rng.normal(0.0, params.funds.village_sd, size=n)
    base_population = v.population_median * np.exp(v.population_log_sd * rng.standard_normal(n))
    population = np.rint(base_population[:, None] * (1.0 + v.population_trend)
                         ** (years - years[0]) * np.exp(0.01 * rng.standard_normal((n, n_years))))

    assignment = assign(rng, params, intercepts, endowment=endowment, poverty=poverty, deep=deep,
                        village_z=village_effect / params.funds.village_sd)
    mean = structural_mean(params, level=assignment.level, strength=assignment.strength,
                           endowment=endowment, demonstration_year=assignment.demonstration_year)
    funds = draw_funds(rng, params, mean, village_effect, township, n_townships)
    out = consequences(rng, params, funds, endowment=endowment, population=population,
                       assignment=assignment)

    county_id = f"C{county + 1:0{_code_width(s.n_counties)}d}"
    n_cities = -(-s.n_counties // s.counties_per_city)
    city_id = f"M{county // s.counties_per_city + 1:0{_code_width(n_cities)}d}"
    township_ids = np.array([f"{county_id}T{t + 1:02d}" for t in range(n_townships)])[township]
    village_ids = np.char.add(township_ids, np.array([f"V{k + 1:03d}" for k in number]))

    def per_village(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, n_years)

    demo = assignment.demonstration_year
    columns = {
        "village_id": pd.array(per_village(village_ids), dtype="str"),
        "year": pd.array(np.tile(years, n), dtype="Int64"),
        "township_id": pd.array(per_village(township_ids), dtype="str"),
        "county_id": pd.array(np.full(n * n_years, county_id), dtype="str"),
        "city_id": pd.array(np.full(n * n_years, city_id), dtype="str"),
        "unit_level": _category("unit_level", assignment.level),
        "unit_type": _category("unit_type", assignment.kind),
        "unit_strength": _category("unit_strength", assignment.strength),
        "first_secretary": pd.array(assignment.level.ravel() >= 0, dtype="boolean"),
        "team_size": pd.array(assignment.size.ravel(), dtype="Int64"),
        "endowment": per_village(endowment),
        "poverty_village": pd.array(per_village(poverty), dtype="boolean"),
        "deep_poverty": pd.array(per_village(deep), dtype="boolean"),
        "demonstration_year": _nullable_int(per_village(demo), per_village(demo == 0)),
        "population": pd.array(population.ravel().astype(np.int64), dtype="Int64"),
        "assistance_funds": funds.ravel(),
        "projects": pd.array(out.projects.ravel(), dtype="Int64"),
        "infrastructure_invest": out.infrastructure.ravel(),
        "collective_income": out.collective_income.ravel(),
        "income_per_capita": out.income_per_capita.ravel(),
        "industry_active": pd.arrays.BooleanArray(out.industry_active.ravel(),
                                                  ~out.industry_known.ravel()),
        "relapse_households": pd.array(out.relapse.ravel(), dtype="Int64"),
    }
    return pd.DataFrame({name: columns[name] for name in PANEL.names}), assignment.newly_posted
