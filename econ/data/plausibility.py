"""Warnings about a table that passed validation but looks wrong: nothing here stops a load.

Each check names the column and gives examples, so that a researcher can tell a slip in the file
(an unexported column, one year typed in 元 instead of 万元) from a real feature of the data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from econ.data.schema import TableSchema

#: A year-on-year change within a village counts as a unit slip when it is 10**4 times up or
#: down, within half an order of magnitude (about 3,200 to 32,000 times).
_UNIT_FACTOR_LOG10 = 4.0
_UNIT_TOLERANCE_LOG10 = 0.5
_BLOCK = 1 << 16
_UNITS = {"10,000 yuan": "万元 (10,000 yuan)", "yuan": "元 (yuan)"}


def plausibility_warnings(frame: pd.DataFrame, schema: TableSchema) -> tuple[str, ...]:
    """Every warning for a validated ``frame`` (sorted by its key), empty if it looks sound."""
    found = _empty_columns(frame, schema)
    if {"village_id", "year"} <= set(frame.columns) and len(frame):
        found += _unit_jumps(frame, schema)
    return tuple(found)


def _empty_columns(frame: pd.DataFrame, schema: TableSchema) -> list[str]:
    if not len(frame):
        return []
    empty = [str(name) for name, values in frame.items() if _is_empty(values)]
    if not empty:
        return []
    chinese = {c.name: c.chinese for c in schema.columns}
    named = [f"{name!r} ({chinese[name]})" if name in chinese else repr(name) for name in empty]
    return [f"{len(empty)} column(s) are empty in every row: {', '.join(named)}. If the file "
            f"should hold values there, check how it was exported (a program that writes "
            f"Excel formulas stores no values for them)."]


def _is_empty(values: pd.Series) -> bool:
    # Usually the first cell settles it; a full pass only for columns that start blank.
    if len(values) and not values.array[:1].isna().any() and not _blank(values.iat[0]):
        return False
    if isinstance(values.dtype, pd.CategoricalDtype):
        return bool(np.asarray(values.array.codes).max(initial=-1) < 0)
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return values.count() == 0
    return all(_blank(v) for v in pd.unique(values.dropna()))


def _blank(value: object) -> bool:
    return isinstance(value, str) and value.strip() == ""


def _unit_jumps(frame: pd.DataFrame, schema: TableSchema) -> list[str]:
    villages = frame["village_id"]
    codes = (np.asarray(villages.array.codes) if isinstance(villages.dtype, pd.CategoricalDtype)
             else pd.factorize(villages)[0])
    low, high = 10.0 ** (_UNIT_FACTOR_LOG10 - _UNIT_TOLERANCE_LOG10), 10.0 ** (
        _UNIT_FACTOR_LOG10 + _UNIT_TOLERANCE_LOG10)
    found: list[str] = []
    for column in schema.columns:
        unit = re.search(r"\((10,000 yuan|yuan)\)", column.description)
        if column.name not in frame.columns or column.kind != "float" or unit is None:
            continue
        amounts = frame[column.name].to_numpy(dtype="float64")
        before, after = amounts[:-1], amounts[1:]
        pairs = _large_changes(amounts, low)
        # Rows are sorted by (village, year), so each row's predecessor in its village is the
        # row above it.
        same_village = (codes[pairs + 1] == codes[pairs]) & (codes[pairs + 1] >= 0)
        pairs = pairs[same_village & (before[pairs] > 0) & (after[pairs] > 0)]
        ratio = after[pairs] / before[pairs]
        pairs = pairs[((ratio > low) & (ratio < high)) | ((ratio > 1 / high) & (ratio < 1 / low))]
        if not len(pairs):
            continue
        # One example per village: a year in the wrong unit makes two jumps, into it and out.
        first = pairs[np.unique(codes[pairs], return_index=True)[1]]
        years = frame["year"]
        examples = "; ".join(f"village {villages.iloc[i]!r} {years.iloc[i]} -> "
                             f"{years.iloc[i + 1]}: {before[i]:,.6g} -> {after[i]:,.6g}"
                             for i in first[:3])
        found.append(
            f"{column.name!r} ({column.chinese}) changes about 10,000-fold from one year to the "
            f"next in {len(first)} village(s) (e.g. {examples}). The column is in "
            f"{_UNITS[unit.group(1)]}: a year typed in 元 instead of 万元 (or the other way "
            f"round) looks like this; convert it before estimating.")
    return found


def _large_changes(amounts: np.ndarray, factor: float) -> np.ndarray:
    """Positions ``i`` where ``amounts[i + 1]`` and ``amounts[i]`` differ more than ``factor``
    times (missing amounts compare false): the few candidates for the exact tests."""
    found = [np.empty(0, dtype=np.intp)]
    # Block by block, so that the temporaries stay in cache instead of streaming several
    # 50 MB arrays through memory for each column of a national panel.
    for start in range(0, len(amounts) - 1, _BLOCK):
        before = amounts[start:start + _BLOCK]
        after = amounts[start + 1:start + _BLOCK + 1]
        before = before[:len(after)]
        jump = after > before * factor
        jump |= before > after * factor
        if jump.any():
            found.append(np.flatnonzero(jump) + start)
    return np.concatenate(found)
