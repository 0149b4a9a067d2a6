"""The administrator's item read model and its two writes: list filters and order, the detail of an
item routed by the real routing service, the logged view of personal data, the manual nudge to
routing (enqueued only after the commit) and the definition of "overdue now"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

import feedback.jobs
from feedback.domain.access import Grant, Viewer
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Deadline, Event, Feedback, Role, RoutingRule, User
from feedback.services.items import admin_view as item_admin
from feedback.services.access import viewer_for
from feedback.services.audit import verify_chain
from feedback.services.deadlines import deadline_is_overdue, overdue_clause
from feedback.services.routing.route import route_item
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.times import A_WEEK_LATER, ROUTED_AT, TUESDAY_MORNING

LONG_AFTER = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
OPERATOR = Viewer((Grant(Role.ADMIN),))  # sees every item


@pytest.fixture
def d(db_session: Session) -> Directory:
    return make_directory()


@pytest.fixture
def admin(d: Directory) -> User:
    return make_user("quantri", Role.ADMIN)


def add_clock(item: Feedback, *, due: datetime, clock: str = "resolution", **values: object) -> Deadline:
    row = Deadline(feedback_id=item.id, clock=clock, legal_basis="Luật Tiếp công dân 2013, Điều 28",
                   day_type="working", period_days=10, starts_at=item.received_at, due_at=due, **values)
    db.session.add(row)
    db.session.flush()
    return row


def routed_item(d: Directory) -> tuple[Feedback, RoutingRule]:
    """A complaint from Tổ dân phố 1 routed by the real service through a Phường Hà Tu rule."""
    rule = RoutingRule(locality=d.ha_tu, topic=d.environment, kind=Kind.COMPLAINT, unit=d.environment_dept)
    db.session.add(rule)
    item = make_feedback(d, kind=Kind.COMPLAINT, submitter_email="a@example.test")
    db.session.commit()
    route_item(item.id, now=ROUTED_AT)
    return item, rule


def events_of(item: Feedback, action: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id, Event.action == action)))


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements sent while inside (the test's own SAVEPOINTs included)."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


# --- list ----------------------------------------------------------------------------------


def test_the_list_is_newest_first_and_filters_by_status_unit_and_overdue(d: Directory) -> None:
    """Proves: order is received_at desc; each filter keeps only its items; the overdue filter and
    flag follow the clocks at ``now``; next_due_at is the earliest running clock."""
    old = make_feedback(d, received_at=TUESDAY_MORNING - timedelta(days=2), status=Status.ASSIGNED,
                        current_unit_id=d.ubnd_ha_tu.id)
    new = make_feedback(d, received_at=TUESDAY_MORNING, status=Status.ASSIGNED, current_unit_id=d.ubnd_van_don.id)
    waiting = make_feedback(d, received_at=TUESDAY_MORNING - timedelta(days=1))
    add_clock(old, due=A_WEEK_LATER - timedelta(days=1))  # overdue at A_WEEK_LATER
    add_clock(old, due=A_WEEK_LATER + timedelta(days=9), clock="acceptance")
    add_clock(new, due=A_WEEK_LATER + timedelta(days=3))

    def codes(**filters: object) -> list[str]:
        arguments: dict[str, object] = {"viewer": OPERATOR, "status": None, "unit_id": None, "overdue_only": False,
                                        "page": 1, "now": A_WEEK_LATER, **filters}
        return [row.code for row in item_admin.list_items(**arguments).items]  # type: ignore[arg-type]

    assert codes() == [new.code, waiting.code, old.code]
    assert codes(status=Status.RECEIVED) == [waiting.code]
    assert codes(unit_id=d.ubnd_ha_tu.id) == [old.code]
    assert codes(overdue_only=True) == [old.code]
    assert codes(overdue_only=True, unit_id=d.ubnd_van_don.id) == []
    rows = {row.code: row for row in item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None,
                                                            overdue_only=False, page=1, now=A_WEEK_LATER).items}
    assert rows[old.code].overdue and rows[old.code].next_due_at == A_WEEK_LATER - timedelta(days=1)
    assert not rows[new.code].overdue and rows[new.code].unit == "UBND Đặc khu Vân Đồn"
    assert rows[waiting.code].next_due_at is None and rows[waiting.code].unit is None


def test_the_list_pages_by_25(d: Directory) -> None:
    """Proves: 26 items make two pages; the second holds the oldest one."""
    items = [make_feedback(d, received_at=TUESDAY_MORNING + timedelta(hours=i)) for i in range(26)]
    first = item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None, overdue_only=False, page=1,
                                  now=A_WEEK_LATER)
    second = item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None, overdue_only=False, page=2,
                                   now=A_WEEK_LATER)
    assert (first.total, first.pages, len(first.items)) == (26, 2, 25)
    assert [row.code for row in second.items] == [items[0].code]


def test_the_list_counts_no_further_than_its_limit(d: Directory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves issue #11's bound: with COUNT_LIMIT at 5 and 8 items, the count stops at 5 and says
    it is not exact (the page shows "more than"); pages stay reachable one past the current one;
    under the limit the count and the pages are exact as before."""
    monkeypatch.setattr(item_admin, "COUNT_LIMIT", 5)
    items = [make_feedback(d, received_at=TUESDAY_MORNING + timedelta(hours=i)) for i in range(8)]
    first = item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None, overdue_only=False, page=1,
                                  now=A_WEEK_LATER, per_page=3)
    assert (first.total, first.total_exact, first.pages, len(first.items)) == (5, False, 2, 3)
    third = item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None, overdue_only=False, page=3,
                                  now=A_WEEK_LATER, per_page=3)
    assert [row.code for row in third.items] == [items[1].code, items[0].code]
    assert (third.total_exact, third.pages) == (False, 2)  # a short page: nothing after it
    few = item_admin.list_items(viewer=OPERATOR, status=Status.RECEIVED, unit_id=None, overdue_only=False,
                                page=1, now=A_WEEK_LATER, per_page=3, search=str(items[0].code))
    assert few.total_exact and few.total == len(few.items) <= 3


def test_the_dashboard_estimates_the_items_past_its_exact_limit(d: Directory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the dashboard counts items exactly up to EXACT_ITEM_COUNT_UP_TO and past it shows
    PostgreSQL's estimate (after ANALYZE), marked as an estimate; no count(*) of the items then."""
    from feedback.services.items import overview
    from tests.statements import recorded_statements

    for i in range(12):
        make_feedback(d, received_at=TUESDAY_MORNING + timedelta(hours=i))
    db.session.commit()
    assert overview.count_directory().items == 12 and not overview.count_directory().items_estimated
    db.session.execute(sa.text("ANALYZE feedback"))
    monkeypatch.setattr(overview, "EXACT_ITEM_COUNT_UP_TO", 5)
    with recorded_statements() as statements:
        counts = overview.count_directory()
    assert counts.items_estimated and counts.items > 5
    assert not [s for s in statements if "count(*)" in s and "FROM feedback" in s]


def test_the_list_costs_three_queries_for_3_or_20_items(d: Directory) -> None:
    """Proves: no N+1: unit, topic and locality come with the items, clocks in one query."""
    def queries_for(count: int) -> int:
        for _ in range(count):
            item = make_feedback(d, status=Status.ASSIGNED, current_unit_id=d.ubnd_ha_tu.id)
            add_clock(item, due=A_WEEK_LATER)
        db.session.commit()
        db.session.expire_all()
        with counting_queries() as statements:
            page = item_admin.list_items(viewer=OPERATOR, status=None, unit_id=None, overdue_only=False, page=1,
                                         now=A_WEEK_LATER)
            assert all(row.unit and row.topic and row.locality for row in page.items)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    few = queries_for(3)
    many = queries_for(17)
    assert few == many <= 3


# --- detail --------------------------------------------------------------------------------


def test_the_detail_of_a_routed_item_has_routing_clocks_assignments_events_and_resident(
        d: Directory, admin: User) -> None:
    """Proves: what route_item stored is all there: rule and explanation, the open assignment, the
    clocks with their legal basis, the public and internal events, an intact chain, the place
    from the province down and, for an administrator, the resident's details."""
    item, rule = routed_item(d)

    detail = item_admin.item_detail(str(item.code), viewer=viewer_for(admin), now=A_WEEK_LATER)

    assert detail.routing_rule_id == rule.id
    assert detail.routing_explanation == (
        f"Quy tắc #{rule.id}: Phường Hà Tu × Môi trường × Khiếu nại → Sở Nông nghiệp và Môi trường")
    assert detail.unit == "Sở Nông nghiệp và Môi trường" and detail.status is Status.ASSIGNED
    assert detail.locality_path == ("Thành phố Quảng Ninh", "Phường Hà Tu", "Tổ dân phố 1")
    [assignment] = detail.assignments
    assert (assignment.unit, assignment.rule_id, assignment.ended_at) == ("Sở Nông nghiệp và Môi trường", rule.id,
                                                                        None)
    assert {row.clock for row in detail.deadlines} == {"acceptance", "resolution"}
    assert all("Luật Khiếu nại" in row.legal_basis for row in detail.deadlines), detail.deadlines
    assert not detail.overdue
    assert {"assigned", "deadlines_set"} <= {e.action for e in detail.events}
    assert [e.seq for e in detail.events] == list(range(1, len(detail.events) + 1))
    assert detail.chain_intact is True
    assert detail.resident == item_admin.Resident("Nguyễn Văn A", "0912345678", "a@example.test", False)


def test_a_viewer_who_is_not_an_administrator_gets_no_personal_data(d: Directory) -> None:
    """Proves: item_detail leaves the resident out for an officer, and then nothing is logged."""
    item, _rule = routed_item(d)
    officer = make_user("canbo", Role.OFFICER, unit=d.environment_dept)

    detail = item_admin.item_detail(str(item.code), viewer=viewer_for(officer), now=A_WEEK_LATER)

    assert detail.resident is None
    assert item_admin.record_personal_data_view(detail, officer, A_WEEK_LATER) is None
    assert events_of(item, EventAction.PERSONAL_DATA_VIEWED) == []


def test_an_unknown_code_is_not_found(d: Directory, admin: User) -> None:
    with pytest.raises(item_admin.ItemNotFound):
        item_admin.item_detail("QN-26-999999-X", viewer=OPERATOR, now=A_WEEK_LATER)


def test_each_view_of_personal_data_appends_one_internal_event_and_the_chain_holds(d: Directory,
                                                                                    admin: User) -> None:
    """Proves: two views → two "personal_data_viewed" events, not public, naming the viewer, with
    the fields shown; the chain still verifies."""
    item, _rule = routed_item(d)
    before = len(list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id))))

    for _ in range(2):
        detail = item_admin.item_detail(str(item.code), viewer=viewer_for(admin), now=A_WEEK_LATER)
        item_admin.record_personal_data_view(detail, admin, A_WEEK_LATER)

    viewed = events_of(item, EventAction.PERSONAL_DATA_VIEWED)
    assert len(viewed) == 2
    assert len(list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id)))) == before + 2
    assert all((e.public, e.actor, e.actor_user_id) == (False, "quantri", admin.id) for e in viewed)
    assert viewed[0].after == {"fields": ["name", "phone", "email"], "page": "admin.item_detail"}
    assert verify_chain(item.id)


def test_a_clock_is_overdue_when_breached_or_past_due_unless_met_or_paused_in_time(d: Directory) -> None:
    """Proves the one definition of "overdue now", in the list filter and on the detail alike."""
    item = make_feedback(d, status=Status.ASSIGNED)
    cases = {
        "past due": (add_clock(item, due=A_WEEK_LATER - timedelta(hours=1), sequence=1), True),
        "breach recorded": (add_clock(item, due=A_WEEK_LATER + timedelta(days=1), sequence=2,
                                      breached_at=A_WEEK_LATER), True),
        "met": (add_clock(item, due=A_WEEK_LATER - timedelta(days=1), sequence=3, met_at=TUESDAY_MORNING,
                          closed_at=TUESDAY_MORNING), False),
        "paused in time": (add_clock(item, due=A_WEEK_LATER - timedelta(days=1), sequence=4,
                                     paused_at=TUESDAY_MORNING), False),
        "paused after due": (add_clock(item, due=TUESDAY_MORNING, sequence=5,
                                       paused_at=TUESDAY_MORNING + timedelta(days=1)), True),
        "running": (add_clock(item, due=A_WEEK_LATER + timedelta(days=1), sequence=6), False),
    }
    for name, (row, expected) in cases.items():
        assert deadline_is_overdue(row, A_WEEK_LATER) is expected, name
        in_sql = db.session.scalar(sa.select(Deadline.id).where(Deadline.id == row.id,
                                                                overdue_clause(A_WEEK_LATER)))
        assert (in_sql is not None) is expected, name


# --- resend for routing --------------------------------------------------------------------


def test_resend_enqueues_once_after_the_commit(app: Flask, committed_db: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: for a `received` item, ROUTE_FEEDBACK is sent once, and when it is sent another
    connection (the worker's) already sees the "routing_requested" event."""
    d = make_directory()
    admin = make_user("quantri", Role.ADMIN)
    item = make_feedback(d)
    db.session.commit()
    calls: list[tuple[str, int, int]] = []

    def record(name: str, feedback_id: int) -> bool:
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.connect() as other:
                seen = other.execute(sa.text(
                    "SELECT count(*) FROM event WHERE feedback_id = :id AND action = 'routing_requested' "
                    "AND public = false"), {"id": feedback_id}).scalar_one()
        finally:
            engine.dispose()
        calls.append((name, feedback_id, seen))
        return True

    monkeypatch.setattr(feedback.jobs, "enqueue", record)

    sent = item_admin.resend_for_routing(str(item.code), actor=Actor.user(admin.id, admin.username),
                                         now=A_WEEK_LATER)

    assert sent is True
    assert calls == [(feedback.jobs.ROUTE_FEEDBACK, item.id, 1)]
    assert verify_chain(item.id)


def test_resend_refuses_an_assigned_item_and_writes_nothing(d: Directory, enqueued: Enqueued) -> None:
    """Proves: an item already routed is refused with a Vietnamese message; no event, no message."""
    item, _rule = routed_item(d)
    before = len(list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id))))

    with pytest.raises(item_admin.RoutingRequestRefused, match="đang chờ chuyển đến đơn vị xử lý"):
        item_admin.resend_for_routing(str(item.code), actor=Actor.cli("quantri"), now=A_WEEK_LATER)

    assert enqueued == []
    assert len(list(db.session.scalars(sa.select(Event).where(Event.feedback_id == item.id)))) == before
    with pytest.raises(item_admin.ItemNotFound):
        item_admin.resend_for_routing("QN-26-999999-X", actor=Actor.cli("quantri"), now=A_WEEK_LATER)
