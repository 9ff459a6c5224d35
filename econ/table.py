"""Render a finished table as LaTeX (booktabs), HTML, Markdown, plain text and CSV.

This is the package's only table writer: result summaries (``econ.results``) and the paper
tables (``econ.presentation``) both render through :class:`Table`, so a character is escaped
the same way wherever it is printed. It therefore imports nothing from the rest of ``econ``.

The same numbers always render to the same bytes: fixed digits, no locale, no timestamps, so a
replication run can be compared byte for byte with the previous one.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "²": r"\textsuperscript{2}",
                  # In the default OT1 font encoding "<" and ">" print as inverted marks and
                  # "|" as a dash (formulas such as "y ~ x | unit" reach summaries).
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
                  "×": r"\ensuremath{\times}", "≥": r"\ensuremath{\geq}",
                  "≤": r"\ensuremath{\leq}"}
# A number, possibly signed and followed by significance stars, as a whole cell.
_STARRED = re.compile(r"^(?P<number>-?[\d,]*\.?\d+)(?P<stars>\*+)$")
# A minus sign in front of a digit (not a hyphen inside a word): typeset as a math minus.
_MINUS = re.compile(r"(?<![\w.])-(?=\d)")
# "Table 4b. Caption": a title that carries its own table number.
_NUMBERED = re.compile(r"^Table (?P<number>[0-9]+[A-Za-z]?)\. (?P<caption>.+)$")

#: Formats :meth:`Table.write` knows, by file suffix.
FORMATS = ("md", "tex", "html", "csv", "txt")
LATEX_PREAMBLE = (r"% Needs \usepackage{booktabs,threeparttable}; Chinese text needs "
                  r"\usepackage{xeCJK} (XeLaTeX) or the ctex class.")


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
                   digits: int = 3, index: bool = False, labels: Sequence[str] = ()) -> Table:
        """Format ``frame``: counts with thousands separators, other numbers to ``digits``.

        Columns in ``labels`` and, with ``index=True``, the index are printed as plain text
        (a year is 2021, not 2,021).
        """
        plain = set(labels)
        if index:
            plain |= {str(n) for n in frame.index.names}
            frame = frame.reset_index()
        header = tuple(str(c) for c in frame.columns)
        is_label = [name in plain for name in header]
        rows = tuple(tuple(str(v) if label else format_number(v, digits)
                           for v, label in zip(record, is_label, strict=True))
                     for record in frame.itertuples(index=False, name=None))
        return cls(title, header, rows, tuple(notes))

    # renderers ---------------------------------------------------------------------------
    def to_markdown(self) -> str:
        """A pipe table under a bold title, with the notes in italics beneath.

        Facts become rows with the value in the second column: Markdown cannot span cells.
        """
        lines = [f"**{self.title}**", "", _md_row(self.header),
                 "|" + "|".join(" --- " for _ in self.header) + "|"]
        lines += [_md_row(row) for row in (*self.extra_header, *self.rows, *self._fact_rows)]
        lines += [""] + [f"*{_md_escape(note)}*" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def to_text(self) -> str:
        """Aligned plain text (for the console and logs)."""
        body = (self.header, *self.extra_header, *self.rows)
        widths = [max(_width(r[j]) for r in body) for j in range(len(self.header))]

        def line(cells: tuple[str, ...]) -> str:
            first = cells[0] + " " * (widths[0] - _width(cells[0]))
            rest = (" " * (w - _width(c)) + c for c, w in zip(cells[1:], widths[1:], strict=True))
            return "  ".join([first, *rest]).rstrip()

        thin = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [self.title, "=" * len(thin), *(line(r) for r in self.header_rows), thin]
        for i, row in enumerate(self.rows):
            if i in self.rules:
                lines.append(thin)
            lines.append(line(row))
        if self.facts:
            lines += [thin, *(f"{label}: {value}" for label, value in self.facts)]
        lines += ["=" * len(thin), *self.notes]
        return "\n".join(lines) + "\n"

    def to_latex(self, *, label: str | None = None) -> str:
        """A ``table`` float: booktabs rules, notes in a ``threeparttable``.

        A title that starts with its own number ("Table 4b. ...") keeps that number in the
        caption (``\\thetable`` is set inside the float) instead of getting LaTeX's running
        number as well; ``label`` adds ``\\label{label}`` for ``\\ref``.
        """
        spec = "l" + "c" * (len(self.header) - 1)
        lines = [LATEX_PREAMBLE, r"\begin{table}[htbp]", r"\centering"]
        numbered = _NUMBERED.match(self.title)
        if numbered:
            lines += [r"\addtocounter{table}{-1}",
                      rf"\renewcommand{{\thetable}}{{{_tex(numbered.group('number'))}}}"]
        caption = numbered.group("caption") if numbered else self.title
        lines.append(rf"\caption{{{_tex(caption)}}}")
        if label:
            lines.append(rf"\label{{{label}}}")
        lines += [r"\begin{threeparttable}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
        lines += [_tex_row(row) for row in self.header_rows]
        lines.append(r"\midrule")
        for i, row in enumerate(self.rows):
            if i in self.rules:
                lines.append(r"\midrule")
            lines.append(_tex_row(row))
        if self.facts:
            span = len(self.header) - 1
            lines.append(r"\midrule")
            lines += [rf"{_tex_cell(label)} & \multicolumn{{{span}}}{{l}}{{{_tex_cell(value)}}} \\"
                      for label, value in self.facts]
        lines += [r"\bottomrule", r"\end{tabular}"]
        if self.notes:
            lines += [r"\begin{tablenotes}", r"\footnotesize"]
            lines += [rf"\item {_tex(note)}" for note in self.notes]
            lines += [r"\end{tablenotes}"]
        lines += [r"\end{threeparttable}", r"\end{table}"]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """A self-contained ``<table>`` (caption, head, body with panel rules, notes in foot)."""
        e = html.escape
        width = len(self.header)
        head = "".join("<tr>" + "".join(f"<th>{e(c)}</th>" for c in row) + "</tr>"
                       for row in self.header_rows)
        body = []
        for i, row in enumerate(self.rows):
            style = ' style="border-top: 1px solid"' if i in self.rules else ""
            cells = [f'<th style="text-align: left">{e(row[0])}</th>',
                     *(f"<td>{e(c)}</td>" for c in row[1:])]
            body.append(f"<tr{style}>" + "".join(cells) + "</tr>")
        for i, (label, value) in enumerate(self.facts):
            style = ' style="border-top: 1px solid"' if i == 0 else ""
            body.append(f'<tr{style}><th style="text-align: left">{e(label)}</th>'
                        f'<td colspan="{width - 1}" style="text-align: left">{e(value)}</td></tr>')
        foot = "".join(f'<tr><td colspan="{width}" style="text-align: left">'
                       f"<em>{e(note)}</em></td></tr>" for note in self.notes)
        return ('<table class="econ-table" style="border-collapse: collapse; '
                'border-top: 2px solid; border-bottom: 2px solid; text-align: center">\n'
                f"<caption>{e(self.title)}</caption>\n"
                f'<thead style="border-bottom: 1px solid">{head}</thead>\n'
                f"<tbody>\n" + "\n".join(body) + "\n</tbody>\n"
                + (f"<tfoot>{foot}</tfoot>\n" if foot else "") + "</table>\n")

    def to_csv(self) -> str:
        """The header and body cells (title, facts and notes are not part of the grid)."""
        frame = pd.DataFrame(list(self.rows), columns=list(self.header))
        return frame.to_csv(index=False, lineterminator="\n")

    @property
    def header_rows(self) -> tuple[tuple[str, ...], ...]:
        """``header`` followed by ``extra_header``."""
        return (self.header, *self.extra_header)

    @property
    def _fact_rows(self) -> tuple[tuple[str, ...], ...]:
        padding = ("",) * (len(self.header) - 2)
        return tuple((label, value, *padding) for label, value in self.facts)

    def write(self, stem: str | Path, *, formats: Sequence[str] = ("md", "tex", "html", "csv")
              ) -> list[Path]:
        """Write ``stem.<format>`` for each of ``formats`` (UTF-8); return the paths.

        The LaTeX table gets ``\\label{tab:<stem>}``.
        """
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown table format(s) {unknown}; choose from {FORMATS}")
        base = Path(stem)
        render = {"md": self.to_markdown,
                  "tex": lambda: self.to_latex(label=f"tab:{_label(base.name)}"),
                  "html": self.to_html, "csv": self.to_csv, "txt": self.to_text}
        base.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for suffix in formats:
            path = base.with_name(f"{base.name}.{suffix}")
            path.write_text(render[suffix](), encoding="utf-8", newline="\n")
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


def _label(name: str) -> str:
    """A LaTeX label from a file stem: letters, digits, ``-``, ``_`` and ``.`` only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|").replace("*", r"\*")


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md_escape(c) for c in cells) + " |"


def _tex(text: str) -> str:
    escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return _MINUS.sub(r"\\ensuremath{-}", escaped)


def _tex_cell(text: str) -> str:
    match = _STARRED.match(text)
    if match:
        return _tex(match.group("number")) + rf"\textsuperscript{{{match.group('stars')}}}"
    return _tex(text)


def _tex_row(cells: tuple[str, ...]) -> str:
    return " & ".join(_tex_cell(c) for c in cells) + r" \\"
