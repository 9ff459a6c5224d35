"""Readiness of a panel for each study design: the needs listed are what the designs really
need (each design fails without each of them), and the replication steps declare them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from econ.data.dataset import Dataset, LoadReport
from econ.data.io import read_panel, read_survey
from econ.study.designation import designation_effect
from econ.study.efficiency import efficiency
from econ.study.gradient import gradient_event_study
from econ.study.heterogeneity import heterogeneity
from econ.study.inequality import inequality
from econ.study.readiness import (
    DERIVE_NEEDS,
    DESIGNS,
    check_readiness,
    design_needs,
    missing_columns,
)
from econ.study.strong_alliance import strong_alliance

ROOT = Path(__file__).resolve().parents[2]
RUN = {
    "strong_alliance": lambda p: strong_alliance(p, bootstrap=None),
    "gradient_event_study": lambda p: gradient_event_study(p, bootstrap=None),
    "heterogeneity": lambda p: heterogeneity(p, bootstrap=None),
    "designation_effect": lambda p: designation_effect(p, bootstrap=None),
    "efficiency": lambda p: efficiency(p),
    "inequality": lambda p: inequality(p, reps=9),
}
#: The designs each replication step calls (read from the scripts).
STEP_DESIGNS = {
    "strong_alliance": ("strong_alliance", "heterogeneity"),
    "event_study": ("gradient_event_study",),
    "staggered": ("designation_effect",),
    "efficiency": ("efficiency",),
    "inequality": ("inequality",),
}


@pytest.fixture(scope="module")
def panel() -> Dataset:
    return read_panel(ROOT / "data" / "village_panel.parquet")


def _without(panel: Dataset, *columns: str, extra: tuple[str, ...] = ()) -> Dataset:
    return Dataset(panel.data.drop(columns=list(columns)), simulated=panel.simulated,
                   report=LoadReport("test", "DataFrame", extra_columns=extra))


def test_the_shipped_panel_is_ready_for_every_panel_design(panel):
    readiness = check_readiness(panel)
    assert readiness.ready == tuple(n for n, d in DESIGNS.items() if d.schema is panel.schema)
    assert all(line.startswith("ready") for line in readiness.lines())
    assert readiness.tidy()["ready"].all() and "<table" in readiness._repr_html_()


@pytest.mark.parametrize("design", list(RUN))
def test_each_design_fails_without_each_column_it_is_said_to_need(panel, design):
    for column in DESIGNS[design].needs:
        lacking = _without(panel, column)
        assert not check_readiness(lacking, [design])[design].ready
        with pytest.raises(ValueError):
            RUN[design](lacking)


def test_the_replication_steps_declare_what_their_designs_need():
    for step, designs in STEP_DESIGNS.items():
        path = ROOT / "replication" / f"{step}.py"
        spec = importlib.util.spec_from_file_location(f"readiness_{step}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert set(design_needs(*designs)) <= set(module.NEEDS), step


def test_a_missing_column_names_the_unrecognised_header_that_resembles_it(panel):
    lacking = _without(panel, "unit_level", "collective_income", extra=("帮扶单位级别", "备注"))
    why = missing_columns(lacking, ["unit_level"])["unit_level"]
    assert "'帮扶单位级别' looks like it" in why and "--map '帮扶单位级别=unit_level'" in why
    why = missing_columns(lacking, ["collective_income"])["collective_income"]
    # The header that looks like unit_level is not offered for another column.
    assert "headers not recognised: '备注';" in why
    readiness = check_readiness(lacking)
    assert readiness.ready == ()
    text = str(readiness)
    assert text.count("looks like it") == 1  # each column's reason once, not once per design
    assert "NOT READY  strong_alliance       lacks unit_level" in text


def test_an_empty_column_is_not_usable_and_optional_columns_are_named(panel):
    data = panel.data.assign(income_per_capita=pd.Series(float("nan"), index=panel.data.index))
    data = data.drop(columns=["industry_active"])
    readiness = check_readiness(Dataset(data, simulated=True))
    assert readiness["efficiency"].missing == {
        "income_per_capita": "column 'income_per_capita' is empty in every row"}
    assert readiness["inequality"].ready
    ready = check_readiness(Dataset(panel.data.drop(columns=["industry_active"])))
    assert "without industry_active: no survival of assisted industries" in str(ready)


def test_a_panel_whose_study_variables_cannot_be_derived_is_not_ready(panel):
    data = panel.to_pandas()
    first = data["village_id"].iloc[0]
    data.loc[data["village_id"] == first, "endowment"] = float("nan")
    readiness = check_readiness(Dataset(data))
    assert readiness.ready == ()
    assert "cannot derive 'rich'" in readiness["heterogeneity"].problem
    assert "lacks usable study variables" in readiness["heterogeneity"].line()


def test_survey_designs_and_errors():
    survey = read_survey(ROOT / "data" / "cadre_survey.parquet")
    assert check_readiness(survey).ready == ("survey_descriptives", "survey_alpha",
                                             "ordered_models")
    lacking = Dataset(survey.data.drop(columns=["tenure_months"]), schema=survey.schema)
    assert check_readiness(lacking, ["ordered_models", "survey_alpha"]).ready == (
        "survey_alpha",)
    with pytest.raises(ValueError, match="need a village panel"):
        check_readiness(survey, ["strong_alliance"])
    with pytest.raises(KeyError, match="not a study design"):
        design_needs("strong_aliance")
    assert design_needs("heterogeneity") == (*DERIVE_NEEDS, "assistance_funds")
