"""The rotation design on simulated panels whose dynamic truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from econ.data.simulate import Rotation, simulate
from econ.study.rotation import rotation_design

NOISELESS = Rotation(trend=0.0, village_sd=0.0, township_year_sd=0.0, error_sd=0.0)


@pytest.fixture(scope="module")
def rotated():
    return simulate.rotation("wp", rotation=NOISELESS)


def test_each_group_and_direction_recovers_the_dynamic_effects_exactly(rotated) -> None:
    design = rotation_design(rotated.dataset, outcome="rotation_outcome", transform="none",
                             directions=("in", "out", "both"))
    data = rotated.data
    rank = data.pivot(index="village_id", columns="year", values="unit_rank")
    rich = data.groupby("village_id", observed=True)["endowment"].first()
    rich = rich > rich.median()
    change = rank[2023] - rank[2022]
    for (group, direction), study in design.studies.items():
        members = {"all": rich.index == rich.index, "low endowment": ~rich.to_numpy(),
                   "high endowment": rich.to_numpy()}[group]
        moved = change[members]
        moved = {"in": moved[moved > 0], "out": moved[moved < 0],
                 "both": moved[moved != 0]}[direction].abs()
        path = study.to_frame().set_index("period")
        for period in (1, 2, 3):
            assert path.loc[period, "estimate"] == pytest.approx(
                rotated.truth.effect(period) * moved.mean(), abs=1e-10), (group, direction)
        assert path.loc[-1, "estimate"] == pytest.approx(0.0, abs=1e-12)
    ate = design.average_effects.set_index(["group", "direction"])["estimate"]
    np.testing.assert_allclose(ate, rotated.truth.average_total_effect(3), atol=1e-10)
    assert design.simulated and "SIMULATED" in design.summary().as_text()


def test_shipped_panel_runs_and_labels_funds(rotated) -> None:
    design = rotation_design(rotated.panel.dataset)
    assert design.outcome == "log(1 + assistance_funds)"
    assert {d for _, d in design.studies} == {"in", "out"}
    tidy = design.tidy()
    assert set(tidy["group"]) == {"all", "low endowment", "high endowment"}
    assert (tidy.loc[tidy["is_reference"], "period"] == 0).all()


def test_bad_options_are_refused(rotated) -> None:
    with pytest.raises(ValueError, match="directions"):
        rotation_design(rotated.dataset, directions=("up",))
    with pytest.raises(ValueError, match="fewer than two years"):
        rotation_design(rotated.dataset, start=2025)
