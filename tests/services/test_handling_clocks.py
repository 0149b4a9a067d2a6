"""What the handling actions do to the legal clocks: a request for information pauses them and
the resident's answer resumes them with exact dates; an extension asked by an officer and granted
by the head within the law (refused beyond it, with the rule's message), the resident told."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import ExtensionRequest, Notification
from feedback.services import handling
from feedback.services.handling import InvalidInput, NotAllowed, WrongStatus
from tests.services.handling_rows import FRI_6_MARCH, MON_9_MARCH, TOKEN, WED_4_MARCH, actions, desk, due_day, open_clock


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def test_a_pause_for_information_moves_the_due_date_by_the_working_days_waited() -> None:
    """Proves: a phản ánh received Tue 3/3/2026 is due Tue 24/3/2026 (15 working days). Paused on
    Wed 4/3 with 14 working days still owed (5/3 … 24/3), resumed on Fri 6/3: the 14 days count
    again from Mon 9/3, so the new due date is Thu 26/3/2026."""
    d = desk(Kind.REPORT)
    assert due_day(open_clock(d.item, "resolution")) == date(2026, 3, 24)
    handling.request_information(d.officer, d.item.id, "Xin gửi thêm ảnh hiện trường", now=WED_4_MARCH)
    assert open_clock(d.item, "resolution").paused_at == WED_4_MARCH
    handling.provide_information(str(d.item.code), TOKEN, "Đã gửi ảnh", now=FRI_6_MARCH)
    resolution = open_clock(d.item, "resolution")
    db.session.refresh(resolution)
    assert resolution.paused_at is None and due_day(resolution) == date(2026, 3, 26)
    assert actions(d.item)[-2:] == ["clocks_resumed", "information_provided"]


def test_an_extension_is_asked_by_the_officer_and_granted_by_the_head() -> None:
    """Proves: the officer asks with a reason (blank refused); the officer may not grant it; the
    head grants it: 15 working days added to Tue 24/3/2026 give Tue 14/4/2026; the request
    records the new date and the resident is told it by email."""
    d = desk(Kind.REPORT, email="dan@example.test")
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    with pytest.raises(InvalidInput, match="lý do gia hạn"):
        handling.request_extension(d.officer, d.item.id, " ", now=FRI_6_MARCH)
    handling.request_extension(d.officer, d.item.id, "Cần phối hợp với công ty môi trường", now=FRI_6_MARCH)
    with pytest.raises(WrongStatus, match="đang chờ"):
        handling.request_extension(d.officer, d.item.id, "Lần nữa", now=FRI_6_MARCH)
    with pytest.raises(NotAllowed):
        handling.grant_extension(d.officer, d.item.id, now=MON_9_MARCH)
    request = handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)
    assert request.outcome == "granted" and request.due_at is not None
    assert due_day(open_clock(d.item, "resolution")) == date(2026, 4, 14)
    (mail,) = db.session.scalars(sa.select(Notification).where(Notification.kind == "resident_extended")).all()
    assert "14/04/2026" in mail.body


def test_once_extended_a_report_offers_no_second_request_and_refuses_one() -> None:
    """Proves: a phản ánh is extended once: after the grant the officer's page no longer offers a
    request for more time, and a request sent anyway is refused with the law's message, nothing
    written (the head would otherwise be handed a request the law forbids them to grant)."""
    d = desk(Kind.REPORT)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    assert handling.offered(d.officer, str(d.item.code)).request_extension
    handling.request_extension(d.officer, d.item.id, "Lần một", now=WED_4_MARCH)
    handling.grant_extension(d.head, d.item.id, now=WED_4_MARCH)
    before = actions(d.item)

    assert not handling.offered(d.officer, str(d.item.code)).request_extension
    with pytest.raises(WrongStatus, match="số lần pháp luật cho phép"):
        handling.request_extension(d.officer, d.item.id, "Lần hai", now=FRI_6_MARCH)
    assert actions(d.item) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExtensionRequest)) == 1


def test_the_law_refuses_at_the_grant_a_request_left_from_before_and_nothing_is_written() -> None:
    """Proves: a second request of a phản ánh already pending (asked before requests were checked
    against the law's limit) is refused at the grant with the engine's message, the due date
    stays, and the head refuses it."""
    d = desk(Kind.REPORT)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.request_extension(d.officer, d.item.id, "Lần một", now=WED_4_MARCH)
    handling.grant_extension(d.head, d.item.id, now=WED_4_MARCH)
    db.session.add(ExtensionRequest(feedback_id=d.item.id, reason="Lần hai", requested_by_id=d.officer.id,
                                    requested_at=FRI_6_MARCH))
    db.session.commit()
    due = open_clock(d.item, "resolution").due_at
    with pytest.raises(InvalidInput, match="số lần pháp luật cho phép"):
        handling.grant_extension(d.head, d.item.id, now=FRI_6_MARCH)
    assert open_clock(d.item, "resolution").due_at == due
    refused = handling.refuse_extension(d.head, d.item.id, "Đã gia hạn một lần", now=FRI_6_MARCH)
    assert refused.outcome == "refused" and "extension_refused" in actions(d.item)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExtensionRequest)
                             .where(ExtensionRequest.decided_at.is_(None))) == 0


def test_a_denunciation_is_extended_only_when_complex() -> None:
    """Proves: a tố cáo accepted Wed 4/3/2026 (due Fri 3/4/2026) cannot be extended without being
    complex (Luật Tố cáo 2018 Art. 30); complex: +30 days from 3/4 is Sun 3/5/2026, rolled to
    Mon 4/5/2026 (30/4 and 1/5 are holidays anyway); a second extension of a complex case is refused."""
    d = desk(Kind.DENUNCIATION)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.request_extension(d.officer, d.item.id, "Cần xác minh thêm", now=FRI_6_MARCH)
    with pytest.raises(InvalidInput, match="phức tạp"):
        handling.grant_extension(d.head, d.item.id, now=FRI_6_MARCH)
    handling.refuse_extension(d.head, d.item.id, "Chưa xác định mức độ phức tạp", now=FRI_6_MARCH)
    handling.request_extension(d.officer, d.item.id, "Vụ việc phức tạp", complexity="complex", now=FRI_6_MARCH)
    handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)
    assert due_day(open_clock(d.item, "resolution")) == date(2026, 5, 4)
    with pytest.raises(WrongStatus, match="số lần"):
        handling.request_extension(d.officer, d.item.id, "Lần hai", complexity="complex", now=MON_9_MARCH)
    # Especially complex: twice (Art. 30), so a second request as such is asked and granted.
    assert handling.offered(d.officer, str(d.item.code)).request_extension
    handling.request_extension(d.officer, d.item.id, "Đặc biệt phức tạp", complexity="especially_complex",
                               now=MON_9_MARCH)
    handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)
    assert not handling.offered(d.officer, str(d.item.code)).request_extension


def test_an_unknown_complexity_is_refused() -> None:
    d = desk(Kind.DENUNCIATION)
    with pytest.raises(InvalidInput, match="phức tạp"):
        handling.request_extension(d.officer, d.item.id, "Lý do", complexity="rat-phuc-tap", now=WED_4_MARCH)


def test_a_complaint_or_denunciation_is_extended_only_after_its_acceptance() -> None:
    """Proves: before acceptance a tố cáo's resolution clock is only provisional (acceptance
    replaces it by one counted from the acceptance), so an extension then would be dropped at
    acceptance while the resident had been told a new date: asking and granting are WrongStatus
    until it is accepted, and no email goes out. After acceptance the same request is granted."""
    d = desk(Kind.DENUNCIATION, email="dan@example.test")
    with pytest.raises(WrongStatus, match="thụ lý"):
        handling.request_extension(d.officer, d.item.id, "Vụ việc phức tạp", complexity="complex", now=WED_4_MARCH)
    assert db.session.scalars(sa.select(ExtensionRequest)).all() == []
    # A request already pending (asked before this rule) is not granted either.
    db.session.add(ExtensionRequest(feedback_id=d.item.id, reason="Vụ việc phức tạp", complexity="complex",
                                    requested_by_id=d.officer.id, requested_at=WED_4_MARCH))
    db.session.commit()
    with pytest.raises(WrongStatus, match="thụ lý"):
        handling.grant_extension(d.head, d.item.id, now=WED_4_MARCH)
    assert db.session.scalars(sa.select(Notification).where(Notification.kind == "resident_extended")).all() == []
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)
    assert due_day(open_clock(d.item, "resolution")) == date(2026, 5, 4)

