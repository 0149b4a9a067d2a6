"""Overdue kept as state (issues #9 item 7, #11 d): ``overdue_item``, kept by database triggers,
equals a recount from the clocks after any mix of actions and scan ticks, and every reader of it
(the dashboard's counts and list, the admin list, the unit inbox) gives what ``overdue_clause``
gives at ``now``, the scan's window of past-due-but-unbreached clocks included.

The random mix is the statistics test's (tests/services/test_statistics_random.py): the real
services with the clock passed in. Nothing in it writes ``overdue_item``: only the triggers do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.access import Grant, Role, Viewer
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, LocalityLevel, OverdueItem, OverdueTally
from feedback.services import statistics
from feedback.services.deadlines import (
    compact_overdue_tally,
    kept_late_count,
    kept_rows,
    kept_rows_recounted,
    overdue_clause,
    rebuild_overdue,
    scan_deadlines,
    tally_kept,
    tally_recounted,
)
from feedback.services.access import viewer_for
from feedback.services.items import admin_view
from feedback.services.items.admin_view import list_items
from feedback.services.statistics import Period, Scope
from feedback.services.statistics.overdue import (
    Late,
    group_of_late,
    late_items,
    overdue_counts,
    overdue_now,
    overdue_total,
    recount_late_items,
    recount_overdue_counts,
)
from feedback.services.workspace.inbox import InboxFilters, inbox
from tests.conftest import Enqueued
from tests.factories import add_locality
from tests.services.test_statistics_random import Play, _setup, _submit, act_on_a_live_item


def _overdue_ids(now: datetime) -> set[int]:
    return set(db.session.scalars(sa.select(Deadline.feedback_id).where(overdue_clause(now))))


def _pairs(late: list[Late]) -> list[tuple[int, int, datetime]]:
    return sorted((x.feedback_id, x.unit_id, x.due_at) for x in late)


def _admin() -> Viewer:
    return Viewer(grants=(Grant(Role.ADMIN),))


def _assert_kept_state_is_exact(p: Play, now: datetime) -> None:
    assert kept_rows(db.session) == kept_rows_recounted(db.session)
    assert tally_kept(db.session) == tally_recounted(db.session)
    d = p.d
    scopes = [Scope(), Scope(territory_id=d.ha_tu.id), Scope(territory_id=d.province.id, locality_id=d.village.id),
              Scope(unit_id=d.environment_dept.id), Scope(topic_id=d.environment.id), Scope(kind=Kind.REPORT)]
    for scope in scopes:
        late = recount_late_items(db.session, scope, now)
        shared = statistics.SharedReads()  # one page's calls: the scope and window read once
        # A page that asks every grouping and the total: their kept counts in one statement.
        every = statistics.SharedReads(asked=tuple((Period(now.date(), now.date()), g)
                                                   for g in (*statistics.GROUPINGS, None)))
        for group in statistics.GROUPINGS:
            expected = recount_overdue_counts(db.session, scope, group, now)
            assert overdue_counts(db.session, scope, group, now) == expected, (scope, group)
            assert overdue_counts(db.session, scope, group, now, shared) == expected, (scope, group)
            assert overdue_counts(db.session, scope, group, now, every) == expected, (scope, group)
            # One group's late items (the drill-down), filtered in SQL, as the recount grouped.
            for key in {group_of_late(x, group) for x in late} - {None}:
                assert _pairs(late_items(db.session, scope, now, group, {key})) == \
                    _pairs([x for x in late if group_of_late(x, group) == key]), (scope, group, key)
        assert late_items(db.session, scope, now, "commune", set()) == []
        assert _pairs(late_items(db.session, scope, now)) == _pairs(late), scope
        assert overdue_total(db.session, scope, now) == len(late), scope
        assert overdue_total(db.session, scope, now, shared) == len(late), scope
        assert overdue_total(db.session, scope, now, every) == len(late), scope
        rows = overdue_now(db.session, scope=scope, now=now)
        assert sorted((r.feedback_id, r.unit_id, r.due_at) for r in rows) == \
            sorted((x.feedback_id, x.unit_id, x.due_at) for x in late), scope
        assert overdue_now(db.session, scope=scope, now=now, limit=2) == rows[:2]
    # The admin list "overdue": every overdue item, newest first, over its pages.
    expected = list(db.session.scalars(sa.select(Feedback.code).where(Feedback.id.in_(_overdue_ids(now)))
                                       .order_by(Feedback.received_at.desc(), Feedback.id.desc())))
    listed: list[str] = []
    for number in range(1, 20):
        page = list_items(viewer=_admin(), status=None, unit_id=None, overdue_only=True, page=number, now=now,
                          per_page=3)
        listed += [row.code for row in page.items]
        assert page.total == len(expected) and page.total_exact
        assert all(row.overdue for row in page.items)
        if not page.items:
            break
    assert listed == expected
    _assert_kept_late_count_is_the_recount(d.ubnd_ha_tu.id)
    # One unit's held overdue items, in the admin list and in its inbox (with its count).
    unit = d.ubnd_ha_tu
    held = set(db.session.scalars(sa.select(Feedback.code).where(
        Feedback.id.in_(_overdue_ids(now)), Feedback.current_unit_id == unit.id)))
    page = list_items(viewer=_admin(), status=None, unit_id=unit.id, overdue_only=True, page=1, now=now,
                      per_page=100)
    assert {row.code for row in page.items} == held
    officer = p.staff[unit.id][0]
    viewer = viewer_for(officer)
    open_held = set(db.session.scalars(sa.select(Feedback.code).where(
        Feedback.id.in_(_overdue_ids(now)), Feedback.current_unit_id == unit.id,
        Feedback.status.in_([Status.ASSIGNED, Status.IN_PROGRESS]))))
    box = inbox(viewer, InboxFilters(overdue=True), page=1, per_page=100, now=now)
    assert {row.code for row in box.rows} == open_held
    assert box.counts.overdue == len(open_held)


def _assert_kept_late_count_is_the_recount(unit_id: int) -> None:
    """The admin list's count of overdue items from the kept counts (``kept_late_count``) equals
    the distinct items of the kept rows, per status and holder (every status, any holder, one)."""
    o = OverdueItem
    for status in (None, *Status):
        for holder in (None, unit_id):
            recounted = set(db.session.scalars(sa.select(o.feedback_id).where(
                *([o.status == status] if status is not None else []),
                *([o.current_unit_id == holder] if holder is not None else []))))
            assert kept_late_count(db.session, status=status, holder=holder) == len(recounted), (status, holder)


@pytest.mark.parametrize("seed", [11, 2027])
def test_kept_overdue_equals_the_recount_through_a_random_mix(db_session: Session, enqueued: Enqueued,
                                                             seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _setup()
    p.rng.seed(seed)
    checked = 0
    for step in range(160):
        p.tick(p.rng.choice([1, 3, 8, 24, 24, 48, 96, 150]))
        if not p.items or p.rng.random() < 0.2:
            _submit(p)
        elif p.rng.random() < 0.1:
            scan_deadlines(p.now)
            if p.rng.random() < 0.5:  # the beat's compaction, now and then
                compact_overdue_tally(db.session)
                db.session.commit()
        else:
            act_on_a_live_item(p)
        if step % 20 == 19:
            _assert_kept_state_is_exact(p, p.now)
            checked += 1
    # The mix left both kinds of overdue: breached clocks (kept) and past-due ones the scan has
    # not seen yet (the window).
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem))
    breached_open = db.session.scalar(sa.select(sa.func.count()).select_from(Deadline).where(
        overdue_clause(p.now), Deadline.breached_at.is_(None)))
    later = p.now + timedelta(days=60)  # past every running clock's due time: all of them in the window
    _assert_kept_state_is_exact(p, later)
    # A window longer than its first read (the scan stopped for days) is read whole.
    from feedback.services.deadlines import overdue_state

    assert len(db.session.execute(sa.select(Deadline.id).where(overdue_state.window_clause(later))).all()) > 1
    monkeypatch.setattr(overdue_state, "WINDOW_FIRST_READ", 1)
    _assert_kept_state_is_exact(p, later)
    assert checked == 8 and breached_open is not None
    # A rebuild from the clocks gives what the triggers kept, and its tally one row per group.
    before, tally = kept_rows(db.session), tally_kept(db.session)
    assert rebuild_overdue(db.session) == len(before)
    assert kept_rows(db.session) == before and tally_kept(db.session) == tally
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueTally)) == len(tally)
    # An overdue item held by no unit (a core UPDATE) is counted from its kept rows: the admin
    # list's count and pages stay the recount's, and past COUNT_LIMIT they say "more than".
    item_id = db.session.scalars(sa.select(OverdueItem.feedback_id).order_by(OverdueItem.feedback_id)).first()
    db.session.execute(sa.update(Feedback).where(Feedback.id == item_id).values(current_unit_id=None))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem).where(
        OverdueItem.current_unit_id.is_(None)))
    _assert_kept_state_is_exact(p, p.now)
    overdue = len(_overdue_ids(p.now))
    assert overdue > 3
    monkeypatch.setattr(admin_view, "COUNT_LIMIT", overdue - 1)
    first = list_items(viewer=_admin(), status=None, unit_id=None, overdue_only=True, page=1, now=p.now, per_page=2)
    assert (first.total, first.total_exact, first.pages) == (overdue - 1, False, -(-(overdue - 1) // 2))
    monkeypatch.setattr(admin_view, "COUNT_LIMIT", overdue)
    first = list_items(viewer=_admin(), status=None, unit_id=None, overdue_only=True, page=1, now=p.now, per_page=2)
    assert (first.total, first.total_exact) == (overdue, True)


def test_item_facts_and_clock_changes_are_copied_by_the_triggers(db_session: Session, enqueued: Enqueued) -> None:
    """A core UPDATE (no ORM, no Python hook) of an item's place, topic, kind, holder and status,
    and of a clock's breach, due time and closing, is reflected at once."""
    p = _setup()
    p.rng.seed(5)
    for _ in range(6):
        _submit(p)
    clock = db.session.scalars(sa.select(Deadline).where(Deadline.closed_at.is_(None)).order_by(Deadline.id)).first()
    assert clock is not None
    item_id, now = clock.feedback_id, p.now
    db.session.execute(sa.update(Deadline).where(Deadline.id == clock.id).values(breached_at=now))
    assert kept_rows(db.session) == kept_rows_recounted(db.session) != set()
    d = p.d
    other = d.ubnd_van_don
    for values in ({"locality_id": d.remote_village.id}, {"topic_id": d.land.id}, {"kind": Kind.COMPLAINT},
                   {"current_unit_id": other.id}, {"status": Status.IN_PROGRESS}):
        db.session.execute(sa.update(Feedback).where(Feedback.id == item_id).values(**values))
        assert kept_rows(db.session) == kept_rows_recounted(db.session), values
    row = db.session.get(OverdueItem, clock.id)
    assert row is not None and (row.locality_id, row.topic_id, row.kind, row.current_unit_id) == \
        (d.remote_village.id, d.land.id, Kind.COMPLAINT, other.id)
    db.session.execute(sa.update(Deadline).where(Deadline.id == clock.id).values(due_at=clock.due_at - timedelta(days=1)))
    assert kept_rows(db.session) == kept_rows_recounted(db.session)
    db.session.execute(sa.update(Deadline).where(Deadline.id == clock.id).values(closed_at=now, met_at=now))
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(OverdueItem)
                                 .where(OverdueItem.deadline_id == clock.id))
    assert kept_rows(db.session) == kept_rows_recounted(db.session)


def _breach_one_clock_each(p: Play, placed: dict[int, Locality]) -> None:
    """Move each item to its locality and breach one of its open clocks (core UPDATEs: only the
    triggers write ``overdue_item``)."""
    for item_id, locality in placed.items():
        db.session.execute(sa.update(Feedback).where(Feedback.id == item_id).values(locality_id=locality.id))
        clock = db.session.scalars(sa.select(Deadline).where(
            Deadline.feedback_id == item_id, Deadline.closed_at.is_(None), Deadline.met_at.is_(None),
            Deadline.unit_id.is_not(None)).order_by(Deadline.id)).first()
        assert clock is not None
        db.session.execute(sa.update(Deadline).where(Deadline.id == clock.id).values(breached_at=p.now))


def test_overdue_grouped_by_commune_and_village_as_counted_by_hand(db_session: Session, enqueued: Enqueued) -> None:
    """Five overdue items placed by hand: two in Hà Tu (one in its village), two in Vân Đồn's
    village, one at the province; a second province's commune holds a sixth. Each figure below
    is counted on paper; a commune or village taken from the wrong level or parent, or a
    territory that leaks the other province, changes one of them."""
    p = _setup()
    p.rng.seed(3)
    d = p.d
    other = add_locality("25", "Tỉnh khác", "tỉnh", LocalityLevel.PROVINCE)
    other_commune = add_locality("25001", "Xã khác", "xã", LocalityLevel.COMMUNE, other)
    db.session.commit()
    for _ in range(6):
        _submit(p)
    places = [d.village, d.ha_tu, d.remote_village, d.remote_village, d.province, other_commune]
    _breach_one_clock_each(p, dict(zip(p.items, places)))
    assert kept_rows(db.session) == kept_rows_recounted(db.session)
    assert tally_kept(db.session) == tally_recounted(db.session)
    now, whole = p.now, Scope(territory_id=d.province.id)
    assert overdue_counts(db.session, whole, "commune", now) == {d.ha_tu.id: 2, d.van_don.id: 2, d.province.id: 1}
    assert overdue_counts(db.session, whole, "village", now) == {d.village.id: 1, d.remote_village.id: 2}
    assert overdue_counts(db.session, Scope(), "commune", now) == \
        {d.ha_tu.id: 2, d.van_don.id: 2, d.province.id: 1, other_commune.id: 1}
    assert overdue_counts(db.session, Scope(territory_id=other.id), "commune", now) == {other_commune.id: 1}
    assert overdue_counts(db.session, Scope(territory_id=d.ha_tu.id), "village", now) == {d.village.id: 1}
    assert overdue_total(db.session, Scope(territory_id=d.ha_tu.id), now) == 2
    assert overdue_total(db.session, Scope(territory_id=d.province.id, locality_id=d.remote_village.id), now) == 2
    assert overdue_total(db.session, whole, now) == 5
    assert overdue_total(db.session, Scope(), now) == 6
    for scope in (whole, Scope(), Scope(territory_id=other.id), Scope(territory_id=d.van_don.id),
                  Scope(territory_id=d.province.id, locality_id=d.village.id)):
        for group in ("commune", "village"):
            assert overdue_counts(db.session, scope, group, now) == \
                recount_overdue_counts(db.session, scope, group, now), (scope, group)

    # The unit corrects an item's place: Hà Tu's commune-level item goes to Vân Đồn's village.
    db.session.execute(sa.update(Feedback).where(Feedback.id == p.items[1]).values(locality_id=d.remote_village.id))
    assert overdue_counts(db.session, whole, "commune", now) == {d.ha_tu.id: 1, d.van_don.id: 3, d.province.id: 1}
    assert overdue_counts(db.session, whole, "village", now) == {d.village.id: 1, d.remote_village.id: 3}

    # A directory import moves Vân Đồn's village under Hà Tu (its parent and path).
    db.session.execute(sa.update(Locality).where(Locality.id == d.remote_village.id).values(
        parent_id=d.ha_tu.id, path=f"{d.ha_tu.path}{d.remote_village.id}/"))
    assert kept_rows(db.session) == kept_rows_recounted(db.session)
    assert tally_kept(db.session) == tally_recounted(db.session)
    assert overdue_counts(db.session, whole, "commune", now) == {d.ha_tu.id: 4, d.province.id: 1}
    assert overdue_counts(db.session, Scope(territory_id=d.ha_tu.id), "village", now) == \
        {d.village.id: 1, d.remote_village.id: 3}
    assert overdue_total(db.session, Scope(territory_id=d.van_don.id), now) == 0
    # And a commune that becomes a village of Hà Tu takes its own items there.
    db.session.execute(sa.update(Locality).where(Locality.id == d.van_don.id).values(
        parent_id=d.ha_tu.id, level=LocalityLevel.VILLAGE, path=f"{d.ha_tu.path}{d.van_don.id}/"))
    db.session.execute(sa.update(Feedback).where(Feedback.id == p.items[4]).values(locality_id=d.van_don.id))
    assert kept_rows(db.session) == kept_rows_recounted(db.session)
    assert overdue_counts(db.session, whole, "commune", now) == {d.ha_tu.id: 5}
    assert overdue_counts(db.session, whole, "village", now) == \
        {d.village.id: 1, d.remote_village.id: 3, d.van_don.id: 1}
    # The whole tree (no territory: every province) is read from the tally.
    assert overdue_counts(db.session, Scope(), "commune", now) == {d.ha_tu.id: 5, other_commune.id: 1}
    assert overdue_counts(db.session, Scope(), "village", now) == \
        {d.village.id: 1, d.remote_village.id: 3, d.van_don.id: 1}
    assert tally_kept(db.session) == tally_recounted(db.session)
