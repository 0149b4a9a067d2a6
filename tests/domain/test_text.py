"""Accent-insensitive folding and matching of Vietnamese names."""

from __future__ import annotations

import unicodedata

import pytest

from feedback.domain.text import fold, matches, name_key, place_key, shows_nothing, without_controls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hạ Long", "ha long"),
        ("Đông Triều", "dong trieu"),
        ("đường Trần Hưng Đạo", "duong tran hung dao"),
        ("Phường Hà Tu", "phuong ha tu"),
        ("Đặc khu Vân Đồn", "dac khu van don"),
        ("Thôn Khe Ươn", "thon khe uon"),
        ("Quảng Ninh", "quang ninh"),
        ("ỨNG HÒA", "ung hoa"),
        ("Ðông Triều", "dong trieu"),  # Icelandic eth typed for Đ
        ("  Móng \t Cái\n", "mong cai"),
        ("Bãi\u00a0Cháy", "bai chay"),  # no-break space from a copied web page
        ("Tổ dân phố 5", "to dan pho 5"),
        ("already plain", "already plain"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize("text", ["Hạ Long", "Đông Triều", "Nguyễn Thị Ửng", "Quỳnh Lưu"])
def test_fold_ignores_the_unicode_normal_form_of_the_input(text: str) -> None:
    """Some keyboards send decomposed text (NFD); it must fold like composed text."""
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@pytest.mark.parametrize("text", ["Hạ Long", "  Đông  Triều ", "Ðà Nẵng"])
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("ha long", "Hạ Long", True),
        ("Hạ Long", "ha long", True),
        ("HA LONG", "Thành phố Hạ Long", True),
        ("long ha", "Hạ Long", True),  # any order
        ("ha lo", "Hạ Long", True),  # still typing
        ("dong trieu", "Phường Đông Triều", True),
        ("  dong   trieu ", "Đông Triều", True),
        ("ha tu", "Phường Hà Tu", True),
        ("ha tu", "Phường Hà Khánh", False),  # every word must occur
        ("cam pha", "Hạ Long", False),
        ("", "Hạ Long", True),  # no words: no narrowing
        ("ha", "", False),
    ],
)
def test_matches(query: str, name: str, expected: bool) -> None:
    assert matches(query, name) is expected


@pytest.mark.parametrize(("ids", "path"), [((), "/"), ((1,), "/1/"), ((1, 7, 42), "/1/7/42/")])
def test_a_path_spells_and_reads_its_ids(ids: tuple[int, ...], path: str) -> None:
    """Proves: the one spelling of a materialised path; reading it back gives the ids, and a
    child's path extends its parent's, so that a subtree is a prefix."""
    from feedback.domain.paths import child_path, ids_of, path_of

    assert path_of(ids) == path
    assert ids_of(path) == ids
    assert child_path(path if ids else None, 9) == path_of((*ids, 9))
    assert child_path(path, 9).startswith(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("a\x00b", "ab"), ("\x1b[31mđỏ\x7f", "[31mđỏ"), ("dòng 1\r\ndòng 2\tcột", "dòng 1\r\ndòng 2\tcột"),
    ("\u200b\u2060", "\u200b\u2060"),  # other format characters (Cf) are not control characters (Cc)
    ("Ảnh \u202egpj.exe \u2067x\u2069", "Ảnh gpj.exe x"),  # bidirectional overrides and isolates go
    ("", ""),
])
def test_without_controls_keeps_tabs_and_line_ends_only(text: str, expected: str) -> None:
    assert without_controls(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", True), (" \t\n", True), ("\u200b\u200b\u2060", True), ("\u200bA", False), ("😀", False), ("1", False),
])
def test_shows_nothing_is_true_for_invisible_text_only(text: str, expected: bool) -> None:
    assert shows_nothing(text) is expected


def test_name_key_sorts_names_as_a_vietnamese_reader_looks_for_them() -> None:
    """Proves: Đ among the D's and Ủ among the U's (code points put them after Z; as the resident's
    form, by the folded name first: "Đông" before "Dương"), the letters
    a ă â, o ô ơ, d đ apart among names that fold alike, the tones in dictionary order (ngang,
    huyền, sắc, hỏi, ngã, nặng), numbers as numbers, case and normal form (NFC/NFD) not deciding."""
    expected = ["Ban quản lý", "Đầm Hà", "Đông Triều", "Dương Huy", "Hạ Long", "Ha Tu", "Hà Tu", "Há Tu", "Hả Tu",
                "Hã Tu", "Hạ Tu", "Hă Tu", "Hâ Tu", "Tổ 2", "Tổ 10", "Uông Bí", "Ủy ban nhân dân", "Zeta"]
    shuffled = sorted(expected, reverse=True)
    assert sorted(shuffled, key=name_key) == expected
    assert sorted(expected) != expected  # code points would not do
    assert name_key(unicodedata.normalize("NFD", "Đông Triều")) == name_key("Đông Triều")
    assert sorted(["do", "Dơ", "Dô", "DO"], key=name_key) == ["DO", "do", "Dô", "Dơ"]
    assert sorted(["đa", "da"], key=name_key) == ["da", "đa"]


@pytest.mark.parametrize(("names", "kinds", "expected"), [
    (["Phường Hà Tu", "Xã Đầm Hà", "Đặc khu Vân Đồn", "Phường Bãi Cháy"], ["phường", "xã", "đặc khu", "phường"],
     ["Phường Bãi Cháy", "Xã Đầm Hà", "Phường Hà Tu", "Đặc khu Vân Đồn"]),
    (["Khu phố 10", "Khu phố 2", "Thôn Đài Van"], ["khu phố", "khu phố", "thôn"],
     ["Khu phố 2", "Khu phố 10", "Thôn Đài Van"]),
])
def test_place_key_leaves_the_kind_word_out(names: list[str], kinds: list[str], expected: list[str]) -> None:
    """Proves: a place sorts by its name without the leading kind word ("Phường Hà Tu" under H)."""
    kind_of = dict(zip(names, kinds))
    assert sorted(names, key=lambda n: place_key(n, kind_of[n])) == expected


def test_without_controls_drops_exactly_what_the_unicode_categories_say_for_every_code_point() -> None:
    """Proves: the one-pattern ``without_controls`` drops a character exactly when it is of category
    Cc (but tab, line feed, carriage return) or a bidirectional control, over all of Unicode."""
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    expected = "".join(c for c in everything
                       if c in "\t\n\r" or (unicodedata.category(c) != "Cc" and c not in bidi))
    assert without_controls(everything) == expected
    assert len(everything) - len(expected) == 62 + len(bidi)
