"""LaTeX: a ``table`` float with booktabs rules and the notes in a ``threeparttable``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from econ.table.cells import STARRED

if TYPE_CHECKING:
    from econ.table.core import Table

LATEX_PREAMBLE = (r"% Needs \usepackage{booktabs,threeparttable}; Chinese text needs "
                  r"\usepackage{xeCJK} (XeLaTeX) or the ctex class.")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "²": r"\textsuperscript{2}",
                  # In the default OT1 font encoding "<" and ">" print as inverted marks and
                  # "|" as a dash (formulas such as "y ~ x | unit" reach summaries).
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
                  "×": r"\ensuremath{\times}", "≥": r"\ensuremath{\geq}",
                  "≤": r"\ensuremath{\leq}"}
# A minus sign in front of a digit (not a hyphen inside a word): typeset as a math minus.
_MINUS = re.compile(r"(?<![\w.])-(?=\d)")
# "Table 4b. Caption": a title that carries its own table number. Narrower than the Word
# caption's pattern on purpose: LaTeX output is compared byte for byte with earlier runs.
_NUMBERED = re.compile(r"^Table (?P<number>[0-9]+[A-Za-z]?)\. (?P<caption>.+)$")


def render_latex(table: Table, label: str | None) -> str:
    """The float for ``table``; see :meth:`econ.table.Table.to_latex`."""
    spec = "l" + "c" * (len(table.header) - 1)
    lines = [LATEX_PREAMBLE, r"\begin{table}[htbp]", r"\centering"]
    numbered = _NUMBERED.match(table.title)
    if numbered:
        lines += [r"\addtocounter{table}{-1}",
                  rf"\renewcommand{{\thetable}}{{{_tex(numbered.group('number'))}}}"]
    caption = numbered.group("caption") if numbered else table.title
    lines.append(rf"\caption{{{_tex(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [r"\begin{threeparttable}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines += [_tex_row(row) for row in table.header_rows]
    lines.append(r"\midrule")
    for i, row in enumerate(table.rows):
        if i in table.rules:
            lines.append(r"\midrule")
        lines.append(_tex_row(row))
    if table.facts:
        span = len(table.header) - 1
        lines.append(r"\midrule")
        lines += [rf"{_tex_cell(label)} & \multicolumn{{{span}}}{{l}}{{{_tex_cell(value)}}} \\"
                  for label, value in table.facts]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        lines += [r"\begin{tablenotes}", r"\footnotesize"]
        lines += [rf"\item {_tex(note)}" for note in table.notes]
        lines += [r"\end{tablenotes}"]
    lines += [r"\end{threeparttable}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def latex_label(name: str) -> str:
    """A LaTeX label from a file stem: letters, digits, ``-``, ``_`` and ``.`` only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def _tex(text: str) -> str:
    escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return _MINUS.sub(r"\\ensuremath{-}", escaped)


def _tex_cell(text: str) -> str:
    match = STARRED.match(text)
    if match:
        return _tex(match.group("number")) + rf"\textsuperscript{{{match.group('stars')}}}"
    return _tex(text)


def _tex_row(cells: tuple[str, ...]) -> str:
    return " & ".join(_tex_cell(c) for c in cells) + r" \\"
