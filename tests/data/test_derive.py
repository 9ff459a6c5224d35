"""Derived study variables against definitions computed independently in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ


@pytest.fixture
def derived(raw_panel) -> econ.Dataset:
    return econ.derive(econ.read_panel(raw_panel))


def test_period_post_and_levels(derived):
    data = derived.data
    assert (data["post"] == (data["year"] >= 2021)).all()
    assert set(data.loc[data["year"] < 2021, "period"]) == {"poverty_alleviation"}
    high = data["unit_level"].astype(object).isin(["municipal", "provincial", "central"])
    assert (data["high_level"].to_numpy() == high.to_numpy()).all()
    assert (data["assisted"].to_numpy() == data["unit_level"].notna().to_numpy()).all()


def test_rich_is_above_the_median_of_village_baselines(raw_panel, derived):
    baseline = raw_panel[raw_panel["year"] < 2021].groupby("village_id")["endowment"].mean()
    expected = baseline > np.median(baseline.to_numpy())
    got = derived.data.groupby("village_id")["rich"].first()
    assert got.to_dict() == expected.to_dict()
    assert got.sum() == 3


def test_rich_threshold_and_post_year_options(raw_panel):
    panel = econ.read_panel(raw_panel)
    everyone = econ.derive(panel, rich_threshold=-100.0)
    assert everyone.data["rich"].all()
    later = econ.derive(panel, post_year=2022)
    assert later.data.loc[later.data["year"] == 2021, "post"].eq(False).all()
    assert "user threshold" in everyone.derived["rich"]


def test_typology_crosses_level_and_endowment(derived):
    data = derived.data
    for _, row in data.iterrows():
        if pd.isna(row["unit_level"]):
            assert pd.isna(row["typology"])
            continue
        expected = {(True, True): "A", (False, True): "B", (False, False): "C",
                    (True, False): "D"}[(bool(row["high_level"]), bool(row["rich"]))]
        assert row["typology"] == expected


def test_event_time_and_demonstration(derived):
    data = derived.data
    designated = data[data["demonstration_year"].notna()]
    assert (designated["event_time"] == designated["year"] - designated["demonstration_year"]).all()
    assert data.loc[data["demonstration_year"].isna(), "event_time"].isna().all()
    assert (data["demonstration"] == (data["event_time"] >= 0).fillna(False)).all()


def test_missing_inputs_are_named(raw_panel):
    panel = econ.read_panel(raw_panel.drop(columns=["endowment"]))
    with pytest.raises(ValueError, match="'endowment' \\(needed for rich, typology\\)"):
        econ.derive(panel)


def test_own_columns_named_like_derived_ones_are_refused_unless_equal(tmp_path):
    panel = econ.read_panel("data/village_panel.parquet")
    own = econ.Dataset(panel.data.assign(high_level=True), simulated=panel.simulated)
    with pytest.raises(ValueError, match=r"own column\(s\) 'high_level' \(\d+ row\(s\) differ"):
        econ.derive(own)
    # A derived panel saved and read back carries the same values: it derives again quietly.
    econ.write_panel(econ.derive(panel), tmp_path / "derived.parquet")
    again = econ.derive(econ.read_panel(tmp_path / "derived.parquet"))
    assert again.data["high_level"].equals(econ.derive(panel).data["high_level"])
