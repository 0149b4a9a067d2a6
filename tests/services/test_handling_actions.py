"""Handling actions of the unit holding an item: assign to an officer, accept, refuse or keep as a
phản ánh, ask the resident for more information, internal notes. Each with its permission
refusal and its wrong-status refusal; nothing written when refused."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.handling import RejectReason
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Attachment, ExtensionRequest, Note, Notification
from feedback.services import handling
from feedback.services.handling import InvalidInput, ItemNotFound, NotAllowed, WrongStatus
from feedback.services.intake.tracking import RejectionView, private_view, public_view
from feedback.services.intake.uploads import CheckedFile
from feedback.services.routing import transfer
from tests.factories import make_feedback
from tests.services.handling_rows import (
    FRI_6_MARCH, MON_9_MARCH, TOKEN, WED_4_MARCH, actions, desk, due_day, events, open_clock,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)


def resident_mail(item_id: int) -> list[Notification]:
    """What the handling actions told the resident (the routing's notice is tested with routing)."""
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.feedback_id == item_id, Notification.kind.like("resident_%"),
        Notification.kind != "resident_routed").order_by(Notification.id)))


# --- assign to an officer ---------------------------------------------------------------------

def test_the_head_assigns_an_officer_of_the_unit_only() -> None:
    """Proves: the head gives the item to the unit's officer (internal event); an officer of another
    unit is refused as a target, and an officer may not assign (APPROVE is the head's)."""
    d = desk()
    handling.assign_officer(d.head, d.item.id, d.officer.id, now=WED_4_MARCH)
    assert d.item.assigned_officer_id == d.officer.id
    assert events(d.item)[-1].action == "officer_assigned" and not events(d.item)[-1].public
    with pytest.raises(InvalidInput, match="cán bộ của đơn vị"):
        handling.assign_officer(d.head, d.item.id, d.stranger.id, now=WED_4_MARCH)
    with pytest.raises(NotAllowed):
        handling.assign_officer(d.officer, d.item.id, d.officer.id, now=WED_4_MARCH)
    db.session.refresh(d.item)
    assert d.item.assigned_officer_id == d.officer.id


# --- accept -----------------------------------------------------------------------------------

def test_accepting_a_report_moves_it_in_progress_and_meets_the_first_step_clock() -> None:
    """Proves: a phản ánh accepted goes to in_progress, its ACCEPTANCE clock is met on time, its
    resolution clock is unchanged (counted from receipt), and the resident sees "accepted"."""
    d = desk(Kind.REPORT, email="dan@example.test")
    resolution_before = open_clock(d.item, "resolution").due_at
    assert handling.accept(d.officer, d.item.id, now=WED_4_MARCH) == []
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS and d.item.accepted_at == WED_4_MARCH
    acceptance = [c for c in d.item.deadlines if c.clock == "acceptance"][0]
    assert acceptance.met_at == WED_4_MARCH and acceptance.closed_at == WED_4_MARCH
    assert open_clock(d.item, "resolution").due_at == resolution_before
    assert "accepted" in actions(d.item, public=True)
    assert [n.kind for n in resident_mail(d.item.id)] == ["resident_accepted"]


def test_accepting_refuses_other_units_monitors_and_a_second_acceptance() -> None:
    """Proves: another unit's officer and the Front monitor are NotAllowed, a second acceptance is
    WrongStatus, and none of them writes an event."""
    d = desk()
    before = actions(d.item)
    for outsider in (d.stranger, d.monitor):
        with pytest.raises(NotAllowed):
            handling.accept(outsider, d.item.id, now=WED_4_MARCH)
    assert actions(d.item) == before
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    count = len(actions(d.item))
    with pytest.raises(WrongStatus, match="đang được xử lý"):
        handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    assert len(actions(d.item)) == count


def test_accepting_a_complaint_replans_resolution_from_the_acceptance() -> None:
    """Proves: a khiếu nại received Tue 3/3/2026 and accepted Wed 4/3/2026 must be resolved within
    30 days of the acceptance (Luật Khiếu nại 2011 Art. 28): day 30 is Fri 3/4/2026. The clock
    planned at routing is superseded (closed, not met), the new one is sequence 2."""
    d = desk(Kind.COMPLAINT)
    old = open_clock(d.item, "resolution")
    rows = handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    assert [(r.clock, r.sequence) for r in rows] == [("resolution", 2)]
    db.session.refresh(old)
    assert old.closed_at == WED_4_MARCH and old.met_at is None
    new = open_clock(d.item, "resolution")
    assert new.starts_at == WED_4_MARCH and due_day(new) == date(2026, 4, 3)


def test_accepting_a_denunciation_opens_the_acceptance_notice_clock() -> None:
    """Proves: a tố cáo accepted Wed 4/3/2026 gets its resolution from the acceptance (30 days:
    Fri 3/4/2026) and 5 working days to notify the denouncer (Luật Tố cáo 2018 Art. 29(3)):
    Thu 5, Fri 6, Mon 9, Tue 10, Wed 11/3/2026."""
    d = desk(Kind.DENUNCIATION)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    assert due_day(open_clock(d.item, "resolution")) == date(2026, 4, 3)
    assert due_day(open_clock(d.item, "acceptance_notice")) == date(2026, 3, 11)
    assert handling.acceptance_notice_sent(d.officer, d.item.id, now=FRI_6_MARCH) is True
    assert handling.acceptance_notice_sent(d.officer, d.item.id, now=FRI_6_MARCH) is False
    notice = [c for c in d.item.deadlines if c.clock == "acceptance_notice"][0]
    db.session.refresh(notice)
    assert notice.met_at == FRI_6_MARCH


# --- reject -----------------------------------------------------------------------------------

def test_a_duplicate_is_rejected_linked_and_the_resident_is_told() -> None:
    """Proves: refusing as a duplicate stores the other item's id, ends the item `rejected` with all
    clocks closed, writes a public "rejected" event with the reason, and queues the resident's
    email (which never carries the resident's text)."""
    d = desk(email="dan@example.test")
    first = make_feedback(d.directory)
    db.session.commit()
    handling.reject(d.officer, d.item.id, RejectReason.DUPLICATE, "Trùng với ý kiến đã gửi trước",
                    duplicate_of_code=first.code, now=WED_4_MARCH)
    db.session.refresh(d.item)
    assert d.item.status is Status.REJECTED and d.item.duplicate_of_id == first.id
    assert all(c.closed_at is not None for c in d.item.deadlines)
    rejected = events(d.item)[-1]
    assert rejected.action == "rejected" and rejected.public
    assert rejected.after == {"reason": "duplicate", "explanation": "Trùng với ý kiến đã gửi trước",
                              "duplicate_of": first.code}
    (mail,) = resident_mail(d.item.id)
    assert mail.kind == "resident_rejected" and d.item.body not in mail.body and d.item.title not in mail.body
    private = private_view(str(d.item.code), TOKEN, now=FRI_6_MARCH)
    assert private is not None and private.rejection == RejectionView(
        "duplicate", "Trùng với ý kiến đã gửi trước", first.code)
    with pytest.raises(WrongStatus, match="từ chối"):
        handling.accept(d.officer, d.item.id, now=FRI_6_MARCH)


@pytest.mark.parametrize("code, message", [("KHONG-CO-MA", "đúng mã"), (None, "đúng mã")])
def test_a_duplicate_needs_a_real_other_code(code: str | None, message: str) -> None:
    """Proves: an unknown or missing code is a clear InvalidInput and nothing is written."""
    d = desk()
    with pytest.raises(InvalidInput, match=message):
        handling.reject(d.officer, d.item.id, RejectReason.DUPLICATE, "Trùng", duplicate_of_code=code,
                        now=WED_4_MARCH)
    with pytest.raises(InvalidInput, match="chính nó"):
        handling.reject(d.officer, d.item.id, RejectReason.DUPLICATE, "Trùng", duplicate_of_code=d.item.code,
                        now=WED_4_MARCH)
    db.session.refresh(d.item)
    assert d.item.status is Status.ASSIGNED and "rejected" not in actions(d.item)


def test_an_abusive_item_needs_a_reason_and_a_monitor_cannot_reject() -> None:
    """Proves: a blank explanation is refused, the Front monitor is NotAllowed, the holding officer
    may reject as abusive after accepting (in_progress → rejected)."""
    d = desk()
    with pytest.raises(InvalidInput, match="lý do"):
        handling.reject(d.officer, d.item.id, RejectReason.ABUSIVE, "   ", now=WED_4_MARCH)
    with pytest.raises(NotAllowed):
        handling.reject(d.monitor, d.item.id, RejectReason.ABUSIVE, "Xúc phạm", now=WED_4_MARCH)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.reject(d.officer, d.item.id, RejectReason.ABUSIVE, "Nội dung xúc phạm", now=FRI_6_MARCH)
    db.session.refresh(d.item)
    assert d.item.status is Status.REJECTED


def test_a_rejection_refuses_the_request_for_more_time_still_pending() -> None:
    """Proves: a request for more time waiting for the head when the item is rejected is decided
    with the rejection (refused, internal event), so nothing is left for the head to decide on
    a rejected item and no extension can be granted after it."""
    d = desk()
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.request_extension(d.officer, d.item.id, "Cần phối hợp liên ngành.", now=WED_4_MARCH)
    handling.reject(d.officer, d.item.id, RejectReason.ABUSIVE, "Nội dung xúc phạm", now=FRI_6_MARCH)

    [request] = db.session.scalars(sa.select(ExtensionRequest).where(ExtensionRequest.feedback_id == d.item.id))
    assert request.decided_at == FRI_6_MARCH and request.outcome == "refused"
    assert actions(d.item)[-2:] == ["extension_refused", "rejected"]
    with pytest.raises(WrongStatus):
        handling.grant_extension(d.head, d.item.id, now=MON_9_MARCH)


def test_out_of_remit_is_the_existing_return() -> None:
    """Proves: refusing as outside the unit's remit hands the item back through return_item: the
    assignment ends as not competent and the item waits for routing again."""
    d = desk()
    result = handling.reject(d.officer, d.item.id, RejectReason.OUT_OF_REMIT, "Thuộc thẩm quyền UBND xã",
                             now=WED_4_MARCH)
    assert result is not None and result.outcome is transfer.TransferOutcome.REROUTING
    db.session.refresh(d.item)
    assert d.item.status is Status.RECEIVED and "returned" in actions(d.item)


def test_an_anonymous_denunciation_is_kept_as_a_report() -> None:
    """Proves: an anonymous tố cáo may be kept as a phản ánh: the kind changes, the clocks are
    re-planned as a report's (15 working days from receipt Tue 3/3/2026: Tue 24/3/2026), with a
    public "kind_changed" event; a named tố cáo may not be re-kinded."""
    named = desk(Kind.DENUNCIATION)
    with pytest.raises(InvalidInput, match="nặc danh"):
        handling.keep_as_report(named.officer, named.item.id, "Giữ làm phản ánh", now=WED_4_MARCH)
    named.item.submitter_name = None
    named.item.submitter_phone = None
    db.session.commit()
    rows = handling.keep_as_report(named.officer, named.item.id, "Tố cáo nặc danh: xử lý như phản ánh",
                                   now=WED_4_MARCH)
    db.session.refresh(named.item)
    assert named.item.kind is Kind.REPORT
    assert {(r.clock, r.sequence) for r in rows} == {("acceptance", 2), ("resolution", 2)}
    assert due_day(open_clock(named.item, "resolution")) == date(2026, 3, 24)
    assert events(named.item)[-1].action == "kind_changed" and events(named.item)[-1].public


def test_a_denunciation_kept_as_a_report_while_waiting_for_the_resident_keeps_waiting() -> None:
    """Proves: when the unit re-kinds an anonymous tố cáo while its request for information is
    open, the report's new clocks are paused from that moment like the old ones (the wait does
    not count against the unit): received Tue 3/3/2026, asked Wed 4/3, kept as a report Fri 6/3
    (due Tue 24/3 with 12 working days owed after 6/3), answered Mon 9/3: due Wed 25/3/2026."""
    d = desk(Kind.DENUNCIATION)
    d.item.submitter_name = d.item.submitter_phone = None
    db.session.commit()
    handling.request_information(d.officer, d.item.id, "Xin gửi thêm ảnh", now=WED_4_MARCH)
    rows = handling.keep_as_report(d.officer, d.item.id, "Tố cáo nặc danh: xử lý như phản ánh", now=FRI_6_MARCH)
    assert {(r.clock, r.paused_at) for r in rows} == {("acceptance", FRI_6_MARCH), ("resolution", FRI_6_MARCH)}
    assert actions(d.item)[-2:] == ["kind_changed", "clocks_paused"]
    handling.provide_information(str(d.item.code), TOKEN, "Ảnh đây", now=MON_9_MARCH)
    resolution = open_clock(d.item, "resolution")
    db.session.refresh(resolution)
    assert resolution.paused_at is None and due_day(resolution) == date(2026, 3, 25)


# --- more information ---------------------------------------------------------------------------

def test_asking_for_information_pauses_and_the_residents_answer_resumes(app: object, tmp_path: object) -> None:
    """Proves: the request pauses every open clock, a second request is refused, a wrong token is
    ItemNotFound, the resident's answer (with a photo) resumes the clocks, attaches the file and
    writes public events; answering twice is WrongStatus."""
    d = desk(email="dan@example.test")
    handling.request_information(d.officer, d.item.id, "Xin cho biết vị trí chính xác", now=WED_4_MARCH)
    assert all(c.paused_at == WED_4_MARCH for c in d.item.deadlines if c.closed_at is None)
    with pytest.raises(WrongStatus, match="đang chờ"):
        handling.request_information(d.officer, d.item.id, "Câu hỏi khác", now=WED_4_MARCH)
    with pytest.raises(ItemNotFound):
        handling.provide_information(str(d.item.code), "sai-ma-bi-mat", "Trước nhà số 5", now=FRI_6_MARCH)
    photo = CheckedFile("anh.png", "image/png", PNG, "0" * 64)
    handling.provide_information(str(d.item.code), TOKEN, "Trước nhà số 5", files=[photo], now=FRI_6_MARCH)
    db.session.refresh(d.item)
    assert all(c.paused_at is None for c in d.item.deadlines)
    assert [a.original_name for a in d.item.attachments] == ["anh.png"]
    assert {"information_requested", "information_provided"} <= set(actions(d.item, public=True))
    assert [n.kind for n in resident_mail(d.item.id)] == ["resident_information_needed"]
    private = private_view(str(d.item.code), TOKEN, now=FRI_6_MARCH)
    assert private is not None
    assert [(r.question, r.reply) for r in private.information_requests] == [
        ("Xin cho biết vị trí chính xác", "Trước nhà số 5")]
    with pytest.raises(WrongStatus):
        handling.provide_information(str(d.item.code), TOKEN, "Lần nữa", now=FRI_6_MARCH)


def test_a_failed_reply_writes_no_file(app: object) -> None:
    """Proves: an empty reply is refused before anything is staged or stored."""
    d = desk()
    handling.request_information(d.officer, d.item.id, "Xin bổ sung ảnh", now=WED_4_MARCH)
    with pytest.raises(InvalidInput):
        handling.provide_information(str(d.item.code), TOKEN, "  ", now=FRI_6_MARCH)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert handling.open_request(d.item.id) is not None


# --- internal notes -----------------------------------------------------------------------------

def test_notes_are_internal() -> None:
    """Proves: a note is stored apart, its event is internal and never carries the text, the public
    view does not show it, and the Front monitor may not write one."""
    d = desk()
    handling.add_note(d.officer, d.item.id, "Đã gọi điện cho tổ trưởng tổ dân phố", now=WED_4_MARCH)
    (note,) = db.session.scalars(sa.select(Note)).all()
    assert note.text == "Đã gọi điện cho tổ trưởng tổ dân phố"
    event = events(d.item)[-1]
    assert event.action == "note_added" and not event.public and "tổ trưởng" not in str(event.after)
    view = public_view(str(d.item.code), now=WED_4_MARCH)
    assert view is not None and "note_added" not in [e.action for e in getattr(view, "events")]
    with pytest.raises(NotAllowed):
        handling.add_note(d.monitor, d.item.id, "Ghi chú", now=WED_4_MARCH)
