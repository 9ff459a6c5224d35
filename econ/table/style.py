"""How a Word table looks: fonts, sizes and the language of its caption."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class WordStyle:
    """Fonts, sizes and caption language of a table written to Word.

    The defaults are what Chinese journals ask for and suit English ones: Chinese characters
    in SimSun (宋体), Latin letters, digits and punctuation in Times New Roman. Word picks the
    font per character from the run's East Asian and Latin font attributes, so a label mixing
    Chinese and numbers prints each script in its own font.

    Attributes
    ----------
    east_asian_font
        Font of Chinese (and other East Asian) characters: the ``w:eastAsia`` attribute.
    latin_font
        Font of Latin letters, digits and symbols: the ``w:ascii``, ``w:hAnsi`` and ``w:cs``
        attributes.
    size
        Points of the caption and the cells (10.5 pt is 五号).
    note_size
        Points of the notes under the table (9 pt is 小五).
    language
        ``"en"`` for "Table 4." captions, ``"zh"`` for "表4"; ``None`` chooses Chinese when
        the title holds Chinese characters.
    """

    east_asian_font: str = "SimSun"
    latin_font: str = "Times New Roman"
    size: float = 10.5
    note_size: float = 9.0
    language: Literal["en", "zh"] | None = None

    def __post_init__(self) -> None:
        if not (self.east_asian_font and self.latin_font):
            raise ValueError("WordStyle needs a font name for East Asian and for Latin text")
        if not (self.size > 0 and self.note_size > 0):
            raise ValueError(f"font sizes must be positive points, got {self.size} and "
                             f"{self.note_size}")
        if self.language not in (None, "en", "zh"):
            raise ValueError(f"language must be 'en', 'zh' or None, got {self.language!r}")
