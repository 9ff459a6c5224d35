"""Render a DataFrame as a publication table in Markdown, LaTeX (booktabs) and CSV.

The same numbers always render to the same bytes: fixed digits, no locale, no timestamps, so a
replication run can be compared byte for byte with the previous one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


@dataclass(frozen=True)
class Table:
    """A finished table: a title, a body of formatted cells and notes printed beneath."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

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
        rows = tuple(tuple(str(v) if label else _cell(v, digits)
                           for v, label in zip(record, is_label, strict=True))
                     for record in frame.itertuples(index=False, name=None))
        return cls(title, header, rows, tuple(notes))

    def to_markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.header) + " |",
                 "|" + "|".join(" --- " for _ in self.header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"*{note}*" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def to_latex(self) -> str:
        spec = "l" + "r" * (len(self.header) - 1)
        lines = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{_tex(self.title)}}}",
                 r"\begin{threeparttable}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                 " & ".join(_tex(h) for h in self.header) + r" \\", r"\midrule"]
        lines += [" & ".join(_tex(c) for c in row) + r" \\" for row in self.rows]
        lines += [r"\bottomrule", r"\end{tabular}"]
        if self.notes:
            lines += [r"\begin{tablenotes}", r"\footnotesize"]
            lines += [rf"\item {_tex(note)}" for note in self.notes]
            lines += [r"\end{tablenotes}"]
        lines += [r"\end{threeparttable}", r"\end{table}"]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        frame = pd.DataFrame(list(self.rows), columns=list(self.header))
        return frame.to_csv(index=False, lineterminator="\n")

    def write(self, stem: str | Path) -> list[Path]:
        """Write ``stem.md``, ``stem.tex`` and ``stem.csv`` (UTF-8); return the paths."""
        base = Path(stem)
        base.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for suffix, text in ((".md", self.to_markdown()), (".tex", self.to_latex()),
                             (".csv", self.to_csv())):
            path = base.with_suffix(suffix)
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
        return written


def _cell(value: object, digits: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.{digits}f}"
    return str(value)


def _tex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
