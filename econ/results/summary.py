"""A regression summary with text, HTML and LaTeX forms, built from plain rows."""

from __future__ import annotations

import html
from dataclasses import dataclass

_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
        "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def tex(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Summary:
    """Title, model facts (label, value) and a coefficient table of formatted strings."""

    title: str
    facts: tuple[tuple[str, str], ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        widths = [max(len(r[j]) for r in (self.header, *self.rows))
                  for j in range(len(self.header))]

        def line(cells: tuple[str, ...]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
            return "  ".join([first, *rest])

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        facts = [f"{k}: {v}" for k, v in self.facts]
        body = [line(self.header), rule, *(line(r) for r in self.rows)]
        return "\n".join([self.title, "=" * len(self.title), *facts, "", *body, rule,
                          *self.notes]) + "\n"

    def as_html(self) -> str:
        facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                        for k, v in self.facts)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        notes = "".join(f"<p><em>{html.escape(n)}</em></p>" for n in self.notes)
        return (f"<div><h4>{html.escape(self.title)}</h4><table>{facts}</table>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"{notes}</div>")

    def as_latex(self) -> str:
        spec = "l" + "r" * (len(self.header) - 1)
        lines = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{tex(self.title)}}}",
                 rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                 " & ".join(tex(h) for h in self.header) + r" \\", r"\midrule",
                 *(" & ".join(tex(c) for c in row) + r" \\" for row in self.rows),
                 r"\midrule",
                 *(rf"\multicolumn{{{len(self.header)}}}{{l}}{{{tex(k)}: {tex(v)}}} \\"
                   for k, v in self.facts),
                 r"\bottomrule", r"\end{tabular}"]
        lines += [rf"\par\footnotesize {tex(n)}" for n in self.notes]
        lines.append(r"\end{table}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


class SummaryDisplay:
    """Text ``repr`` and Jupyter HTML from the class's ``summary()``.

    Dataclasses using it must pass ``repr=False`` so that the generated ``__repr__`` does not
    replace this one.
    """

    def __repr__(self) -> str:
        return self.summary().as_text()  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return self.summary().as_html()  # type: ignore[attr-defined]
