"""Accent-insensitive matching of Vietnamese names, so that "ha long" finds "Hạ Long".

Residents and officers often type without diacritics (on a phone without a Vietnamese keyboard,
or out of haste); searching localities, topics and units must still find the right name.
"""

from __future__ import annotations

import unicodedata

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


def without_controls(text: str) -> str:
    """Return ``text`` without its control characters (Unicode category Cc) other than tab, line
    feed and carriage return (a NUL, which PostgreSQL cannot store nor compare, or a terminal
    escape) and without bidirectional overrides and isolates. Never raises."""
    return "".join(c for c in text
                   if c in _KEPT_CONTROLS or (unicodedata.category(c) != "Cc" and c not in _BIDI_CONTROLS))


def shows_nothing(text: str) -> bool:
    """True when ``text`` has no visible character: only separators, controls and format
    characters such as zero-width spaces (which make no title)."""
    return not any(unicodedata.category(c)[0] not in "ZC" for c in text)
