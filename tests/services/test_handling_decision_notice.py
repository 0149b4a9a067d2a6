"""The complaint decision-notice clock (issue #8, "The law, as the handling actions will use it"):
publishing the first-round decision on a khiếu nại opens a DECISION_NOTICE clock of 3 working
days (Luật Khiếu nại 2011 Art. 32); the unit records that it sent the decision, once; the scan
reminds and escalates it like any clock; a reopening leaves no stale clock open."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Notification, Role
from feedback.services import handling, ratings, recommendations
from feedback.services.deadlines import scan_deadlines
from feedback.services.recommendations import RecommendationDraft
from feedback.services.routing import transfer
from tests.factories import make_directory, make_user
from tests.services.handling_rows import (
    FRI_6_MARCH, TOKEN, WED_4_MARCH, Desk, actions, desk, due_day, events, open_clock,
)

# 09:00 local, as UTC.
THU_12_MARCH = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)
WED_29_APRIL = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)  # before 30/4 and 1/5 (days off) and a weekend


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)


def published(kind: Kind = Kind.COMPLAINT, *, at: datetime = THU_12_MARCH) -> Desk:
    d = desk(kind, email="dan@example.test")
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.save_draft(d.head, d.item.id, "Quyết định giải quyết khiếu nại lần đầu số 12/QĐ-UBND.",
                        expected_version=None, now=FRI_6_MARCH)
    handling.publish_answer(d.head, d.item.id, now=at)
    return d


def notice_clocks(d: Desk) -> list[Deadline]:
    return list(db.session.scalars(sa.select(Deadline).where(
        Deadline.feedback_id == d.item.id, Deadline.clock == "decision_notice").order_by(Deadline.sequence)))


@pytest.mark.parametrize("at, due", [
    (THU_12_MARCH, date(2026, 3, 17)),  # Fri 13, (weekend), Mon 16, Tue 17
    (WED_29_APRIL, date(2026, 5, 6)),  # (30/4, 1/5 days off, weekend), Mon 4, Tue 5, Wed 6 May
])
def test_publishing_a_complaint_decision_opens_the_notice_clock(at: datetime, due: date) -> None:
    """Proves: the published decision on a khiếu nại opens DECISION_NOTICE, counted in working days
    from the publication (weekend and public holidays skipped), with its legal basis quoted, owned by
    the holding unit, with a notify_at for the scan; the publish event lists it; the item is answered
    and the action is offered to the officer (also once answered), not to another unit's officer."""
    d = published(at=at)
    db.session.refresh(d.item)
    assert d.item.status is Status.ANSWERED
    clock = open_clock(d.item, "decision_notice")
    assert clock.starts_at == at and due_day(clock) == due
    assert clock.legal_basis == "Luật Khiếu nại 2011, Điều 32"
    assert (clock.day_type, clock.period_days, clock.unit_id) == ("working", 3, d.item.current_unit_id)
    assert clock.notify_at is not None and clock.notify_at <= clock.due_at
    (publish,) = [e for e in events(d.item) if e.action == "answer_published"]
    assert [c["clock"] for c in publish.after["deadlines"]] == ["decision_notice"]
    assert handling.offered(d.officer, str(d.item.code)).decision_notice
    assert not handling.offered(d.stranger, str(d.item.code)).decision_notice


def test_a_report_gets_no_decision_notice_clock_and_the_action_is_refused() -> None:
    """Proves: a phản ánh's answer is not a complaint decision: no clock, the action not offered,
    and recording it is WrongStatus with nothing written."""
    d = published(Kind.REPORT)
    assert notice_clocks(d) == []
    assert not handling.offered(d.officer, str(d.item.code)).decision_notice
    before = actions(d.item)
    with pytest.raises(handling.WrongStatus, match="khiếu nại"):
        handling.decision_notice_sent(d.officer, d.item.id, now=THU_12_MARCH)
    assert actions(d.item) == before


def test_recording_the_sent_decision_meets_the_clock_once() -> None:
    """Proves: the officer records the decision as sent: the clock is met on time (public
    "deadline_met" event); a second click returns False and writes nothing; another unit's officer
    and the Front monitor are NotAllowed; the action is no longer offered."""
    d = published()
    for outsider in (d.stranger, d.monitor):
        with pytest.raises(handling.NotAllowed):
            handling.decision_notice_sent(outsider, d.item.id, now=THU_12_MARCH)
    sent_at = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
    assert handling.decision_notice_sent(d.officer, d.item.id, now=sent_at) is True
    count = len(actions(d.item))
    assert handling.decision_notice_sent(d.head, d.item.id, now=sent_at) is False
    assert len(actions(d.item)) == count
    (clock,) = notice_clocks(d)
    db.session.refresh(clock)
    assert clock.met_at == clock.closed_at == sent_at and clock.breached_at is None
    met = [e for e in events(d.item, public=True) if e.action == "deadline_met" and e.after["clock"] == "decision_notice"]
    assert [e.after["on_time"] for e in met] == [True]
    assert not handling.offered(d.officer, str(d.item.code)).decision_notice


def test_the_scan_reminds_and_escalates_the_decision_notice() -> None:
    """Proves: the clock is a normal Deadline row for the beat scan: due Tue 17/3, the unit gets the
    "before" reminder, then on Wed 18/3 the breach is recorded once and escalated; recording the
    sending afterwards meets it late (on_time False, breached_at kept)."""
    d = published()
    (clock,) = notice_clocks(d)

    def sent() -> list[str]:
        return sorted(db.session.scalars(sa.select(Notification.kind).where(Notification.deadline_id == clock.id)))

    scan_deadlines(datetime(2026, 3, 13, 2, 0, tzinfo=UTC))  # Fri 13: 2 working days before Tue 17
    assert sent() == ["deadline_before"]
    late = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
    first, second = scan_deadlines(late), scan_deadlines(late)
    assert (first.breaches, second.breaches, second.notifications) == (1, 0, 0)
    assert "deadline_breach" in sent() and sent().count("deadline_breach") >= 2  # the unit and above it
    db.session.refresh(clock)
    assert clock.breached_at == late
    assert handling.decision_notice_sent(d.officer, d.item.id, now=late) is True
    met = [e.after for e in events(d.item) if e.action == "deadline_met" and e.after["clock"] == "decision_notice"]
    assert met == [{"id": clock.id, "clock": "decision_notice", "on_time": False}]
    db.session.refresh(clock)
    assert clock.breached_at == late and clock.met_at == late


def test_a_reopened_complaint_leaves_no_stale_notice_clock_and_the_next_decision_opens_one() -> None:
    """Proves: the complainant rates 2 and reopens before the decision was recorded as sent: the
    open DECISION_NOTICE clock is closed (neither met nor breached) with the new cycle; the next
    published decision opens a new clock (sequence 2), and only one is open."""
    d = published()
    code = str(d.item.code)
    reopened_at = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)
    ratings.rate(code, TOKEN, "2", reason="not_resolved", now=reopened_at)
    ratings.reopen(code, TOKEN, now=reopened_at)
    (old,) = notice_clocks(d)
    db.session.refresh(old)
    assert old.closed_at == reopened_at and old.met_at is None and old.breached_at is None
    assert not handling.offered(d.officer, code).decision_notice
    again = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # Friday: due Wed 25/3
    handling.save_draft(d.head, d.item.id, "Quyết định giải quyết khiếu nại (sửa đổi).", expected_version=None,
                        now=again)
    handling.publish_answer(d.head, d.item.id, now=again)
    assert [(c.sequence, c.closed_at is None) for c in notice_clocks(d)] == [(1, False), (2, True)]
    assert due_day(open_clock(d.item, "decision_notice")) == date(2026, 3, 25)


def test_a_recommendation_has_no_decision_to_send() -> None:
    """Proves: an Inspection Board recommendation (no resident; a kiến nghị) answered and published
    gets no DECISION_NOTICE clock, and recording a sent decision on it is refused (WrongStatus),
    with nothing written."""
    d = make_directory()
    board = make_user("bttnd-to-1", Role.INSPECTION_BOARD, territory=d.village)
    head = make_user("lanh-dao-ha-tu", Role.UNIT_HEAD, unit=d.ubnd_ha_tu)
    db.session.commit()
    issued = recommendations.issue_recommendation(board, RecommendationDraft(
        unit_id=d.ubnd_ha_tu.id, title="Rác thải tồn đọng kéo dài", text="Đề nghị UBND kiểm tra việc thu gom.",
        topic_code="moi-truong"), now=THU_12_MARCH)
    handling.save_draft(head, issued.feedback_id, "Đã thu gom xong.", expected_version=None, now=THU_12_MARCH)
    handling.publish_answer(head, issued.feedback_id, now=THU_12_MARCH)
    item = db.session.get_one(Feedback, issued.feedback_id)
    assert item.status is Status.ANSWERED
    clocks = db.session.scalars(sa.select(Deadline.clock).where(Deadline.feedback_id == item.id)).all()
    assert "decision_notice" not in clocks
    assert not handling.offered(head, str(item.code)).decision_notice
    before = actions(item)
    with pytest.raises(handling.WrongStatus):
        handling.decision_notice_sent(head, item.id, now=THU_12_MARCH)
    assert actions(item) == before
