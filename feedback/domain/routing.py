"""Choosing the unit that must answer an item, from routing rules held as data (DESIGN.md §3).

A rule says: items from this locality subtree, on this topic subtree, of this kind (or any),
go to this unit, during this period. The most specific applicable rule wins: deepest locality,
then deepest topic, then a rule for the item's kind over a rule for any kind. Two applicable
rules equally specific are a configuration error, reported and never resolved at random. With
no applicable rule the item goes to the People's Committee of its commune.

Values only: the caller loads rules and names, this module decides and explains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import assert_never

from feedback.domain.status import Kind

ANY_LOCALITY = "Mọi địa bàn"
ANY_TOPIC = "Mọi lĩnh vực"


@dataclass(frozen=True)
class Place:
    """What routing needs to know about one item.

    ``locality_path`` holds locality ids from the root province down to the item's locality,
    e.g. ``(province_id, commune_id, village_id)``; ``topic_path`` the topic ids from the root
    topic down to the item's topic; ``on`` the local date the routing applies to (normally the
    date of receipt).
    """

    locality_path: tuple[int, ...]
    topic_path: tuple[int, ...]
    kind: Kind
    on: date


@dataclass(frozen=True)
class Rule:
    """One routing rule: (locality subtree, topic subtree, kind or any) → unit, within dates.

    ``locality_id`` None means any locality and then ``locality_depth`` is 0; otherwise the
    depth is the level of that locality (1 province, 2 commune, 3 village). Likewise
    ``topic_id`` / ``topic_depth`` (0 = any topic, 1 = root topic, ...). ``kind`` None means any
    kind. ``valid_from`` and ``valid_to`` are inclusive; None leaves that end open. The names
    are only used to explain a decision. Raises ``ValueError`` when the depths contradict the
    ids or the period ends before it starts.
    """

    id: int
    unit_id: int
    unit_name: str
    locality_id: int | None
    locality_depth: int
    locality_name: str | None
    topic_id: int | None
    topic_depth: int
    topic_name: str | None
    kind: Kind | None
    valid_from: date | None
    valid_to: date | None

    def __post_init__(self) -> None:
        if (self.locality_id is None) != (self.locality_depth == 0) or self.locality_depth < 0:
            raise ValueError(
                f"rule #{self.id}: locality_depth {self.locality_depth} "
                f"does not fit locality_id {self.locality_id}"
            )
        if (self.topic_id is None) != (self.topic_depth == 0) or self.topic_depth < 0:
            raise ValueError(
                f"rule #{self.id}: topic_depth {self.topic_depth} does not fit topic_id {self.topic_id}"
            )
        if self.valid_from is not None and self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"rule #{self.id}: valid_to {self.valid_to} is before valid_from {self.valid_from}")

    @property
    def specificity(self) -> tuple[int, int, bool]:
        """Sort key of the rule: higher is more specific (locality, then topic, then kind)."""
        return (self.locality_depth, self.topic_depth, self.kind is not None)


@dataclass(frozen=True)
class Decision:
    """The unit chosen for an item, the rule that chose it (None for the fallback), and why."""

    unit_id: int
    rule_id: int | None
    explanation: str


class NoUnit(LookupError):
    """Raised when no rule applies and there is no (non-excluded) fallback unit."""

    def __init__(self, place: Place) -> None:
        super().__init__(
            f"no unit for locality path {place.locality_path}, topic path {place.topic_path}, "
            f"kind {place.kind.value} on {place.on.isoformat()}"
        )
        self.place = place


class AmbiguousRules(ValueError):
    """Raised when several rules are equally specific for the same case: a configuration error.

    ``rules`` holds the rules in question, ``rule_ids`` their ids in ascending order.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.rule_ids = tuple(sorted(rule.id for rule in self.rules))
        names = ", ".join(f"#{rule_id}" for rule_id in self.rule_ids)
        super().__init__(f"routing rules {names} are equally specific for the same case")


def kind_label(kind: Kind) -> str:
    """Return the Vietnamese name of ``kind`` as used in explanations, e.g. "Khiếu nại"."""
    match kind:
        case Kind.COMMENT:
            return "Góp ý"
        case Kind.REPORT:
            return "Phản ánh"
        case Kind.PETITION:
            return "Kiến nghị"
        case Kind.COMPLAINT:
            return "Khiếu nại"
        case Kind.DENUNCIATION:
            return "Tố cáo"
        case _:
            assert_never(kind)


def applies(rule: Rule, place: Place) -> bool:
    """Tell whether ``rule`` covers ``place``: locality, topic, kind and date all match.

    The locality matches when the rule has none or its id is on ``place.locality_path``; the
    topic likewise with ``topic_path``; the kind when the rule has none or the same;
    the date when ``place.on`` lies within the rule's inclusive period. Never raises.
    """
    return (
        (rule.locality_id is None or rule.locality_id in place.locality_path)
        and (rule.topic_id is None or rule.topic_id in place.topic_path)
        and (rule.kind is None or rule.kind == place.kind)
        and (rule.valid_from is None or rule.valid_from <= place.on)
        and (rule.valid_to is None or place.on <= rule.valid_to)
    )


def choose_unit(
    place: Place,
    rules: Iterable[Rule],
    fallback: tuple[int, str] | None,
    excluding: frozenset[int] = frozenset(),
) -> Decision:
    """Choose the unit that must answer an item at ``place``, and explain the choice.

    Among the rules that apply (see ``applies``) and whose unit is not in ``excluding``, the one
    with the highest ``Rule.specificity`` wins. ``excluding`` holds units that already returned
    the item as not their competence: their rules are skipped and the next most specific rule
    applies. With no such rule, ``fallback`` (unit id and name of the People's Committee of the
    item's commune) is chosen unless it is excluded too.

    Raises ``AmbiguousRules`` when two or more remaining rules share the highest specificity
    (whatever their units: the configuration must be fixed), and ``NoUnit`` when neither a rule
    nor the fallback is left. Deterministic: the order of ``rules`` never changes the outcome.
    """
    candidates = [rule for rule in rules if rule.unit_id not in excluding and applies(rule, place)]
    if candidates:
        best = max(rule.specificity for rule in candidates)
        winners = [rule for rule in candidates if rule.specificity == best]
        if len(winners) > 1:
            raise AmbiguousRules(winners)
        rule = winners[0]
        return Decision(unit_id=rule.unit_id, rule_id=rule.id, explanation=explain(rule))
    if fallback is not None and fallback[0] not in excluding:
        unit_id, unit_name = fallback
        return Decision(
            unit_id=unit_id,
            rule_id=None,
            explanation=f"Không có quy tắc phù hợp: chuyển UBND cấp xã của địa bàn → {unit_name}",
        )
    raise NoUnit(place)


def explain(rule: Rule) -> str:
    """Describe ``rule`` in Vietnamese, e.g. "Quy tắc #12: Phường Hà Tu × Môi trường → UBND phường Hà Tu".

    "Mọi địa bàn" / "Mọi lĩnh vực" stand for any locality / topic; a rule for one kind ends its
    condition with that kind's label ("× Khiếu nại"). Never raises.
    """
    parts = [
        _scope_name(rule.locality_id, rule.locality_name, ANY_LOCALITY, "địa bàn"),
        _scope_name(rule.topic_id, rule.topic_name, ANY_TOPIC, "lĩnh vực"),
    ]
    if rule.kind is not None:
        parts.append(kind_label(rule.kind))
    return f"Quy tắc #{rule.id}: {' × '.join(parts)} → {rule.unit_name}"


def conflicts(candidate: Rule, existing: Iterable[Rule]) -> list[Rule]:
    """Return the rules of ``existing`` that would tie with ``candidate``, in their given order.

    A rule ties when it has a different id and the same locality, topic and kind as the
    candidate, and its validity period overlaps the candidate's (inclusive ends; an open end
    overlaps everything on that side). Saving the candidate next to any of them would make
    ``choose_unit`` raise ``AmbiguousRules``, so a save must be refused naming both. A new,
    unsaved candidate may carry any id not used by a stored rule. Never raises.
    """
    return [
        rule
        for rule in existing
        if rule.id != candidate.id
        and rule.locality_id == candidate.locality_id
        and rule.topic_id == candidate.topic_id
        and rule.kind == candidate.kind
        and _periods_overlap(rule, candidate)
    ]


def _periods_overlap(a: Rule, b: Rule) -> bool:
    a_starts_in_time = a.valid_from is None or b.valid_to is None or a.valid_from <= b.valid_to
    b_starts_in_time = b.valid_from is None or a.valid_to is None or b.valid_from <= a.valid_to
    return a_starts_in_time and b_starts_in_time


def _scope_name(scope_id: int | None, name: str | None, any_label: str, noun: str) -> str:
    if scope_id is None:
        return any_label
    # a missing name still identifies the scope rather than hiding it
    return name if name else f"{noun} #{scope_id}"
