"""What pandas does not tell about an Excel workbook: which sheet holds the panel, and cells
that hold formulas but no stored results.

A workbook from a county office often opens with a cover or notes sheet (说明, 填表说明) and
has the table on the second; :func:`choose_sheet` finds it. A workbook written by a program
(openpyxl, a web export) keeps formulas as text and no computed values until Excel or
LibreOffice opens and saves it; pandas reads such cells as empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pandas as pd

from econ.data.headers import HEADER_SEARCH_ROWS, locate_header, named_columns
from econ.data.schema import TableSchema

#: Data rows searched for a formula under each empty column; one is enough to name the cause.
_ROWS_SEARCHED = 1000


def choose_sheet(book: pd.ExcelFile, schema: TableSchema,
                 mapping: Mapping[str, str]) -> tuple[str | int, tuple[str, ...]]:
    """The sheet to read when none was named, and notes on the choice.

    The first sheet, unless its header (found as :func:`~econ.data.headers.locate_header`
    does) lacks some of the schema's required columns and a later sheet's has them all: a
    cover or notes sheet comes first. Other sheets that also hold a full header (one sheet
    per year, say) are named, since only one is read.
    """
    names = [str(name) for name in book.sheet_names]
    if len(names) == 1:
        return 0, ()
    holding = []
    for position in range(len(names)):
        raw = pd.read_excel(book, sheet_name=position, header=None, dtype=object,
                            nrows=HEADER_SEARCH_ROWS)
        layout = locate_header(raw, schema, mapping)
        if layout is not None and set(schema.required) <= named_columns(
                layout.names, schema, mapping):
            holding.append(position)
    chosen = holding[0] if holding else 0
    notes = []
    if chosen:
        notes.append(f"the first sheet {names[0]!r} has no {schema.name} header (a cover or "
                     f"notes sheet?): read sheet {names[chosen]!r} (sheet {chosen + 1}) "
                     f"instead; pass sheet={names[chosen]!r} (command line: --sheet "
                     f"{names[chosen]}) to say so")
    others = [names[p] for p in holding if p != chosen]
    if others:
        notes.append(f"sheet(s) {', '.join(map(repr, others))} also hold a {schema.name} "
                     f"header, but only {names[chosen]!r} was read: put the rows on one "
                     f"sheet, or read each with sheet=<name> and combine them")
    return chosen, tuple(notes)


def formulas_without_values(path: Path, sheet: str | int, header: Sequence[str],
                            empty: Collection[str], data_start: int) -> dict[str, str]:
    """Of the columns named in ``empty``, those holding formulas, each with an example formula.

    ``header`` is the header of each column (by position) and ``data_start`` the position of
    the first row below it, as :func:`~econ.data.headers.locate_header` found them. Call it
    only for columns pandas read as empty: a formula with a stored result is read as that
    result.
    """
    wanted = {str(h).strip() for h in empty}
    positions = {i: name for i, name in enumerate(header) if name in wanted}
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        worksheet = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
        rows = itertools.islice(worksheet.iter_rows(values_only=True), data_start,
                                data_start + _ROWS_SEARCHED)
        found: dict[str, str] = {}
        for row in rows:
            for i, name in positions.items():
                cell = row[i] if i < len(row) else None
                if name not in found and isinstance(cell, str) and cell.startswith("="):
                    found[name] = cell
            if len(found) == len(positions):
                break
    finally:
        workbook.close()
    return found
