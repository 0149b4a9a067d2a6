"""Tracking codes given to residents, and the secret token that lets them act on their item.

Canonical form: ``<PREFIX>-<YY>-<NNNNNN>-<C>``, e.g. ``QN-26-000123-K``.

- PREFIX: 2 to 4 letters A-Z, configured per deployment (the province short code).
- YY: the year of receipt modulo 100; codes cover the years 2000 to 2099.
- NNNNNN: the sequence number, zero-padded to 6 digits; a larger number simply uses more
  digits, never with a leading zero.
- C: the check character, drawn from ``CHECK_ALPHABET``.

The kind of the item is deliberately not part of the code: a mixed submission is split and an
item can be re-classified, and a code, once printed on a receipt, never changes.

Check character
---------------
``CHECK_ALPHABET`` is ``23456789ABCDEFGHJKMNPQRSTUVWXYZ``: the 31 digits and capital letters
left after removing 0, O, 1, I and L, which are confused when read aloud, handwritten or
printed in small type. Its size 31 is prime, which is what makes the guarantees below hold.

The payload is the code without dashes and without the check character (``QN26000123``); each
character has its base-36 value (0-9 → 0-9, A-Z → 10-35). Counting positions from the right,
with the check character at position 0, position k has the weight 13^k mod 31, and the check
character is chosen so that the weighted sum of all values (the check character counts as its
index in the alphabet) is 0 modulo 31, in the manner of the ISO 7064 pure systems.

Because 31 is prime, every weight is non-zero and 13 is a primitive root modulo 31, so the
weights of any two positions less than 30 apart differ. In the canonical form, where each
position holds either a letter (values 10-35) or a digit (0-9), this detects:

- every single-character substitution (two letters or two digits never differ by 31); a letter
  put where a digit belongs, or the reverse, or a character put in place of a dash, is
  rejected as malformed before the check is even computed;
- every transposition of two differing characters of the same group, adjacent or not, and
  every transposition involving a dash (the result is malformed).

Input without any separator (``QN26000123K``) is also accepted, because dashes get lost when a
code is copied from an SMS. There the boundary between PREFIX and YY is only known from the
first digit, so a letter V, W, X, Y or Z turned into 0, 1, 2, 3 or 4 (values equal modulo 31)
at that boundary can go unnoticed — only for prefixes of 3-4 letters or sequence numbers of 7
digits or more. This is a limit of any single check character over an alphabet smaller than
the 36 letters and digits, not a defect of the weights; the canonical form has no such gap.

Zeros typed in front of a six-digit sequence number are dropped (``QN2600000017`` means
``QN-26-000001-7``): counting a run of zeros is where people slip. This costs the guarantee in
one place only, and only once a deployment's yearly sequence passes a million: the first digit
of a seven-digit number mistyped as 0 is then read as a six-digit number, which the check
catches in 30 of 31 cases instead of always. Longer numbers keep their one spelling.

Secret token
------------
The resident acts on an item (rates, reopens, adds information) through a link holding a random
token. Only the token's SHA-256 digest is stored, so a database leak does not hand out links.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from feedback.domain.status import Kind

CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_MODULUS = len(CHECK_ALPHABET)  # 31, prime
_WEIGHT_BASE = 13  # a primitive root modulo 31
_CHECK_INDEX = {c: i for i, c in enumerate(CHECK_ALPHABET)}

_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_MIN_PREFIX, _MAX_PREFIX = 2, 4
_MIN_SEQUENCE_DIGITS = 6
_FIRST_YEAR, _LAST_YEAR = 2000, 2099

# Inside a separated numeric group a letter can only be a misread digit; outside it (or in a
# code typed without separators, where an O might belong to the prefix) nothing is guessed.
_LOOK_ALIKE_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Hyphen-minus, the Unicode hyphens and dashes, the minus sign, and whitespace all separate
# groups; a run of them counts as one separator.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


# Luật Tố cáo 2018 Art. 9(1)(b) and Chapter VI protect the denouncer's identity; a complainant is
# just as exposed in a small village. Anyone holding (or guessing) the code of such an item sees
# only its status and unit; kind, topic, place, times and the timeline need the secret link.
PROTECTED_KINDS = frozenset({Kind.COMPLAINT, Kind.DENUNCIATION})


def details_are_public(kind: Kind) -> bool:
    """Tell whether anyone with the code may see the item's kind, topic, place, times and timeline.

    False for complaints and denunciations (``PROTECTED_KINDS``): their public page shows only
    the status and the unit. Never raises.
    """
    return kind not in PROTECTED_KINDS


class InvalidCodeReason(StrEnum):
    """Why a text is not a valid tracking code."""

    MALFORMED = "malformed"  # not shaped like a code at all
    BAD_CHECK = "bad_check"  # shaped like a code, but the last character does not match


class InvalidCode(ValueError):
    """Raised when a text is not a valid tracking code; ``reason`` says which way it fails."""

    def __init__(self, reason: InvalidCodeReason) -> None:
        super().__init__(f"invalid tracking code: {reason.value}")
        self.reason = reason


@dataclass(frozen=True)
class ParsedCode:
    """The parts of a valid tracking code. ``year`` is the full year (2000-2099)."""

    prefix: str
    year: int
    sequence: int
    check: str

    @property
    def canonical(self) -> str:
        """The code in canonical form, e.g. ``QN-26-000123-K``."""
        return _format(self.prefix, self.year, self.sequence, self.check)


def make_code(prefix: str, year: int, sequence: int) -> str:
    """Return the canonical tracking code for item number ``sequence`` received in ``year``.

    ``prefix`` must be 2-4 capital letters A-Z, ``year`` within 2000-2099 and ``sequence`` a
    non-negative integer. Deterministic: the same arguments always give the same code, and
    ``parse_code(make_code(p, y, s))`` gives back ``p``, ``y`` and ``s``. Raises ``ValueError``
    for arguments outside these ranges (a configuration or programming error, not user input).
    """
    if not _is_prefix(prefix):
        raise ValueError(f"prefix must be {_MIN_PREFIX}-{_MAX_PREFIX} letters A-Z, got {prefix!r}")
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(f"year must be within {_FIRST_YEAR}-{_LAST_YEAR}, got {year}")
    if sequence < 0:
        raise ValueError(f"sequence must not be negative, got {sequence}")
    return _format(prefix, year, sequence, _check_character(prefix, year, sequence))


def parse_code(text: str) -> ParsedCode:
    """Parse a tracking code as typed by a person and verify its check character.

    Tolerated: surrounding and inner whitespace, lower case, full-width characters, any run of
    dashes or spaces as a separator, no separators at all (``qn26000123k``), extra zeros in
    front of a six-digit sequence number (``QN-26-0000123-K``), and, inside the separated YY
    and NNNNNN groups, the letters O, I and L read as 0, 1 and 1. A code split into two or three
    groups is refused: a lost or added separator may hide a mistyped character.

    Raises ``InvalidCode`` with reason ``MALFORMED`` when the text does not have the shape of a
    code (wrong number of groups, wrong lengths, a letter among digits, a sequence number with
    a superfluous leading zero, ...), and with reason ``BAD_CHECK`` when it has the shape but the
    last character is not the check character of the rest (including a last character that is
    not in ``CHECK_ALPHABET``, such as 0 or O).
    """
    text = unicodedata.normalize("NFKC", text).upper()
    groups = [group for group in _SEPARATORS.split(text) if group]
    if len(groups) == 4:
        prefix, year_text, sequence_text, check = groups
        year_text = year_text.translate(_LOOK_ALIKE_DIGITS)
        sequence_text = sequence_text.translate(_LOOK_ALIKE_DIGITS)
    elif len(groups) == 1:
        prefix, year_text, sequence_text, check = _split_compact(groups[0])
    else:
        raise InvalidCode(InvalidCodeReason.MALFORMED)
    sequence_text = _drop_extra_zeros(sequence_text)

    if not (
        _is_prefix(prefix)
        and _is_digits(year_text)
        and len(year_text) == 2
        and _is_digits(sequence_text)
        and len(sequence_text) >= _MIN_SEQUENCE_DIGITS
        # one number, one spelling: a number longer than six digits never carries extra zeros
        and (len(sequence_text) == _MIN_SEQUENCE_DIGITS or sequence_text[0] != "0")
        and len(check) == 1
        and (check in _LETTERS or check in _DIGITS)
    ):
        raise InvalidCode(InvalidCodeReason.MALFORMED)

    year = _FIRST_YEAR + int(year_text)
    sequence = int(sequence_text)
    if check != _check_character(prefix, year, sequence):
        raise InvalidCode(InvalidCodeReason.BAD_CHECK)
    return ParsedCode(prefix=prefix, year=year, sequence=sequence, check=check)


def normalise_code(text: str) -> str:
    """Return the canonical form of a typed tracking code, e.g. ``" qn-26-000123-k "`` → ``QN-26-000123-K``.

    Same tolerance as ``parse_code``; raises ``InvalidCode`` (``MALFORMED`` or ``BAD_CHECK``)
    exactly when ``parse_code`` does.
    """
    return parse_code(text).canonical


def new_secret_token() -> str:
    """Return a fresh random URL-safe token (256 bits from ``secrets``) for the resident's link.

    Never raises. Store only ``hash_token(token)``; show the token once, to the resident.
    """
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 digest of ``token`` (UTF-8) as 64 lower-case hex digits.

    Deterministic. Raises ``UnicodeEncodeError`` only for a string that is not valid Unicode
    text (a lone surrogate), which no token from ``new_secret_token`` contains.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Tell whether ``token`` is the token whose digest ``token_hash`` was stored.

    The comparison takes the same time wherever the digests differ, so response times do not
    leak how much of a guess was right. Never raises: any text that cannot be a valid token or
    digest simply does not match.
    """
    try:
        candidate = hash_token(token).encode("ascii")
        stored = token_hash.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(candidate, stored)


def _format(prefix: str, year: int, sequence: int, check: str) -> str:
    return f"{prefix}-{year % 100:02d}-{sequence:0{_MIN_SEQUENCE_DIGITS}d}-{check}"


def _check_character(prefix: str, year: int, sequence: int) -> str:
    payload = f"{prefix}{year % 100:02d}{sequence:0{_MIN_SEQUENCE_DIGITS}d}"
    total = 0
    for position, character in enumerate(reversed(payload), start=1):
        total += int(character, 36) * pow(_WEIGHT_BASE, position, _MODULUS)
    # the check character has weight 13^0 = 1: choose it so that the whole sum is 0 mod 31
    return CHECK_ALPHABET[-total % _MODULUS]


def _split_compact(text: str) -> tuple[str, str, str, str]:
    """Split ``QN26000123K`` into its groups; the prefix is the leading run of letters."""
    prefix_length = 0
    while prefix_length < len(text) and text[prefix_length] in _LETTERS:
        prefix_length += 1
    prefix, numbers, check = text[:prefix_length], text[prefix_length:-1], text[-1:]
    return prefix, numbers[:2], numbers[2:], check


def _drop_extra_zeros(digits: str) -> str:
    """``0000017`` → ``000017``: zeros typed in front of a six-digit sequence number add nothing.

    Only down to the six-digit padding: a longer number keeps its one spelling (``05304805``
    stays malformed), because there a first digit mistyped as 0 could pass the check.
    """
    if len(digits) > _MIN_SEQUENCE_DIGITS and digits[0] == "0":
        shortened = digits.lstrip("0").rjust(_MIN_SEQUENCE_DIGITS, "0")
        if len(shortened) == _MIN_SEQUENCE_DIGITS:
            return shortened
    return digits


def _is_prefix(text: str) -> bool:
    return _MIN_PREFIX <= len(text) <= _MAX_PREFIX and all(c in _LETTERS for c in text)


def _is_digits(text: str) -> bool:
    return all(c in _DIGITS for c in text)
