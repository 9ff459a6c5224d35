"""Fonts: finding a CJK font for Chinese labels, registering a font file, the English fallback."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager, ft2font

from econ.data.figure_labels import FigureText, figure_text
from econ.presentation.figures.style import DEFAULT_FAMILY, LOCK, STYLE

CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "Hiragino Sans GB", "STHeiti", "AR PL UMing CN", "AR PL UKai CN",
    "Droid Sans Fallback", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun",
    # A .ttc collection is indexed under its first face, which is Japanese for Noto and
    # Source Han; those faces still hold the simplified characters used in the labels.
    "Noto Sans CJK JP", "Source Han Sans", "Noto Sans CJK TC", "Noto Sans CJK KR",
)
"""Families :func:`cjk_font` looks for, in order of preference."""

_FONT_FIX = ("install one (e.g. `apt install fonts-noto-cjk`, then clear matplotlib's font "
             "cache) or pass font=\"/path/to/font.otf\"")


class MissingFontWarning(UserWarning):
    """Chinese labels were asked for but no font with CJK glyphs is available."""


def cjk_font() -> str | None:
    """The first family of :data:`CJK_FAMILIES` known to matplotlib's font manager, or None.

    Fonts installed after matplotlib built its font cache are not seen until the cache is
    rebuilt (delete ``~/.cache/matplotlib``) or the file is passed to a plot as ``font=``.
    """
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


@lru_cache(maxsize=64)
def _charset(fname: str) -> frozenset[int]:
    return frozenset(ft2font.FT2Font(fname).get_charmap())


def _family_file(family: str) -> str | None:
    try:
        return font_manager.fontManager.findfont(font_manager.FontProperties(family=family),
                                                 fallback_to_default=False)
    except ValueError:
        return None


def _missing_glyphs(texts: Iterable[str], families: Sequence[str]) -> list[str]:
    """Characters of ``texts`` that none of ``families`` can draw (sorted, unique)."""
    chars = {c for text in texts for c in text if c.isprintable() and not c.isspace()}
    for family in families:
        if not chars:
            break
        fname = _family_file(family)
        if fname is not None:
            chars -= {c for c in chars if ord(c) in _charset(fname)}
    return sorted(chars)


def _looks_like_path(font: str | Path) -> bool:
    if isinstance(font, Path):
        return True
    return (os.sep in font or "/" in font
            or Path(font).suffix.lower() in {".ttf", ".otf", ".ttc", ".otc"})


def _register(font: str | Path) -> str:
    """The family name of ``font``, registering it first when it is a file."""
    if not _looks_like_path(font):
        if font not in {entry.name for entry in font_manager.fontManager.ttflist}:
            raise ValueError(f"font family {font!r} is not known to matplotlib; pass the path "
                             f"of the font file instead (font=\"/path/to/font.otf\")")
        return str(font)
    path = Path(font).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"font file {str(path)!r} not found")
    real = os.path.realpath(path)
    with LOCK:
        known = {os.path.realpath(entry.fname) for entry in font_manager.fontManager.ttflist}
        if real not in known:
            font_manager.fontManager.addfont(real)
    return ft2font.FT2Font(real).family_name


def labels_and_style(language: str, font: str | Path | None, text: FigureText,
                     user_texts: Iterable[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Labels in ``language`` (or English) and the rcParams with a font chain that draws them.

    Parameters
    ----------
    language
        ``"en"`` or ``"zh"``.
    font
        A font file or family to try first, or None.
    text
        The figure's bilingual labels (a table of :mod:`econ.data.figure_labels`).
    user_texts
        Titles, term and group names: drawn whatever the language, so they count towards
        the glyphs needed too.

    Returns
    -------
    tuple of dict and dict
        The labels to draw, and :data:`STYLE` with the font chain.

    Warns
    -----
    MissingFontWarning
        When Chinese labels were asked for but no font can draw them; English labels are
        returned instead.

    Raises
    ------
    ValueError
        On an unknown language or font family, or user text no available font can draw.
    FileNotFoundError
        When ``font`` names a file that does not exist.
    """
    labels = figure_text(text, language)
    user = [t for t in user_texts if t]
    chain = [_register(font)] if font is not None else []
    if DEFAULT_FAMILY not in chain:
        chain.append(DEFAULT_FAMILY)
    if _missing_glyphs([*labels.values(), *user], chain):
        cjk = cjk_font()
        if cjk is not None:
            # Chinese text reads best set wholly in the CJK face; English text keeps DejaVu
            # for its Latin letters and takes only the missing glyphs from the CJK font.
            lead = language == "zh" and font is None
            chain = [cjk, *chain] if lead else [*chain, cjk]
        else:
            if language != "en":
                named = f"the font {font!s} lacks Chinese glyphs" if font is not None else (
                    "no CJK font was found")
                warnings.warn(f"{named}, so labels fall back to English; to draw Chinese "
                              f"labels {_FONT_FIX}", MissingFontWarning, stacklevel=3)
                labels = figure_text(text, "en")
            absent = _missing_glyphs([*labels.values(), *user], chain)
            if absent:
                raise ValueError(f"no available font can draw {''.join(absent)!r} (in the "
                                 f"title or the term/group labels); {_FONT_FIX}")
    chain = list(dict.fromkeys(chain))
    style = {**STYLE, "font.family": chain, "font.sans-serif": chain}
    if chain[0] != DEFAULT_FAMILY and _missing_glyphs(["\u2212"], chain):
        # Several CJK fonts (SimHei among them) have no U+2212 minus sign and matplotlib falls
        # back along the chain per glyph: only when no font of the chain has it is the ASCII
        # hyphen (in every font) drawn instead of a true minus.
        style["axes.unicode_minus"] = False
    return labels, style
