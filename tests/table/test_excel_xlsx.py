"""Excel round trip: the formatted sheet holds the printed text, the numbers sheet the numbers."""

from __future__ import annotations

import openpyxl
import pytest

import econ
from econ.table.cells import parse_number


def _open(table: econ.Table, tmp_path, **options):
    return openpyxl.load_workbook(table.to_xlsx(tmp_path / "t.xlsx", **options))


def _values(sheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("which", ["english", "chinese", "known"])
def test_the_table_sheet_holds_every_cell_as_printed(tmp_path, request, which):
    table = request.getfixturevalue(which)
    sheet = _open(table, tmp_path).worksheets[0]
    rows = _values(sheet)
    width = len(table.header)
    assert rows[0][0] == table.title
    lines = [list(r) for r in (*table.header_rows, *table.rows)]
    assert [[c or "" for c in row[:width]] for row in rows[1:1 + len(lines)]] == lines
    assert all(isinstance(c, str) for row in rows for c in row if c is not None)
    facts = rows[1 + len(lines):1 + len(lines) + len(table.facts)]
    assert [(row[0], row[1]) for row in facts] == list(table.facts)
    assert [row[0] for row in rows[-len(table.notes):]] == list(table.notes)


def test_rules_on_the_table_sheet(tmp_path, known):
    sheet = _open(known, tmp_path).worksheets[0]
    heading = len(known.header_rows)
    assert sheet.cell(2, 2).border.top.style == "medium"
    assert sheet.cell(2 + heading, 2).border.top.style == "thin"
    assert sheet.cell(2 + heading + 4, 2).border.top.style == "thin"
    last = 1 + heading + len(known.rows) + len(known.facts)
    assert sheet.cell(last, 2).border.bottom.style == "medium"
    assert sheet.cell(3 + heading, 2).border.top.style is None


def test_the_numbers_sheet_splits_each_cell_into_numbers(tmp_path, known):
    sheet = _open(known, tmp_path)["Numbers"]
    rows = _values(sheet)
    assert rows[1][1:7] == ["(1)", "(1) stars", "(1) low", "(1) high", "(1) bound", "(2)"]
    body = {row[0]: row for row in rows[3:10] if row[0]}
    assert body["Treated"][1:6] == [1.674, 2, None, None, None]
    assert rows[4][1] == 0.659  # the standard error, in the row beneath
    assert body["Interval"][1:5] == [None, None, 0.159, 5.731]
    assert body["Bootstrap p"][1] == 0.001 and body["Bootstrap p"][5] == "<"
    assert body["Village FE"][1] == "Yes"
    assert body["Observations"][1] == 4342 and isinstance(body["Observations"][1], int)
    assert body["Formula text"][1] == "=1+1"
    assert sheet.cell(4, 2).number_format == "0.000"
    assert sheet.cell(9, 2).number_format == "#,##0"
    assert [row[0] for row in rows if row[0] in ("Sample", "Clusters")] == ["Sample",
                                                                            "Clusters"]
    assert econ.SIMULATED_LABEL in [row[0] for row in rows]
    assert sheet.freeze_panes == "B4"


@pytest.mark.parametrize("which", ["english", "chinese"])
def test_numbers_equal_the_parsed_cells(tmp_path, request, which):
    table = request.getfixturevalue(which)
    book = _open(table, tmp_path)
    rows = _values(book.worksheets[1])
    heading = len(table.header_rows)
    header = rows[1]
    checked = 0
    for j in range(1, len(table.header)):
        column = header.index(table.header[j])
        for i, cells in enumerate(table.rows):
            number = parse_number(cells[j])
            got = rows[1 + heading + i][column:column + 4]
            if number is None:
                assert got[0] == (cells[j] or None)
            elif number.value is None:
                assert [got[0], *(v for v in got[1:] if v is not None)] == [
                    None, number.low, number.high]
            else:
                assert got[0] == number.value
                checked += 1
    assert checked > 10
    assert table.notes[-1] in [row[0] for row in rows]  # the simulated-data note


def test_chinese_tables_get_chinese_sheets(tmp_path, chinese, english):
    assert _open(chinese, tmp_path).sheetnames == ["表格", "数值"]
    assert _open(english, tmp_path, language="zh").sheetnames == ["表格", "数值"]
    assert _open(chinese, tmp_path, language="en").sheetnames == ["Table", "Numbers"]
    header = _values(_open(chinese, tmp_path).worksheets[1])[1]
    assert "(1) 下限" in header and "(1) 上限" in header


def test_formula_like_text_stays_text(tmp_path, known):
    book = _open(known, tmp_path)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value == "=1+1"]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)


def test_the_same_table_gives_the_same_bytes(tmp_path, english):
    first = english.to_xlsx(tmp_path / "a.xlsx").read_bytes()
    assert english.to_xlsx(tmp_path / "b.xlsx").read_bytes() == first


def test_a_bad_language_is_named(tmp_path, known):
    with pytest.raises(ValueError, match="language must be"):
        known.to_xlsx(tmp_path / "t.xlsx", language="fr")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
