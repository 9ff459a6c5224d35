"""Match a file's headers to the schema's columns, as people actually write them.

Headers are compared after folding full-width forms, case, spaces, line breaks and underscores
(``帮扶项目\\n资金``, ``Village ID``), and a trailing unit in brackets (``帮扶资金（万元）``) is
read and checked against the column's unit. A header that is recognised by none of these is
compared with every accepted spelling, and the closest is named, never silently taken.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from econ.data.problems import Problem, describe_values
from econ.data.schema import Column, TableSchema

if TYPE_CHECKING:
    import pandas as pd

#: How alike (difflib ratio) an unrecognised header must be to an accepted spelling to be
#: named as its likely meaning: one wrong character in a four-character Chinese header is 0.75.
_NEAR = 0.75
_UNIT = re.compile(r"^(?P<name>.+?)[(\[【](?P<unit>[^()\[\]【】]+)[)\]】]$")
#: Money units by their size in yuan; the schema states its unit in each description.
_MONEY = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "yuan": 1.0,
          "rmb": 1.0, "10,000yuan": 1e4, "10000yuan": 1e4}
_SCHEMA_MONEY = {"(10,000 yuan)": (1e4, "万元"), "(yuan)": (1.0, "元")}


@dataclass
class Headers:
    """How the input's headers map to canonical names, and what was wrong with them."""

    renamed: dict[Hashable, str] = field(default_factory=dict)
    #: Problems that leave columns unresolved (repeated or ambiguous headers, bad mapping).
    problems: list[Problem] = field(default_factory=list)
    #: Headers whose money unit differs from the column's: the column is still resolved.
    units: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: ``{canonical name: unrecognised header that resembles it}``.
    near: dict[str, str] = field(default_factory=dict)


def header_key(text: str) -> str:
    """The form headers are compared in: NFKC, lower case, no spaces, breaks or underscores."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text)).lower()


def _spellings(schema: TableSchema) -> dict[str, tuple[str, Column]]:
    return {header_key(spelling): (spelling, column) for column in schema.columns
            for spelling in (column.name, column.chinese, *column.aliases)}


def canonical_name(text: str, schema: TableSchema) -> str | None:
    """The column of ``schema`` that the header ``text`` names (any accepted spelling, with or
    without a unit in brackets), or ``None``."""
    return _recognise(text, _spellings(schema), Headers())


def match_headers(columns: Sequence[Hashable], schema: TableSchema,
                  mapping: Mapping[str, str]) -> Headers:
    """Canonical names for ``columns``, with every header problem and near miss reported."""
    found = Headers()
    _check_mapping(columns, schema, mapping, found)
    spellings = _spellings(schema)
    unmatched: list[str] = []
    for header in columns:
        text = str(header)
        if text in mapping:
            target: str | None = mapping[text]
        else:
            target = _recognise(text, spellings, found)
        if target is None:
            unmatched.append(text)
        elif target != header:
            found.renamed[header] = target
    _duplicates(columns, found)
    _ambiguous(columns, found)
    present = {found.renamed.get(h, str(h)) for h in columns}
    for text in unmatched:
        _near_miss(text, spellings, present, found)
    return found


def _check_mapping(columns: Sequence[Hashable], schema: TableSchema,
                   mapping: Mapping[str, str], found: Headers) -> None:
    texts = [str(c) for c in columns]
    for header, target in mapping.items():
        if header not in texts:
            found.problems.append(Problem(
                "mapping", str(header),
                f"mapping names column {header!r}, which the input does not have. Columns "
                f"found: {describe_values(texts)}.",
            ))
        if target not in schema.names:
            found.problems.append(Problem(
                "mapping", str(target),
                f"mapping target {target!r} is not a column of the {schema.name}. Canonical "
                f"names: {', '.join(schema.names)}.",
            ))


def _recognise(text: str, spellings: Mapping[str, tuple[str, Column]],
               found: Headers) -> str | None:
    key = header_key(text)
    if key in spellings:
        return spellings[key][1].name
    parts = _UNIT.match(key)
    if parts is None or parts["name"] not in spellings:
        return None
    column = spellings[parts["name"]][1]
    _check_unit(text, parts["unit"], column, found)
    return column.name


def _check_unit(header: str, unit: str, column: Column, found: Headers) -> None:
    stated = next(((size, name) for marker, (size, name) in _SCHEMA_MONEY.items()
                   if column.description.endswith(marker + ".")), None)
    given = _MONEY.get(unit)
    if stated is None or given is None or given == stated[0]:
        return
    factor = given / stated[0]
    how = (f"multiply them by {factor:,.0f}" if factor > 1
           else f"divide them by {1 / factor:,.0f}")
    found.units.append(Problem(
        "unit", column.name,
        f"header {header!r} gives the unit {unit}, but {column.name!r} ({column.chinese}) is "
        f"in {stated[1]}: {how} and drop the unit from the header, or pass "
        f"mapping={{{header!r}: {column.name!r}}} if the values are in fact in {stated[1]}.",
    ))


def _duplicates(columns: Sequence[Hashable], found: Headers) -> None:
    positions: dict[str, list[int]] = {}
    for i, header in enumerate(columns, start=1):
        positions.setdefault(str(header).strip(), []).append(i)
    for header, where in positions.items():
        if len(where) > 1:
            found.problems.append(Problem(
                "duplicate header", header,
                f"header {header!r} appears {len(where)} times (columns "
                f"{', '.join(map(str, where))}, counted from 1). Each column needs its own "
                f"header: delete the repeated column or rename it.",
            ))


def _ambiguous(columns: Sequence[Hashable], found: Headers) -> None:
    claimed: dict[str, list[str]] = {}
    for header in columns:
        headers = claimed.setdefault(found.renamed.get(header, str(header)), [])
        if str(header).strip() not in headers:  # identical repeats are duplicates instead
            headers.append(str(header).strip())
    for target, headers in claimed.items():
        if len(headers) > 1:
            found.problems.append(Problem(
                "ambiguous column", target,
                f"columns {describe_values(headers)} all mean {target!r}. Keep one, or pass "
                f"mapping to send the others to different names.",
            ))


def closest_header(column: Column, headers: Sequence[str]) -> str | None:
    """Of ``headers`` (ones that were not recognised), the one most like a spelling of
    ``column``, if any is alike enough to be named as its likely meaning."""
    keys = {header_key(h): h for h in headers}
    best: tuple[float, str] | None = None
    for spelling in (column.name, column.chinese, *column.aliases):
        for key in difflib.get_close_matches(header_key(spelling), keys, n=1, cutoff=_NEAR):
            ratio = difflib.SequenceMatcher(None, header_key(spelling), key).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, keys[key])
    return None if best is None else best[1]


def _near_miss(text: str, spellings: Mapping[str, tuple[str, Column]], present: set[str],
               found: Headers) -> None:
    candidates = [key for key, (_, column) in spellings.items() if column.name not in present]
    close = difflib.get_close_matches(header_key(text), candidates, n=1, cutoff=_NEAR)
    if not close:
        return
    spelling, column = spellings[close[0]]
    found.near.setdefault(column.name, text)
    found.warnings.append(
        f"header {text!r} was not recognised; it is close to {spelling!r} ({column.name}, "
        f"{column.chinese}) and is kept as an extra column. If it is that column, pass "
        f"mapping={{{text!r}: {column.name!r}}}.")


#: Rows at the top of a sheet or file searched for the header (title rows, notes, two-row
#: headers come before the data).
HEADER_SEARCH_ROWS = 30
#: Columns a later row must name to be taken as the header instead of the first row: one
#: could be a data value that happens to spell a header (县, 乡镇).
_MIN_NAMED = 2


@dataclass(frozen=True)
class HeaderLayout:
    """Where a table's header is: its rows (0-based positions in the raw rows), the header of
    each column, and notes saying what was found when it was not simply the first row."""

    rows: tuple[int, ...]
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def data_start(self) -> int:
        """Position of the first row after the header."""
        return self.rows[-1] + 1


def locate_header(raw: pd.DataFrame, schema: TableSchema, mapping: Mapping[str, str],
                  header_row: int | Sequence[int] | None = None) -> HeaderLayout | None:
    """Find the header among the first rows of a table read without one.

    By default the header is the first non-empty row, unless a later row (within
    :data:`HEADER_SEARCH_ROWS`) names more of the schema's columns: the rows above it are then
    a title or notes, and are reported as skipped. A header row followed by a second one where
    merged cells leave the first blank (``派出单位`` over ``层级 | 类型``) is read as a two-row
    header when the combined names (``派出单位层级``) name more columns than either row alone.

    Parameters
    ----------
    raw
        The rows as read, without a header (``header=None``), as objects or text.
    schema, mapping
        What counts as a recognised header: a spelling of a column, or a key of ``mapping``.
    header_row
        The header's row (or the two rows of a two-row header), counted from 1 as a
        spreadsheet shows them; ``None`` to detect it.

    Returns
    -------
    HeaderLayout or None
        ``None`` when every row is empty.
    """
    top = raw.iloc[:HEADER_SEARCH_ROWS]
    texts = [[_cell(v) for v in row] for row in top.itertuples(index=False)]
    nonempty = [i for i, row in enumerate(texts) if any(row)]
    if header_row is not None:
        return _given(raw, header_row)
    if not nonempty:
        return None
    spellings = _spellings(schema)

    def named(row: Sequence[str]) -> set[str]:
        return _named(row, spellings, mapping)

    first = nonempty[0]
    scores = {i: len(named(texts[i])) for i in nonempty}
    best = max(nonempty, key=lambda i: (scores[i], -i))
    if scores[best] <= scores[first] or scores[best] < _MIN_NAMED:
        best = first
    layout = HeaderLayout((best,), tuple(texts[best]))
    for upper, lower in ((best - 1, best), (best, best + 1)):
        # A header's second row is all text; a first data row has at least its year.
        if upper < first or lower >= len(texts) or not any(texts[lower]) or any(
                _is_number(t) for t in texts[lower]):
            continue
        names = _combine(texts[upper], texts[lower], spellings, mapping)
        if len(named(names)) > len(named(layout.names)):
            layout = HeaderLayout((upper, lower), tuple(names))
    return _noted(layout, first, texts)


def named_columns(headers: Sequence[str], schema: TableSchema,
                  mapping: Mapping[str, str]) -> set[str]:
    """The columns of ``schema`` that ``headers`` name (a key of ``mapping`` names its
    target)."""
    return _named(headers, _spellings(schema), mapping)


def _named(headers: Sequence[str], spellings: Mapping[str, tuple[str, Column]],
           mapping: Mapping[str, str]) -> set[str]:
    return {name for text in headers if text
            and (name := mapping.get(text) or _recognise(text, spellings, Headers()))}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _given(raw: pd.DataFrame, header_row: int | Sequence[int]) -> HeaderLayout:
    rows = (header_row,) if isinstance(header_row, int) else tuple(header_row)
    if not 1 <= len(rows) <= 2 or any(not isinstance(r, int) or r < 1 for r in rows) or (
            len(rows) == 2 and rows[1] != rows[0] + 1):
        raise ValueError(f"header_row must be a row number counted from 1, or two adjacent "
                         f"ones for a two-row header, got {header_row!r}")
    if rows[-1] > len(raw):
        raise ValueError(f"header_row {header_row!r} is beyond the table's {len(raw)} rows")
    cells = [[_cell(v) for v in raw.iloc[r - 1]] for r in rows]
    names = cells[0] if len(rows) == 1 else _combine(cells[0], cells[1], {}, {})
    return HeaderLayout(tuple(r - 1 for r in rows), tuple(names))


def _combine(upper: Sequence[str], lower: Sequence[str],
             spellings: Mapping[str, tuple[str, Column]],
             mapping: Mapping[str, str]) -> list[str]:
    """One header per column from two rows: a merged cell of the upper row spans the blank
    cells to its right that have a header below them."""
    names, group = [], ""
    for above, below in zip(upper, lower, strict=True):
        group = above or (group if below else "")
        if not below:
            names.append(group)
            continue
        if not group:
            names.append(below)
            continue
        options = (group + below, below, group)
        known = [o for o in options if o in mapping or _recognise(o, spellings, Headers())]
        names.append(known[0] if known else f"{group} {below}")
    return names


def _noted(layout: HeaderLayout, first: int, texts: list[list[str]]) -> HeaderLayout:
    notes = []
    start = layout.rows[0]
    if start > first:
        skipped = [t for row in texts[first:start] for t in row if t]
        shown = ", ".join(repr(t) for t in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        notes.append(
            f"the header is on row {start + 1}, not row {first + 1}: the row(s) above it "
            f"({shown}) name no columns and were skipped as a title; pass header_row="
            f"{start + 1} (command line: --header-row {start + 1}) to say so, or the right row")
    if len(layout.rows) == 2:
        joined = [f"{n}" for n, a, b in zip(layout.names, texts[start], texts[start + 1],
                                             strict=True) if a != n and b != n and n]
        notes.append(
            f"rows {start + 1} and {start + 2} were read as one two-row header (merged cells): "
            + (f"combined {', '.join(map(repr, joined[:6]))}; " if joined else "")
            + f"pass header_row=({start + 1}, {start + 2}) (command line: --header-row "
              f"{start + 1} {start + 2}) to say so, or header_row={start + 2} for the lower "
              f"row alone")
    return HeaderLayout(layout.rows, layout.names, tuple(notes))
