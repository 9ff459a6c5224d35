"""Turn one raw input column into its canonical dtype, reporting every value that does not fit.

Work is done on the distinct values of a column wherever possible (ids, categories, booleans),
because village panels repeat each code once per year: a national panel has 6.5 million rows but
only half a million village codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from econ.data.schema import Column, categorical_dtype

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0", "是", "有", "真", "对"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0", "否", "无", "没有", "假"})


@dataclass
class Coerced:
    """A column in canonical form, with the positions and raw values that could not be read."""

    values: pd.Series
    bad_positions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    bad_values: list[object] = field(default_factory=list)
    reason: str = ""
    recoded: dict[str, str] = field(default_factory=dict)


def coerce(series: pd.Series, column: Column, value_mapping: Mapping[str, str]) -> Coerced:
    """Convert ``series`` to ``column``'s dtype; unreadable entries are listed, not dropped."""
    if column.kind == "id":
        return _coerce_id(series)
    if column.kind in ("int", "float"):
        return _coerce_number(series, integer=column.kind == "int")
    if column.kind == "bool":
        return _coerce_bool(series)
    return _coerce_category(series, column, value_mapping)


def _blank_to_na(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        stripped = series.astype("str").str.strip()
        return series.where(stripped != "", None).where(series.notna(), None)
    return series


def _bad(series: pd.Series, mask: np.ndarray, reason: str, values: pd.Series) -> Coerced:
    positions = np.flatnonzero(mask)
    distinct = list(pd.unique(series.iloc[positions].astype("str")))
    return Coerced(values, positions, distinct, reason)


def _coerce_id(series: pd.Series) -> Coerced:
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = _ids_text(pd.Index(uniques))
    if text.is_unique and text.is_monotonic_increasing and not (text == "").any():
        if isinstance(series.dtype, pd.CategoricalDtype) and text.equals(uniques):
            return Coerced(series)
        return Coerced(_categorical(codes, text, series.index))
    # Blank codes are missing; codes equal after trimming (" V1", "V1") are one village.
    text = text.where(text != "", None)
    merged, categories = pd.factorize(text, sort=True, use_na_sentinel=True)
    new_codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
    return Coerced(_categorical(new_codes, pd.Index(categories, dtype="str"), series.index))


def _categorical(codes: np.ndarray, categories: pd.Index, index: pd.Index) -> pd.Series:
    dtype = pd.CategoricalDtype(categories.astype("str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=index)


def _ids_text(uniques: pd.Index) -> pd.Index:
    """Distinct raw codes as trimmed text, vectorised for the usual all-text or all-number case."""
    if pd.api.types.is_string_dtype(uniques.dtype) and uniques.dtype != object:
        return uniques.str.strip()
    if pd.api.types.is_integer_dtype(uniques.dtype):
        return uniques.astype("str")
    return pd.Index([_id_text(v) for v in uniques], dtype="str")


def _id_text(value: object) -> str:
    # Excel and Stata hand back numeric codes as floats; 5301.0 is the code "5301".
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _coerce_number(series: pd.Series, *, integer: bool) -> Coerced:
    target: Literal["Int64", "float64"] = "Int64" if integer else "float64"
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Int64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.astype("float64") if not integer else series
        bad = np.zeros(len(series), dtype=bool)
    else:
        cleaned = _blank_to_na(series)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        bad = (numbers.isna() & cleaned.notna()).to_numpy()
        if bad.any():
            return _bad(series, bad, "is not a number", numbers.astype("float64"))
    if integer and not pd.api.types.is_integer_dtype(numbers.dtype):
        as_float = numbers.astype("float64").to_numpy()
        fraction = np.isfinite(as_float) & (as_float != np.round(as_float))
        if fraction.any():
            return _bad(series, fraction, "is not a whole number", numbers.astype("float64"))
    return Coerced(numbers.astype(target))


def _coerce_bool(series: pd.Series) -> Coerced:
    if pd.api.types.is_bool_dtype(series.dtype):
        return Coerced(series.astype("boolean"))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    lookup = np.full(len(uniques), -1, dtype=np.int8)
    for i, value in enumerate(uniques):
        text = _id_text(value).lower()
        lookup[i] = 1 if text in _TRUE else 0 if text in _FALSE else -1
    unreadable = np.flatnonzero(lookup < 0)
    mapped = np.where(codes >= 0, lookup[codes], -2)
    values = pd.array(mapped == 1, dtype="boolean")
    values[mapped < 0] = pd.NA
    result = pd.Series(values, index=series.index)
    if len(unreadable):
        bad = np.isin(codes, unreadable)
        return _bad(series, bad, "is not yes/no (true/false, 1/0, 是/否)", result)
    return Coerced(result)


def _coerce_category(
    series: pd.Series, column: Column, value_mapping: Mapping[str, str]
) -> Coerced:
    dtype = categorical_dtype(column)
    if isinstance(series.dtype, pd.CategoricalDtype) and series.dtype == dtype:
        return Coerced(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    lookup = np.full(len(uniques), -1, dtype=np.int64)
    recoded: dict[str, str] = {}
    for i, raw in enumerate(uniques):
        text = _id_text(raw)
        if text == "":
            lookup[i] = -2
            continue
        canonical = value_mapping.get(text, column.canonical_value(text))
        if canonical is not None and canonical in column.categories:
            lookup[i] = column.categories.index(canonical)
            if canonical != text:
                recoded[text] = canonical
    new_codes = np.where(codes >= 0, lookup[codes], -1)
    values = pd.Series(pd.Categorical.from_codes(np.maximum(new_codes, -1), dtype=dtype),
                       index=series.index)
    unknown = np.flatnonzero(lookup == -1)
    if len(unknown):
        result = _bad(series, np.isin(codes, unknown), "is not an allowed value", values)
        result.recoded = recoded
        return result
    return Coerced(values, recoded=recoded)
