"""Decide how a CSV's bytes are text: UTF-8 or GB18030 (a superset of GBK and GB2312).

Short Chinese files can be valid in both: the GBK bytes of 石山 are also the UTF-8 bytes of
'ʯɽ'. When both decodings succeed, the one whose text looks like Chinese data wins, and the
reason is kept for the load report.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

CSV_ENCODINGS = ("utf-8", "gb18030")
#: Non-ASCII characters weighed per decoding: enough to judge, cheap on a large file.
_SAMPLE = 20_000
_PUNCTUATION = frozenset("“”‘’…—–·《》【】、。，；：？！（）￥")


@dataclass(frozen=True)
class Decoded:
    """A file's text, the encoding used and why it was chosen."""

    text: str
    encoding: str
    reason: str


def decode(raw: bytes, encoding: str | None, where: str) -> Decoded:
    """Decode a CSV's bytes with ``encoding``, or detect UTF-8 (with or without BOM) or GB18030.

    Raises
    ------
    LookupError
        When ``encoding`` is not a known codec name.
    ValueError
        When ``encoding`` does not fit the bytes, or no encoding tried does.
    """
    if encoding is not None:
        return _given(raw, encoding, where)
    if raw.startswith(codecs.BOM_UTF8):
        return Decoded(_strict(raw[3:], "utf-8", where), "utf-8-sig",
                       "the file starts with a UTF-8 byte-order mark")
    if raw.isascii():
        return Decoded(raw.decode("ascii"), "utf-8", "the file is plain ASCII")
    texts = {name: _attempt(raw, name) for name in CSV_ENCODINGS}
    valid = {name: text for name, text in texts.items() if text is not None}
    if not valid:
        raise ValueError(f"cannot decode {where} as {' or '.join(CSV_ENCODINGS)}; pass "
                         f"encoding=... (for example 'big5' or 'utf-16')")
    if len(valid) == 1:
        ((name, text),) = valid.items()
        other = next(n for n in CSV_ENCODINGS if n != name)
        return Decoded(text, name, f"the file is valid {_label(name)} and not valid "
                                   f"{_label(other)}")
    scores = {name: _chinese_share(text) for name, text in valid.items()}
    # UTF-8 wins ties: random bytes are rarely valid UTF-8, so its validity is evidence too.
    chosen = max(CSV_ENCODINGS, key=lambda name: (scores[name], name == "utf-8"))
    other = next(n for n in CSV_ENCODINGS if n != chosen)
    return Decoded(valid[chosen], chosen, (
        f"the file is valid both as UTF-8 and as GB18030; {_label(chosen)} was chosen because "
        f"{scores[chosen]:.0%} of its non-ASCII characters are common Chinese characters or "
        f"punctuation, against {scores[other]:.0%} in the {_label(other)} reading (which "
        f"begins {_first_non_ascii(valid[other])!r}). Pass encoding=... if this is wrong"))


def _given(raw: bytes, encoding: str, where: str) -> Decoded:
    codecs.lookup(encoding)  # an unknown name raises Python's own LookupError
    try:
        return Decoded(raw.decode(encoding), encoding, f"given (encoding={encoding!r})")
    except UnicodeDecodeError as error:
        raise ValueError(f"cannot decode {where} as {encoding}: bytes {error.start}-{error.end} "
                         f"({error.reason}); leave encoding out to detect it") from None


def _strict(raw: bytes, name: str, where: str) -> str:
    text = _attempt(raw, name)
    if text is None:
        raise ValueError(f"cannot decode {where}: it starts with a UTF-8 byte-order mark but "
                         f"is not valid UTF-8; pass encoding=...")
    return text


def _attempt(raw: bytes, name: str) -> str | None:
    try:
        return raw.decode(name)
    except UnicodeDecodeError:
        return None


def _label(name: str) -> str:
    return {"utf-8": "UTF-8", "gb18030": "GB18030"}[name]


def _chinese_share(text: str) -> float:
    """Share of the sampled non-ASCII characters that are common hanzi or CJK punctuation.

    Common means GB2312 level 1 (the 3,755 most frequent hanzi). A GBK text misread as UTF-8
    turns into IPA and Latin letters ('ʯɽ'); a UTF-8 text misread as GB18030 into rare hanzi
    and symbols, because UTF-8 lead bytes fall in GB2312's level-2 and extension rows.
    """
    sample = _non_ascii(text)
    if not sample:
        return 0.0
    return sum(_is_common(c) for c in sample) / len(sample)


def _non_ascii(text: str) -> list[str]:
    found: list[str] = []
    for char in text:
        if ord(char) > 127:
            found.append(char)
            if len(found) == _SAMPLE:
                break
    return found


def _is_common(char: str) -> bool:
    if char in _PUNCTUATION or "\uff01" <= char <= "\uff5e" or "\u3000" <= char <= "\u303f":
        return True
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xB0 <= code[0] <= 0xD7


def _first_non_ascii(text: str) -> str:
    start = next(i for i, char in enumerate(text) if ord(char) > 127)
    return text[start:start + 12]
