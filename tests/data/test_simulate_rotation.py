"""The rotation outcome: known dynamic effects of rank changes, added without touching the panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from econ.data.schema import PANEL
from econ.data.simulate import Rotation, simulate
from econ.data.simulate.rotation import add_rotation_outcome
from econ.models.dcdh import did_multiplegt

NOISELESS = Rotation(trend=0.0, village_sd=0.0, township_year_sd=0.0, error_sd=0.0)


@pytest.fixture(scope="module")
def wp():
    return simulate("wp")


def test_panel_columns_and_draws_are_untouched(wp) -> None:
    rotated = add_rotation_outcome(wp)
    assert tuple(rotated.data.columns) == (*PANEL.names, "unit_rank", "rotation_outcome")
    pd.testing.assert_frame_equal(rotated.data[list(PANEL.names)], wp.data)
    # and simulate() itself draws the same panel after the rotation stream has been used
    pd.testing.assert_frame_equal(simulate("wp").data, wp.data)
    assert rotated.dataset.simulated


def test_outcome_is_reproducible_and_depends_on_the_seed(wp) -> None:
    first = add_rotation_outcome(wp).data["rotation_outcome"]
    again = simulate.rotation("wp").data["rotation_outcome"]
    other = simulate.rotation("wp", seed=1).data["rotation_outcome"]
    np.testing.assert_array_equal(first.to_numpy(), again.to_numpy())
    assert not np.allclose(first.to_numpy()[: len(other)], other.to_numpy()[: len(first)])


def test_rank_is_the_level_code_with_minus_one_for_no_team(wp) -> None:
    rotated = add_rotation_outcome(wp).data
    levels = list(wp.data["unit_level"].cat.categories)
    expected = wp.data["unit_level"].map({name: i for i, name in enumerate(levels)})
    np.testing.assert_array_equal(rotated["unit_rank"],
                                  expected.astype(float).fillna(-1).astype(int))


def test_noiseless_outcome_is_the_dynamic_effect_of_each_change(wp) -> None:
    rotated = add_rotation_outcome(wp, NOISELESS).data
    wide = rotated.pivot(index="village_id", columns="year", values="rotation_outcome")
    rank = rotated.pivot(index="village_id", columns="year", values="unit_rank")
    change = rank[2023] - rank[2022]
    for year, effect in zip((2023, 2024, 2025), NOISELESS.effects, strict=True):
        np.testing.assert_allclose(wide[year] - wide[2022], change * effect, atol=1e-12)
    # changes before from_year (2015 campaign, 2021 re-dispatch) have no effect
    np.testing.assert_allclose(wide.loc[:, :2022].to_numpy(), NOISELESS.intercept, atol=1e-12)


def test_truth_counts_the_rotation_switchers(wp) -> None:
    rotated = add_rotation_outcome(wp)
    rank = rotated.data.pivot(index="village_id", columns="year", values="unit_rank")
    change = rank[2023] - rank[2022]
    assert rotated.truth.switchers_in == int((change > 0).sum())
    assert rotated.truth.switchers_out == int((change < 0).sum())
    assert rotated.truth.switchers_in > 5 and rotated.truth.switchers_out > 5


def test_dcdh_recovers_the_truth_exactly_without_noise(wp) -> None:
    rotated = add_rotation_outcome(wp, NOISELESS)
    window = rotated.data[rotated.data["year"] >= 2021]
    columns = {"outcome": "rotation_outcome", "group": "village_id", "time": "year",
               "treatment": "unit_rank", "effects": 3, "placebos": 1}
    raw = did_multiplegt(window, **columns).to_frame().set_index("period")
    normalized = did_multiplegt(window, **columns, normalized=True).to_frame().set_index("period")
    rank = window.pivot(index="village_id", columns="year", values="unit_rank")
    change = (rank[2023] - rank[2022]).abs()
    dose = change[change > 0].mean()
    truth = rotated.truth
    for period in (1, 2, 3):
        assert raw.loc[period, "estimate"] == pytest.approx(truth.effect(period) * dose,
                                                            abs=1e-10)
        assert normalized.loc[period, "estimate"] == pytest.approx(
            truth.effects.loc[period - 1, "normalized"], abs=1e-10)
    assert raw.loc[-1, "estimate"] == pytest.approx(0.0, abs=1e-12)
    assert truth.average_total_effect(3) == pytest.approx(np.mean(NOISELESS.effects))


def test_bad_rotation_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one effect"):
        Rotation(effects=())
    with pytest.raises(ValueError, match="ar1"):
        Rotation(ar1=1.0)
