"""Tracking codes: shape, tolerant parsing, and what the check character is proven to catch."""

from __future__ import annotations

import string

import pytest

from feedback.domain.tracking import (
    CHECK_ALPHABET,
    InvalidCode,
    InvalidCodeReason,
    ParsedCode,
    hash_token,
    make_code,
    new_secret_token,
    normalise_code,
    parse_code,
    token_matches,
)

# Codes whose every mutation is tried: short and long prefixes, the 6-digit minimum, an
# overflowing sequence, the ends of the year range, and look-alike letters in the prefix.
SAMPLE = [
    ("QN", 2026, 123),
    ("QN", 2026, 0),
    ("HN", 2000, 999_999),
    ("HCM", 2099, 1_000_000),
    ("QNIO", 2031, 45_678_901),
    ("LO", 2010, 101_010),
]
SAMPLE_CODES = [make_code(*args) for args in SAMPLE]
TYPED_ALPHABET = string.ascii_uppercase + string.digits + "-"


def outcome(text: str) -> str | InvalidCodeReason:
    """The canonical code ``text`` stands for, or why it is refused."""
    try:
        return normalise_code(text)
    except InvalidCode as error:
        return error.reason


def test_the_design_example_is_a_valid_code() -> None:
    """The example of the design document is what make_code produces."""
    assert make_code("QN", 2026, 123) == "QN-26-000123-K"


def test_check_alphabet_has_no_ambiguous_characters_and_a_prime_size() -> None:
    assert not set("0O1IL") & set(CHECK_ALPHABET)
    assert len(set(CHECK_ALPHABET)) == len(CHECK_ALPHABET) == 31
    assert all(31 % d for d in range(2, 31))


@pytest.mark.parametrize(
    ("prefix", "year", "sequence", "expected_shape"),
    [
        ("QN", 2026, 123, "QN-26-000123-"),
        ("HCM", 2000, 7, "HCM-00-000007-"),
        ("QNIN", 2099, 999_999, "QNIN-99-999999-"),
        ("QN", 2026, 1_234_567, "QN-26-1234567-"),
    ],
)
def test_make_code_shape(prefix: str, year: int, sequence: int, expected_shape: str) -> None:
    code = make_code(prefix, year, sequence)
    assert code[:-1] == expected_shape
    assert code[-1] in CHECK_ALPHABET


@pytest.mark.parametrize(
    ("prefix", "year", "sequence"),
    [
        ("Q", 2026, 1),
        ("QNINH", 2026, 1),
        ("qn", 2026, 1),
        ("Q1", 2026, 1),
        ("QĐ", 2026, 1),
        ("QN", 1999, 1),
        ("QN", 2100, 1),
        ("QN", 26, 1),
        ("QN", 2026, -1),
    ],
)
def test_make_code_refuses_bad_arguments(prefix: str, year: int, sequence: int) -> None:
    with pytest.raises(ValueError):
        make_code(prefix, year, sequence)


@pytest.mark.parametrize(("prefix", "year", "sequence"), SAMPLE)
def test_round_trip(prefix: str, year: int, sequence: int) -> None:
    code = make_code(prefix, year, sequence)
    parsed = parse_code(code)
    assert parsed == ParsedCode(prefix=prefix, year=year, sequence=sequence, check=code[-1])
    assert parsed.canonical == code
    assert normalise_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "qn-26-000123-k",
        "  QN-26-000123-K\n",
        "QN 26 000123 K",
        "qn26000123k",
        "QN--26 - 000123--K",
        "QN–26—000123‐K",  # en dash, em dash, Unicode hyphen from a word processor
        "ＱＮ－２６－０００１２３－Ｋ",  # full-width, from some phone keyboards
        "QN-26-OOO123-K",  # letter O for zero inside a numeric group
        "QN-26-000l23-k",  # lower-case L for one
        "QN-26-000I23-K",
        "QN-26-0000123-K",  # an extra zero in front of the six digits (counting zeros is hard)
        "QN2600000123K",  # the same without separators
        "qn 26 00000000123 k",
    ],
)
def test_tolerated_input(typed: str) -> None:
    assert normalise_code(typed) == "QN-26-000123-K"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "QN-26-000123",  # check character missing
        "QN-26-000123-KK",
        "QN-26-00123-K",  # sequence too short
        "QN-26-01234567-K",  # a seven-digit number never carries an extra zero
        "QN2601234567K",
        "QN-2026-000123-K",
        "QN-6-000123-K",
        "Q-26-000123-K",
        "QNINH-26-000123-K",
        "Q2-26-000123-K",
        "QN-26-000X23-K",
        "QN-26-000123-#",
        "QN-26-000123-Đ",
        "QN-26000123-K",  # three groups: a dash must not silently disappear
        "QN-26-000-123-K",
        "QN2O000123K",  # compact: no look-alike guessing without separators
        "26000123K",
        "QN",
        "QN-26-000123-K trailing",
    ],
)
def test_malformed_input(typed: str) -> None:
    with pytest.raises(InvalidCode) as raised:
        parse_code(typed)
    assert raised.value.reason is InvalidCodeReason.MALFORMED


@pytest.mark.parametrize(
    "typed",
    [
        "QN-26-000123-M",
        "QN-26-000124-K",
        "QN-27-000123-K",
        "QM-26-000123-K",
        "QN-26-000123-0",  # not in the check alphabet at all
        "QN-26-000123-O",
        "QN-26-000123-1",
        "qn26000123m",
    ],
)
def test_bad_check(typed: str) -> None:
    with pytest.raises(InvalidCode) as raised:
        parse_code(typed)
    assert raised.value.reason is InvalidCodeReason.BAD_CHECK


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_single_substitution_is_detected(code: str) -> None:
    """Any one character replaced by any other letter, digit or dash never yields another code.

    The result is refused, or (a look-alike such as O for 0 in a number, a space for a dash)
    still means exactly the original code.
    """
    tried = 0
    for position, original in enumerate(code):
        for replacement in TYPED_ALPHABET:
            if replacement == original:
                continue
            mutated = code[:position] + replacement + code[position + 1 :]
            assert outcome(mutated) in (code, *InvalidCodeReason), mutated
            tried += 1
    assert tried == len(code) * (len(TYPED_ALPHABET) - 1)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_change_of_the_check_character_is_a_bad_check(code: str) -> None:
    for replacement in string.ascii_uppercase + string.digits:
        if replacement != code[-1]:
            assert outcome(code[:-1] + replacement) is InvalidCodeReason.BAD_CHECK


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_adjacent_transposition_is_detected(code: str) -> None:
    tried = 0
    for position in range(len(code) - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        mutated = code[:position] + b + a + code[position + 2 :]
        assert outcome(mutated) in InvalidCodeReason, mutated
        tried += 1
    assert tried > 0


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_transposition_within_a_group_is_detected(code: str) -> None:
    """Not only neighbours: any two differing characters of one group swapped are caught."""
    start = 0
    for group in code.split("-"):
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                if group[i] != group[j]:
                    chars = list(code)
                    chars[start + i], chars[start + j] = chars[start + j], chars[start + i]
                    assert outcome("".join(chars)) in InvalidCodeReason, "".join(chars)
        start += len(group) + 1


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_compact_input_detects_substitutions_of_the_same_class(code: str) -> None:
    """Typed without dashes, a letter for a letter or a digit for a digit is still caught.

    (A letter for a digit at the prefix/year boundary is the documented limit of compact input.)
    """
    compact = code.replace("-", "")
    for position, original in enumerate(compact[:-1]):
        same_class = string.ascii_uppercase if original.isalpha() else string.digits
        for replacement in same_class:
            if replacement != original:
                mutated = compact[:position] + replacement + compact[position + 1 :]
                assert outcome(mutated) in InvalidCodeReason, mutated


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_compact_input_detects_adjacent_transpositions(code: str) -> None:
    compact = code.replace("-", "")
    for position in range(len(compact) - 1):
        a, b = compact[position], compact[position + 1]
        if a != b:
            mutated = compact[:position] + b + a + compact[position + 2 :]
            assert outcome(mutated) in InvalidCodeReason, mutated


def test_invalid_code_is_a_value_error_carrying_its_reason() -> None:
    error = InvalidCode(InvalidCodeReason.BAD_CHECK)
    assert isinstance(error, ValueError)
    assert error.reason is InvalidCodeReason.BAD_CHECK


def test_secret_tokens_are_long_random_and_url_safe() -> None:
    tokens = {new_secret_token() for _ in range(100)}
    assert len(tokens) == 100
    url_safe = set(string.ascii_letters + string.digits + "-_")
    assert all(len(token) >= 43 and set(token) <= url_safe for token in tokens)


def test_hash_token_is_sha256_hex() -> None:
    # sha256("abc") from FIPS 180-2, appendix B.1
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("token", "stored_for", "expected"),
    [
        ("right", "right", True),
        ("wrong", "right", False),
        ("", "right", False),
        ("right", "", False),
        ("héllo", "héllo", True),
        ("\ud800", "right", False),  # a lone surrogate is not a token, and must not crash
    ],
)
def test_token_matches(token: str, stored_for: str, expected: bool) -> None:
    stored = hash_token(stored_for) if stored_for else ""
    assert token_matches(token, stored) is expected


@pytest.mark.parametrize("stored", ["", "not a digest", "ñ" * 64, hash_token("x").upper()])
def test_token_never_matches_a_malformed_digest(stored: str) -> None:
    assert token_matches("x", stored) is False


def test_fresh_token_matches_its_own_hash_only() -> None:
    token, other = new_secret_token(), new_secret_token()
    assert token_matches(token, hash_token(token))
    assert not token_matches(other, hash_token(token))


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_compact_input_misses_only_the_documented_boundary_case(code: str) -> None:
    """Without separators, an undetected substitution is always V-Z ↔ 0-4 at the prefix boundary.

    Those pairs have equal values modulo 31, and no single check character over 31 symbols can
    tell all 36 letters and digits apart at a position that may hold either.
    """
    compact = code.replace("-", "")
    prefix_length = code.index("-")
    boundary = {prefix_length - 1, prefix_length}
    same_mod_31 = {frozenset(pair) for pair in zip("VWXYZ", "01234", strict=True)}
    for position, original in enumerate(compact):
        for replacement in string.ascii_uppercase + string.digits:
            mutated = compact[:position] + replacement + compact[position + 1 :]
            result = outcome(mutated)
            if replacement != original and result not in (code, *InvalidCodeReason):
                assert position in boundary, mutated
                assert frozenset((original, replacement)) in same_mod_31, mutated


def test_compact_boundary_limit_exists() -> None:
    """The limit above is real (so the previous test is not vacuous): QNX-61-… vs QN-26-…."""
    original = make_code("QN", 2026, 12_345_678)
    twin = normalise_code("QNX6" + original.replace("-", "")[4:])
    assert twin != original and twin.startswith("QNX-61-")


def test_the_issue_example_typed_without_dashes_is_accepted() -> None:
    """Issue #6: ``QN2600000017`` (one zero too many, no dashes) is the code QN-26-000001-7."""
    assert make_code("QN", 2026, 1) == "QN-26-000001-7"
    assert normalise_code("QN2600000017") == normalise_code("QN 26 000001 7") == "QN-26-000001-7"


def test_extra_zeros_cost_only_a_first_digit_typed_as_zero_in_a_seven_digit_number() -> None:
    """The documented limit of dropping extra zeros is real, and longer numbers do not have it."""
    original = make_code("HN", 2029, 4_202_177)
    assert original == "HN-29-4202177-A"
    assert normalise_code("HN-29-0202177-A") == "HN-29-202177-A" != original
    assert outcome("HCM-58-05304805-Z") is InvalidCodeReason.MALFORMED  # eight digits: one spelling
