"""Validation problems, collected so that one error lists everything wrong with a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
# numpy is imported where it is used: the command line reads its --map options through this
# module, and `econ replicate` starts its workers' imports before its own.

#: How many offending rows or values a message spells out before it gives only a count.
SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input table.

    Attributes
    ----------
    kind
        Short tag: ``"missing column"``, ``"unknown values"``, ``"non-numeric"``,
        ``"non-finite"``, ``"duplicate rows"``, ``"out of range"``, ``"negative"``,
        ``"nesting"``, ``"missing values"``, ``"mapping"``, ``"ambiguous column"``,
        ``"formulas without values"``, ``"summary rows"``, ``"duplicate header"``,
        ``"unit"``, ``"lost precision"``.
    column
        The canonical column concerned (or the input header for mapping problems).
    message
        What is wrong, naming rows (counted from 1, the first data row after the header) and
        values, and what to do about it.
    rows
        Every offending row number (from 1), so a program can act on them.
    """

    kind: str
    column: str
    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


class ValidationError(ValueError):
    """Raised when an input table has one or more problems; ``problems`` holds all of them."""

    def __init__(self, table: str, source: str, problems: Sequence[Problem]) -> None:
        self.table = table
        self.source = source
        self.problems = tuple(problems)
        lines = [f"{table} from {source} has {len(self.problems)} problem(s); nothing was loaded:"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, start=1)]
        super().__init__("\n".join(lines))


class UnreadableFileError(ValueError):
    """Raised when a file exists but cannot be read in the format its suffix names.

    Attributes
    ----------
    path
        The file.
    reason
        Why it cannot be read.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read {path!r}: {reason}. Export the data again from the "
                         f"program that made it, or load it yourself and pass a DataFrame.")


class UnencodableError(ValueError):
    """Raised before writing a text file whose encoding cannot hold some of its characters.

    Attributes
    ----------
    path
        The file that was not written.
    encoding
        The encoding asked for.
    cells
        ``(column, row, value)`` for each distinct value that cannot be encoded; row 0 is the
        header, data rows count from 1.
    """

    def __init__(self, path: str, encoding: str,
                 cells: Sequence[tuple[str, int, str]]) -> None:
        self.path = path
        self.encoding = encoding
        self.cells = tuple(cells)
        shown = "; ".join(
            f"column {column!r} " + (f"row {row}" if row else "header")
            + f": {value!r} (character {_first_unencodable(value, encoding)})"
            for column, row, value in self.cells[:SHOWN])
        more = f"; ... ({len(self.cells) - SHOWN} more)" if len(self.cells) > SHOWN else ""
        super().__init__(
            f"cannot write {path!r} in {encoding}: {len(self.cells)} value(s) have characters "
            f"{encoding} cannot encode: {shown}{more}. Nothing was written. GB18030 encodes "
            f"every character and Chinese Excel opens it like GBK: pass encoding='gb18030' (or "
            f"'utf-8-sig').")


def _first_unencodable(value: str, encoding: str) -> str:
    for char in value:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            return f"{char!r}, U+{ord(char):04X}"
    return "?"


def describe_rows(positions: np.ndarray) -> str:
    """'3 rows: 4, 9, 12' with at most ``SHOWN`` row numbers spelled out (from 1)."""
    count = len(positions)
    shown = ", ".join(str(int(p) + 1) for p in positions[:SHOWN])
    more = f", ... ({count - SHOWN} more)" if count > SHOWN else ""
    return f"{count} row{'s' if count != 1 else ''}: {shown}{more}"


def row_numbers(positions: np.ndarray) -> tuple[int, ...]:
    return tuple(int(p) + 1 for p in positions)


def describe_values(values: Sequence[object], limit: int = SHOWN) -> str:
    """Quoted values, at most ``limit`` of them, then a count of the rest."""
    shown = ", ".join(repr(_plain(v)) for v in values[:limit])
    more = f", ... ({len(values) - limit} more)" if len(values) > limit else ""
    return shown + more


def _plain(value: object) -> object:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value
