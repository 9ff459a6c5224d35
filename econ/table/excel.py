"""Excel (.xlsx): the table as shown, and beside it its numbers as numbers.

- Sheet "Table" ("表格" for a Chinese table): the title, every cell as the text printed in
  the other formats, the three-line rules, the facts and the notes.
- Sheet "Numbers" ("数值"): the same rows, so row *i* of one sheet is row *i* of the other.
  Each data column becomes a column of numbers: the estimate, count, statistic or p-value, or
  what is printed beneath an estimate in parentheses. Where a column has them, further columns
  hold the count of significance stars, the bounds of "[a, b]" intervals (low, high) and the
  sign of a bound ("<" for "< 0.001", whose number is then 0.001). A number keeps the digits
  the table prints and shows them (its number format), so co-authors recompute from exactly
  what the reader sees. Text cells ("Yes", "CR1") stay text. The notes, the simulated-data
  note among them, repeat under both sheets.
- No timestamps: the same table gives the same bytes on every run.
"""

# openpyxl ships no type hints.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from econ.table.cells import Number, display_width, is_chinese, parse_number
from econ.table.core import Table
from econ.table.files import stable_zip

_WORDS = {
    "en": {"shown": "Table", "numbers": "Numbers", "stars": "stars", "low": "low",
           "high": "high", "bound": "bound",
           "explain": "Numbers as printed in the table (same rows as the sheet Table): stars "
                      "counts significance stars; low and high bound an interval; bound '<' "
                      "means the value is below the number."},
    "zh": {"shown": "表格", "numbers": "数值", "stars": "星号数", "low": "下限", "high": "上限",
           "bound": "界",
           "explain": "数值与表中所印相同（行与“表格”工作表一一对应）：星号数为显著性星号"
                      "个数；下限、上限为区间端点；界为“<”表示数值小于所列数。"},
}
_HEAVY, _LIGHT = Side(style="medium"), Side(style="thin")
# openpyxl writes the time of saving; a fixed one keeps reruns byte-identical.
_FIXED_TIME = dt.datetime(1980, 1, 1)
_WIDEST = 60
#: What a cell of the workbook holds.
Value = str | float | int | None


def render_xlsx(table: Table, language: Literal["en", "zh"] | None) -> bytes:
    """The workbook holding ``table``, as bytes."""
    if language not in (None, "en", "zh"):
        raise ValueError(f"language must be 'en', 'zh' or None, got {language!r}")
    words = _WORDS[language or ("zh" if is_chinese(table.title) else "en")]
    book = Workbook()
    shown = book.active
    shown.title = words["shown"]
    _shown(shown, table)
    _numbers(book.create_sheet(words["numbers"]), table, words)
    book.properties.creator = ""
    book.properties.created = book.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps the current time on the file.
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return stable_zip(buffer.getvalue())


def _put(sheet: Worksheet, row: int, column: int, value: Value) -> None:
    if value is None or value == "":
        return
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        # Text that starts with "=" would otherwise be saved as a formula.
        cell.data_type = "s"


def _shown(sheet: Worksheet, table: Table) -> None:
    columns = len(table.header)
    _put(sheet, 1, 1, table.title)
    sheet.cell(row=1, column=1).font = Font(bold=True)
    lines = (*table.header_rows, *table.rows)
    first = 2
    for i, cells in enumerate(lines):
        for j, text in enumerate(cells, start=1):
            _put(sheet, first + i, j, text)
            sheet.cell(row=first + i, column=j).alignment = Alignment(
                horizontal="left" if j == 1 else "center")
    end = first + len(lines)
    for i, (label, value) in enumerate(table.facts):
        _put(sheet, end + i, 1, label)
        _put(sheet, end + i, 2, value)
        if columns > 2:
            sheet.merge_cells(start_row=end + i, start_column=2, end_row=end + i,
                              end_column=columns)
    last = end + len(table.facts) - 1
    heading = len(table.header_rows)
    above = {first: _HEAVY, first + heading: _LIGHT,
             **{first + heading + r: _LIGHT for r in table.rules}}
    if table.facts:
        above[end] = _LIGHT
    for row, side in above.items():
        for j in range(1, columns + 1):
            cell = sheet.cell(row=row, column=j)
            cell.border = Border(top=side, bottom=cell.border.bottom)
    for j in range(1, columns + 1):
        cell = sheet.cell(row=last, column=j)
        cell.border = Border(top=cell.border.top, bottom=_HEAVY)
    for i, note in enumerate(table.notes):
        _put(sheet, last + 1 + i, 1, note)
    _widths(sheet, [[row[j] for row in lines] for j in range(columns)])


def _numbers(sheet: Worksheet, table: Table, words: dict[str, str]) -> None:
    """The grid with each data column split into its numbers (see the module docstring)."""
    _put(sheet, 1, 1, table.title)
    sheet.cell(row=1, column=1).font = Font(bold=True)
    heading = len(table.header_rows)
    blank: list[str | None] = [None] * heading
    columns = [_Column([row[0] for row in (*table.header_rows, *table.rows)]
                       + [label for label, _ in table.facts])]
    for j in range(1, len(table.header)):
        # The facts' values span the data columns: they go in the first one.
        texts = [row[j] for row in table.rows] + [v for _, v in table.facts if j == 1]
        parsed = [parse_number(text) for text in texts]
        header: list[Value] = [row[j] for row in table.header_rows]
        columns.append(_Column(header + [_value(p, t) for p, t in zip(parsed, texts,
                                                                        strict=True)],
                               blank + [_format(p) for p in parsed]))
        for key in ("stars", "low", "high", "bound"):
            picked = [_pick(p, key) for p in parsed]
            if any(v is not None for v in picked):
                title: list[Value] = [f"{header[0]} {words[key]}".strip()]
                shown = [_format(p) if key in ("low", "high") else None for p in parsed]
                columns.append(_Column(title + blank[1:] + picked, blank + shown))
    for j, column in enumerate(columns, start=1):
        formats = column.formats or [None] * len(column.values)
        for i, (value, number_format) in enumerate(zip(column.values, formats, strict=True)):
            _put(sheet, 2 + i, j, value)
            if number_format and value is not None:
                sheet.cell(row=2 + i, column=j).number_format = number_format
        for i in range(heading):
            sheet.cell(row=2 + i, column=j).font = Font(bold=True)
    bottom = 2 + len(columns[0].values)
    for i, note in enumerate((*table.notes, words["explain"])):
        _put(sheet, bottom + i, 1, note)
    sheet.freeze_panes = sheet.cell(row=2 + heading, column=2)
    _widths(sheet, [[str(v) for v in column.values if v is not None] for column in columns])


@dataclass(frozen=True)
class _Column:
    """One column of the numbers sheet: its cells and their Excel number formats."""

    values: Sequence[Value]
    formats: Sequence[str | None] = ()


def _pick(number: Number | None, key: str) -> Value:
    if number is None:
        return None
    picked = {"stars": number.stars or None, "low": number.low, "high": number.high,
              "bound": number.bound or None}
    return picked[key]


def _value(number: Number | None, text: str) -> Value:
    if number is None:
        return text or None
    if number.value is None:
        return None
    return int(number.value) if number.decimals == 0 else number.value


def _format(number: Number | None) -> str | None:
    if number is None:
        return None
    whole = "#,##0" if number.grouped else "0"
    return whole + ("." + "0" * number.decimals if number.decimals else "")


def _widths(sheet: Worksheet, columns: Sequence[Sequence[str]]) -> None:
    for j, texts in enumerate(columns, start=1):
        widest = max((display_width(t) for t in texts), default=0)
        sheet.column_dimensions[get_column_letter(j)].width = min(_WIDEST, widest + 2)
    # Printed, the sheet keeps its columns together on landscape pages.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
