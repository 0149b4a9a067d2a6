"""Choosing the responsible unit from routing rules: specificity, dates, ties, transfers, fallback."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from feedback.domain.routing import (
    AmbiguousRules,
    Decision,
    NoUnit,
    Place,
    Rule,
    applies,
    choose_unit,
    conflicts,
    kind_label,
)
from feedback.domain.status import Kind

# Localities: the province, two of its communes, one village of the first commune.
QUANG_NINH, HA_TU, HA_KHANH, KHU_5 = 1, 10, 20, 100
# Topics: a root topic and one of its children.
MOI_TRUONG, RAC_THAI = 5, 50
# Units.
UBND_HA_TU, SO_TNMT, CONG_TY_MT, TO_TIEP_DAN, UBND_TINH = 900, 901, 902, 903, 904
FALLBACK = (UBND_HA_TU, "UBND phường Hà Tu")

RECEIVED_ON = date(2026, 3, 15)

LOCALITIES = {
    QUANG_NINH: (1, "Tỉnh Quảng Ninh"),
    HA_TU: (2, "Phường Hà Tu"),
    HA_KHANH: (2, "Phường Hà Khánh"),
    KHU_5: (3, "Khu 5"),
}
TOPICS = {MOI_TRUONG: (1, "Môi trường"), RAC_THAI: (2, "Rác thải")}
UNITS = {
    UBND_HA_TU: "UBND phường Hà Tu",
    SO_TNMT: "Sở Nông nghiệp và Môi trường",
    CONG_TY_MT: "Công ty CP Môi trường đô thị",
    TO_TIEP_DAN: "Tổ tiếp dân phường Hà Tu",
    UBND_TINH: "UBND tỉnh Quảng Ninh",
}


def rule(
    rule_id: int,
    unit_id: int,
    locality_id: int | None = None,
    topic_id: int | None = None,
    kind: Kind | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Rule:
    """A rule with depths and names taken from the tables above."""
    locality_depth, locality_name = LOCALITIES[locality_id] if locality_id is not None else (0, None)
    topic_depth, topic_name = TOPICS[topic_id] if topic_id is not None else (0, None)
    return Rule(
        id=rule_id,
        unit_id=unit_id,
        unit_name=UNITS[unit_id],
        locality_id=locality_id,
        locality_depth=locality_depth,
        locality_name=locality_name,
        topic_id=topic_id,
        topic_depth=topic_depth,
        topic_name=topic_name,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def place(
    locality_path: tuple[int, ...] = (QUANG_NINH, HA_TU, KHU_5),
    topic_path: tuple[int, ...] = (MOI_TRUONG, RAC_THAI),
    kind: Kind = Kind.REPORT,
    on: date = RECEIVED_ON,
) -> Place:
    return Place(locality_path=locality_path, topic_path=topic_path, kind=kind, on=on)


# (what it proves, rules, place, id of the winning rule)
WINNER_CASES = [
    (
        "deepest locality beats a deeper topic",
        [rule(1, UBND_HA_TU, HA_TU), rule(2, SO_TNMT, QUANG_NINH, RAC_THAI)],
        place(),
        1,
    ),
    (
        "village beats commune",
        [rule(1, UBND_HA_TU, HA_TU, RAC_THAI, Kind.REPORT), rule(2, TO_TIEP_DAN, KHU_5)],
        place(),
        2,
    ),
    (
        "at equal locality, the deeper topic wins",
        [rule(1, UBND_HA_TU, HA_TU, MOI_TRUONG), rule(2, CONG_TY_MT, HA_TU, RAC_THAI)],
        place(),
        2,
    ),
    (
        "a topic beats a kind",
        [rule(1, CONG_TY_MT, HA_TU, MOI_TRUONG), rule(2, TO_TIEP_DAN, HA_TU, None, Kind.COMPLAINT)],
        place(kind=Kind.COMPLAINT),
        1,
    ),
    (
        "a kind beats any kind",
        [rule(1, CONG_TY_MT, HA_TU, MOI_TRUONG), rule(2, TO_TIEP_DAN, HA_TU, MOI_TRUONG, Kind.COMPLAINT)],
        place(kind=Kind.COMPLAINT),
        2,
    ),
    (
        "a rule for another kind does not apply",
        [rule(1, CONG_TY_MT, HA_TU, MOI_TRUONG), rule(2, TO_TIEP_DAN, HA_TU, MOI_TRUONG, Kind.COMPLAINT)],
        place(kind=Kind.REPORT),
        1,
    ),
    (
        "a rule for another commune does not apply",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, UBND_TINH, HA_KHANH, RAC_THAI, Kind.REPORT)],
        place(),
        1,
    ),
    (
        "a rule for another topic subtree does not apply",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU, RAC_THAI)],
        place(topic_path=(MOI_TRUONG,)),
        1,
    ),
    (
        "a catch-all rule applies anywhere",
        [rule(1, UBND_TINH)],
        place(locality_path=(QUANG_NINH, HA_KHANH), topic_path=()),
        1,
    ),
    (
        "an expired rule gives way to a less specific one",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU, valid_to=date(2026, 3, 14))],
        place(),
        1,
    ),
    (
        "valid_to is inclusive",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU, valid_to=date(2026, 3, 15))],
        place(),
        2,
    ),
    (
        "a rule not yet in force gives way",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU, valid_from=date(2026, 3, 16))],
        place(),
        1,
    ),
    (
        "valid_from is inclusive",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU, valid_from=date(2026, 3, 15))],
        place(),
        2,
    ),
    (
        "a rule replaced on a date: the old one before, the new one from that date",
        [
            rule(1, CONG_TY_MT, HA_TU, RAC_THAI, valid_to=date(2026, 3, 31)),
            rule(2, UBND_HA_TU, HA_TU, RAC_THAI, valid_from=date(2026, 4, 1)),
        ],
        place(on=date(2026, 4, 1)),
        2,
    ),
    (
        "equal rules that do not apply on the date are no tie",
        [
            rule(1, SO_TNMT, QUANG_NINH),
            rule(2, CONG_TY_MT, HA_TU, valid_to=date(2025, 12, 31)),
            rule(3, UBND_HA_TU, HA_TU, valid_to=date(2025, 12, 31)),
        ],
        place(),
        1,
    ),
    (
        "equal less specific rules are no tie when a more specific rule decides",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, UBND_TINH, QUANG_NINH), rule(3, UBND_HA_TU, HA_TU)],
        place(),
        3,
    ),
]


@pytest.mark.parametrize(
    ("rules", "where", "winner"),
    [case[1:] for case in WINNER_CASES],
    ids=[case[0] for case in WINNER_CASES],
)
def test_most_specific_applicable_rule_wins(rules: list[Rule], where: Place, winner: int) -> None:
    expected = next(r for r in rules if r.id == winner)
    for ordering in itertools.permutations(rules):  # the order of the rules never matters
        decision = choose_unit(where, ordering, FALLBACK)
        assert (decision.rule_id, decision.unit_id) == (winner, expected.unit_id)


@pytest.mark.parametrize(
    ("chosen", "explanation"),
    [
        (rule(12, UBND_HA_TU, HA_TU, MOI_TRUONG), "Quy tắc #12: Phường Hà Tu × Môi trường → UBND phường Hà Tu"),
        (rule(3, SO_TNMT), "Quy tắc #3: Mọi địa bàn × Mọi lĩnh vực → Sở Nông nghiệp và Môi trường"),
        (
            rule(4, TO_TIEP_DAN, HA_TU, None, Kind.REPORT),
            "Quy tắc #4: Phường Hà Tu × Mọi lĩnh vực × Phản ánh → Tổ tiếp dân phường Hà Tu",
        ),
        (
            rule(5, CONG_TY_MT, None, RAC_THAI, Kind.REPORT),
            "Quy tắc #5: Mọi địa bàn × Rác thải × Phản ánh → Công ty CP Môi trường đô thị",
        ),
    ],
)
def test_decision_explains_the_rule(chosen: Rule, explanation: str) -> None:
    assert choose_unit(place(), [chosen], FALLBACK) == Decision(chosen.unit_id, chosen.id, explanation)


def test_no_rule_falls_back_to_the_commune_peoples_committee() -> None:
    decision = choose_unit(place(), [rule(1, SO_TNMT, HA_KHANH)], FALLBACK)
    assert decision == Decision(
        unit_id=UBND_HA_TU,
        rule_id=None,
        explanation="Không có quy tắc phù hợp: chuyển UBND cấp xã của địa bàn → UBND phường Hà Tu",
    )


@pytest.mark.parametrize(
    ("rules", "excluding"),
    [
        ([], frozenset()),
        ([rule(1, SO_TNMT, HA_KHANH)], frozenset()),
        ([rule(1, SO_TNMT, HA_TU)], frozenset({SO_TNMT})),
    ],
)
def test_no_rule_and_no_fallback_raises_no_unit(rules: list[Rule], excluding: frozenset[int]) -> None:
    where = place()
    with pytest.raises(NoUnit) as raised:
        choose_unit(where, rules, None, excluding=excluding)
    assert raised.value.place == where


@pytest.mark.parametrize(
    ("rules", "kind"),
    [
        # a less specific rule (#1) applies too: only the top of the ranking matters
        ([rule(1, SO_TNMT, QUANG_NINH), rule(3, CONG_TY_MT, HA_TU, RAC_THAI), rule(7, UBND_HA_TU, HA_TU, RAC_THAI)], Kind.REPORT),
        ([rule(7, SO_TNMT), rule(3, UBND_TINH)], Kind.REPORT),
        (
            [
                rule(1, SO_TNMT, HA_TU),
                rule(3, TO_TIEP_DAN, HA_TU, None, Kind.COMPLAINT),
                rule(7, UBND_HA_TU, HA_TU, None, Kind.COMPLAINT),
            ],
            Kind.COMPLAINT,
        ),
        # the same unit twice is still a configuration error: which rule explains the decision?
        ([rule(3, UBND_HA_TU, HA_TU), rule(7, UBND_HA_TU, HA_TU, valid_from=date(2026, 1, 1))], Kind.REPORT),
    ],
)
def test_tie_at_the_top_raises_naming_both_rules(rules: list[Rule], kind: Kind) -> None:
    with pytest.raises(AmbiguousRules) as raised:
        choose_unit(place(kind=kind), rules, FALLBACK)
    assert raised.value.rule_ids == (3, 7)
    assert {r.id for r in raised.value.rules} == {3, 7}
    assert "#3" in str(raised.value) and "#7" in str(raised.value)


def test_tie_of_three_names_all_three() -> None:
    rules = [rule(9, UBND_HA_TU, HA_TU), rule(2, CONG_TY_MT, HA_TU), rule(5, TO_TIEP_DAN, HA_TU)]
    with pytest.raises(AmbiguousRules) as raised:
        choose_unit(place(), rules, FALLBACK)
    assert raised.value.rule_ids == (2, 5, 9)


# (what it proves, rules, excluded units, expected unit, expected rule id)
EXCLUSION_CASES = [
    (
        "the returning unit's rule is skipped, the next most specific applies",
        [rule(1, SO_TNMT, QUANG_NINH, MOI_TRUONG), rule(2, CONG_TY_MT, HA_TU, RAC_THAI)],
        frozenset({CONG_TY_MT}),
        SO_TNMT,
        1,
    ),
    (
        "after two returns the fallback is used",
        [rule(1, SO_TNMT, QUANG_NINH, MOI_TRUONG), rule(2, CONG_TY_MT, HA_TU, RAC_THAI)],
        frozenset({CONG_TY_MT, SO_TNMT}),
        UBND_HA_TU,
        None,
    ),
    (
        "excluding a tied unit leaves the other, no tie",
        [rule(3, CONG_TY_MT, HA_TU), rule(7, TO_TIEP_DAN, HA_TU)],
        frozenset({CONG_TY_MT}),
        TO_TIEP_DAN,
        7,
    ),
    (
        "excluding an unrelated unit changes nothing",
        [rule(1, SO_TNMT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU)],
        frozenset({UBND_TINH}),
        CONG_TY_MT,
        2,
    ),
    (
        "every rule of the excluded unit is skipped, not only the most specific",
        [rule(1, CONG_TY_MT, QUANG_NINH), rule(2, CONG_TY_MT, HA_TU), rule(3, UBND_TINH)],
        frozenset({CONG_TY_MT}),
        UBND_TINH,
        3,
    ),
]


@pytest.mark.parametrize(
    ("rules", "excluding", "unit_id", "rule_id"),
    [case[1:] for case in EXCLUSION_CASES],
    ids=[case[0] for case in EXCLUSION_CASES],
)
def test_exclusion_after_transfer(
    rules: list[Rule], excluding: frozenset[int], unit_id: int, rule_id: int | None
) -> None:
    decision = choose_unit(place(), rules, FALLBACK, excluding=excluding)
    assert (decision.unit_id, decision.rule_id) == (unit_id, rule_id)


def test_excluded_fallback_raises_no_unit() -> None:
    rules = [rule(2, CONG_TY_MT, HA_TU, RAC_THAI)]
    with pytest.raises(NoUnit):
        choose_unit(place(), rules, FALLBACK, excluding=frozenset({CONG_TY_MT, UBND_HA_TU}))


@pytest.mark.parametrize(
    ("candidate", "expected_ids"),
    [
        (rule(0, SO_TNMT, HA_TU, RAC_THAI), [1]),  # same case: conflicts whatever the unit
        (rule(0, CONG_TY_MT, HA_TU, RAC_THAI), [1]),  # even the same unit: a duplicate rule
        (rule(1, UBND_HA_TU, HA_TU, RAC_THAI), []),  # editing rule 1 itself
        (rule(0, SO_TNMT, HA_TU, MOI_TRUONG), []),  # another topic
        (rule(0, SO_TNMT, KHU_5, RAC_THAI), []),  # another locality
        (rule(0, SO_TNMT, HA_TU, RAC_THAI, Kind.COMPLAINT), [2]),  # only the complaint rule
        (rule(0, SO_TNMT, HA_TU, None, Kind.COMPLAINT), []),
        (rule(0, SO_TNMT), [4, 5]),  # catch-all rules, any period overlaps an open one
        (rule(0, SO_TNMT, valid_to=date(2025, 12, 31)), [4]),
        (rule(0, SO_TNMT, valid_from=date(2026, 7, 1)), [4, 5]),  # 5 ends that day, inclusive
        (rule(0, SO_TNMT, valid_from=date(2026, 7, 2)), [4]),  # the day after: no overlap
        (rule(0, SO_TNMT, valid_from=date(2026, 2, 1), valid_to=date(2026, 2, 28)), [4, 5]),
    ],
)
def test_conflicts(candidate: Rule, expected_ids: list[int]) -> None:
    existing = [
        rule(1, CONG_TY_MT, HA_TU, RAC_THAI),
        rule(2, TO_TIEP_DAN, HA_TU, RAC_THAI, Kind.COMPLAINT),
        rule(3, UBND_HA_TU, HA_TU),
        rule(4, UBND_TINH),
        rule(5, SO_TNMT, valid_from=date(2026, 1, 1), valid_to=date(2026, 7, 1)),
    ]
    assert [r.id for r in conflicts(candidate, existing)] == expected_ids


def test_a_conflict_refused_on_save_is_exactly_a_tie_in_choose_unit() -> None:
    """What conflicts() reports is what choose_unit would raise for a place both rules cover."""
    stored = rule(3, CONG_TY_MT, HA_TU, RAC_THAI, valid_from=date(2026, 1, 1))
    candidate = rule(7, UBND_HA_TU, HA_TU, RAC_THAI, valid_to=date(2026, 6, 30))
    assert conflicts(candidate, [stored]) == [stored]
    with pytest.raises(AmbiguousRules) as raised:
        choose_unit(place(on=date(2026, 3, 15)), [stored, candidate], FALLBACK)
    assert raised.value.rule_ids == (3, 7)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (Kind.COMMENT, "Góp ý"),
        (Kind.REPORT, "Phản ánh"),
        (Kind.PETITION, "Kiến nghị"),
        (Kind.COMPLAINT, "Khiếu nại"),
        (Kind.DENUNCIATION, "Tố cáo"),
    ],
)
def test_kind_label(kind: Kind, label: str) -> None:
    assert kind_label(kind) == label


def test_every_kind_has_a_label() -> None:
    assert len({kind_label(kind) for kind in Kind}) == len(Kind)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (place(), True),
        (place(locality_path=(QUANG_NINH, HA_KHANH)), False),
        (place(topic_path=(MOI_TRUONG,)), False),
        (place(kind=Kind.COMPLAINT), False),
        (place(on=date(2025, 12, 31)), False),
        (place(on=date(2026, 12, 31)), True),
        (place(on=date(2027, 1, 1)), False),
    ],
)
def test_applies(where: Place, expected: bool) -> None:
    candidate = rule(1, CONG_TY_MT, HA_TU, RAC_THAI, Kind.REPORT, date(2026, 1, 1), date(2026, 12, 31))
    assert applies(candidate, where) is expected


@pytest.mark.parametrize(
    "changes",
    [
        {"locality_id": None, "locality_depth": 2},
        {"locality_id": HA_TU, "locality_depth": 0},
        {"locality_id": HA_TU, "locality_depth": -1},
        {"topic_id": None, "topic_depth": 1},
        {"topic_id": RAC_THAI, "topic_depth": 0},
        {"valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 31)},
    ],
)
def test_inconsistent_rule_is_refused(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "id": 1,
        "unit_id": UBND_HA_TU,
        "unit_name": "UBND phường Hà Tu",
        "locality_id": HA_TU,
        "locality_depth": 2,
        "locality_name": "Phường Hà Tu",
        "topic_id": RAC_THAI,
        "topic_depth": 2,
        "topic_name": "Rác thải",
        "kind": None,
        "valid_from": None,
        "valid_to": None,
    }
    Rule(**fields)  # type: ignore[arg-type]  # the unchanged fields are a valid rule
    with pytest.raises(ValueError):
        Rule(**{**fields, **changes})  # type: ignore[arg-type]
