"""Word round trip: open the written .docx with python-docx and check what a reader sees."""

from __future__ import annotations

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn

import econ
from econ.table import WordStyle


def _open(table: econ.Table, tmp_path, **options):
    return docx.Document(str(table.to_docx(tmp_path / "t.docx", **options)))


def _grid_text(document) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in document.tables[0].rows]


def _borders(cell) -> dict[str, int]:
    found = cell._tc.tcPr.find(qn("w:tcBorders"))
    return {} if found is None else {edge.tag.split("}")[1]: int(edge.get(qn("w:sz")))
                                     for edge in found}


@pytest.mark.parametrize("which", ["english", "chinese", "known"])
def test_every_cell_the_caption_and_the_notes_read_back(tmp_path, request, which):
    table = request.getfixturevalue(which)
    document = _open(table, tmp_path)
    lines = [list(row) for row in (*table.header_rows, *table.rows)]
    grid = _grid_text(document)
    assert grid[:len(lines)] == lines
    # A fact's value spans the data columns (one merged cell, read once per column).
    assert [(row[0], set(row[1:])) for row in grid[len(lines):]] == [
        (label, {value}) for label, value in table.facts]
    text = table.to_text()
    assert all(cell in text for row in grid for cell in row)
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs == [table.title, *table.notes]
    assert document.paragraphs[0].style.name == "Caption"
    assert document.paragraphs[0].runs[0].bold  # "Table 4." / "表4"


def test_fonts_are_named_on_every_run_with_the_east_asian_font(tmp_path, chinese):
    document = _open(chinese, tmp_path)
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [r for row in document.tables[0].rows for c in row.cells for p in c.paragraphs
             for r in p.runs]
    assert len(runs) > 40
    for run in runs:
        fonts = run._r.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "SimSun"
        assert {fonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:cs")} == {"Times New Roman"}
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    fonts = defaults.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun" and fonts.get(qn("w:asciiTheme")) is None
    custom = _open(chinese, tmp_path, style=WordStyle(east_asian_font="KaiTi",
                                                      latin_font="Arial", size=9))
    run = custom.paragraphs[0].runs[0]
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "KaiTi"
    assert run.font.name == "Arial" and run.font.size.pt == 9


def test_three_line_rules_and_panel_rules(tmp_path, known):
    grid = _open(known, tmp_path).tables[0]
    rows = [row.cells for row in grid.rows]
    heading = len(known.header_rows)
    assert all(_borders(c) == {"top": 12} for c in rows[0])  # top rule
    assert all(_borders(c) == {"bottom": 6} for c in rows[heading - 1])  # under the header
    assert all(_borders(c) == {"top": 6} for c in rows[heading])
    assert all(_borders(c) == {"bottom": 4} for c in rows[heading + 3])  # known.rules == (4,)
    assert all(_borders(c) == {"top": 4} for c in rows[heading + 4])
    facts = heading + len(known.rows)
    assert all(_borders(c) == {"top": 4} for c in rows[facts])
    assert all(_borders(c) == {"bottom": 12} for c in rows[-1])  # bottom rule
    assert all(_borders(c) == {} for c in rows[heading + 1])
    # The schema orders a cell's properties; Word refuses a file that breaks the order.
    for row in rows:
        for cell in row:
            tags = [child.tag for child in cell._tc.tcPr]
            if qn("w:tcBorders") in tags:
                assert tags.index(qn("w:tcBorders")) < tags.index(qn("w:vAlign"))
    headers = [row._tr.trPr.find(qn("w:tblHeader")) is not None for row in grid.rows]
    assert headers == [True] * heading + [False] * (len(rows) - heading)


def test_stars_in_superscript_and_numbers_on_decimal_tabs(tmp_path, english):
    grid = _open(english, tmp_path).tables[0]
    heading = len(english.header_rows)
    estimate, beneath = grid.rows[heading].cells[1], grid.rows[heading + 1].cells[1]
    assert [(r.text, bool(r.font.superscript)) for r in estimate.paragraphs[0].runs] == [
        (english.rows[0][1].rstrip("*"), False), ("**", True)]
    tabs = [[(t.alignment, t.position) for t in cell.paragraphs[0].paragraph_format.tab_stops]
            for cell in (estimate, beneath)]
    assert tabs[0] == tabs[1] and tabs[0][0][0] == WD_TAB_ALIGNMENT.DECIMAL
    for row, cells in zip(grid.rows[heading:], english.rows, strict=False):
        for cell, text in zip(row.cells[1:], cells[1:], strict=True):
            paragraph = cell.paragraphs[0]
            if text.startswith("[") or text in ("Yes", "No", "CR1", "HC1", "4,342"):
                assert not paragraph.paragraph_format.tab_stops  # centred, not aligned
                assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_a_wide_table_turns_the_page_landscape(tmp_path, wide, english):
    section = _open(wide, tmp_path).sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    portrait = _open(english, tmp_path).sections[0]
    assert portrait.orientation == WD_ORIENT.PORTRAIT
    assert portrait.page_width < portrait.page_height


def _caption_field(document) -> tuple[str, str] | None:
    field = document.paragraphs[0]._p.find(qn("w:fldSimple"))
    if field is None:
        return None
    return field.get(qn("w:instr")), "".join(t.text for t in field.iter(qn("w:t")))


def test_captions_number_tables_in_english_and_chinese(tmp_path, fits, chinese, english):
    document = _open(chinese, tmp_path)
    assert document.paragraphs[0].runs[0].text == "表4"
    assert _caption_field(document) is None
    untitled = _open(econ.etable(list(fits[:2]), language="zh"), tmp_path)
    assert _caption_field(untitled) == (" SEQ 表 \\* ARABIC ", "1")
    assert untitled.paragraphs[0].runs[0].text == "表"
    summary = _open(fits[0].summary().to_table(), tmp_path)
    assert _caption_field(summary) == (" SEQ Table \\* ARABIC ", "1")
    assert [r.text for r in summary.paragraphs[0].runs][-2:] == [".", " OLS: y"]
    forced = _open(english, tmp_path, style=WordStyle(language="zh"))
    assert forced.paragraphs[0].text == "表4 Funds, unit level and endowment"


def test_the_same_table_gives_the_same_bytes(tmp_path, english):
    first = english.to_docx(tmp_path / "a.docx").read_bytes()
    assert english.to_docx(tmp_path / "b.docx").read_bytes() == first
    properties = docx.Document(str(tmp_path / "a.docx")).core_properties
    assert properties.title == english.title and properties.modified.year == 1980


def test_bad_styles_are_named():
    with pytest.raises(ValueError, match="font sizes must be positive"):
        WordStyle(size=0)
    with pytest.raises(ValueError, match="language must be"):
        WordStyle(language="fr")  # type: ignore[arg-type]
