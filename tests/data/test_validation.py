"""The bad-input battery: one test per validation problem, each checking what the message names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.data.schema import PANEL, UNIT_LEVELS


def _problems(frame: pd.DataFrame, **options) -> tuple[econ.ValidationError, dict]:
    with pytest.raises(econ.ValidationError) as caught:
        econ.read_panel(frame, **options)
    return caught.value, {p.kind: p for p in caught.value.problems}


def test_clean_panel_loads_in_canonical_form(raw_panel):
    panel = econ.read_panel(raw_panel)
    assert list(panel.data.columns) == [c for c in PANEL.names if c in raw_panel.columns]
    assert panel.data["unit_level"].dtype == pd.CategoricalDtype(list(UNIT_LEVELS), ordered=True)
    assert panel.data["first_secretary"].dtype == "boolean"
    assert panel.data["demonstration_year"].dtype == "Int64"
    assert panel.data["village_id"].iloc[0] == "0101"  # leading zero kept
    assert len(panel) == len(raw_panel)
    assert (panel.data["unit_level"] >= "municipal").sum() == raw_panel["unit_level"].isin(
        ["municipal", "provincial", "central"]).sum()


def test_missing_required_column_names_it_and_the_accepted_headers(raw_panel):
    error, found = _problems(raw_panel.drop(columns=["county_id"]))
    problem = found["missing column"]
    assert problem.column == "county_id"
    assert "'county_id'" in str(error) and "县编码" in str(error) and "mapping=" in str(error)


def test_unknown_category_values_are_named_with_rows_and_the_fix(raw_panel):
    frame = raw_panel.copy()
    frame.loc[[3, 10], "unit_level"] = "区直"
    frame.loc[5, "unit_strength"] = "very strong"
    error, _ = _problems(frame)
    by_column = {p.column: p for p in error.problems}
    level = by_column["unit_level"]
    assert level.kind == "unknown values"
    assert level.rows == (4, 11)
    assert "'区直'" in level.message and "value_mapping=" in level.message
    assert "市级=municipal" in level.message
    assert "'very strong'" in by_column["unit_strength"].message


def test_value_mapping_resolves_unknown_values(raw_panel):
    frame = raw_panel.copy()
    frame.loc[[3, 10], "unit_level"] = "区直"
    panel = econ.read_panel(frame, value_mapping={"unit_level": {"区直": "county"}})
    assert (panel.data["unit_level"].iloc[[3, 10]] == "county").all()
    assert panel.report.recoded["unit_level"] == {"区直": "county"}


def test_non_numeric_values_are_named(raw_panel):
    frame = raw_panel.astype({"assistance_funds": object, "population": object})
    frame.loc[2, "assistance_funds"] = "12万"
    frame.loc[7, "population"] = "about 900"
    frame.loc[8, "population"] = "1,200"
    error, _ = _problems(frame)
    by_column = {p.column: p for p in error.problems}
    assert by_column["assistance_funds"].kind == "non-numeric"
    assert by_column["assistance_funds"].rows == (3,)
    assert "'12万'" in by_column["assistance_funds"].message
    assert by_column["population"].rows == (8, 9)
    assert "'about 900'" in by_column["population"].message


def test_fractional_counts_are_rejected(raw_panel):
    frame = raw_panel.astype({"projects": "float64"})
    frame.loc[4, "projects"] = 2.5
    _, found = _problems(frame)
    assert "whole number" in found["non-numeric"].message and found["non-numeric"].rows == (5,)


def test_duplicate_village_years_are_listed(raw_panel):
    frame = pd.concat([raw_panel, raw_panel.iloc[[1, 6]]], ignore_index=True)
    _, found = _problems(frame)
    problem = found["duplicate rows"]
    assert problem.rows == (2, 7, 25, 26)
    assert "('0101', 2020)" in problem.message and "('0102', 2021)" in problem.message


def test_years_outside_the_range_are_reported(raw_panel):
    frame = raw_panel.copy()
    frame.loc[0, "year"] = 1021
    _, found = _problems(frame)
    assert "1021" in found["out of range"].message and found["out of range"].rows == (1,)
    _, found = _problems(raw_panel, year_range=(2020, 2025))
    assert "year_range" in found["out of range"].message
    assert len(found["out of range"].rows) == 6  # every village's 2019 row


def test_negative_funds_are_rejected(raw_panel):
    frame = raw_panel.copy()
    frame.loc[[2, 9], "assistance_funds"] = -5.0
    _, found = _problems(frame)
    assert found["negative"].column == "assistance_funds"
    assert found["negative"].rows == (3, 10) and "-5.0" in found["negative"].message


def test_village_changing_township_or_county_is_rejected(raw_panel):
    frame = raw_panel.copy()
    frame.loc[frame["village_id"] == "0102", "township_id"] = ["T01", "T01", "T02", "T02"]
    error, _ = _problems(frame)
    nesting = [p for p in error.problems if p.kind == "nesting"]
    assert {p.column for p in nesting} == {"village_id", "township_id"}
    village = next(p for p in nesting if p.column == "village_id")
    assert "'0102'" in village.message and "'T01', 'T02'" in village.message
    assert village.rows == (5, 6, 7, 8)


def test_missing_keys_are_reported(raw_panel):
    frame = raw_panel.copy()
    frame.loc[4, "village_id"] = "  "
    _, found = _problems(frame)
    assert found["missing values"].column == "village_id" and found["missing values"].rows == (5,)


def test_every_problem_is_collected_into_one_error(raw_panel):
    frame = raw_panel.drop(columns=["township_id"]).astype({"assistance_funds": object})
    frame.loc[0, "unit_level"] = "部级"
    frame.loc[1, "assistance_funds"] = "n/a?"
    frame.loc[2, "assistance_funds"] = -1.0
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    error, found = _problems(frame)
    assert set(found) == {"missing column", "unknown values", "non-numeric", "negative",
                          "duplicate rows"}
    assert str(error).startswith("village panel from a DataFrame has 5 problem(s)")


def test_mapping_renames_user_headers_and_rejects_typos(raw_panel):
    frame = raw_panel.rename(columns={"unit_level": "帮扶单位级别"})
    panel = econ.read_panel(frame, mapping={"帮扶单位级别": "unit_level"})
    assert panel.report.renamed == {"帮扶单位级别": "unit_level"}
    error, _ = _problems(frame, mapping={"帮扶单位级别": "unit_levle", "nope": "year"})
    messages = " ".join(p.message for p in error.problems)
    assert "'unit_levle' is not a column" in messages and "'nope'" in messages


def test_two_headers_for_one_column_are_ambiguous(raw_panel):
    frame = raw_panel.assign(村代码=raw_panel["village_id"])
    _, found = _problems(frame)
    assert "'village_id', '村代码'" in found["ambiguous column"].message


def test_survey_likert_outside_scale_is_rejected():
    frame = pd.DataFrame({
        "受访者编号": ["R1", "R2", "R3"], "派出单位层级": ["中央", "省直", "县派"],
        "职责碎片化": [1, 5, 6], "职责交叉": [2, 2, 2], "资源动员困难": [3, 0, 3],
        "多头管理": [4, 4, 4],
    })
    with pytest.raises(econ.ValidationError) as caught:
        econ.read_survey(frame)
    rows = {p.column: p.rows for p in caught.value.problems}
    assert rows == {"fragmented_duties": (3,), "resource_mobilisation": (2,)}
    frame.loc[2, "职责碎片化"] = 5
    frame.loc[1, "资源动员困难"] = 1
    survey = econ.read_survey(frame)
    assert list(survey.data["unit_level"]) == ["central", "provincial", "county"]


def test_nothing_is_dropped(raw_panel):
    shuffled = raw_panel.sample(frac=1.0, random_state=3)
    panel = econ.read_panel(shuffled)
    assert len(panel) == len(raw_panel)
    expected = econ.read_panel(raw_panel).data
    pd.testing.assert_frame_equal(panel.data, expected)
    assert np.isclose(panel.data["assistance_funds"].sum(), raw_panel["assistance_funds"].sum())


def test_nesting_found_in_shuffled_rows(raw_panel):
    frame = raw_panel.copy()
    frame.loc[frame["village_id"] == "0203", "county_id"] = ["C2", "C1", "C2", "C2"]
    shuffled = frame.sample(frac=1.0, random_state=11).reset_index(drop=True)
    error, _ = _problems(shuffled)
    village = next(p for p in error.problems if p.column == "village_id")
    assert "'0203'" in village.message and len(village.rows) == 4


@pytest.mark.parametrize("layout", ["contiguous", "shuffled", "huge codes"])
def test_varying_groups_match_a_groupby(layout):
    from econ.data.codes import varying_groups

    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(300), 7)
    values = groups // 10 * (10**9 if layout == "huge codes" else 1)
    changed = rng.choice(len(groups), size=25, replace=False)
    values[changed] += 1
    if layout != "contiguous":
        order = rng.permutation(len(groups))
        groups, values = groups[order], values[order]
    expected = pd.Series(values).groupby(groups).nunique()
    got = varying_groups(groups, values, 300)
    assert list(got) == list(expected.index[expected > 1])
