"""Descriptive statistics against direct pandas computations."""

from __future__ import annotations

import numpy as np
import pytest

import econ


@pytest.fixture
def derived(raw_panel):
    return econ.derive(econ.read_panel(raw_panel))


def test_describe_by_matches_groupby(derived):
    table = econ.describe_by(derived, by=("period",), variables=("assistance_funds",
                                                                  "industry_active"))
    data = derived.data
    pre = data[data["year"] < 2021]
    row = table[table["period"] == "poverty_alleviation"].iloc[0]
    assert row["village_years"] == len(pre) and row["villages"] == 6
    assert np.isclose(row["assistance_funds_mean"], pre["assistance_funds"].mean(), rtol=1e-14)
    assert np.isclose(row["assistance_funds_sd"], pre["assistance_funds"].std(), rtol=1e-14)
    assert np.isclose(row["industry_active_mean"], pre["industry_active"].astype(float).mean())
    total = table.iloc[-1]
    assert total["period"] == "All" and total["village_years"] == len(data)


def test_groups_with_missing_values_are_kept(derived):
    table = econ.describe_by(derived, by=("typology",))
    assert "(none)" in set(table["typology"])
    assert table["village_years"].iloc[:-1].sum() == len(derived)


def test_count_by_levels(derived):
    table = econ.count_by(derived, rows="year", columns="unit_level")
    assert list(table.columns[:5]) == ["township", "county", "municipal", "provincial",
                                       "central"]
    assert table.loc["All", "All"] == len(derived)
    assert table.loc[2019, "none"] == derived.data.query("year == 2019")["unit_level"].isna().sum()


def test_unknown_columns_are_named(derived):
    with pytest.raises(ValueError, match="no column \\['nope'\\]"):
        econ.describe_by(derived, by=("nope",))
