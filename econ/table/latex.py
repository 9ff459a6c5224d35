"""LaTeX: a ``table`` float with booktabs rules and the notes in a ``threeparttable``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from econ.table.cells import STARRED, is_chinese

if TYPE_CHECKING:
    from econ.table.core import Table

LATEX_PREAMBLE = (r"% Needs \usepackage{booktabs,threeparttable} (and graphicx for "
                  r"width='shrink', tabularx for width='tabularx'); Chinese text needs "
                  r"\usepackage{xeCJK} (XeLaTeX) or the ctex class.")
#: How a table meets the text width: as wide as its cells, scaled down only when wider than
#: the line, or with the label column wrapped in a ``tabularx`` spanning the line.
LatexWidth = Literal["natural", "shrink", "tabularx"]
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "²": r"\textsuperscript{2}",
                  # In the default OT1 font encoding "<" and ">" print as inverted marks and
                  # "|" as a dash (formulas such as "y ~ x | unit" reach summaries).
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
                  "×": r"\ensuremath{\times}", "≥": r"\ensuremath{\geq}",
                  "≤": r"\ensuremath{\leq}", "−": r"\ensuremath{-}",
                  "∞": r"\ensuremath{\infty}", "χ": r"\ensuremath{\chi}",
                  "α": r"\ensuremath{\alpha}"}
# A minus sign in front of a digit (not a hyphen inside a word): typeset as a math minus.
_MINUS = re.compile(r"(?<![\w.])-(?=\d)")
# A title that carries its own table number: "Table 4b. Caption", "表4 标题", or the number
# alone ("Table 4", "表4"), which must not become the caption "Table 1: Table 4".
_NUMBERED = (re.compile(r"^Table (?P<number>[A-Z]?[0-9]+[A-Za-z]?)(?:\. (?P<caption>.+))?$"),
             re.compile(r"^表\s*(?P<number>[A-Z]?[0-9]+[A-Za-z]?)"
                        r"(?:[\s:：.]\s*(?P<caption>.+))?$"))


def render_latex(table: Table, label: str | None, width: LatexWidth = "natural") -> str:
    """The float for ``table``; see :meth:`econ.table.Table.to_latex`."""
    if width not in ("natural", "shrink", "tabularx"):
        raise ValueError(f"width must be 'natural', 'shrink' or 'tabularx', got {width!r}")
    data = "c" * (len(table.header) - 1)
    lines = [LATEX_PREAMBLE, r"\begin{table}[htbp]", r"\centering"]
    number, caption = _number(table.title)
    if is_chinese(table.title):
        # A Chinese table is captioned 表N whatever the document's language.
        lines.append(r"\renewcommand{\tablename}{表}")
    if number is not None:
        # The title's own number replaces LaTeX's running one; hyperref names the anchor
        # after \theHtable, which would otherwise repeat for every renumbered table.
        anchor = re.sub(r"[^A-Za-z0-9.-]", "", number) + (".zh" if is_chinese(table.title)
                                                         else "")
        lines += [r"\addtocounter{table}{-1}",
                  rf"\renewcommand{{\thetable}}{{{_tex(number)}}}",
                  rf"\def\theHtable{{econ.{anchor}}}"]
    lines.append(rf"\caption{{{_tex(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    if width == "shrink":
        # Scaled to the line only when wider than it (graphicx evaluates \width). The notes
        # are scaled with the table: threeparttable sets them to the table's natural width.
        lines.append(r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}"
                     r"{!}{%")
    lines.append(r"\begin{threeparttable}")
    if width == "tabularx":
        lines.append(rf"\begin{{tabularx}}{{\linewidth}}"
                     rf"{{>{{\raggedright\arraybackslash}}X{data}}}")
    else:
        lines.append(rf"\begin{{tabular}}{{l{data}}}")
    lines.append(r"\toprule")
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
    lines.append(r"\bottomrule")
    if width == "tabularx":
        lines.append(r"\end{tabularx}")
    else:
        lines.append(r"\end{tabular}")
    if table.notes:
        lines += [r"\begin{tablenotes}", r"\footnotesize"]
        lines += [rf"\item {_tex(note)}" for note in table.notes]
        lines += [r"\end{tablenotes}"]
    lines.append(r"\end{threeparttable}" + ("}" if width == "shrink" else ""))
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def _number(title: str) -> tuple[str | None, str]:
    """``(number, caption)`` of a title; a title that is only a number keeps it as caption."""
    for pattern in _NUMBERED:
        match = pattern.match(title)
        if match:
            return match.group("number"), match.group("caption") or ""
    return None, title


def latex_label(name: str) -> str:
    """A LaTeX label from a file stem: letters, digits, ``-``, ``_`` and ``.`` only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def _tex(text: str) -> str:
    escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return _MINUS.sub(r"\\ensuremath{-}", escaped)


def _tex_cell(text: str) -> str:
    if text.startswith("  "):
        # An indented row label (under a row that names what it belongs to).
        return r"\quad " + _tex_cell(text.lstrip(" "))
    match = STARRED.match(text)
    if match:
        return _tex(match.group("number")) + rf"\textsuperscript{{{match.group('stars')}}}"
    return _tex(text)


def _tex_row(cells: tuple[str, ...]) -> str:
    row = " & ".join(_tex_cell(c) for c in cells) + r" \\"
    # After \\ or \midrule a "[" would be read as their optional argument.
    return "{}" + row if row.startswith("[") else row
