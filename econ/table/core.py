"""The :class:`Table` every table of the package is, and where its formats are chosen."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from econ.table.files import write_atomic
from econ.table.latex import LatexWidth, latex_label, render_latex
from econ.table.style import WordStyle
from econ.table.text import render_csv, render_html, render_markdown, render_text

#: Formats :meth:`Table.write` knows, by file suffix.
FORMATS = ("md", "tex", "html", "csv", "txt", "docx", "xlsx")
#: What :meth:`Table.write` writes when neither it nor :func:`table_formats` is told.
DEFAULT_FORMATS = ("md", "tex", "html", "csv")
# The formats of a whole run (``econ replicate --formats``); None outside one.
_RUN_FORMATS: ContextVar[tuple[str, ...] | None] = ContextVar("econ_table_formats",
                                                              default=None)


@contextmanager
def table_formats(formats: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """Write every table in ``formats`` while the ``with`` block runs.

    Inside the block :meth:`Table.write` uses these formats even where the caller named its
    own, so one setting (``econ replicate --formats docx,xlsx``) reaches every table that a
    script writes without editing the script. The setting is a context variable: it ends with
    the block and does not leak into other threads or tasks.

    Parameters
    ----------
    formats
        File suffixes from :data:`FORMATS`.

    Examples
    --------
    >>> with table_formats(("md", "docx")):  # doctest: +SKIP
    ...     table.write("out/table4")          # writes table4.md and table4.docx
    """
    chosen = check_formats(formats)
    token = _RUN_FORMATS.set(chosen)
    try:
        yield chosen
    finally:
        _RUN_FORMATS.reset(token)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """``formats`` as a tuple, or a ``ValueError`` naming the unknown ones."""
    if isinstance(formats, str):
        raise ValueError(f"formats must be a sequence of suffixes such as ('md', 'docx'), "
                         f"not the string {formats!r}")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown table format(s) {unknown}; choose from {FORMATS}")
    if not formats:
        raise ValueError(f"no table formats given; choose from {FORMATS}")
    return tuple(formats)


@dataclass(frozen=True)
class Table:
    """A finished table: a title, header rows, a body of formatted cells and notes beneath.

    Attributes
    ----------
    title
        Caption.
    header
        Column headings (the first cell heads the label column).
    rows
        Body cells, already formatted as text.
    notes
        Printed beneath the table (a ``threeparttable`` note in LaTeX).
    rules
        Row positions before which a rule separates panels of the body (for example the
        coefficients from the fixed-effect and fit-statistic rows).
    extra_header
        Further heading rows printed under ``header`` (for example the dependent variables).
    facts
        ``(label, value)`` pairs about the whole table (formula, sample, covariance), in a panel
        under the body: the value spans the data columns (``label: value`` lines in plain
        text). Left out of the CSV, which holds the grid of cells only.
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    rules: tuple[int, ...] = ()
    extra_header: tuple[tuple[str, ...], ...] = ()
    facts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        width = len(self.header)
        ragged = [i for i, row in enumerate((*self.extra_header, *self.rows))
                  if len(row) != width]
        if ragged:
            raise ValueError(f"every row needs {width} cells like the header; rows {ragged} "
                             f"(counting heading rows first) differ")
        bad = [r for r in self.rules if not 0 < r < len(self.rows)]
        if bad:
            raise ValueError(f"rules {bad} must fall between body rows 1..{len(self.rows) - 1}")
        if self.facts and width < 2:
            raise ValueError("facts need a label column and at least one column for the value")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, title: str, notes: Sequence[str] = (),
                   digits: int = 3, index: bool = False, labels: Sequence[str] = (),
                   header: Mapping[str, str] | Callable[[str], str] | None = None,
                   pvalues: Sequence[str] = (),
                   bootstrap: Mapping[str, int] | None = None,
                   intervals: Mapping[str, str] | None = None) -> Table:
        """Format ``frame``: counts with thousands separators, other numbers to ``digits``.

        Columns in ``labels`` and, with ``index=True``, the index are printed as plain text
        (a year is 2021, not 2,021). ``header`` gives the column headings (a mapping from
        column name, or a function of it; names it does not cover are kept). Columns in
        ``pvalues`` are p-values (:func:`format_pvalue`: three decimals, ``< 0.001`` below);
        ``bootstrap`` maps a p-value column to its bootstrap replications ``B``, so that a
        p-value of 0 (no draw as extreme as the data) prints as ``< 1/B``. ``intervals``
        maps the column of an interval's lower ends to that of its upper ends: the two become
        one column ``[low, high]`` in the lower one's place, headed as the lower one.
        """
        plain = set(labels)
        if index:
            plain |= {str(n) for n in frame.index.names}
            frame = frame.reset_index()
        names = tuple(str(c) for c in frame.columns)
        reps = dict(bootstrap or {})
        pairs = dict(intervals or {})
        unknown = [c for c in (*pvalues, *reps, *pairs, *pairs.values()) if c not in names]
        if unknown:
            raise ValueError(f"column(s) {unknown} named as p-values or interval ends are not "
                             f"in the frame: {list(names)}")
        if pairs:
            frame = frame.copy()
            for low, high in pairs.items():
                frame[low] = [_interval(a, b, digits) for a, b in
                              zip(frame[low], frame[high], strict=True)]
            frame = frame.drop(columns=list(pairs.values()))
            names = tuple(str(c) for c in frame.columns)
            plain |= set(pairs)

        def show(value: object, name: str) -> str:
            if name in plain:
                return str(value)
            if name in reps or name in pvalues:
                return format_pvalue(value, reps.get(name))
            return format_number(value, digits)

        rows = tuple(tuple(show(v, name) for v, name in zip(record, names, strict=True))
                     for record in frame.itertuples(index=False, name=None))
        heading = (header if callable(header) else
                   (lambda name: (header or {}).get(name, name)))
        return cls(title, tuple(heading(n) for n in names), rows, tuple(notes))

    @property
    def header_rows(self) -> tuple[tuple[str, ...], ...]:
        """``header`` followed by ``extra_header``."""
        return (self.header, *self.extra_header)

    # renderers ---------------------------------------------------------------------------
    def to_markdown(self) -> str:
        """A pipe table under a bold title, with the notes in italics beneath.

        Facts become rows with the value in the second column: Markdown cannot span cells.
        """
        return render_markdown(self)

    def to_text(self) -> str:
        """Aligned plain text (for the console and logs)."""
        return render_text(self)

    def to_latex(self, *, label: str | None = None, width: LatexWidth = "natural") -> str:
        """A ``table`` float: booktabs rules, notes in a ``threeparttable``.

        A title that starts with its own number ("Table 4b. ...", "表4 ...", or just
        "Table 4") keeps that number in the caption (``\\thetable`` is set inside the float,
        and hyperref's anchor with it, so renumbered tables do not share one) instead of
        getting LaTeX's running number as well; a Chinese title is captioned 表N. ``label``
        adds ``\\label{label}`` for ``\\ref``.

        ``width`` is ``"natural"`` (as wide as the cells), ``"shrink"`` (scaled down to the
        line width when wider, with graphicx's ``\\resizebox``) or ``"tabularx"`` (spans
        the line; long row labels wrap; needs the tabularx package).
        """
        return render_latex(self, label, width)

    def to_html(self) -> str:
        """A self-contained ``<table>`` (caption, head, body with panel rules, notes in foot)."""
        return render_html(self)

    def to_csv(self) -> str:
        """The header and body cells (title, facts and notes are not part of the grid)."""
        return render_csv(self)

    def to_docx(self, path: str | Path, *, style: WordStyle | None = None) -> Path:
        """Write a Word document holding the table as a journal would print it; return the path.

        See :mod:`econ.table.word` for the layout (three-line rules, caption "Table N." or
        "表N", numbers aligned on the decimal point, landscape for a wide table).

        Parameters
        ----------
        path
            The ``.docx`` file; its folder must exist. Written whole or not at all.
        style
            Fonts, sizes and caption language (default :class:`WordStyle`).

        Raises
        ------
        FileNotFoundError, PermissionError
            The folder does not exist; the file is read-only or open in another program.
        """
        # python-docx and openpyxl take a quarter of a second to import: only the callers
        # who write Word or Excel files pay it, not every ``import econ``.
        from econ.table.word import render_docx

        return write_atomic(Path(path), render_docx(self, style or WordStyle()))

    def to_xlsx(self, path: str | Path, *,
                language: Literal["en", "zh"] | None = None) -> Path:
        """Write an Excel workbook: the table as shown, and its numbers as numbers; return it.

        See :mod:`econ.table.excel` for the two sheets.

        Parameters
        ----------
        path
            The ``.xlsx`` file; its folder must exist. Written whole or not at all.
        language
            Sheet names and column suffixes in English or Chinese; by default Chinese when the
            title is.

        Raises
        ------
        FileNotFoundError, PermissionError
            The folder does not exist; the file is read-only or open in another program.
        """
        from econ.table.excel import render_xlsx

        return write_atomic(Path(path), render_xlsx(self, language))

    def write(self, stem: str | Path, *, formats: Sequence[str] | None = None,
              style: WordStyle | None = None, width: LatexWidth = "natural") -> list[Path]:
        """Write ``stem.<format>`` for each format (text as UTF-8); return the paths.

        The formats are those of an enclosing :func:`table_formats` block if there is one,
        else ``formats``, else :data:`DEFAULT_FORMATS`. The folder is created if needed; each
        file is written whole or not at all. The LaTeX table gets ``\\label{tab:<stem>}``
        and ``width`` (see :meth:`to_latex`); ``style`` sets the Word document's fonts.
        """
        chosen = _RUN_FORMATS.get() or check_formats(
            DEFAULT_FORMATS if formats is None else formats)
        base = Path(stem)
        render = {"md": self.to_markdown,
                  "tex": lambda: self.to_latex(label=f"tab:{latex_label(base.name)}",
                                             width=width),
                  "html": self.to_html, "csv": self.to_csv, "txt": self.to_text}
        base.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for suffix in chosen:
            path = base.with_name(f"{base.name}.{suffix}")
            if suffix == "docx":
                self.to_docx(path, style=style)
            elif suffix == "xlsx":
                self.to_xlsx(path)
            else:
                write_atomic(path, render[suffix]().encode("utf-8"))
            written.append(path)
        return written

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def format_number(value: object, digits: int) -> str:
    """One cell: counts with thousands separators, floats to ``digits``, missing as empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.{digits}f}"
    return str(value)


def _interval(low: object, high: object, digits: int) -> str:
    ends = tuple(("−∞" if value < 0 else "∞")
                 if isinstance(value, float | np.floating) and np.isinf(value)
                 else format_number(value, digits) for value in (low, high))
    return "" if ends == ("", "") else f"[{ends[0]}, {ends[1]}]"


def format_pvalue(value: object, reps: int | None = None) -> str:
    """A p-value cell: three decimals, ``< 0.001`` below that, missing as empty.

    With ``reps`` (a bootstrap p-value from ``B = reps`` draws) a p-value of 0, which only
    says that no draw was as extreme as the data, prints as ``< 1/B``.
    """
    if value is None or value is pd.NA:
        return ""
    p = float(value)  # type: ignore[arg-type]
    if np.isnan(p):
        return ""
    if reps is not None and p == 0:
        return f"< 1/{reps}"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
