"""The text formats: Markdown, aligned plain text, HTML and CSV."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from econ.table.cells import display_width

if TYPE_CHECKING:
    from econ.table.core import Table


def render_markdown(table: Table) -> str:
    """A pipe table under a bold title, with the notes in italics beneath.

    Facts become rows with the value in the second column: Markdown cannot span cells.
    """
    padding = ("",) * (len(table.header) - 2)
    facts = tuple((label, value, *padding) for label, value in table.facts)
    lines = [f"**{table.title}**", "", _md_row(table.header),
             "|" + "|".join(" --- " for _ in table.header) + "|"]
    lines += [_md_row(row) for row in (*table.extra_header, *table.rows, *facts)]
    lines += [""] + [f"*{_md_escape(note)}*" for note in table.notes]
    return "\n".join(lines).rstrip() + "\n"


def render_text(table: Table) -> str:
    """Aligned plain text (for the console and logs)."""
    body = (*table.header_rows, *table.rows)
    widths = [max(display_width(r[j]) for r in body) for j in range(len(table.header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0] + " " * (widths[0] - display_width(cells[0]))
        rest = (" " * (w - display_width(c)) + c
                for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    thin = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [table.title, "=" * len(thin), *(line(r) for r in table.header_rows), thin]
    for i, row in enumerate(table.rows):
        if i in table.rules:
            lines.append(thin)
        lines.append(line(row))
    if table.facts:
        lines += [thin, *(f"{label}: {value}" for label, value in table.facts)]
    lines += ["=" * len(thin), *table.notes]
    return "\n".join(lines) + "\n"


def render_html(table: Table) -> str:
    """A self-contained ``<table>`` (caption, head, body with panel rules, notes in foot)."""
    e = html.escape
    width = len(table.header)
    head = "".join("<tr>" + "".join(f"<th>{e(c)}</th>" for c in row) + "</tr>"
                   for row in table.header_rows)
    body = []
    for i, row in enumerate(table.rows):
        style = ' style="border-top: 1px solid"' if i in table.rules else ""
        cells = [f'<th style="text-align: left">{e(row[0])}</th>',
                 *(f"<td>{e(c)}</td>" for c in row[1:])]
        body.append(f"<tr{style}>" + "".join(cells) + "</tr>")
    for i, (label, value) in enumerate(table.facts):
        style = ' style="border-top: 1px solid"' if i == 0 else ""
        body.append(f'<tr{style}><th style="text-align: left">{e(label)}</th>'
                    f'<td colspan="{width - 1}" style="text-align: left">{e(value)}</td></tr>')
    foot = "".join(f'<tr><td colspan="{width}" style="text-align: left">'
                   f"<em>{e(note)}</em></td></tr>" for note in table.notes)
    return ('<table class="econ-table" style="border-collapse: collapse; '
            'border-top: 2px solid; border-bottom: 2px solid; text-align: center">\n'
            f"<caption>{e(table.title)}</caption>\n"
            f'<thead style="border-bottom: 1px solid">{head}</thead>\n'
            f"<tbody>\n" + "\n".join(body) + "\n</tbody>\n"
            + (f"<tfoot>{foot}</tfoot>\n" if foot else "") + "</table>\n")


def render_csv(table: Table) -> str:
    """The header and body cells (title, facts and notes are not part of the grid)."""
    frame = pd.DataFrame(list(table.rows), columns=list(table.header))
    return frame.to_csv(index=False, lineterminator="\n")


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|").replace("*", r"\*")


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md_escape(c) for c in cells) + " |"
