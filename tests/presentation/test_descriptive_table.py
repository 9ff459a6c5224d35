"""Summary-statistics tables: numbers equal pandas' describe, labels, missing counts, notes."""

from __future__ import annotations

from pathlib import Path

import pytest

import econ

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def panel():
    return econ.derive(econ.read_panel(ROOT / "data" / "village_panel.parquet"))


def test_statistics_equal_pandas_describe(panel):
    names = ["assistance_funds", "industry_active", "high_level"]
    stats = econ.summary_statistics(panel, variables=names).set_index("variable")
    for name in names:
        reference = panel.data[name].astype("float64").describe()
        row = stats.loc[name]
        assert row["n"] == reference["count"]
        assert row["missing"] == panel.data[name].isna().sum()
        for ours, theirs in (("mean", "mean"), ("sd", "std"), ("min", "min"), ("p25", "25%"),
                             ("median", "50%"), ("p75", "75%"), ("max", "max")):
            assert row[ours] == pytest.approx(reference[theirs], rel=1e-12)


def test_table_labels_missing_note_and_simulated_note(panel):
    table = econ.descriptive_table(panel, variables=["assistance_funds", "industry_active"])
    assert table.header[:3] == ("Variable", "N", "Mean")
    assert [r[0] for r in table.rows] == ["Assistance funds", "Industry active"]
    funds = panel.data["assistance_funds"]
    assert table.rows[0][2] == f"{funds.mean():,.3f}"
    missing = int(panel.data["industry_active"].isna().sum())
    assert f"{missing:,} missing value(s) of Industry active left out." in table.notes
    assert table.notes[-1] == econ.SIMULATED_LABEL
    chinese = econ.descriptive_table(panel, variables=["assistance_funds"], language="zh")
    assert chinese.header[0] == "变量" and chinese.rows[0][0] == "帮扶项目资金"


def test_non_numeric_and_absent_columns_are_named(panel):
    with pytest.raises(ValueError, match="typology"):
        econ.summary_statistics(panel, variables=["typology"])
    with pytest.raises(ValueError, match="no column \\['nope'\\]"):
        econ.summary_statistics(panel, variables=["nope"])


def test_chinese_table_has_a_chinese_title_and_simulated_note(tmp_path):
    panel = econ.read_panel("data/village_panel.parquet")
    table = econ.descriptive_table(panel, variables=["assistance_funds"], language="zh")
    assert table.title == "描述性统计"
    assert table.notes[-1].startswith("模拟数据：") and "SIMULATED DATA" in table.notes[-1]
    assert econ.descriptive_table(panel, variables=["assistance_funds"]).title == (
        "Summary statistics")
