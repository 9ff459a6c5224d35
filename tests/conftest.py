"""Shared fixtures: a small hand-made panel that exercises every schema column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def raw_panel() -> pd.DataFrame:
    """Six villages in two townships of two counties, 2019-2022, canonical English headers."""
    rng = np.random.default_rng(7)
    villages = [("0101", "T01", "C1"), ("0102", "T01", "C1"), ("0103", "T01", "C1"),
                ("0201", "T02", "C2"), ("0202", "T02", "C2"), ("0203", "T02", "C2")]
    years = [2019, 2020, 2021, 2022]
    rows = []
    levels = ["county", "municipal", "provincial", "central", "township", None]
    for i, (village, township, county) in enumerate(villages):
        endowment = float(rng.normal())
        for t, year in enumerate(years):
            level = levels[(i + 2 * (year >= 2021)) % len(levels)]
            rows.append({
                "village_id": village, "year": year, "township_id": township,
                "county_id": county, "city_id": "X",
                "unit_level": level,
                "unit_type": None if level is None else ("government", "state_enterprise",
                                                         "public_institution")[(i + t) % 3],
                "unit_strength": None if level is None else ("strong", "general",
                                                             "marginal")[i % 3],
                "first_secretary": level is not None,
                "team_size": None if level is None else 3,
                "endowment": endowment,
                "poverty_village": i % 2 == 0,
                "deep_poverty": i == 0,
                "demonstration_year": 2021 + i if i < 3 else None,
                "population": int(rng.integers(400, 3000)),
                "assistance_funds": float(rng.gamma(2.0, 40.0)) * 1.000000123,
                "projects": int(rng.integers(0, 6)),
                "infrastructure_invest": float(rng.gamma(2.0, 10.0)),
                "collective_income": float(rng.lognormal(1.5, 0.5)),
                "income_per_capita": float(rng.normal(12000, 2000)),
                "industry_active": bool(rng.random() < 0.8),
                "relapse_households": int(rng.integers(0, 3)),
            })
    return pd.DataFrame(rows)
