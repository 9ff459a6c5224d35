"""Word (.docx): the table as a journal prints it.

- A caption above the table with its number: "Table 4." (bold) and the caption, or "表4" for a
  Chinese title or ``language="zh"``. A title carrying its own number ("Table 4b. ...",
  "表R1 ...") keeps it; any other title gets Word's own running number (a ``SEQ`` field, so
  Word renumbers the tables of a manuscript it is pasted into).
- Three-line (booktabs) rules: 1.5 pt above the header and below the last row, 0.75 pt under
  the header, and 0.5 pt rules before each panel (``Table.rules``) and the facts.
- Rows as the table has them: each estimate with what is beneath it in the next row, stars in
  superscript, notes under the table in a smaller size.
- Numbers aligned on the decimal point by a decimal tab stop in each numeric cell: Word and
  LibreOffice align a table cell's text on its decimal tab without a tab character (with one,
  LibreOffice aligns the text left at the stop instead). The stop sits where the column's
  widest aligned block is centred. Intervals and text are centred.
- Fonts on every run, not only in the styles, so a table pasted into a manuscript keeps them.
- A4 paper with 2.5 cm margins. The page turns landscape when the table does not fit across
  a portrait page (16 cm of text). Each column is as wide as its widest cell (an aligned
  column: its widest part left of the points plus its widest part right of them), estimated
  by kind of character: a Chinese character 1 em, a capital 0.72 em, "m", "w" and "%"
  0.9 em, narrow letters and punctuation 0.33 em, others 0.5 em; plus half an em of slack
  and Word's cell padding. The label column counts at no more than 15 em, because labels
  may wrap; on a page with room it widens to its longest label. A table wider than a
  landscape page wraps its labels (down to a third of the width) and then narrows every
  column.
- No timestamps: the same table gives the same bytes on every run.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Emu, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from econ.table.cells import STARRED, decimal_parts, is_chinese, title_number
from econ.table.core import Table
from econ.table.files import stable_zip
from econ.table.style import WordStyle

_PAGE = (Cm(21.0), Cm(29.7))  # A4
_MARGIN = Cm(2.5)
_PADDING = Pt(5.4)  # Word's default left and right cell margin (0.19 cm)
_LABEL_EMS = 15.0
# Room left in each column beyond the estimated text: rounding, and fonts that differ a little
# from Times New Roman and SimSun where those are substituted.
_SLACK = 0.5
# Rule widths in eighths of a point (the unit of w:sz on borders).
_HEAVY, _HEADER_RULE, _LIGHT = 12, 6, 4
# Elements that must follow w:tcBorders inside w:tcPr (the schema fixes the order).
_AFTER_BORDERS = ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                  "w:vAlign", "w:hideMark")
_FIXED_TIME = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Layout:
    """Column widths and decimal tab positions (EMU) and the page orientation."""

    widths: tuple[int, ...]
    tabs: dict[tuple[int, int], int]  # (body row, column): decimal tab of an aligned cell
    landscape: bool
    text_width: int


def render_docx(table: Table, style: WordStyle) -> bytes:
    """The Word document holding ``table``, as bytes."""
    chinese = style.language == "zh" or (style.language is None and is_chinese(table.title))
    document = Document()
    _defaults(document, style)
    layout = _layout(table, style)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if layout.landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = _PAGE[::-1] if layout.landscape else _PAGE
    section.left_margin = section.right_margin = _MARGIN
    section.top_margin = section.bottom_margin = _MARGIN
    _caption(document.add_paragraph(style="Caption"), table.title, chinese, style)
    _grid(document, table, layout, style)
    indent = max(0, (layout.text_width - sum(layout.widths)) // 2)
    for i, note in enumerate(table.notes):
        paragraph = document.add_paragraph()
        # Notes line up with the table's edges, as a threeparttable's do.
        paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = indent
        paragraph.paragraph_format.space_before = Pt(3 if i == 0 else 0)
        _run(paragraph, note, style, size=style.note_size)
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = table.title, "", ""
    properties.created = properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


def _defaults(document: DocumentObject, style: WordStyle) -> None:
    """Fonts and single spacing for text typed later next to the table; a black caption."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(run_defaults.find(qn("w:rFonts")), style)
    for tag in ("w:sz", "w:szCs"):
        run_defaults.find(qn(tag)).set(qn("w:val"), str(round(style.size * 2)))
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    caption = document.styles["Caption"]
    caption.font.bold = False
    caption.font.size = Pt(style.size)
    color = caption.element.rPr.find(qn("w:color"))
    if color is not None:
        caption.element.rPr.remove(color)


def _fonts(fonts: BaseOxmlElement, style: WordStyle) -> None:
    # Theme attributes win over named fonts in the same element, so they go.
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), style.latin_font)
    fonts.set(qn("w:eastAsia"), style.east_asian_font)


def _run(paragraph: Paragraph, text: str, style: WordStyle, *, size: float | None = None,
         bold: bool = False, superscript: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.size = Pt(size or style.size)
    run.font.bold = bold or None
    run.font.superscript = superscript or None
    _fonts(run._r.get_or_add_rPr().get_or_add_rFonts(), style)
    return run


def _caption(paragraph: Paragraph, title: str, chinese: bool, style: WordStyle) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_after = Pt(4)
    numbered = title_number(title)
    word = "表" if chinese else "Table "
    end = "" if chinese else "."
    if numbered:
        number, caption = numbered
        _run(paragraph, f"{word}{number}{end}", style, bold=True)
    else:
        caption = title
        _run(paragraph, word, style, bold=True)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f" SEQ {word.strip()} \\* ARABIC ")
        # The shown number until Word updates fields; the run moves inside the field.
        field.append(_run(paragraph, "1", style, bold=True)._r)
        paragraph._p.append(field)
        if end:
            _run(paragraph, end, style, bold=True)
    _run(paragraph, f" {caption}", style)


def _layout(table: Table, style: WordStyle) -> _Layout:
    em = Pt(style.size)

    def width(ems: float) -> int:
        return int((ems + _SLACK) * em) + 2 * _PADDING

    columns = len(table.header)
    body = (*table.header_rows, *table.rows)
    longest = max(_ems(row[0]) for row in (*body, *((f[0],) for f in table.facts)))
    sizes, blocks = [min(_LABEL_EMS, longest)], [(0.0, 0.0)]
    aligned: list[list[tuple[str, str] | None]] = [[]]
    for j in range(1, columns):
        parts = _aligned([row[j] for row in table.rows])
        found = [p for p in parts if p is not None]
        left = max((_ems(p[0]) for p in found), default=0.0)
        right = max((_ems(p[1]) for p in found), default=0.0)
        text = [row[j] for row, p in zip(table.rows, parts, strict=True) if p is None]
        widest = max(_ems(c) for c in (*(r[j] for r in table.header_rows), *text))
        sizes.append(max(left + right, widest))
        blocks.append((left, right))
        aligned.append(parts)
    widths = [width(size) for size in sizes]
    portrait = _PAGE[0] - 2 * _MARGIN
    landscape = sum(widths) > portrait
    available = (_PAGE[1] if landscape else _PAGE[0]) - 2 * _MARGIN
    # Where the page has room, long labels take it rather than wrap.
    widths[0] = max(widths[0], min(width(longest), available - sum(widths[1:])))
    if sum(widths) > available:
        # Wrap the labels first (down to a third of the page), then narrow every column.
        widths[0] = min(widths[0], max(available // 3, available - sum(widths[1:])))
        scale = min(1.0, available / sum(widths))
        widths = [int(w * scale) for w in widths]
    tabs: dict[tuple[int, int], int] = {}
    for j in range(1, columns):
        left, right = blocks[j]
        tab = max(left * em, (widths[j] - 2 * _PADDING - (left + right) * em) / 2 + left * em)
        tabs |= {(i, j): int(tab) for i, part in enumerate(aligned[j]) if part is not None}
    return _Layout(tuple(widths), tabs, landscape, int(available))


def _ems(text: str) -> float:
    """The width of ``text`` in ems, estimated by kind of character for a Times-like font.

    No font is read (the fonts need not be installed where tables are written); the classes
    err wide, and :data:`_SLACK` absorbs the rest.
    """
    total = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            total += 1.0
        elif ch in "mwMW%@":
            total += 0.9
        elif ch.isupper():
            total += 0.72
        elif ch in " ,.:;'!|()[]ijlft-":
            total += 0.33
        else:
            total += 0.5
    return total


def _aligned(cells: list[str]) -> list[tuple[str, str] | None]:
    """Each cell split at its decimal point, or ``None`` for a cell that is centred.

    Whole numbers align (on their last digit) only in a column without decimals: among
    estimates, a count of observations reads better centred than pushed left of the points.
    """
    parts = [decimal_parts(c) for c in cells]
    points = any(p is not None and p[1] for p in parts)
    return [p if p is not None and (p[1] or not points) else None for p in parts]


def _grid(document: DocumentObject, table: Table, layout: _Layout, style: WordStyle) -> None:
    heading = len(table.header_rows)
    lines = (*table.header_rows, *table.rows)
    grid = document.add_table(rows=len(lines) + len(table.facts), cols=len(table.header))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed widths: Word would otherwise re-fit the columns and move the decimal tabs.
    grid.autofit = False
    for column, width in zip(grid.columns, layout.widths, strict=True):
        column.width = Emu(width)
    # Rules by row: (above, below) in eighths of a point.
    above = {0: _HEAVY, heading: _HEADER_RULE, **{heading + r: _LIGHT for r in table.rules}}
    if table.facts:
        above[len(lines)] = _LIGHT
    last = len(grid.rows) - 1
    for i, row in enumerate(grid.rows):
        _row_properties(row._tr, header=i < heading)
        cells = row.cells
        if i >= len(lines):
            label, value = table.facts[i - len(lines)]
            cells = [cells[0], cells[1].merge(cells[-1])]
            texts: tuple[str, ...] = (label, value)
        else:
            texts = lines[i]
        widths = (layout.widths if i < len(lines)
                  else (layout.widths[0], sum(layout.widths[1:])))
        for j, (cell, text, width) in enumerate(zip(cells, texts, widths, strict=True)):
            cell.width = Emu(width)
            if i in above:
                _border(cell, "top", above[i])
            if i + 1 in above or i == last:
                _border(cell, "bottom", _HEAVY if i == last else above[i + 1])
            # Headings sit on the rule beneath them; an estimate faces its label's first line.
            cell.vertical_alignment = (WD_CELL_VERTICAL_ALIGNMENT.BOTTOM if i < heading
                                       else WD_CELL_VERTICAL_ALIGNMENT.TOP)
            paragraph = cell.paragraphs[0]
            format_ = paragraph.paragraph_format
            # A little air at each rule, as booktabs leaves.
            format_.space_before = Pt(2) if i in above else Pt(0)
            format_.space_after = Pt(2) if (i + 1 in above or i == last) else Pt(0)
            # Keeping each row with the next keeps the table on one page where it fits.
            format_.keep_with_next = i < last
            _cell_text(paragraph, text, style, tab=layout.tabs.get((i - heading, j)),
                       left=j == 0 or i >= len(lines))


def _cell_text(paragraph: Paragraph, text: str, style: WordStyle, *, tab: int | None,
               left: bool) -> None:
    if left:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    elif tab is not None:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.tab_stops.add_tab_stop(Emu(tab), WD_TAB_ALIGNMENT.DECIMAL)
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    starred = STARRED.match(text)
    if starred:
        _run(paragraph, text[: len(text) - len(starred.group("stars"))], style)
        _run(paragraph, starred.group("stars"), style, superscript=True)
    elif text:
        _run(paragraph, text, style)


def _border(cell: _Cell, edge: str, size: int) -> None:
    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        successor = next((properties.find(qn(tag)) for tag in _AFTER_BORDERS
                          if properties.find(qn(tag)) is not None), None)
        if successor is None:
            properties.append(borders)
        else:
            successor.addprevious(borders)
    line = OxmlElement(f"w:{edge}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "0"),
                       ("w:color", "000000")):
        line.set(qn(key), value)
    # w:top comes before w:bottom in the schema.
    if edge == "top":
        borders.insert(0, line)
    else:
        borders.append(line)


def _row_properties(row: BaseOxmlElement, *, header: bool) -> None:
    properties = row.get_or_add_trPr()
    # A row is never split across pages; heading rows repeat on each page of a long table.
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))
