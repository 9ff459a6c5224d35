"""Font subsets for PDF figures, made without the fonts' OpenType layout tables.

matplotlib embeds each font of a PDF as a TrueType (Type 42) subset of the glyphs on the page,
made with fontTools from the whole font file, layout tables included: GSUB (ligatures,
alternates), GPOS (kerning), GDEF, MATH. A PDF viewer never reads those tables. The page
content already places every glyph by its index, after matplotlib's text layout applied the
ligatures and kerning, so a subset without them draws the same page. Subsetting them is most
of the cost: fontTools decompiles DejaVu Sans' kerning lookups in full for every subset, even
for the one-glyph subset a ligature gets (the 21 subsets of the 13 replication figures took
2.0 s of CPU with the tables, 0.6 s without).

:func:`lean_subsets` hands matplotlib's own subsetter (its options, its glyph mapping) a copy
of the font file with those tables removed, made once per font and process. It replaces a
private matplotlib function, ``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``, and
only while it is in force (a figure being saved as PDF); with a matplotlib whose function is
missing or has another signature it changes nothing, and matplotlib subsets as it always did.
The subsets stay Type 42 fonts of the same glyphs with the same widths; only the embedded font
programs lose the tables and the glyphs those tables alone reached (a ligature not on the
page).
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from econ.presentation.figures.style import LOCK

#: Tables only text shaping reads (OpenType layout and its legacy kerning table): no PDF viewer
#: uses them for a font embedded in a page.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")

# What matplotlib's subsetter is called with: the font (a path carrying its face index in a
# collection) and the glyph indices.
_SIGNATURE = ("fontfile", "glyphs")


class _FontData(io.BytesIO):
    """A font file in memory, standing in for the font path matplotlib passes its subsetter,
    which reads only the file and its face index (always 0 here: a single font)."""

    face_index = 0


@lru_cache(maxsize=4)
def without_layout(path: str, face_index: int = 0) -> bytes:
    """The font file ``path`` (face ``face_index`` of a collection) without :data:`LAYOUT_TABLES`.

    Every other table is copied as it is in the file; the header's timestamp and bounding box
    are kept, so the same font always gives the same bytes.
    """
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = TTFont(path, fontNumber=face_index, lazy=True, recalcTimestamp=False,
                  recalcBBoxes=False)
    for tag in LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=False)
    font.close()
    return buffer.getvalue()


def _lean(subset: Callable[..., Any]) -> Callable[..., Any]:
    def lean_subset(fontfile: Any, glyphs: Any) -> Any:
        face = without_layout(str(fontfile), getattr(fontfile, "face_index", 0))
        return subset(_FontData(face), glyphs)

    lean_subset.lean = True  # type: ignore[attr-defined]
    return lean_subset


@contextmanager
def lean_subsets() -> Iterator[None]:
    """Within the block, matplotlib's PDF backend subsets fonts without their layout tables.

    The swap is process-wide, so the block holds the figures' style lock; a PDF another thread
    saves meanwhile gets the same lean subsets.
    """
    from matplotlib.backends import _backend_pdf_ps

    subset = getattr(_backend_pdf_ps, "get_glyphs_subset", None)
    if (subset is None or getattr(subset, "lean", False)
            or tuple(inspect.signature(subset).parameters) != _SIGNATURE):
        # Another matplotlib than the one this was written against (leave its subsetter be),
        # or a block inside another one.
        yield
        return
    with LOCK:
        _backend_pdf_ps.get_glyphs_subset = _lean(subset)
        try:
            yield
        finally:
            _backend_pdf_ps.get_glyphs_subset = subset
