"""Rows that are not observations: empty lines, and summary rows (合计, 总计, Total) that
spreadsheets carry below the data.

Both are found before the columns are converted, so that they are reported as what they are
instead of as missing codes, duplicate keys or villages that change township.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from econ.data.coerce import may_contain
from econ.data.problems import Problem, describe_rows, row_numbers
from econ.data.schema import TableSchema

_SUMMARY_WORDS = ("合计", "总计", "小计", "共计", "汇总", "累计", "總計", "合計")
_SUMMARY_ENGLISH = frozenset({"total", "totals", "subtotal", "grandtotal", "sum", "overall"})
#: A cell longer than this is prose ("累计投入资金说明…"), not a summary label.
_LABEL_LENGTH = 12
_WORDS = "|".join((*_SUMMARY_WORDS, *_SUMMARY_ENGLISH))
_NOISE = re.compile(r"[\s\u3000:：()（）\[\]【】*#.\-_]+")


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column (a blank line in a CSV, an empty spreadsheet row)."""
    blank = np.ones(len(frame), dtype=bool)
    for _, values in frame.items():
        # Almost always the first column settles it: real rows have a code there.
        blank &= _empty_cells(values)
        if not blank.any():
            break
    return blank


def _empty_cells(values: pd.Series) -> np.ndarray:
    empty = values.isna().to_numpy(dtype=bool, copy=True)
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        empty |= (values.astype("str").str.strip() == "").to_numpy(dtype=bool)
    return empty


def summary_rows(frame: pd.DataFrame, schema: TableSchema) -> tuple[np.ndarray, list[Problem]]:
    """Rows whose codes (or an unrecognised text column, such as a village name) hold a total.

    Returns the rows as a mask, and one problem naming them, if any.
    """
    ids = [c.name for c in schema.columns if c.kind == "id"]
    searched = [name for name in frame.columns
                if name in ids or (name not in schema.names and _is_text(frame[name]))]
    flagged = np.zeros(len(frame), dtype=bool)
    examples: list[str] = []
    first_column = ""
    for name in searched:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, uniques = np.asarray(values.array.codes), values.cat.categories
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        # A vectorised look for the words first: a national panel has half a million codes,
        # and nearly none is a label worth the exact test.
        text = pd.Index(uniques).astype("str")
        if not may_contain(text, (*_SUMMARY_WORDS, *_SUMMARY_ENGLISH), ignore_case=True):
            continue
        hits = np.flatnonzero(np.asarray(text.str.contains(_WORDS, case=False, regex=True),
                                         dtype=bool))
        labels = [int(i) for i in hits if _is_summary_label(uniques[int(i)])]
        if not labels:
            continue
        rows = np.isin(codes, labels)
        new = np.flatnonzero(rows & ~flagged)
        if len(new):
            examples.append(f"row {new[0] + 1}: {name} {str(values.iloc[new[0]])!r}")
        first_column = first_column or str(name)
        flagged |= rows
    if not flagged.any():
        return flagged, []
    positions = np.flatnonzero(flagged)
    return flagged, [Problem(
        "summary rows", first_column,
        f"{len(positions)} row(s) look like totals, not observations "
        f"({'; '.join(examples[:5])}; {describe_rows(positions)}). Delete them before "
        f"loading: a table holds one row per {' and '.join(schema.key)}, and a total read as "
        f"an observation would be counted twice in every sum and regression.",
        row_numbers(positions),
    )]


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _is_summary_label(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = _NOISE.sub("", value).lower()
    if not text or len(text) > _LABEL_LENGTH:
        return False
    return text in _SUMMARY_ENGLISH or text.startswith(_SUMMARY_WORDS) or text.endswith(
        _SUMMARY_WORDS)
