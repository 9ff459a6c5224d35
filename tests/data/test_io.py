"""Loaders: every format and encoding, Chinese headers and values, lossless round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import econ
from econ.data.schema import PANEL

ROUND_TRIPS = [
    ("panel.parquet", {}),
    ("panel.csv", {}),
    ("panel.csv", {"encoding": "gbk", "chinese_headers": True}),
    ("panel.csv", {"encoding": "utf-8-sig", "chinese_headers": True}),
    ("panel.xlsx", {}),
    ("panel.xlsx", {"chinese_headers": True}),
    ("panel.dta", {}),
    ("panel.dta", {"chinese_headers": True}),
]


@pytest.fixture
def panel(raw_panel) -> econ.Dataset:
    return econ.read_panel(raw_panel)


@pytest.mark.parametrize(("name", "options"), ROUND_TRIPS)
def test_round_trip_is_lossless(panel, tmp_path: Path, name: str, options: dict):
    path = econ.write_panel(panel, tmp_path / name, **options)
    again = econ.read_panel(path)
    if name.endswith(".xlsx"):
        # openpyxl writes numbers with 16 significant digits ("%.16g"); a double needs 17 to
        # round-trip, so Excel files keep floats to 1 part in 1e15 and everything else exactly.
        pd.testing.assert_frame_equal(again.data, panel.data, check_exact=False, rtol=1e-15,
                                      atol=0)
    else:
        pd.testing.assert_frame_equal(again.data, panel.data, check_exact=True)


def _chinese_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The panel as a county office would send it: Chinese headers and Chinese level names."""
    chinese = {"municipal": "市直", "provincial": "省级", "central": "中央", "county": "县派",
               "township": "乡镇"}
    frame = raw.assign(unit_level=raw["unit_level"].map(chinese),
                       first_secretary=raw["first_secretary"].map({True: "是", False: "否"}))
    headers = {c.name: c.chinese for c in PANEL.columns}
    headers["village_id"] = "村代码"
    return frame.rename(columns=headers)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_with_chinese_headers_load_the_same_panel(raw_panel, panel, tmp_path,
                                                                encoding):
    path = tmp_path / "村庄面板.csv"
    _chinese_frame(raw_panel).to_csv(path, index=False, encoding=encoding)
    loaded = econ.read_panel(path)
    pd.testing.assert_frame_equal(loaded.data, panel.data)
    assert loaded.report.recoded["unit_level"]["市直"] == "municipal"
    assert loaded.report.renamed["村代码"] == "village_id"
    assert loaded.report.encoding == {"gbk": "gb18030", "gb18030": "gb18030",
                                      "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[encoding]


def test_excel_and_stata_with_chinese_headers_load_the_same_panel(raw_panel, panel, tmp_path):
    frame = _chinese_frame(raw_panel)
    frame.to_excel(tmp_path / "panel.xlsx", index=False)
    frame.to_stata(tmp_path / "panel.dta", write_index=False, version=118)
    for name in ("panel.xlsx", "panel.dta"):
        pd.testing.assert_frame_equal(econ.read_panel(tmp_path / name).data, panel.data,
                                      rtol=1e-15, atol=0)


def test_numeric_codes_from_excel_become_text(raw_panel, tmp_path):
    frame = raw_panel.assign(township_id=raw_panel["township_id"].str[1:].astype(int))
    frame.to_excel(tmp_path / "codes.xlsx", index=False)
    loaded = econ.read_panel(tmp_path / "codes.xlsx")
    assert set(loaded.data["township_id"]) == {"1", "2"}


def test_folder_of_parquet_partitions(panel, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, (_, part) in enumerate(panel.data.groupby("county_id", observed=True)):
        econ.write_panel(part.reset_index(drop=True), folder / f"part-{i:05d}.parquet")
    loaded = econ.read_panel(folder)
    pd.testing.assert_frame_equal(loaded.data, panel.data)
    assert loaded.report.format == "parquet folder"


def test_parquet_records_schema_version_and_simulated_flag(panel, tmp_path):
    path = econ.write_panel(panel, tmp_path / "p.parquet")
    info = json.loads(pq.read_schema(path).metadata[b"econ"])
    assert info == {"schema_version": econ.SCHEMA_VERSION, "table": "village panel",
                    "simulated": False}
    assert not econ.read_panel(path).simulated


def test_unreadable_inputs_have_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file or folder"):
        econ.read_panel(tmp_path / "absent.csv")
    (tmp_path / "panel.sav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"unknown file type '\.sav'"):
        econ.read_panel(tmp_path / "panel.sav")
    (tmp_path / "bad.csv").write_bytes("村代码\n".encode("utf-16"))
    with pytest.raises(ValueError, match="cannot decode"):
        econ.read_panel(tmp_path / "bad.csv")


def test_report_and_html(panel):
    text = repr(panel)
    assert "6 villages, years 2019-2022" in text
    assert "<table" in panel._repr_html_()


@pytest.mark.parametrize(("name", "options"), ROUND_TRIPS)
def test_simulated_flag_survives_every_format(panel, tmp_path: Path, name: str, options: dict):
    simulated = econ.Dataset(panel.data, simulated=True)
    path = econ.write_panel(simulated, tmp_path / name, **options)
    again = econ.read_panel(path)
    assert again.simulated
    assert list(again.data.columns) == list(panel.data.columns)
    assert not again.report.extra_columns
    if name.endswith(".csv"):
        header = path.read_bytes().decode(options.get("encoding", "utf-8")).splitlines()[0]
        marker = "模拟数据" if options.get("chinese_headers") else "simulated_data"
        assert header.endswith(marker)
        assert econ.SIMULATED_LABEL in path.read_bytes().decode(options.get("encoding", "utf-8"))


def test_a_foreign_column_named_like_the_marker_is_refused(raw_panel, tmp_path):
    path = tmp_path / "mine.csv"
    raw_panel.assign(simulated_data="yes").to_csv(path, index=False)
    with pytest.raises(ValueError, match="reserved for econ's simulated-data marker"):
        econ.read_panel(path)
