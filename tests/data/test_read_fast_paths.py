"""The shortcuts that make validating a large clean panel cheap give the answers of the general
checks: typed and sorted input (a parquet panel) against the same rows as text (a CSV)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.data.codes import varying_groups
from econ.data.coerce import may_contain
from econ.data.problems import ValidationError
from econ.data.schema import PANEL


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a parquet file hands it back: codes as categoricals of Arrow strings with
    sorted categories, counts as nullable integers."""
    out = frame.copy()
    for column in PANEL.columns:
        if column.name not in out.columns:
            continue
        if column.kind == "id":
            text = out[column.name].astype("str").where(out[column.name].notna())
            out[column.name] = pd.Categorical(text, categories=pd.Index(
                sorted(text.dropna().unique()), dtype="str"))
        elif column.kind == "int":
            out[column.name] = out[column.name].astype("Int64")
    return out


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a CSV reader hands it back: every cell text, blanks missing."""
    return frame.astype(object).where(frame.notna(), None).map(
        lambda v: None if v is None else str(v))


def _problems(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[str, tuple[int, ...]]]:
    with pytest.raises(ValidationError) as caught:
        econ.read_panel(frame)
    return {(p.kind, p.column): (p.message, p.rows) for p in caught.value.problems}


def test_varying_groups_on_sorted_rows_equals_the_general_answer():
    rng = np.random.default_rng(3)
    groups = np.sort(rng.integers(0, 400, size=5_000)).astype(np.int32)
    values = (groups // 3).astype(np.int16)
    changed = rng.choice(len(groups), size=40, replace=False)
    values[changed] += 1
    expected = np.unique([g for g, v in pd.Series(values).groupby(groups).nunique().items()
                          if v > 1])
    shuffled = rng.permutation(len(groups))
    sorted_answer = varying_groups(groups, values, 400)
    assert np.array_equal(sorted_answer, expected) and len(expected) > 10
    assert np.array_equal(varying_groups(groups[shuffled], values[shuffled], 400), expected)
    # One-row groups never vary; floats keep the general rule (a lone NaN marks its group).
    assert not len(varying_groups(np.arange(5), np.arange(5), 5))
    floats = np.array([1.0, np.nan, 2.0, 2.0])
    assert np.array_equal(varying_groups(np.array([0, 1, 2, 2]), floats, 3), [1])


@pytest.mark.parametrize("storage", ["str", object])
def test_may_contain_never_misses_a_value_that_contains_a_needle(storage):
    codes = pd.Index(["C0001T01V001", "C0001T01V002", "Town 合计", "SubTotal"], dtype=storage)
    for needle in ("合计", "total", "V002", "C0"):
        found = any(needle.lower() in code.lower() for code in codes)
        assert may_contain(codes, (needle,), ignore_case=True) or not found
    # On Arrow strings a clean answer is certain and cheap; elsewhere it defers to the exact
    # search.
    clean = pd.Index(["C0001T01V001", "C0001T01V002"], dtype=storage)
    assert may_contain(clean, ("total", "合计"), ignore_case=True) is (storage is object)
    assert may_contain(clean, ("e", "E")) is (storage is object)
    # Letters that case-insensitive patterns match to ASCII ones (long s for s) are no
    # reason to miss a match.
    assert may_contain(pd.Index(["ſum"], dtype="str"), ("sum",), ignore_case=True)
    assert not may_contain(pd.Index(["总"], dtype="str"), ("sum",), ignore_case=True)


def test_typed_sorted_panel_loads_like_the_same_rows_as_text(raw_panel):
    typed = econ.read_panel(_typed(raw_panel))
    text = econ.read_panel(_as_text(raw_panel).sample(frac=1.0, random_state=2))
    pd.testing.assert_frame_equal(typed.data, text.data, check_exact=True)
    assert typed.report.warnings == text.report.warnings


@pytest.mark.parametrize("shuffle", [False, True])
def test_typed_input_reports_the_problems_of_text_input(raw_panel, shuffle):
    bad = raw_panel.copy()
    bad.loc[2, "year"] = 1800
    bad.loc[5, "population"] = -7
    bad.loc[6, "population"] = None
    bad.loc[7, "assistance_funds"] = -1.5
    bad.loc[9, "township_id"] = "T02"  # village 0103 changes township
    bad.loc[12, "village_id"] = None
    bad = pd.concat([bad, bad.iloc[[20]]]).sort_values(["village_id", "year"], kind="stable")
    bad = bad.reset_index(drop=True)
    if shuffle:
        bad = bad.sample(frac=1.0, random_state=5).reset_index(drop=True)
    typed, text = _problems(_typed(bad)), _problems(_as_text(bad))
    assert typed == text
    assert {kind for kind, _ in typed} == {"out of range", "negative", "nesting",
                                          "duplicate rows", "missing values"}


def test_summary_rows_and_scientific_codes_in_categorical_codes(raw_panel):
    total = pd.concat([raw_panel, pd.DataFrame({"village_id": ["Sub-Total"], "year": [2022],
                                                "township_id": ["T01"], "county_id": ["C1"]})],
                      ignore_index=True)
    assert _problems(_typed(total)) == _problems(_as_text(total))
    assert ("summary rows", "village_id") in _problems(_typed(total))
    rounded = raw_panel.assign(county_id=raw_panel["county_id"].map({"C1": "5.3E+11",
                                                                     "C2": "5.4e+11"}))
    found = _problems(_typed(rounded))
    assert found == _problems(_as_text(rounded))
    assert found[("lost precision", "county_id")][1] == tuple(range(1, 25))


def test_codes_needing_a_trim_merge_in_categorical_input(raw_panel):
    padded = raw_panel.assign(village_id=raw_panel["village_id"].where(
        raw_panel.index % 2 == 0, " " + raw_panel["village_id"]))
    loaded = econ.read_panel(_typed(padded)).data
    pd.testing.assert_frame_equal(loaded, econ.read_panel(raw_panel).data, check_exact=True)


def test_all_missing_and_empty_numeric_columns_pass_the_range_checks(raw_panel):
    frame = _typed(raw_panel).assign(population=pd.array([pd.NA] * len(raw_panel),
                                                         dtype="Int64"),
                                     assistance_funds=np.nan)
    loaded = econ.read_panel(frame)
    assert loaded.data["population"].isna().all()
    assert any("empty in every row" in w for w in loaded.report.warnings)
    assert len(econ.read_panel(_typed(raw_panel).iloc[:0])) == 0


def test_unit_jump_across_a_scan_block_boundary_is_found():
    # 65,536 rows make a block of the jump scan; put the jump between rows 65,535 and 65,536.
    villages, years = 7_000, 10
    frame = pd.DataFrame({
        "village_id": np.repeat([f"V{i:05d}" for i in range(villages)], years),
        "year": np.tile(np.arange(2013, 2013 + years), villages),
        "township_id": "T1", "county_id": "C1",
        "assistance_funds": 50.0,
    })
    frame.loc[65_536:65_539, "assistance_funds"] = 50.0 * 10_000
    warnings = econ.read_panel(_typed(frame)).report.warnings
    assert any("1 village(s)" in w and "'V06553' 2018 -> 2019" in w for w in warnings)
    assert econ.read_panel(_as_text(frame)).report.warnings == warnings

