"""Check a raw table against a schema, collecting every problem before raising one error.

Nothing is dropped or repaired silently: a table either comes back in canonical form, with a
report of the headers renamed and the category spellings recoded, or the call raises
:class:`~econ.data.problems.ValidationError` listing each problem with its rows and values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from econ.data.codes import group_codes, varying_groups
from econ.data.coerce import Unreadable, coerce
from econ.data.headers import match_headers
from econ.data.plausibility import plausibility_warnings
from econ.data.problems import (
    Problem,
    ValidationError,
    describe_rows,
    describe_values,
    row_numbers,
)
from econ.data.rows import blank_rows, summary_rows
from econ.data.schema import Column, TableSchema

#: Default plausible range for ``year``; pass ``year_range`` to change it.
YEAR_RANGE = (1949, 2100)


@dataclass(frozen=True)
class Checked:
    """The canonical table and what was done to get there."""

    frame: pd.DataFrame
    renamed: Mapping[str, str]
    recoded: Mapping[str, Mapping[str, str]]
    extra_columns: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    skipped_rows: tuple[int, ...] = ()


def validate(
    frame: pd.DataFrame,
    schema: TableSchema,
    *,
    source: str,
    mapping: Mapping[str, str] | None = None,
    value_mapping: Mapping[str, Mapping[str, str]] | None = None,
    year_range: tuple[int, int] = YEAR_RANGE,
    found: Sequence[Problem] = (),
    digits: int | None = None,
) -> Checked:
    """Rename, convert and check ``frame``; raise one error naming every problem.

    Parameters
    ----------
    frame
        The table as read (any dtypes; headers in English, Chinese or the user's own).
    schema
        :data:`~econ.data.schema.PANEL` or :data:`~econ.data.schema.SURVEY`.
    source
        How the table is named in messages (a path or ``"a DataFrame"``).
    mapping
        ``{your header: canonical name}`` for headers the schema's aliases do not cover.
    value_mapping
        ``{canonical column: {your value: canonical value}}`` for category spellings the schema
        does not know.
    year_range
        Inclusive range of plausible years.
    found
        Problems the reader already found in the file (formulas without values), reported
        with the rest.
    digits
        Significant digits the file keeps for numbers, when fewer than a double's (Excel:
        15); numeric codes longer than that are reported as rounded.

    Returns
    -------
    Checked
        The canonical table, what was renamed and recoded, plausibility warnings and the
        empty rows skipped.
    """
    problems: list[Problem] = list(found)
    headers = match_headers(list(frame.columns), schema, mapping or {})
    if headers.problems:
        raise ValidationError(schema.name, source, [*problems, *headers.problems])
    problems.extend(headers.units)
    table = frame.rename(columns=headers.renamed)

    for name in schema.required:
        if name not in table.columns:
            column = schema[name]
            problems.append(Problem(
                "missing column", name,
                f"required column {name!r} ({column.chinese}) is missing. Columns found: "
                f"{describe_values(list(frame.columns), limit=40)}. Accepted headers: "
                f"{describe_values([name, column.chinese, *column.aliases])}. "
                + (f"The closest header found is {headers.near[name]!r}: if it is this column, "
                   f"pass mapping={{{headers.near[name]!r}: {name!r}}}." if name in headers.near
                   else f"Rename your column or pass mapping={{'<your header>': {name!r}}}."),
            ))

    # Empty lines are skipped and totals reported once, not again as missing or bad values.
    blank = blank_rows(table)
    summary, found_summary = summary_rows(table, schema)
    problems.extend(found_summary)
    skip = blank | summary
    # On a clean national panel nothing is skipped: spare the per-row masks then.
    skipping = bool(skip.any())
    out: dict[str, pd.Series] = {}
    recoded: dict[str, dict[str, str]] = {}
    values_for = value_mapping or {}
    for column in schema.columns:
        if column.name not in table.columns:
            continue
        raw = table[column.name].where(~summary) if summary.any() else table[column.name]
        result = coerce(raw, column, values_for.get(column.name, {}), digits=digits)
        problems.extend(_unreadable(column, issue) for issue in result.unreadable)
        if result.recoded:
            recoded[column.name] = result.recoded
        out[column.name] = result.values.reset_index(drop=True)
        reported = ((result.unreadable_mask | skip) if column.required
                    and (result.unreadable or skipping) else None)
        problems.extend(_value_checks(column, out[column.name], year_range, reported))

    extras = tuple(c for c in table.columns if c not in schema.names)
    for name in extras:
        out[name] = table[name].reset_index(drop=True)
    canonical = pd.DataFrame(out, copy=False)
    coded = {name for pair in schema.nesting for name in pair} | set(schema.key)
    codes = {name: group_codes(canonical[name]) for name in coded if name in canonical.columns}
    keyed = all(k in codes for k in schema.key)
    combined, size = _combined_key(codes, schema.key) if keyed else (None, 0)
    # Keys that increase strictly down the table (a panel saved sorted) are distinct and
    # need no sorting: one pass settles both.
    ordered = combined is not None and _increasing(combined)
    if combined is not None and not ordered:
        # A row whose key is missing or unreadable was reported as such; it repeats no key.
        complete = np.logical_and.reduce([codes[name][0] >= 0 for name in schema.key])
        problems.extend(_duplicate_keys(canonical, schema, combined, size,
                                        complete & ~skip if skipping else complete))
    problems.extend(_nesting(canonical, schema, codes, skip if skipping else None))
    if problems:
        raise ValidationError(schema.name, source, problems)
    if blank.any():
        canonical = canonical[~blank].reset_index(drop=True)
        combined = None if combined is None else combined[~blank]
    if combined is not None and not ordered and not _increasing(combined):
        order = np.argsort(combined, kind="stable")
        canonical = canonical.take(order).reset_index(drop=True)
    warnings = (*headers.warnings, *plausibility_warnings(canonical, schema))
    return Checked(canonical, {str(k): v for k, v in headers.renamed.items()}, recoded, extras,
                   warnings, row_numbers(np.flatnonzero(blank)))


def _unreadable(column: Column, issue: Unreadable) -> Problem:
    return Problem(
        issue.kind, column.name,
        f"column {column.name!r} ({column.chinese}): {len(issue.values)} distinct value(s) "
        f"{issue.reason}: {describe_values(issue.values)} ({describe_rows(issue.positions)}). "
        f"{issue.fix}",
        row_numbers(issue.positions),
    )


def _value_checks(column: Column, values: pd.Series, year_range: tuple[int, int],
                  reported: np.ndarray | None) -> list[Problem]:
    """Missing, out-of-range and negative entries; ``reported`` rows already have a problem."""
    found: list[Problem] = []
    if column.required:
        # An unreadable entry is missing in ``values`` but was reported as what it is.
        absent = values.isna().to_numpy()
        missing = np.flatnonzero(absent if reported is None else absent & ~reported)
        if len(missing):
            found.append(Problem(
                "missing values", column.name,
                f"required column {column.name!r} ({column.chinese}) is empty in "
                f"{describe_rows(missing)}. Fill these cells; rows cannot be placed without it.",
                row_numbers(missing),
            ))
    checked = column.name == "year" or column.bounds is not None or column.nonnegative
    if column.kind not in ("int", "float") or not checked:
        return found
    spans: list[tuple[tuple[float, float], str]] = (
        [(year_range, "year_range")] if column.name == "year" else [])
    if column.bounds is not None:
        spans.append((column.bounds, "the declared scale"))
    # The least and greatest entries clear a sound column; the entries are gathered as
    # floats only to name the rows of a failed check.
    least, most = _extremes(values)
    failed = [(bounds, what) for bounds, what in spans if least < bounds[0] or most > bounds[1]]
    if not failed and not (column.nonnegative and least < 0):
        return found
    numbers = (values.to_numpy() if values.dtype == np.float64
               else values.to_numpy(dtype="float64", na_value=np.nan))
    for bounds, what in failed:
        found += _outside(column, values, numbers, bounds, what)
    if column.nonnegative:
        negative = np.flatnonzero(numbers < 0)
        if len(negative):
            shown = list(pd.unique(values.iloc[negative]))
            found.append(Problem(
                "negative", column.name,
                f"column {column.name!r} ({column.chinese}) must not be negative: "
                f"{describe_values(shown)} ({describe_rows(negative)}). {column.description} "
                f"Check the sign or the unit of these entries.",
                row_numbers(negative),
            ))
    return found


def _extremes(values: pd.Series) -> tuple[float, float]:
    """The least and greatest present entries of a numeric column (NaN if none is present)."""
    if not len(values):
        return np.nan, np.nan
    if values.dtype == np.float64:
        numbers = values.to_numpy()
    elif pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        numbers = values.to_numpy(dtype=np.int64)
    else:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    # fmin and fmax skip NaN, as the comparisons with bounds do.
    return np.fmin.reduce(numbers), np.fmax.reduce(numbers)


def _outside(column: Column, values: pd.Series, numbers: np.ndarray,
             bounds: tuple[float, float], what: str) -> list[Problem]:
    low, high = bounds
    outside = np.flatnonzero((numbers < low) | (numbers > high))
    if not len(outside):
        return []
    shown = list(pd.unique(values.iloc[outside]))
    return [Problem(
        "out of range", column.name,
        f"column {column.name!r} ({column.chinese}) has values outside {what} "
        f"[{low:g}, {high:g}]: {describe_values(shown)} ({describe_rows(outside)}). Correct them"
        + (", or pass year_range=(first, last) if they are real." if what == "year_range" else "."),
        row_numbers(outside),
    )]


Codes = dict[str, tuple[np.ndarray, int]]


def _combined_key(codes_of: Codes, names: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """One integer per row that orders rows as the key columns do (ids have sorted
    categories), and how many values it can take."""
    size = math.prod(codes_of[name][1] + 1 for name in names)
    codes, _ = codes_of[names[0]]
    # In place, and in 32 bits when the key fits (a national panel's 500,000 villages x 13
    # years does): each temporary would be a 25-50 MB array.
    combined: npt.NDArray[np.signedinteger[Any]] = codes.astype(
        np.int32 if size < 2**31 else np.int64)
    combined += 1
    for name in names[1:]:
        codes, count = codes_of[name]
        combined *= count + 1
        combined += codes
        combined += 1
    return combined, size


def _increasing(combined: np.ndarray) -> bool:
    return bool(np.all(combined[1:] > combined[:-1]))


def _duplicate_keys(
    frame: pd.DataFrame, schema: TableSchema, combined: np.ndarray, size: int,
    complete: np.ndarray,
) -> list[Problem]:
    if size <= 4 * len(frame) + 1024:
        duplicated = np.bincount(combined, minlength=size)[combined] > 1
    else:
        duplicated = pd.Series(combined).duplicated(keep=False).to_numpy()
    positions = np.flatnonzero(duplicated & complete)
    if not len(positions):
        return []
    keys = frame.iloc[positions][list(schema.key)].drop_duplicates()
    shown = [tuple(row) for row in keys.itertuples(index=False)]
    label = ", ".join(schema.key)
    return [Problem(
        "duplicate rows", label,
        f"{len(keys)} ({label}) key(s) appear more than once: {describe_values(shown)} "
        f"({describe_rows(positions)}). Each {label} must be one row: remove the repeats or "
        f"aggregate them before loading.",
        row_numbers(positions),
    )]


def _nesting(frame: pd.DataFrame, schema: TableSchema, codes_of: Codes,
             skip: np.ndarray | None) -> list[Problem]:
    found: list[Problem] = []
    clean: set[tuple[str, str]] = set()
    for inner, outer in schema.nesting:
        if inner not in codes_of or outer not in codes_of:
            continue
        if any((inner, mid) in clean and (mid, outer) in clean for mid in codes_of):
            # Implied by two clean links (village -> township -> county); checked only to name
            # the culprit when a link is broken.
            clean.add((inner, outer))
            continue
        (inner_codes, n_inner), (outer_codes, _) = codes_of[inner], codes_of[outer]
        present = _present((inner_codes, outer_codes), skip)
        if present is None:
            moving = varying_groups(inner_codes, outer_codes, n_inner)
        else:
            moving = varying_groups(inner_codes[present], outer_codes[present], n_inner)
        if not len(moving):
            clean.add((inner, outer))
            continue
        rows = np.flatnonzero(np.isin(inner_codes, moving) if present is None
                              else present & np.isin(inner_codes, moving))
        example = frame.iloc[rows][[inner, outer]].drop_duplicates()
        first_id = example[inner].iloc[0]
        seen = list(example.loc[example[inner] == first_id, outer])
        found.append(Problem(
            "nesting", inner,
            f"{len(moving)} {inner} value(s) change {outer}: for example {first_id!r} appears "
            f"with {outer} {describe_values(seen)} ({describe_rows(rows)}). A {inner} must "
            f"belong to one {outer}: correct the codes, or give a re-drawn unit a new code.",
            row_numbers(rows),
        ))
    return found


def _present(codes: Sequence[np.ndarray], skip: np.ndarray | None) -> np.ndarray | None:
    """Rows where every one of ``codes`` is present (code >= 0) and that are not skipped, or
    ``None`` when that is every row (checked by a minimum, without a mask)."""
    gaps = [c >= 0 for c in codes if len(c) and c.min() < 0]
    if not gaps and skip is None:
        return None
    present = np.logical_and.reduce(gaps) if gaps else np.ones(len(codes[0]), dtype=bool)
    if skip is not None:
        present &= ~skip
    return None if present.all() else present
