"""The unit inbox read from kept state (issue #11 d): ``feedback.next_due_at``, kept by database
triggers on ``deadline`` (migration 0023), and the counts per unit ``unit_item_count``, kept by
triggers on ``feedback`` and ``overdue_item`` (migration 0027), equal a recount from the clocks
and the items after any mix of actions and scan ticks; and every unit's inbox (its order over
the pages, its total and every count per filter) equals a recount in Python from the items and
their clocks.

The random mix is the statistics test's (tests/services/test_statistics_random.py): the real
services (route, accept, ask and reply, answer and publish, extend, return and transfer, rate,
reopen and close) with the clock passed in, and deadline scan ticks. Nothing in it writes
``next_due_at``: only the triggers do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Deadline, Feedback, OverdueItem, UnitItemCount
from feedback.services.access import viewer_for
from feedback.services.deadlines import overdue_clause, scan_deadlines
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.deadlines.overdue_state import rebuild_overdue
from feedback.services.workspace.inbox import OPEN_STATUSES, InboxFilters, due_soon_limit, inbox
from tests.conftest import Enqueued
from tests.services.test_overdue_state import _assert_kept_late_count_is_the_recount
from tests.services.test_statistics_random import Play, _setup, _submit, act_on_a_live_item
from tests.sqlite_apps import migrated_sqlite_app


def _running(clock: Deadline) -> bool:
    return clock.met_at is None and clock.closed_at is None and clock.paused_at is None


def _clocks() -> list[Deadline]:
    return list(db.session.scalars(sa.select(Deadline).execution_options(populate_existing=True)))


def _nearest_recounted() -> dict[int, datetime | None]:
    """Every item's nearest running clock, from the clocks themselves."""
    nearest: dict[int, datetime | None] = dict.fromkeys(db.session.scalars(sa.select(Feedback.id)))
    for clock in _clocks():
        if _running(clock):
            known = nearest[clock.feedback_id]
            nearest[clock.feedback_id] = clock.due_at if known is None else min(known, clock.due_at)
    return nearest


def _nearest_kept() -> dict[int, datetime | None]:
    return {row.id: row.next_due_at for row in db.session.execute(sa.select(Feedback.id, Feedback.next_due_at))}


def _counts_recounted() -> Counter[tuple[int, str, int, str, str]]:
    """Every unit's items per status, late (a row in ``overdue_item``) and facet value, from the
    items themselves."""
    late = set(db.session.scalars(sa.select(OverdueItem.feedback_id)))
    counts: Counter[tuple[int, str, int, str, str]] = Counter()
    for item in db.session.scalars(sa.select(Feedback).where(Feedback.current_unit_id.is_not(None))
                                   .execution_options(populate_existing=True)):
        key = (item.current_unit_id or 0, item.status.value, int(item.id in late))
        for facet, value in (("all", ""), ("kind", item.kind.value), ("topic", str(item.topic_id)),
                             ("locality", str(item.locality_id)), ("officer", str(item.assigned_officer_id or "")),
                             ("origin", item.origin.value)):
            counts[(*key, facet, value)] += 1
    return counts


def _counts_kept() -> Counter[tuple[int, str, int, str, str]]:
    c = UnitItemCount
    return Counter({(r.unit_id, r.status, r.late, r.facet, r.value): r.n for r in db.session.execute(
        sa.select(c.unit_id, c.status, c.late, c.facet, c.value, c.n).where(c.n != 0))})


def _assert_inbox_is_the_recount(p: Play, now: datetime) -> int:
    """Each unit's inbox (no filter, one status, due soon) against the recount; returns how many
    items the inboxes listed."""
    nearest = _nearest_recounted()
    overdue = set(db.session.scalars(sa.select(Deadline.feedback_id).where(overdue_clause(now))))
    limit = due_soon_limit(now, calendar_for(now))
    soon = {c.feedback_id for c in _clocks() if _running(c) and now <= c.due_at <= limit}
    listed = 0
    for unit_id, (officer, _) in p.staff.items():
        items = list(db.session.scalars(sa.select(Feedback).where(
            Feedback.current_unit_id == unit_id, Feedback.status.in_(OPEN_STATUSES))
            .execution_options(populate_existing=True)))

        def order(item: Feedback) -> tuple[Any, ...]:
            due = nearest[item.id]
            return (due is None, due or now, item.received_at, item.id)

        viewer = viewer_for(officer)
        for filters, chosen in ((InboxFilters(), items),
                                (InboxFilters(status=Status.IN_PROGRESS),
                                 [i for i in items if i.status is Status.IN_PROGRESS]),
                                (InboxFilters(due_soon=True), [i for i in items if i.id in soon]),
                                (InboxFilters(overdue=True), [i for i in items if i.id in overdue]),
                                (InboxFilters(overdue=True, status=Status.IN_PROGRESS),
                                 [i for i in items if i.id in overdue and i.status is Status.IN_PROGRESS])):
            expected = [str(i.code) for i in sorted(chosen, key=order)]
            codes: list[str] = []
            for number in range(1, 40):
                page = inbox(viewer, filters, page=number, per_page=3, now=now)
                assert page.total == len(expected), (unit_id, filters)
                assert page.pages == -(-len(expected) // 3)
                codes += [row.code for row in page.rows]
                if not page.rows:
                    break
            assert codes == expected, (unit_id, filters)
            listed += len(codes)
        counts = inbox(viewer, InboxFilters(), page=1, per_page=3, now=now).counts
        statuses = Counter(i.status for i in items)
        assert {o.value: o.count for o in counts.statuses if Status(o.value) in OPEN_STATUSES} == \
            {s.value: statuses.get(s, 0) for s in OPEN_STATUSES}
        kinds = Counter(i.kind.value for i in items)
        assert {o.value: o.count for o in counts.kinds if o.count} == dict(kinds)
        assert {int(o.value): o.count for o in counts.topics} == dict(Counter(i.topic_id for i in items))
        officers = Counter(i.assigned_officer_id for i in items if i.assigned_officer_id is not None)
        assert {int(o.value): o.count for o in counts.officers} == dict(officers)
        assert counts.overdue == len({i.id for i in items} & overdue)
        assert counts.due_soon == len({i.id for i in items} & soon)
        units = inbox(viewer, InboxFilters(), page=1, per_page=3, now=now).units
        assert [(int(o.value), o.count) for o in units] == [(unit_id, len(items))]
        # A filtered page (counted over the items it selects) reads the units' open items kept too.
        units = inbox(viewer, InboxFilters(due_soon=True), page=1, per_page=3, now=now).units
        assert [(int(o.value), o.count) for o in units] == [(unit_id, len(items))]
        # Narrowed to the overdue items (counted from their rows, in Python): every count is the
        # recount's, the statuses of the unit's history included.
        late_held = list(db.session.scalars(sa.select(Feedback).where(
            Feedback.current_unit_id == unit_id, Feedback.id.in_(overdue))))
        late_open = [i for i in late_held if i.status in OPEN_STATUSES]
        counts = inbox(viewer, InboxFilters(overdue=True), page=1, per_page=3, now=now).counts
        assert {o.value: o.count for o in counts.statuses if o.count} == \
            dict(Counter(i.status.value for i in late_held))
        assert {o.value: o.count for o in counts.kinds if o.count} == dict(Counter(i.kind.value for i in late_open))
        assert {int(o.value): o.count for o in counts.topics} == dict(Counter(i.topic_id for i in late_open))
        assert {int(o.value): o.count for o in counts.officers} == \
            dict(Counter(i.assigned_officer_id for i in late_open if i.assigned_officer_id is not None))
        assert (counts.overdue, counts.due_soon) == (len(late_open), len([i for i in late_open if i.id in soon]))
        mine_only = inbox(viewer, InboxFilters(overdue=True, officer_id=officer.id), page=1, per_page=50, now=now)
        assert sorted(row.code for row in mine_only.rows) == \
            sorted(str(i.code) for i in late_open if i.assigned_officer_id == officer.id)
        assert mine_only.counts.overdue == mine_only.total
    return listed


@pytest.mark.parametrize("seed", [3, 2026])
def test_kept_nearest_clock_and_the_inbox_equal_the_recount_through_a_random_mix(
        db_session: Session, enqueued: Enqueued, seed: int) -> None:
    p = _setup()
    p.rng.seed(seed)
    checked = listed = paused = unseen = 0
    for step in range(160):
        p.tick(p.rng.choice([1, 3, 8, 24, 24, 48, 96, 150]))
        if not p.items or p.rng.random() < 0.2:
            _submit(p)
        elif p.rng.random() < 0.1:
            scan_deadlines(p.now)
        else:
            act_on_a_live_item(p)
        if step % 20 == 19:
            assert _nearest_kept() == _nearest_recounted()
            assert _counts_kept() == _counts_recounted()
            listed += _assert_inbox_is_the_recount(p, p.now)
            # Overdue by a clock the scan has not yet breached (the window, counted beside the kept counts).
            unseen += len(set(db.session.scalars(sa.select(Deadline.feedback_id).where(overdue_clause(p.now))))
                          - set(db.session.scalars(sa.select(OverdueItem.feedback_id))))
            checked += 1
            paused += db.session.scalar(sa.select(sa.func.count()).select_from(Deadline).where(
                Deadline.paused_at.is_not(None), Deadline.closed_at.is_(None))) or 0
    kept = _nearest_kept()
    # The checks saw items with a running clock, items without one (answered, closed), clocks
    # paused by a question to the resident, and inboxes that were listed.
    assert checked == 8 and listed > 0 and paused > 0 and unseen > 0
    assert any(v is not None for v in kept.values()) and any(v is None for v in kept.values())


def _core_changes_are_kept() -> None:
    """A core UPDATE, INSERT and DELETE of clocks (no ORM, no Python hook) moves the item's
    nearest running clock at once: pause, resume, move, meet, close, move to another item, add
    and delete."""
    clocks = [c for c in _clocks() if _running(c)]
    first, second = clocks[0], next(c for c in clocks if c.feedback_id != clocks[0].feedback_id)
    later = first.due_at + timedelta(days=400)
    steps: list[tuple[Any, ...]] = [
        (sa.update(Deadline).where(Deadline.id == first.id).values(paused_at=first.due_at - timedelta(days=3)),),
        (sa.update(Deadline).where(Deadline.id == first.id).values(paused_at=None),),
        (sa.update(Deadline).where(Deadline.id == first.id).values(due_at=later),),
        (sa.update(Deadline).where(Deadline.id == first.id).values(due_at=first.due_at - timedelta(days=1)),),
        (sa.update(Deadline).where(Deadline.id == first.id).values(feedback_id=second.feedback_id, sequence=77),),
        (sa.update(Deadline).where(Deadline.id == first.id).values(feedback_id=first.feedback_id, sequence=first.sequence),),
        (sa.update(Deadline).where(Deadline.feedback_id == first.feedback_id).values(met_at=later, closed_at=later),),
        (sa.delete(Deadline).where(Deadline.id == second.id),),
    ]
    before = _nearest_kept()
    for statement in steps:
        db.session.execute(*statement)
        assert _nearest_kept() == _nearest_recounted(), statement
    assert _nearest_kept()[first.feedback_id] is None != before[first.feedback_id]
    db.session.execute(sa.insert(Deadline).values(
        feedback_id=first.feedback_id, unit_id=first.unit_id, clock="resolution", sequence=99,
        legal_basis="test", day_type=first.day_type, period_days=1, starts_at=first.starts_at, due_at=later,
        extensions=0, created_at=first.starts_at))
    assert _nearest_kept()[first.feedback_id] == later
    assert _nearest_kept() == _nearest_recounted()


def _core_item_changes_are_counted() -> None:
    """Core statements on items and overdue rows (no ORM, no Python hook) move the kept counts at
    once: a bulk change of status, holder and officer; a clock breached and met; the overdue rows
    refilled by ``flask stats rebuild`` (several rows of one item in one statement) and deleted."""
    held = list(db.session.scalars(sa.select(Feedback).where(Feedback.current_unit_id.is_not(None))))
    assert held and _counts_kept() == _counts_recounted()
    first, last = held[0], held[-1]
    clock = db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == first.id)).first()
    assert clock is not None
    steps: list[Any] = [
        sa.update(Feedback).where(Feedback.id.in_([first.id, last.id])).values(status=Status.IN_PROGRESS.value),
        sa.update(Feedback).where(Feedback.id == first.id).values(current_unit_id=last.current_unit_id,
                                                                   assigned_officer_id=None),
        sa.update(Deadline).where(Deadline.id == clock.id).values(breached_at=clock.due_at, met_at=None,
                                                                   closed_at=None),
        sa.update(Feedback).where(Feedback.id == first.id).values(kind=last.kind.value, topic_id=last.topic_id),
        sa.update(Deadline).where(Deadline.feedback_id == first.id).values(breached_at=clock.due_at, met_at=None,
                                                                            closed_at=None),
    ]
    for statement in steps:
        db.session.execute(statement)
        assert _counts_kept() == _counts_recounted(), statement
    assert any(key[2] == 1 for key in _counts_kept())
    rebuild_overdue(db.session())
    assert _counts_kept() == _counts_recounted()
    db.session.execute(sa.update(Deadline).where(Deadline.feedback_id == first.id).values(met_at=clock.due_at))
    assert _counts_kept() == _counts_recounted()
    db.session.execute(sa.delete(OverdueItem).where(OverdueItem.feedback_id == first.id))
    assert _counts_kept() == _counts_recounted()


def test_core_clock_changes_are_kept_by_the_triggers(db_session: Session, enqueued: Enqueued) -> None:
    p = _setup()
    p.rng.seed(5)
    for _ in range(6):
        _submit(p)
    _core_changes_are_kept()


def test_core_item_changes_are_counted_by_the_triggers(db_session: Session, enqueued: Enqueued) -> None:
    p = _setup()
    p.rng.seed(7)
    for step in range(40):
        p.tick(p.rng.choice([8, 24, 96]))
        if not p.items or p.rng.random() < 0.3:
            _submit(p)
        else:
            act_on_a_live_item(p)
    scan_deadlines(p.now)
    _core_item_changes_are_counted()


@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    with migrated_sqlite_app(app, tmp_path) as other:
        yield other


def test_on_sqlite_the_triggers_keep_the_nearest_clock_and_the_inbox_its_order(
        sqlite_app: Flask, enqueued: Enqueued) -> None:
    """The Quick start's database: the same triggers (SQLite's dialect) through services and
    core statements, and the inbox's order and counts from them."""
    p = _setup()
    p.rng.seed(9)
    for step in range(60):
        p.tick(p.rng.choice([1, 8, 24, 48, 96]))
        if not p.items or p.rng.random() < 0.3:
            _submit(p)
        elif p.rng.random() < 0.1:
            scan_deadlines(p.now)
        else:
            act_on_a_live_item(p)
    assert _nearest_kept() == _nearest_recounted()
    assert _counts_kept() == _counts_recounted()
    assert _assert_inbox_is_the_recount(p, p.now) > 0
    # The admin list's count of overdue items, from the kept counts, in SQLite's dialect.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem))
    for unit_id in p.staff:
        _assert_kept_late_count_is_the_recount(unit_id)
    _core_changes_are_kept()
    _core_item_changes_are_counted()
