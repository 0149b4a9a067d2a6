"""Creating, changing, ending and deleting routing rules one at a time (the admin pages).

A rule that has routed an item (``Feedback.routing_rule_id`` or ``Assignment.rule_id``) is part
of the record of why that item went where it went, so it is never deleted and its condition and
unit never change: only its end date and note may. To route differently from some day on, the
administrator ends the old rule and creates a new one. Changes are logged (INFO, with the
administrator's username); they are not item events, since no item changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import false, func, select, union_all
from sqlalchemy.orm import aliased, selectinload

from feedback.domain.calendar import local_date
from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.models import Assignment, Feedback, Locality, RoutingRule, Topic, Unit
from feedback.services.routing.rules.common import (
    Problem,
    RuleData,
    RuleNotFound,
    RuleRefused,
    conflict_messages,
    describe_rule,
    load_rules,
    lock_rules,
    to_domain,
)

log = logging.getLogger(__name__)


class Removal(StrEnum):
    """What ``remove_rule`` did."""

    DELETED = "deleted"  # never used: the row is gone
    ENDED = "ended"  # used: valid_to set to today, so that it no longer applies from tomorrow
    ALREADY_ENDED = "already_ended"  # used and already ending today or earlier: nothing changed


@dataclass(frozen=True)
class RulePage:
    """One page of rules, with how many items each rule routed."""

    rules: list[RoutingRule]
    usage: dict[int, int]
    page: int
    pages: int
    total: int


def get_rule(rule_id: int) -> RoutingRule:
    """The rule with this id; raises ``RuleNotFound``."""
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise RuleNotFound(rule_id)
    return rule


def usage_counts(rule_ids: Iterable[int]) -> dict[int, int]:
    """How many distinct items each rule routed (absent ids: none). Read only."""
    ids = list(rule_ids)
    if not ids:
        return {}
    used = union_all(
        select(Feedback.routing_rule_id.label("rule_id"), Feedback.id.label("feedback_id"))
        .where(Feedback.routing_rule_id.in_(ids)),
        select(Assignment.rule_id.label("rule_id"), Assignment.feedback_id.label("feedback_id"))
        .where(Assignment.rule_id.in_(ids)),
    ).subquery()
    rows = db.session.execute(
        select(used.c.rule_id, func.count(used.c.feedback_id.distinct())).group_by(used.c.rule_id)
    )
    return {int(rule_id): int(count) for rule_id, count in rows}


def list_rules(*, locality_id: int | None = None, topic_id: int | None = None, unit_id: int | None = None,
               page: int = 1, per_page: int = 25) -> RulePage:
    """Rules whose locality lies in the subtree of ``locality_id``, whose topic lies in the subtree
    of ``topic_id`` and whose unit is ``unit_id`` (each filter only when given), ordered by
    locality, topic, kind and start date. A page past the end is empty. Read only."""
    loc, top = aliased(Locality), aliased(Topic)
    query = (
        select(RoutingRule)
        .outerjoin(loc, RoutingRule.locality_id == loc.id)
        .outerjoin(top, RoutingRule.topic_id == top.id)
        .options(selectinload(RoutingRule.locality), selectinload(RoutingRule.topic),
                 selectinload(RoutingRule.unit))
    )
    if locality_id is not None:
        selected = db.session.get(Locality, locality_id)
        query = query.where(loc.path.startswith(selected.path) if selected else false())
    if topic_id is not None:
        chosen = db.session.get(Topic, topic_id)
        query = query.where(top.path.startswith(chosen.path) if chosen else false())
    if unit_id is not None:
        query = query.where(RoutingRule.unit_id == unit_id)
    query = query.order_by(loc.code.nulls_first(), top.code.nulls_first(), RoutingRule.kind.nulls_first(),
                           RoutingRule.valid_from.nulls_first(), RoutingRule.id)
    pagination = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)
    rules = list(pagination.items)
    return RulePage(rules=rules, usage=usage_counts(rule.id for rule in rules), page=pagination.page,
                    pages=pagination.pages, total=pagination.total or 0)


def create_rule(data: RuleData, *, actor: Actor, now: datetime) -> RoutingRule:
    """Validate and store a new rule, committed.

    Raises ``RuleRefused`` (nothing written) for an unknown locality, topic or unit, an inactive
    unit, an end date before the start date, or a stored rule that would tie with it (same
    locality, topic and kind, overlapping validity: ``feedback.domain.routing.conflicts``).
    """
    lock_rules()
    rule = RoutingRule()
    _apply(rule, data, rule_id=0, current_unit_id=None)
    db.session.add(rule)
    db.session.commit()
    log.info("routing rule #%d created by %s at %s: %s (%s–%s)", rule.id, actor, now.isoformat(),
             describe_rule(rule), rule.valid_from, rule.valid_to)
    return rule


def update_rule(rule_id: int, data: RuleData, *, actor: Actor, now: datetime) -> RoutingRule:
    """Change a rule, committed. Raises ``RuleNotFound``, or ``RuleRefused`` (nothing written) for
    the reasons of ``create_rule`` and when a rule that routed items would change anything but its
    end date and note."""
    lock_rules()
    rule = get_rule(rule_id)
    used = usage_counts([rule.id]).get(rule.id, 0)
    fixed = (rule.locality_id, rule.topic_id, rule.kind, rule.unit_id, rule.valid_from)
    wanted = (data.locality_id, data.topic_id, data.kind, data.unit_id, data.valid_from)
    if used and fixed != wanted:
        raise RuleRefused([Problem(None, _(
            "Quy tắc #%(id)d đã được dùng để phân công %(count)d ý kiến nên chỉ được sửa ngày hết hiệu lực "
            "và ghi chú. Để phân công khác đi, hãy kết thúc hiệu lực quy tắc này và tạo quy tắc mới.",
            id=rule.id, count=used))])
    before = f"{describe_rule(rule)} ({rule.valid_from}–{rule.valid_to})"
    with db.session.no_autoflush:
        _apply(rule, data, rule_id=rule.id, current_unit_id=rule.unit_id)
    db.session.commit()
    log.info("routing rule #%d changed by %s at %s: %s → %s (%s–%s)", rule.id, actor, now.isoformat(), before,
             describe_rule(rule), rule.valid_from, rule.valid_to)
    return rule


def is_ended(rule: RoutingRule, today: date) -> bool:
    """Whether ``rule`` has already been ended: its validity stops at the end of ``today`` or
    earlier, so "end" has nothing left to do (``valid_to`` is inclusive, like every date of a rule)."""
    return rule.valid_to is not None and rule.valid_to <= today


def remove_rule(rule_id: int, *, actor: Actor, now: datetime) -> Removal:
    """Delete a rule that never routed an item; end the validity of one that did, committed.

    Ending sets ``valid_to`` to today (local date): the rule applies until the end of today and
    never after, which also holds for a rule that started today (``valid_to`` is never before
    ``valid_from``) and is true of every item it routed today. A rule already ended
    (``is_ended``) is left alone. Raises ``RuleNotFound``.
    """
    lock_rules()
    rule = get_rule(rule_id)
    description = describe_rule(rule)
    if not usage_counts([rule.id]):
        db.session.delete(rule)
        db.session.commit()
        log.info("routing rule #%d deleted by %s at %s: %s", rule_id, actor, now.isoformat(), description)
        return Removal.DELETED
    today = local_date(now)
    if is_ended(rule, today):
        db.session.rollback()  # release the advisory lock
        return Removal.ALREADY_ENDED
    rule.valid_to = today
    db.session.commit()
    log.info("routing rule #%d ended on %s by %s at %s: %s", rule_id, today, actor, now.isoformat(), description)
    return Removal.ENDED


def _apply(rule: RoutingRule, data: RuleData, *, rule_id: int, current_unit_id: int | None) -> None:
    """Check ``data`` and copy it onto ``rule``; raises ``RuleRefused`` before changing anything."""
    problems: list[Problem] = []
    locality = db.session.get(Locality, data.locality_id) if data.locality_id is not None else None
    topic = db.session.get(Topic, data.topic_id) if data.topic_id is not None else None
    unit = db.session.get(Unit, data.unit_id)
    if data.locality_id is not None and locality is None:
        problems.append(Problem("locality", _("Địa bàn không tồn tại.")))
    if data.topic_id is not None and topic is None:
        problems.append(Problem("topic", _("Lĩnh vực không tồn tại.")))
    if unit is None:
        problems.append(Problem("unit", _("Đơn vị không tồn tại.")))
    elif not unit.active and unit.id != current_unit_id:
        problems.append(Problem("unit", _("Đơn vị %(name)s đã ngừng hoạt động.", name=unit.name)))
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        problems.append(Problem("valid_to", _("Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.")))
    if problems:
        raise RuleRefused(problems)
    assert unit is not None
    candidate = to_domain(rule_id, locality, topic, data.kind, unit, data.valid_from, data.valid_to)
    clashes = conflict_messages(candidate, load_rules(same_as=candidate))
    if clashes:
        raise RuleRefused([Problem(None, message) for message in clashes])
    rule.locality, rule.topic, rule.kind, rule.unit = locality, topic, data.kind, unit
    rule.valid_from, rule.valid_to, rule.note = data.valid_from, data.valid_to, data.note.strip() or None
