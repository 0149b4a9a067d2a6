"""What editing and importing routing rules share: the rule as entered, its description in the
administrator's language, the conversion to the pure ``feedback.domain.routing.Rule``, and the
conflict check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from feedback.domain import routing
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Locality, RoutingRule, Topic, Unit
from feedback.services.database import on_postgresql
from feedback.services.kinds import KIND_LABELS

# Any key of the PostgreSQL advisory lock taken while rules are checked and written; a constant
# so that two administrators saving at once are serialised and cannot both pass the check.
_RULES_LOCK_KEY = 7_310_001


@dataclass(frozen=True)
class RuleData:
    """A rule as an administrator entered it. None for locality, topic or kind means "any";
    None for a date leaves that end of the validity open. Dates are inclusive local dates."""

    locality_id: int | None
    topic_id: int | None
    kind: Kind | None
    unit_id: int
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """One reason a rule cannot be saved; ``field`` names the form field it belongs to (or None)."""

    field: str | None
    message: str


class RuleRefused(ValueError):
    """The rule was not saved (nothing was written); ``problems`` says why, in Vietnamese."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = tuple(problems)


class RuleNotFound(LookupError):
    """No routing rule has this id."""


def kind_label(kind: Kind | None) -> str:
    """The kind's name in the current language, "Mọi loại" for None."""
    return str(KIND_LABELS[kind]) if kind is not None else _("Mọi loại")


def describe(locality: Locality | None, topic: Topic | None, kind: Kind | None, unit: Unit) -> str:
    """E.g. "Phường Hà Tu × Môi trường → UBND Phường Hà Tu"; a kind, when set, ends the condition."""
    parts = [locality.name if locality else _("Mọi địa bàn"), topic.name if topic else _("Mọi lĩnh vực")]
    if kind is not None:
        parts.append(kind_label(kind))
    return f"{' × '.join(parts)} → {unit.name}"


def describe_rule(rule: RoutingRule) -> str:
    """``describe`` of a stored rule."""
    return describe(rule.locality, rule.topic, rule.kind, rule.unit)


def to_domain(rule_id: int, locality: Locality | None, topic: Topic | None, kind: Kind | None, unit: Unit,
              valid_from: date | None, valid_to: date | None) -> routing.Rule:
    """The pure rule used by ``feedback.domain.routing`` (raises ValueError if valid_to < valid_from)."""
    return routing.Rule(
        id=rule_id,
        unit_id=unit.id,
        unit_name=unit.name,
        locality_id=locality.id if locality else None,
        locality_depth=locality.depth if locality else 0,
        locality_name=locality.name if locality else None,
        topic_id=topic.id if topic else None,
        topic_depth=topic.depth if topic else 0,
        topic_name=topic.name if topic else None,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def stored_to_domain(rule: RoutingRule) -> routing.Rule:
    return to_domain(rule.id, rule.locality, rule.topic, rule.kind, rule.unit, rule.valid_from, rule.valid_to)


def lock_rules() -> None:
    """Serialise rule changes until the end of the transaction (PostgreSQL; SQLite has one writer)."""
    if on_postgresql():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RULES_LOCK_KEY})


def load_rules(same_as: routing.Rule | None = None) -> list[RoutingRule]:
    """Stored rules with their locality, topic and unit; only those for the same locality, topic
    and kind as ``same_as`` when given (the only ones that can conflict with it)."""
    query = select(RoutingRule).options(
        selectinload(RoutingRule.locality), selectinload(RoutingRule.topic), selectinload(RoutingRule.unit)
    )
    if same_as is not None:
        query = query.where(
            RoutingRule.locality_id.is_not_distinct_from(same_as.locality_id),
            RoutingRule.topic_id.is_not_distinct_from(same_as.topic_id),
            RoutingRule.kind.is_not_distinct_from(same_as.kind),
        )
    return list(db.session.execute(query.order_by(RoutingRule.id)).scalars())


def conflict_messages(candidate: routing.Rule, stored: Iterable[RoutingRule]) -> list[str]:
    """One message per stored rule that ties with ``candidate`` (see ``routing.conflicts``).

    A candidate with a positive id is an existing rule being changed and is named too.
    """
    by_id = {rule.id: rule for rule in stored}
    messages = []
    for other in routing.conflicts(candidate, [stored_to_domain(rule) for rule in by_id.values()]):
        description = describe_rule(by_id[other.id])
        if candidate.id > 0:
            messages.append(_(
                "Quy tắc #%(own)d trùng với quy tắc #%(id)d (%(rule)s): cùng địa bàn, lĩnh vực và loại, "
                "thời gian hiệu lực chồng nhau.", own=candidate.id, id=other.id, rule=description))
        else:
            messages.append(_(
                "Quy tắc trùng với quy tắc #%(id)d (%(rule)s): cùng địa bàn, lĩnh vực và loại, "
                "thời gian hiệu lực chồng nhau.", id=other.id, rule=description))
    return messages
