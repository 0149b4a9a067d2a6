"""close_answered and remind_to_rate, run as task functions twice: one outcome each time."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.status import Status
from feedback.extensions import db
from feedback.jobs import CLOSE_ANSWERED, REMIND_TO_RATE
from feedback.models import Event, Notification
from feedback.services.ratings import rate, reopen
from tests.services.handling_rows import TOKEN, Desk
from tests.services.rating_rows import answered, days_after_answer
from worker.tasks.ratings import close_answered, remind_to_rate


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def closed_events(d: Desk) -> int:
    return len(db.session.scalars(sa.select(Event).where(Event.feedback_id == d.item.id,
                                                         Event.action == "closed")).all())


def reminders(d: Desk) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.feedback_id == d.item.id,
                                                                 Notification.kind == "rating_reminder")))


def test_an_answered_item_closes_30_days_after_the_answer_once() -> None:
    """Proves: before 30 days nothing closes; at 30 days the item closes with one event, and a
    second run closes nothing more."""
    d = answered()
    assert close_answered(days_after_answer(29.9).isoformat()) == {"closed": 0}
    assert close_answered(days_after_answer(30).isoformat()) == {"closed": 1}
    assert close_answered(days_after_answer(30).isoformat()) == {"closed": 0}
    db.session.refresh(d.item)
    assert d.item.status is Status.CLOSED and closed_events(d) == 1


def test_a_reopened_item_is_not_closed() -> None:
    d = answered()
    rate(str(d.item.code), TOKEN, "1", reason="late", now=days_after_answer(1))
    reopen(str(d.item.code), TOKEN, now=days_after_answer(1))
    for _ in range(2):
        assert close_answered(days_after_answer(31).isoformat()) == {"closed": 0}
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS and closed_events(d) == 0


def test_one_reminder_to_rate_3_days_after_the_answer_only_with_an_email() -> None:
    """Proves: none before 3 days; one at 3 days, in the resident's language, naming no secret
    link; a second run and a later run queue nothing more."""
    d = answered(email="nguoidan@example.vn", language="en")
    assert remind_to_rate(days_after_answer(2.9).isoformat())["queued"] == 0
    assert remind_to_rate(days_after_answer(3).isoformat())["queued"] == 1
    assert remind_to_rate(days_after_answer(3).isoformat())["queued"] == 0
    assert remind_to_rate(days_after_answer(10).isoformat())["queued"] == 0
    (reminder,) = reminders(d)
    assert reminder.recipient_email == "nguoidan@example.vn"
    assert reminder.dedupe_key == f"rating_reminder:{d.item.id}:1"
    assert "rate" in reminder.subject and TOKEN not in reminder.body


def test_no_reminder_without_an_email_or_once_rated() -> None:
    silent = answered()
    assert remind_to_rate(days_after_answer(4).isoformat())["queued"] == 0
    assert reminders(silent) == []


def test_no_reminder_once_rated() -> None:
    d = answered(email="nguoidan@example.vn")
    rate(str(d.item.code), TOKEN, "2", reason="late", now=days_after_answer(1))
    for _ in range(2):
        assert remind_to_rate(days_after_answer(4).isoformat())["queued"] == 0
    assert reminders(d) == []


def test_both_tasks_are_on_the_beat_schedule() -> None:
    from worker.schedule import BEAT_SCHEDULE

    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {CLOSE_ANSWERED, REMIND_TO_RATE} <= tasks
