"""What pandas cannot tell about an Excel file: cells that hold formulas but no stored results.

A workbook written by a program (openpyxl, a web export) keeps formulas as text and no computed
values until Excel or LibreOffice opens and saves it; pandas reads such cells as empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]

#: Data rows searched for a formula under each empty column; one is enough to name the cause.
_ROWS_SEARCHED = 1000


def formulas_without_values(path: Path, sheet: str | int,
                            headers: Collection[str]) -> dict[str, str]:
    """Of the columns under ``headers``, those holding formulas, each with an example formula.

    Call it only for columns pandas read as empty: a formula with a stored result is read as
    that result.
    """
    wanted = {str(h).strip() for h in headers}
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        worksheet = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
        rows = worksheet.iter_rows(values_only=True)
        header = next((row for row in rows if any(v is not None for v in row)), ())
        positions = {i: str(v).strip() for i, v in enumerate(header)
                     if v is not None and str(v).strip() in wanted}
        found: dict[str, str] = {}
        for row in itertools.islice(rows, _ROWS_SEARCHED):
            for i, name in positions.items():
                cell = row[i] if i < len(row) else None
                if name not in found and isinstance(cell, str) and cell.startswith("="):
                    found[name] = cell
            if len(found) == len(positions):
                break
    finally:
        workbook.close()
    return found
