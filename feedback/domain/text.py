"""Accent-insensitive matching of Vietnamese names, so that "ha long" finds "Hạ Long".

Residents and officers often type without diacritics (on a phone without a Vietnamese keyboard,
or out of haste); searching localities, topics and units must still find the right name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Đ/đ (U+0110/U+0111) have no Unicode decomposition, so NFD leaves them alone. The Icelandic
# eth Ð/ð (U+00D0/U+00F0) looks identical to Đ and is often typed for it by mistake.
_STROKED_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without diacritics and with whitespace collapsed.

    Diacritics are removed by decomposing (NFD) and dropping every combining mark, and đ/Đ
    become d: ``fold("  Đông   Triều ")`` is ``"dong trieu"``, ``fold("Hạ Long")`` is
    ``"ha long"``. Input in NFC or NFD gives the same result. Runs of any Unicode whitespace
    become one space; leading and trailing whitespace is removed. Idempotent; never raises.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKED_D).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).split())


# The marks that make a letter of its own in Vietnamese, in alphabet order within their base
# letter (a ă â, e ê, o ô ơ, u ư; đ after d), and the five tones in dictionary order (ngang first).
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}  # breve, circumflex, horn
_TONE_MARKS = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}  # huyền sắc hỏi ngã nặng
_NUMBER = re.compile(r"(\d+)")

type NameKey = tuple[tuple[str | int, ...], tuple[int, ...], tuple[int, ...], str]
# The names of a province's units, places and topics, a few thousand, each sorted on every page
# that lists them (the dashboard sorts about 280 a request): kept once computed (about 100 µs
# each, a character at a time). A key is an immutable tuple, so the cached value is shared safely.
_NAME_KEYS_KEPT = 16_384


@lru_cache(maxsize=_NAME_KEYS_KEPT)
def name_key(name: str) -> NameKey:
    """The sort key of a name as a Vietnamese reader looks it up, the one key of every list of names.

    First the name folded (``fold``: no case, no diacritics, đ as d) with its numbers as numbers,
    so that "Đông Triều" comes between "Đầm Hà" and "Hạ Long" (code points put Đ after Z and "Ủy
    ban" after every unaccented name) and "Tổ 2" before "Tổ 10"; among names that fold alike, the
    letters (a ă â, d đ, e ê, o ô ơ, u ư), then the tones (ngang, huyền, sắc, hỏi, ngã, nặng),
    then the name itself (NFC), so that the order is total and stable. Never raises.
    """
    folded = fold(name)
    parts = _NUMBER.split(folded)
    primary = tuple(int(part) if index % 2 else part for index, part in enumerate(parts))
    letters: list[int] = []
    tones: list[int] = []
    composed = unicodedata.normalize("NFC", name)
    for char in composed.casefold():
        if char.isspace():
            continue
        marks = unicodedata.normalize("NFD", char)[1:]
        letters.append(1 if char in "đð" else max((_LETTER_MARKS.get(m, 0) for m in marks), default=0))
        tones.append(max((_TONE_MARKS.get(m, 0) for m in marks), default=0))
    return primary, tuple(letters), tuple(tones), composed


@lru_cache(maxsize=_NAME_KEYS_KEPT)
def place_key(name: str, kind: str | None) -> NameKey:
    """``name_key`` of a locality's name without its leading kind word ("Phường Hà Tu" under H,
    "Xã Đầm Hà" under Đ): the kind is not what people look for. Never raises."""
    if kind and fold(name).startswith(fold(kind) + " "):
        return name_key(name[len(kind):])
    return name_key(name)


def matches(query: str, name: str) -> bool:
    """Tell whether every word of ``query`` occurs in ``name``, ignoring case and diacritics.

    Words are compared after ``fold`` and may occur anywhere in the name, in any order and as
    part of a longer word (``"ha lo"`` matches ``"Thành phố Hạ Long"``), so that the list
    narrows while the user is still typing. A query with no words matches every name.
    Never raises.
    """
    folded_name = fold(name)
    return all(word in folded_name for word in fold(query).split())


# Control characters a typed text keeps: the tabs and line ends a textarea sends.
_KEPT_CONTROLS = frozenset("\t\n\r")
# Bidirectional embeddings, overrides and isolates: they reorder how the text around them is shown,
# so that a reader would see the letters otherwise than they were typed (U+202E turns "gpj.exe"
# around).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# What ``without_controls`` drops, as one character class: category Cc is exactly U+0000–U+001F
# and U+007F–U+009F (fixed by Unicode's stability policy; a test checks every code point), less
# the kept ones, and the bidirectional controls. One ``re.sub`` instead of a category lookup per
# character: a 5,000-character body cost about 1 ms of a submission's CPU (issue #11).
_DROPPED = re.compile("[" + "".join(
    re.escape(chr(c)) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in _KEPT_CONTROLS)
    + "".join(sorted(_BIDI_CONTROLS)) + "]")


def without_controls(text: str) -> str:
    """Return ``text`` without its control characters (Unicode category Cc) other than tab, line
    feed and carriage return (a NUL, which PostgreSQL cannot store nor compare, or a terminal
    escape) and without bidirectional overrides and isolates. Never raises."""
    return _DROPPED.sub("", text)


def shows_nothing(text: str) -> bool:
    """True when ``text`` has no visible character: only separators, controls and format
    characters such as zero-width spaces (which make no title)."""
    return not any(unicodedata.category(c)[0] not in "ZC" for c in text)
