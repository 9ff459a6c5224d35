"""What a formatted cell or title says: stars, numbers, intervals, a table number, a script.

The writers of every format read cells through these helpers, so a cell that is an estimate
with stars in LaTeX is the same estimate with stars in Word and the same number in Excel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A number as the package prints one: optional minus, thousands separators, decimals.
_NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: A number, possibly signed and followed by significance stars, as a whole cell.
STARRED = re.compile(r"^(?P<number>-?[\d,]*\.?\d+)(?P<stars>\*+)$")
_FORMS = (
    # estimate, count, statistic or p-value, possibly starred: "1.674**", "4,342", "0.026"
    re.compile(rf"(?P<value>{_NUMBER})(?P<stars>\*+)?"),
    # what is printed beneath an estimate: "(0.659)"
    re.compile(rf"\((?P<value>{_NUMBER})\)(?P<stars>\*+)?"),
    # an interval: "[0.328, 3.019]"
    re.compile(rf"\[(?P<low>{_NUMBER}),\s*(?P<high>{_NUMBER})\]"),
    # a bound: "< 0.001"
    re.compile(rf"(?P<bound>[<>]=?|[≤≥])\s*(?P<value>{_NUMBER})"),
)
# "Table 4b. Caption", "Table R1. Caption", "表4 标题", "表R1 标题": a title carrying its number.
_TITLE_NUMBER = (re.compile(r"^Table\s+(?P<number>[A-Z]?\d+[A-Za-z]?)\.\s+(?P<caption>.+)$"),
                 re.compile(r"^表\s*(?P<number>[A-Z]?\d+[A-Za-z]?)[\s:：.]\s*(?P<caption>.+)$"))


@dataclass(frozen=True)
class Number:
    """The numbers in one cell, as printed (rounded to the cell's digits).

    Attributes
    ----------
    value
        The number (``None`` for an interval).
    low, high
        The bounds of an interval (``None`` otherwise).
    stars
        Count of significance stars (0 without).
    bound
        ``"<"`` or ``">"`` (or ``"<="`` ...) when the cell says the value is below or above
        the number ("< 0.001"), else ``""``.
    decimals
        Digits after the decimal point as printed.
    grouped
        Whether thousands were separated by commas.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    stars: int = 0
    bound: str = ""
    decimals: int = 0
    grouped: bool = False


def parse_number(text: str) -> Number | None:
    """The numbers a cell holds, or ``None`` when it is text (or empty)."""
    text = text.strip()
    for form in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        found = match.groupdict()
        numbers = [found[key] for key in ("value", "low", "high") if found.get(key)]
        return Number(
            value=_float(found.get("value")), low=_float(found.get("low")),
            high=_float(found.get("high")), stars=len(found.get("stars") or ""),
            bound=found.get("bound") or "",
            decimals=max(len(n.partition(".")[2]) for n in numbers),
            grouped=any("," in n for n in numbers))
    return None


def _float(text: str | None) -> float | None:
    return None if text is None else float(text.replace(",", ""))


def decimal_parts(text: str) -> tuple[str, str] | None:
    """``text`` split before its decimal point, for aligning a column on the point.

    Single numbers only (an estimate with stars, what is printed beneath it, a bound); an
    integer splits at its end. ``None`` for intervals and text, which are centred instead.
    """
    number = parse_number(text)
    if number is None or number.value is None:
        return None
    point = text.find(".")
    return (text, "") if point < 0 else (text[:point], text[point:])


def title_number(title: str) -> tuple[str, str] | None:
    """``(number, caption)`` when a title starts with its own table number."""
    for pattern in _TITLE_NUMBER:
        match = pattern.match(title)
        if match:
            return match.group("number"), match.group("caption")
    return None


def is_chinese(text: str) -> bool:
    """Whether ``text`` holds any CJK ideograph (a Chinese title gets a Chinese caption)."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
