"""Workbooks laid out as county offices send them: the panel on the second sheet behind a
notes sheet, a title row above the header, two-row headers with merged cells. Each is read
with the layout found named in the load report (and the option that fixes it), or, when the
layout is given, as given."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from econ.cli import main
from econ.data.headers import locate_header
from econ.data.io import read_panel
from econ.data.problems import UnreadableFileError, ValidationError
from econ.data.schema import PANEL

HEADERS = ["村庄编码", "年份", "乡镇编码", "县编码", "派出单位层级", "资源禀赋", "帮扶项目资金"]
ROWS = [["V001", 2020, "T1", "C1", "市直", 0.5, 12.5], ["V001", 2021, "T1", "C1", "县直", 0.5, 8.0],
        ["V002", 2020, "T2", "C1", None, -0.2, 3.0], ["V002", 2021, "T2", "C1", "省直", -0.2, 20.0]]
TITLE = "XX县驻村帮扶台账（2022年）"


def _book(path: Path, sheets: dict[str, list[list[object]]],
          merged: dict[str, list[str]] | None = None) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    workbook.save(path)
    return path


def _expected(panel) -> None:
    data = panel.data
    assert list(data["village_id"]) == ["V001", "V001", "V002", "V002"]
    assert list(data["unit_level"].astype(object).fillna("-")) == [
        "municipal", "county", "-", "provincial"]
    assert data["assistance_funds"].tolist() == [12.5, 8.0, 3.0, 20.0]


def test_the_panel_on_the_second_sheet_behind_a_notes_sheet(tmp_path):
    path = _book(tmp_path / "台账.xlsx", {
        "填表说明": [["填表说明"], ["1. 资金单位为万元"], ["2. 每村每年一行"]],
        "台账": [HEADERS, *ROWS]})
    panel = read_panel(path)
    _expected(panel)
    note = " ".join(panel.report.warnings)
    assert "the first sheet '填表说明' has no village panel header" in note
    assert "read sheet '台账' (sheet 2)" in note and "sheet='台账'" in note
    # A sheet named by the user is read as named, even the notes sheet.
    with pytest.raises(ValidationError, match="required column 'village_id'"):
        read_panel(path, sheet="填表说明")
    assert read_panel(path, sheet=1).report.warnings == ()


def test_other_sheets_holding_the_panel_are_named(tmp_path):
    path = _book(tmp_path / "分年.xlsx", {"2020": [HEADERS, *ROWS[::2]],
                                           "2021": [HEADERS, *ROWS[1::2]]})
    panel = read_panel(path)
    assert len(panel) == 2
    assert any("sheet(s) '2021' also hold a village panel header, but only '2020' was read"
               in w for w in panel.report.warnings)


def test_a_title_row_above_the_header(tmp_path):
    path = _book(tmp_path / "title.xlsx", {"Sheet1": [[TITLE], [], HEADERS, *ROWS]},
                 merged={"Sheet1": ["A1:G1"]})
    panel = read_panel(path)
    _expected(panel)
    note = " ".join(panel.report.warnings)
    assert "the header is on row 3, not row 1" in note and TITLE in note
    assert "header_row=3" in note
    # Given, the header row is taken as given and nothing is noted.
    assert read_panel(path, header_row=3).report.warnings == ()
    # Row numbers in problems still count from the row after the header.
    broken = _book(tmp_path / "broken.xlsx", {"Sheet1": [
        [TITLE], HEADERS, *ROWS[:2], ["V002", 2020, "T2", "C1", "未知", 0.1, 3.0]]})
    with pytest.raises(ValidationError) as error:
        read_panel(broken)
    assert "'未知' (1 row: 3)" in str(error.value)


def test_a_title_row_in_a_csv_saved_from_excel(tmp_path):
    lines = [TITLE + "," * (len(HEADERS) - 1), ",".join(HEADERS)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in ROWS]
    path = tmp_path / "title.csv"
    path.write_text("\n".join(lines) + "\n", encoding="gbk")
    panel = read_panel(path)
    _expected(panel)
    assert any("the header is on row 2" in w for w in panel.report.warnings)


def test_a_two_row_header_with_merged_cells(tmp_path):
    upper = ["村庄编码", "年份", "乡镇编码", "县编码", "派出单位", None, "资源禀赋", "帮扶项目资金"]
    lower = [None, None, None, None, "层级", "类型", None, None]
    rows = [[*r[:5], "国企" if r[4] else None, *r[5:]] for r in ROWS]
    merged = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2", "H1:H2"]
    path = _book(tmp_path / "two.xlsx", {"Sheet1": [[TITLE], upper, lower, *rows]},
                 merged={"Sheet1": ["A1:H1", *(_down(m) for m in merged)]})
    panel = read_panel(path)
    _expected(panel)
    assert panel.report.renamed["派出单位层级"] == "unit_level"
    assert panel.report.renamed["派出单位类型"] == "unit_type"
    note = " ".join(panel.report.warnings)
    assert "rows 2 and 3 were read as one two-row header" in note
    assert "'派出单位层级', '派出单位类型'" in note and "header_row=(2, 3)" in note
    assert "the header is on row 2, not row 1" in note
    given = read_panel(path, header_row=(2, 3))
    assert given.report.warnings == () and given.data.equals(panel.data)
    # The lower row alone lacks the codes: reported, not guessed.
    with pytest.raises(ValidationError, match="required column 'village_id'"):
        read_panel(path, header_row=3)


def _down(cells: str) -> str:
    """The same merged range one row lower (below the title row)."""
    start, end = cells.split(":")
    return f"{start[0]}{int(start[1:]) + 1}:{end[0]}{int(end[1:]) + 1}"


def test_a_bad_header_row_is_a_named_error(tmp_path):
    path = _book(tmp_path / "p.xlsx", {"Sheet1": [HEADERS, *ROWS]})
    for bad in (0, (2, 4), (1, 2, 3)):
        with pytest.raises(ValueError, match="header_row must be a row number"):
            read_panel(path, header_row=bad)
    with pytest.raises(ValueError, match="beyond the table's 5 rows"):
        read_panel(path, header_row=9)


def test_formulas_without_values_under_a_title_row(tmp_path):
    rows = [[*r[:6], f"=F{i}"] for i, r in enumerate(ROWS, start=3)]
    path = _book(tmp_path / "formulas.xlsx", {"Sheet1": [[TITLE], HEADERS, *rows]})
    with pytest.raises(ValidationError, match=r"holds Excel formulas \(e.g. '=F3'\)"):
        read_panel(path)


def test_the_command_line_options(tmp_path, capsys):
    path = _book(tmp_path / "台账.xlsx", {"说明": [["见第二页"]],
                                          "台账": [[TITLE], HEADERS, *ROWS]})
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "--sheet 台账" in out and "--header-row 2" in out
    assert main(["validate", str(path), "--sheet", "台账", "--header-row", "2"]) == 0
    assert "warning" not in capsys.readouterr().out
    assert main(["validate", str(path), "--sheet", "台账", "--header-row", "1"]) == 1
    assert "required column 'village_id'" in capsys.readouterr().err
    assert main(["validate", str(path), "--sheet", "无此页"]) == 2
    assert "its sheets are '说明', '台账'" in capsys.readouterr().err
    assert pd.read_excel(path, sheet_name=None).keys() == {"说明", "台账"}


def test_a_title_line_without_separators_in_a_csv(tmp_path):
    lines = [TITLE, ",".join(HEADERS)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in ROWS]
    path = tmp_path / "title.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    panel = read_panel(path)
    _expected(panel)
    assert any("the header is on row 2" in w for w in panel.report.warnings)
    # A data line longer than the header is not a title: the file is still refused.
    path.write_text("\n".join([*lines[1:], lines[2] + ",extra"]) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="not readable as a CSV file"):
        read_panel(path)


def test_header_row_is_refused_where_columns_are_named(tmp_path):
    frame = pd.DataFrame(ROWS, columns=HEADERS)
    with pytest.raises(ValueError, match="header_row applies to CSV and Excel files"):
        read_panel(frame, header_row=2)


def test_data_rows_are_not_taken_for_headers(tmp_path):
    # Unrecognised own headers (mapped later) over a row whose values spell headers (县 is
    # also a header for the county code): the first row stays the header.
    rows = [["编号", "年", "所在乡镇", "所在县", "单位"], ["V1", "2020", "T1", "C1", "县"],
            ["V1", "2021", "T1", "C1", "乡镇"]]
    path = _book(tmp_path / "own.xlsx", {"Sheet1": rows})
    panel = read_panel(path, mapping={"编号": "village_id", "所在乡镇": "township_id",
                                      "所在县": "county_id", "单位": "unit_level"})
    assert len(panel) == 2 and panel.report.warnings == ()
    assert list(panel.data["unit_level"]) == ["county", "township"]


def test_header_search_guards():
    # A data value spelling one header (县 is also the county code's header) does not make
    # its row the header of a file whose own headers are not recognised yet.
    raw = pd.DataFrame([["编号", "日期", "单位"], ["V1", "2020", "县"], ["V2", "2020", "市"]])
    assert locate_header(raw, PANEL, {}).rows == (0,)
    # A first data row under a header is not a header's second row, even when combining
    # them would name another column (派出单位 + 县).
    raw = pd.DataFrame([["村庄编码", "年份", "乡镇编码", "派出单位"], ["V1", "2020", "T1", "县"]])
    layout = locate_header(raw, PANEL, {})
    assert layout.rows == (0,) and layout.notes == ()
    assert locate_header(pd.DataFrame([[None], [None]]), PANEL, {}) is None
