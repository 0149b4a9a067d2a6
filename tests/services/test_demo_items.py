"""The demo items (issue #8 item 7): a year of feedback handled through the real services.

One load (about a minute) for the whole module, rolled back at its end: every test here only reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from feedback.domain.calendar import local_date
from feedback.domain.events import EventAction
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Answer, Assignment, Deadline, Event, Feedback, Rating, Reopening, Unit, User
from feedback.services.access import viewer_for
from feedback.services.audit import verify_chain
from feedback.services.deadlines.overdue import deadline_is_overdue
from feedback.services.demo import load_demo
from feedback.services.demo_items import DEMO_ITEMS
from feedback.services.handling import published_answer
from feedback.services.workspace import InboxFilters, inbox
from tests.conftest import Enqueued, rolled_back_session
from tests.times import TUESDAY_MORNING


@pytest.fixture(scope="module")
def demo(app: Flask) -> Iterator[Enqueued]:
    """The demo loaded once at TUESDAY_MORNING; yields what it sent to the worker."""
    import feedback.jobs

    calls: Enqueued = []

    def record(name: str, *args: object) -> bool:
        calls.append((name, *args))
        return True

    with pytest.MonkeyPatch.context() as patch, rolled_back_session(app):
        patch.setattr(feedback.jobs, "enqueue", record)
        summary = load_demo(TUESDAY_MORNING)
        assert summary.items == DEMO_ITEMS
        yield calls


def one(model: type, **where: object) -> object:
    return db.session.scalars(select(model).filter_by(**where)).one()


def demo_items() -> list[Feedback]:
    return list(db.session.scalars(select(Feedback).order_by(Feedback.received_at, Feedback.id)))


def test_demo_items_are_spread_over_a_year_in_every_state(demo: Enqueued) -> None:
    items = demo_items()
    by_status = Counter(item.status for item in items)
    assert len(items) == DEMO_ITEMS
    assert by_status[Status.RECEIVED] == 0  # every item was routed
    assert by_status[Status.ANSWERED] + by_status[Status.CLOSED] > DEMO_ITEMS // 2
    for status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.REJECTED, Status.ANSWERED, Status.CLOSED):
        assert by_status[status] >= 5, by_status
    assert items[0].received_at >= TUESDAY_MORNING - timedelta(days=365)
    assert items[-1].received_at <= TUESDAY_MORNING
    months = {local_date(item.received_at).replace(day=1) for item in items}
    assert len(months) >= 12
    assert len({item.title for item in items}) > 50  # the templates name the place
    assert {item.kind for item in items} >= {Kind.REPORT, Kind.PETITION, Kind.COMMENT, Kind.COMPLAINT}
    communes = Counter(item.locality.parent.code for item in items)
    assert communes.most_common(1)[0][0] == "06652"  # most come from Phường Hà Tu
    # routed by the demo itself at its own time: nothing is left for the worker's queue, where
    # 300 messages would wait ahead of a resident's first real item (the Quick start)
    assert demo == []


def test_demo_items_went_through_the_services(demo: Enqueued) -> None:
    items = demo_items()
    assert all(verify_chain(item.id) for item in items)
    assert all(item.deadlines for item in items)  # routing started the clocks
    actions = Counter(e.action for e in db.session.scalars(select(Event)))
    for action in (EventAction.ACCEPTED, EventAction.INFORMATION_REQUESTED, EventAction.INFORMATION_PROVIDED,
                   EventAction.DEADLINE_EXTENDED, EventAction.ANSWER_RETURNED, EventAction.ANSWER_PUBLISHED,
                   EventAction.RETURNED, EventAction.REJECTED, EventAction.NOTE_ADDED, EventAction.OFFICER_ASSIGNED):
        assert actions[action] > 0, action
    answered = [item for item in items if item.status in (Status.ANSWERED, Status.CLOSED) and item.answered_at]
    for item in answered:
        answer = published_answer(item.id)
        assert answer is not None and answer.published_at == item.answered_at
        assert (answer.unit_id, answer.unit_name) == (item.answered_by_unit_id, db.session.get_one(Unit, item.answered_by_unit_id).name)
        assert item.accepted_at is not None and item.received_at < item.accepted_at < item.answered_at
    transferred = db.session.scalars(select(Feedback).join(Assignment).where(Assignment.ended_at.is_not(None))).all()
    # answered by the unit it was returned to
    assert any(item.answered_at is not None and item.answered_by_unit_id == item.current_unit_id
               and item.assignments[0].unit_id != item.current_unit_id for item in transferred)


def test_demo_answers_are_rated_at_every_level_reopened_and_closed(demo: Enqueued) -> None:
    """The resident's half of the loop, through services.ratings: every score from 1 to 5, some
    changed within their 7 days, reopenings after a score below 3 answered again by the same
    unit, and closings (rated 3 or more, or 30 days without a reopening)."""
    ratings = db.session.scalars(select(Rating)).all()
    assert Counter(r.score for r in ratings).keys() == {1, 2, 3, 4, 5}
    assert min(Counter(r.score for r in ratings).values()) >= 3
    assert any(r.changed_at is not None for r in ratings)
    for rating in ratings:
        answer = db.session.get_one(Answer, rating.answer_id)
        assert answer.published_at is not None and answer.published_at < rating.rated_at <= TUESDAY_MORNING
        assert (rating.unit_id, rating.unit_name, rating.cycle) == (answer.unit_id, answer.unit_name, answer.cycle)
        assert rating.score >= 3 or rating.reason is not None
    reopenings = db.session.scalars(select(Reopening)).all()
    assert len(reopenings) >= 5
    for reopening in reopenings:
        rating = db.session.get_one(Rating, reopening.rating_id)
        assert rating.score < 3 and rating.cycle == reopening.cycle and reopening.reopened_at > rating.rated_at
        second = db.session.scalar(select(Answer).where(Answer.feedback_id == reopening.feedback_id,
                                                        Answer.cycle == reopening.cycle + 1))
        assert second is None or second.unit_id == reopening.unit_id  # back to the unit that answered
    answered_again = [r for r in reopenings if db.session.scalar(
        select(Answer.published_at).where(Answer.feedback_id == r.feedback_id, Answer.cycle == r.cycle + 1))]
    assert answered_again  # the whole loop twice: answer, rating below 3, reopening, a new answer
    closed = [item for item in demo_items() if item.status is Status.CLOSED]
    assert closed
    for item in closed:
        assert item.answered_at is not None
        last = db.session.scalars(select(Rating).where(Rating.feedback_id == item.id)
                                  .order_by(Rating.cycle.desc())).first()
        rated_well = last is not None and last.score >= 3
        assert rated_well or item.answered_at + timedelta(days=30) <= TUESDAY_MORNING, item.code
    assert all(verify_chain(item.id) for item in closed)


def test_some_demo_items_are_overdue_now_some_due_soon_and_some_were_answered_late(demo: Enqueued) -> None:
    clocks = db.session.scalars(select(Deadline)).all()
    late = [d for d in clocks if d.met_at is not None and d.met_at > d.due_at]
    on_time = [d for d in clocks if d.met_at is not None and d.met_at <= d.due_at]
    overdue = [d for d in clocks if deadline_is_overdue(d, TUESDAY_MORNING)]
    assert len(late) >= 10 and len(on_time) > len(late)
    assert len(overdue) >= 10
    assert all(d.met_at is None or d.met_at <= TUESDAY_MORNING for d in clocks)  # nothing happens after now
    events = db.session.scalars(select(Event)).all()
    assert max(e.at for e in events) <= TUESDAY_MORNING


def test_the_demo_officer_and_head_have_a_real_inbox(demo: Enqueued) -> None:
    for username in ("canbo.hatu", "lanhdao.hatu"):
        viewer = viewer_for(one(User, username=username))
        page = inbox(viewer, InboxFilters(), page=1, per_page=20, now=TUESDAY_MORNING)
        assert page.total >= 20, username
        statuses = {option.value: option.count for option in page.counts.statuses}
        assert statuses.get(Status.ASSIGNED.value, 0) > 0 and statuses.get(Status.IN_PROGRESS.value, 0) > 0
        assert page.counts.overdue > 0 and page.counts.due_soon > 0, username


