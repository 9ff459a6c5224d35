"""Turn one raw input column into its canonical dtype, reporting every value that does not fit.

Work is done on the distinct values of a column wherever possible (ids, categories, booleans),
because village panels repeat each code once per year: a national panel has 6.5 million rows but
only half a million village codes.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from econ.data.schema import Column, categorical_dtype

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0", "是", "有", "真", "对"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0", "否", "无", "没有", "假"})
#: Day 0 of Excel's date serials (with its 1900 leap-year bug folded in), to show which number a
#: cell formatted as a date holds.
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_SCIENTIFIC = r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+"
_CODE_FIX = ("Export the codes again as text: in Excel, format the column as Text before "
             "pasting or typing codes, and open CSV files through Data > From Text; in Stata, "
             "keep codes as str (or long or double, never float).")
#: UTF-8 of ſ, K, İ and ı, which case-insensitive patterns match to s, k, i.
_FOLDS_TO_ASCII = tuple(c.encode() for c in "\u017f\u212a\u0130\u0131")
_NUMBER_FIX = ("Correct or blank these cells (blank means missing); remove thousands separators "
               "and units.")


@dataclass(frozen=True)
class Unreadable:
    """Entries of one column that could not be read, for one reason.

    Attributes
    ----------
    kind
        Problem tag: ``"non-numeric"``, ``"non-finite"``, ``"unknown values"`` or
        ``"lost precision"``.
    positions
        Row positions (from 0) of the entries.
    values
        Their distinct raw values, as text.
    reason
        What is wrong with them, read after "N distinct value(s)".
    fix
        What the user should do.
    """

    kind: str
    positions: np.ndarray
    values: list[str]
    reason: str
    fix: str


@dataclass
class Coerced:
    """A column in canonical form (unreadable entries missing) and what could not be read."""

    values: pd.Series
    unreadable: list[Unreadable] = field(default_factory=list)
    recoded: dict[str, str] = field(default_factory=dict)

    @property
    def unreadable_mask(self) -> np.ndarray:
        """Rows holding an entry that could not be read (they are missing in ``values``)."""
        mask = np.zeros(len(self.values), dtype=bool)
        for issue in self.unreadable:
            mask[issue.positions] = True
        return mask


def coerce(series: pd.Series, column: Column, value_mapping: Mapping[str, str], *,
           digits: int | None = None) -> Coerced:
    """Convert ``series`` to ``column``'s dtype; unreadable entries are listed, not dropped.

    ``digits`` is how many significant digits the file keeps for numbers (Excel: 15), if
    fewer than a double's: numeric codes longer than that are reported as rounded.
    """
    if column.kind == "id":
        return _coerce_id(series, digits)
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


def _unreadable(series: pd.Series, mask: np.ndarray, kind: str, reason: str,
                fix: str) -> Unreadable:
    positions = np.flatnonzero(mask)
    distinct = [str(v) for v in pd.unique(series.iloc[positions].astype("str"))]
    return Unreadable(kind, positions, distinct, reason, fix)


def _coerce_id(series: pd.Series, digits: int | None) -> Coerced:
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = np.asarray(series.array.codes), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = _ids_text(pd.Index(uniques))
    issues = _lost_digits(pd.Index(uniques), text, codes, series, digits)
    if not issues and _strictly_increasing(text) and not (text == "").any():
        if isinstance(series.dtype, pd.CategoricalDtype) and text.equals(uniques):
            return Coerced(series)
        return Coerced(_categorical(codes, text, series.index))
    # Blank codes are missing; codes equal after trimming (" V1", "V1") are one village. Codes
    # that lost digits are missing too: they were reported, and kept they would merge villages.
    lost = np.zeros(len(text), dtype=bool)
    for issue in issues:
        lost[np.unique(codes[issue.positions])] = True
    text = text.where((text != "") & ~lost, None)
    merged, categories = pd.factorize(text, sort=True, use_na_sentinel=True)
    new_codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
    return Coerced(_categorical(new_codes, pd.Index(categories, dtype="str"), series.index),
                   issues)


def _lost_digits(uniques: pd.Index, text: pd.Index, codes: np.ndarray, series: pd.Series,
                 digits: int | None) -> list[Unreadable]:
    """Codes whose digits were lost on the way: scientific notation, or too long for a number.

    Too long means beyond what a float keeps exactly (2**24 for float32, 2**53 for float64),
    or, when the file keeps ``digits`` significant digits for every number, beyond those.
    """
    issues: list[Unreadable] = []
    if uniques.dtype == object or pd.api.types.is_string_dtype(uniques.dtype):
        # Half a million codes rarely hold an E: one search of their bytes usually rules
        # it out; literal searches per code next, and the pattern last.
        scientific = np.zeros(len(text), dtype=bool)
        if may_contain(text, ("e", "E")):
            scientific = np.asarray(text.str.contains("E", regex=False)
                                    | text.str.contains("e", regex=False), dtype=bool)
        if scientific.any():
            scientific &= np.asarray(text.str.fullmatch(_SCIENTIFIC), dtype=bool)
        if scientific.any():
            issues.append(_unreadable(
                series, np.isin(codes, np.flatnonzero(scientific)), "lost precision",
                "is in scientific notation, as Excel displays a long number: only the digits "
                "shown were saved, so different villages can end up with one code",
                _CODE_FIX))
    kinds: tuple[type, ...]
    if digits is not None:
        # Every number in the file went through a format with ``digits`` significant digits
        # (Excel: 15), whatever type pandas hands it back as.
        limit, kinds, why = 10.0 ** digits, (int, float, np.number), (
            f"is a number of more than {digits} digits, and the file keeps {digits} "
            f"significant digits")
    else:
        single = uniques.dtype == np.float32
        limit, kinds, why = 2.0 ** (24 if single else 53), (float, np.floating), (
            f"is a code stored as a floating-point number, which keeps about "
            f"{7 if single else 15} digits")
    if uniques.dtype.kind == "f" or (digits is not None and uniques.dtype.kind in "iu"):
        rounded = np.abs(uniques.to_numpy(dtype="float64")) >= limit
    elif uniques.dtype == object:
        rounded = np.fromiter((isinstance(v, kinds) and not isinstance(v, bool)
                               and abs(float(v)) >= limit for v in uniques),
                              dtype=bool, count=len(uniques))
    else:
        return issues
    if rounded.any():
        issues.append(_unreadable(
            series, np.isin(codes, np.flatnonzero(rounded)), "lost precision",
            f"{why}: the last digits were rounded, so different villages can end up with one "
            f"code", _CODE_FIX))
    return issues


def _strictly_increasing(text: pd.Index) -> bool:
    """Whether ``text`` is sorted with no repeats (so unique), as Arrow compares UTF-8 bytes
    (in code-point order, Python's) without hashing or boxing half a million codes."""
    data = _arrow_strings(text)
    if data is None or data.null_count:
        return text.is_unique and text.is_monotonic_increasing
    return len(data) < 2 or bool(pc.all(pc.less(data[:-1], data[1:])).as_py())


def may_contain(text: pd.Index, needles: Iterable[str], *, ignore_case: bool = False) -> bool:
    """Whether a value of ``text`` may contain one of ``needles``, by one search of the values'
    bytes: ``False`` is certain, ``True`` may be a needle across two values (or text not held
    by Arrow) and calls for the exact search. With ``ignore_case`` (ASCII needles) it also
    answers ``True`` for the non-ASCII letters that case-insensitive regular expressions
    match to ASCII ones (ſ, K, İ, ı)."""
    data = _arrow_strings(text)
    if data is None:
        return True
    values = data.buffers()[2]
    blob = b"" if values is None else values.to_pybytes()
    wanted = {n.lower() if ignore_case else n for n in needles}
    # A needle containing another is found with it (subtotal with total); codes are nearly
    # always ASCII, where no Chinese needle can be.
    wanted = {n for n in wanted if not any(m != n and m in n for m in wanted)}
    if blob.isascii():
        wanted = {n for n in wanted if n.isascii()}
    elif ignore_case and any(letter in blob for letter in _FOLDS_TO_ASCII):
        return True
    if ignore_case:
        blob = blob.lower()
    return any(n.encode() in blob for n in wanted)


def _arrow_strings(text: pd.Index) -> pa.Array | None:
    """The values of an Arrow-backed string index as one Arrow array (no copy), else None."""
    if not isinstance(text.dtype, pd.StringDtype) or text.dtype.storage != "pyarrow":
        return None
    data = pa.array(text.array)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    return data


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


def _yes_no_cells(series: pd.Series) -> np.ndarray:
    """Cells holding a boolean (an Excel TRUE/FALSE, a Python ``True``), which are not amounts."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.notna().to_numpy()
    # The element-wise look is needed only when the column mixes types: pandas would read True
    # as 1.0 without a word.
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) not in (
            "boolean", "mixed", "mixed-integer"):
        return np.zeros(len(series), dtype=bool)
    return np.fromiter((isinstance(v, bool | np.bool_) for v in series.to_numpy()), dtype=bool,
                       count=len(series))


def _coerce_number(series: pd.Series, *, integer: bool) -> Coerced:
    target: Literal["Int64", "float64"] = "Int64" if integer else "float64"
    issues: list[Unreadable] = []
    yes_no = _yes_no_cells(series)
    if yes_no.any():
        issues.append(_unreadable(
            series, yes_no, "non-numeric", "is a yes/no value (TRUE/FALSE), not a number",
            "A TRUE or FALSE cell in an amount is a typing or formula slip, and reading it as "
            "1 or 0 would invent an amount: type the number, or blank the cell (blank means "
            "missing)."))
        series = series.where(~yes_no, None).astype(object)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series
    else:
        cleaned = _blank_to_na(series)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        text = (numbers.isna() & cleaned.notna()).to_numpy()
        if text.any():
            issues.append(_unreadable(series, text, "non-numeric", "is not a number",
                                      _NUMBER_FIX + _number_hints(series, text)))
    if not issues and pd.api.types.is_integer_dtype(numbers.dtype):
        return Coerced(numbers.astype(target))  # whole and finite by its type
    floats = numbers.astype("float64").to_numpy()
    infinite = np.isinf(floats)
    if infinite.any():
        issues.append(_unreadable(
            series, infinite, "non-finite", "is infinite or too large for a number",
            "No amount, count or year is infinite: correct these cells or blank them (blank "
            "means missing)."))
    if integer:
        fraction = np.isfinite(floats) & (floats != np.round(floats))
        if fraction.any():
            issues.append(_unreadable(series, fraction, "non-numeric", "is not a whole number",
                                      _NUMBER_FIX))
    if not issues:
        return Coerced(numbers.astype(target))
    floats = floats.copy()
    for issue in issues:
        floats[issue.positions] = np.nan
    return Coerced(pd.Series(floats, index=series.index).astype(target), issues)


def _number_hints(series: pd.Series, bad: np.ndarray) -> str:
    """Name the usual causes among the unreadable values: Excel dates and full-width digits."""
    hints: list[str] = []
    for value in pd.unique(series.iloc[np.flatnonzero(bad)].astype(object)):
        if isinstance(value, datetime.datetime | datetime.date) and not hints:
            moment = pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
            serial = (moment - _EXCEL_EPOCH).days
            hints.append(f" {str(value)!r} is a cell formatted as a date (Excel shows the "
                         f"number {serial} as that date): format the column as a number.")
        elif isinstance(value, str) and unicodedata.normalize("NFKC", value) != value:
            hints.append(f" {value!r} has full-width characters: retype it with ASCII "
                         f"digits ({unicodedata.normalize('NFKC', value)!r}).")
        if len(hints) == 2:
            break
    return "".join(hints)


def _coerce_bool(series: pd.Series) -> Coerced:
    if pd.api.types.is_bool_dtype(series.dtype):
        return Coerced(series.astype("boolean"))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # One slot per distinct value plus a last one that the missing-value code -1 lands on, so
    # that a column with no values at all needs no special case.
    lookup = np.full(len(uniques) + 1, -2, dtype=np.int8)
    for i, value in enumerate(uniques):
        text = _id_text(value).lower()
        lookup[i] = 1 if text in _TRUE else 0 if text in _FALSE else -2 if text == "" else -1
    mapped = lookup[codes]
    values = pd.array(mapped == 1, dtype="boolean")
    values[mapped < 0] = pd.NA
    result = pd.Series(values, index=series.index)
    unreadable = np.flatnonzero(lookup == -1)
    if len(unreadable):
        issue = _unreadable(series, np.isin(codes, unreadable), "unknown values",
                            "is not yes/no (true/false, 1/0, 是/否)",
                            "Use 是/否, yes/no, true/false or 1/0; blank means missing.")
        return Coerced(result, [issue])
    return Coerced(result)


def _coerce_category(
    series: pd.Series, column: Column, value_mapping: Mapping[str, str]
) -> Coerced:
    dtype = categorical_dtype(column)
    if isinstance(series.dtype, pd.CategoricalDtype) and series.dtype == dtype:
        return Coerced(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # -1 marks an unknown value, -2 a missing one; the extra last slot is where missing
    # entries (code -1) look, so an entirely blank column needs no special case.
    lookup = np.full(len(uniques) + 1, -2, dtype=np.int64)
    recoded: dict[str, str] = {}
    for i, raw in enumerate(uniques):
        text = _id_text(raw)
        if text == "":
            continue
        canonical = value_mapping.get(text, column.canonical_value(text))
        if canonical is not None and canonical in column.categories:
            lookup[i] = column.categories.index(canonical)
            if canonical != text:
                recoded[text] = canonical
        else:
            lookup[i] = -1
    values = pd.Series(pd.Categorical.from_codes(np.maximum(lookup[codes], -1), dtype=dtype),
                       index=series.index)
    unknown = np.flatnonzero(lookup == -1)
    if not len(unknown):
        return Coerced(values, recoded=recoded)
    issue = _unreadable(series, np.isin(codes, unknown), "unknown values",
                        "is not an allowed value", "")
    fix = (f"Allowed: {', '.join(column.categories)}; Chinese spellings such as "
           f"{_example_spellings(column)} are also read. Correct the values or pass "
           f"value_mapping={{{column.name!r}: {{{issue.values[0]!r}: '<allowed value>'}}}}.")
    return Coerced(values, [Unreadable(issue.kind, issue.positions, issue.values, issue.reason,
                                       fix)], recoded)


def _example_spellings(column: Column) -> str:
    first: dict[str, str] = {}
    for spelling, value in column.value_aliases.items():
        if not spelling.isascii():
            first.setdefault(value, spelling)
    return ", ".join(f"{first[v]}={v}" for v in column.categories if v in first)
