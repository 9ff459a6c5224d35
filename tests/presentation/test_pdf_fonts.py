"""PDF figures embed TrueType (Type 42) font subsets without layout tables, drawing the same page.

The reference is the PDF matplotlib writes with its own subsetter (the lean one switched off
as it is for a matplotlib it was not written for); poppler's ``pdftoppm``, ``pdftotext`` and
``pdffonts`` render and read both when installed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from econ.presentation.figures import lorenz_plot, pdf_fonts

# "ff", "fi" and "ffi" are ligature glyphs, which matplotlib puts in a subset of their own; the
# minus sign lies outside Latin-1.
TITLE = "Effects of office staffing \N{MINUS SIGN}0.5 (ffi)"
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _chart(**options):
    rng = np.random.default_rng(5)
    return lorenz_plot({"all": list(rng.gamma(2.0, size=40)), "poor": list(rng.gamma(1.0,
                                                                                    size=30))},
                       title=TITLE, simulated=True, **options)


def _font_programs(pdf: bytes) -> list[TTFont]:
    """The embedded font files: the streams matplotlib gives a /Length1 (the unpacked size)."""
    programs = []
    for match in re.finditer(rb"<<([^>]*?/Length1 \d+[^>]*?)>>\s*stream\r?\n", pdf):
        programs.append(TTFont(io.BytesIO(_unpack(pdf, match))))
    return programs


def _unpack(pdf: bytes, match: re.Match[bytes]) -> bytes:
    """The stream after ``match`` (a stream's dictionary), inflated."""
    assert b"/FlateDecode" in match.group(1)
    # A stream's /Length may be a reference to another object: inflate up to the zlib end.
    return zlib.decompressobj().decompress(pdf[match.end():])


def _save(chart, folder: Path) -> Path:
    _, pdf = chart.save(folder / "figure")
    return pdf


@pytest.fixture
def matplotlib_own(monkeypatch, tmp_path):
    """Saves a chart with matplotlib's own subsetter, as for a matplotlib of another API."""
    def save(chart):
        with monkeypatch.context() as patched:
            patched.setattr(pdf_fonts, "_SIGNATURE", ("fontfile", "characters"))
            return _save(chart, tmp_path / "matplotlib")
    return save


def test_subsets_keep_glyphs_and_widths_and_drop_only_layout_tables(tmp_path, matplotlib_own):
    lean = _save(_chart(), tmp_path / "lean").read_bytes()
    own = matplotlib_own(_chart()).read_bytes()
    lean_fonts, own_fonts = _font_programs(lean), _font_programs(own)
    # One subset of the Latin-1 characters, one of the ligatures and the minus sign.
    assert len(lean_fonts) == len(own_fonts) == 2
    for thin, full in zip(lean_fonts, own_fonts, strict=True):
        assert {"GSUB", "GPOS", "GDEF"} <= set(full.keys())
        assert set(thin.keys()) == set(full.keys()) - set(pdf_fonts.LAYOUT_TABLES)
        # Every glyph on the page is there with its outline and advance width; the full subset
        # holds more only through the layout tables (ligatures of letters on the page).
        thin_glyphs, full_glyphs = thin.getGlyphSet(), full.getGlyphSet()
        assert set(thin_glyphs) <= set(full_glyphs)
        for name in thin_glyphs:
            assert thin["hmtx"][name] == full["hmtx"][name]
            assert thin["glyf"][name].getCoordinates(thin["glyf"])[0] == \
                full["glyf"][name].getCoordinates(full["glyf"])[0]
    # The page content (what is drawn where, by glyph) is the same bytes.
    assert _pages(lean) == _pages(own)
    # The fonts are Type 42 (a TrueType font program, FontFile2), never Type 3.
    assert lean.count(b"/FontFile2") == 2 and b"/Type3" not in lean
    assert len(lean) < len(own)


def _pages(pdf: bytes) -> list[bytes]:
    """What the page draws: its content streams and the forms (markers) they use, inflated."""
    contents = [_unpack(pdf, re.search(rb"(?<!\d)%s 0 obj\s*<<([^>]*)>>\s*stream\r?\n" % number,
                                       pdf))
                for number in re.findall(rb"/Contents (\d+) 0 R", pdf)]
    forms = [_unpack(pdf, match) for match in
             re.finditer(rb"<<([^>]*?/Subtype /Form[^>]*?)>>\s*stream\r?\n", pdf)]
    assert contents and all(b" Tj" in page or b" TJ" in page for page in contents)
    return contents + forms


def test_a_repeated_save_gives_the_same_bytes(tmp_path):
    chart = _chart()
    assert _save(chart, tmp_path / "a").read_bytes() == _save(chart, tmp_path / "b").read_bytes()
    # The lean subsetter is in force only while a chart is saved.
    from matplotlib.backends import _backend_pdf_ps
    assert not getattr(_backend_pdf_ps.get_glyphs_subset, "lean", False)


def _poppler(*tools: str) -> bool:
    return all(shutil.which(tool) for tool in tools)


def _render(pdf: Path) -> bytes:
    return subprocess.run(["pdftoppm", "-r", "300", "-gray", "-singlefile", str(pdf)],
                          capture_output=True, check=True).stdout


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(not _poppler("pdftoppm", "pdftotext", "pdffonts"),
                    reason="poppler-utils not installed")
@pytest.mark.parametrize("font", ["DejaVu Sans", "Noto Sans CJK"])
def test_poppler_draws_and_reads_the_same_page(tmp_path, matplotlib_own, font):
    if font == "Noto Sans CJK":
        if not NOTO_CJK.is_file():
            pytest.skip("no Noto Sans CJK font file")
        options = {"language": "zh", "font": NOTO_CJK}
    else:
        options = {}
    lean, own = _save(_chart(**options), tmp_path / "lean"), matplotlib_own(_chart(**options))
    assert _render(lean) == _render(own)
    assert _text(lean) == _text(own)
    assert "\N{MINUS SIGN}0.5 (ffi)" in _text(lean)
    listing = subprocess.run(["pdffonts", str(lean)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert len(listing) == 2
    for line in listing:
        # name, type (CID TrueType for glyf outlines, CID Type 0C for CFF), embedded, subset.
        assert re.match(r"[A-Z]{6}\+\S+ +CID (TrueType|Type 0C)", line)
        assert line.split()[-5:-3] == ["yes", "yes"]
