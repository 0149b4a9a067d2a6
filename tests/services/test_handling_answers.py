"""The answer: drafted by an officer, submitted, returned or published by the unit head. Text
limits, two officers at once, the double click on publish, the clocks it stops, the frozen unit,
and what the resident and the public see."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.handling import ANSWER_MAX_CHARS, DraftStatus
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Answer, Notification, Unit
from feedback.services import handling
from feedback.services.handling import DraftConflict, InvalidInput, NotAllowed, WrongStatus
from feedback.services.intake.tracking import PublicItem, RestrictedItem, private_view, public_view
from feedback.services.intake.uploads import CheckedFile
from tests.services.handling_rows import (
    FRI_6_MARCH, LATE_MAY, MON_9_MARCH, TOKEN, TUE_10_MARCH, WED_4_MARCH, Desk, actions, desk, events,
)

ANSWER = "Đơn vị đã bố trí xe thu gom rác tại tổ dân phố 1 từ ngày 05/3/2026."


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def accepted(kind: Kind = Kind.REPORT, **options: str) -> Desk:
    d = desk(kind, **options)  # type: ignore[arg-type]
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    return d


def submitted(d: Desk, text: str = ANSWER) -> Answer:
    handling.save_draft(d.officer, d.item.id, text, expected_version=None, now=FRI_6_MARCH)
    return handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)


@pytest.mark.parametrize("text, message", [
    ("", "Hãy nhập câu trả lời"),
    ("   \n ", "Hãy nhập câu trả lời"),
    ("x" * (ANSWER_MAX_CHARS + 1), "dài quá 20.000 ký tự"),
    ("x" * 50_000, "dài quá 20.000 ký tự"),
])
def test_an_answer_holds_1_to_20000_characters(text: str, message: str) -> None:
    """Proves: an empty or over-long answer is a clear message and nothing is stored."""
    d = accepted()
    with pytest.raises(InvalidInput, match=message):
        handling.save_draft(d.officer, d.item.id, text, expected_version=None, now=FRI_6_MARCH)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    answer = handling.save_draft(d.officer, d.item.id, "x" * ANSWER_MAX_CHARS, expected_version=None,
                                 now=FRI_6_MARCH)
    assert len(answer.text) == ANSWER_MAX_CHARS


def test_the_limit_is_written_as_numbers_are_in_the_users_language() -> None:
    """Proves: the limit in the message reads 20.000 in Vietnamese and 20,000 in English (the
    probe found "longer than 20.000 characters" on English pages)."""
    from flask_babel import force_locale

    d = accepted()
    with force_locale("en"), pytest.raises(InvalidInput, match="20,000"):
        handling.save_draft(d.officer, d.item.id, "x" * (ANSWER_MAX_CHARS + 1), expected_version=None, now=FRI_6_MARCH)


def test_no_draft_before_acceptance_and_not_by_another_unit() -> None:
    """Proves: drafting needs the item accepted (WrongStatus) and the holding unit (NotAllowed)."""
    d = desk()
    with pytest.raises(WrongStatus, match="thụ lý"):
        handling.save_draft(d.officer, d.item.id, ANSWER, expected_version=None, now=WED_4_MARCH)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    for outsider in (d.stranger, d.monitor):
        with pytest.raises(NotAllowed):
            handling.save_draft(outsider, d.item.id, ANSWER, expected_version=None, now=WED_4_MARCH)


def test_two_officers_drafting_at_once_one_wins_and_the_other_keeps_their_text() -> None:
    """Proves: both start from "no draft"; the first save wins, the second gets DraftConflict
    carrying its own text and the stored version; the same for two edits of version 1. The
    stored text is always the winner's: nothing is overwritten silently."""
    d = accepted()
    first = handling.save_draft(d.officer, d.item.id, "Bản của cán bộ A", expected_version=None, now=FRI_6_MARCH)
    with pytest.raises(DraftConflict) as conflict:
        handling.save_draft(d.head, d.item.id, "Bản của cán bộ B", expected_version=None, now=FRI_6_MARCH)
    assert conflict.value.text == "Bản của cán bộ B" and conflict.value.current_version == 1
    handling.save_draft(d.officer, d.item.id, "Bản A sửa lần 2", expected_version=1, now=FRI_6_MARCH)
    with pytest.raises(DraftConflict):
        handling.save_draft(d.head, d.item.id, "Bản B sửa", expected_version=1, now=FRI_6_MARCH)
    db.session.refresh(first)
    assert (first.text, first.version, first.status) == ("Bản A sửa lần 2", 2, DraftStatus.DRAFT)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


def test_an_officer_cannot_publish_and_a_head_cannot_publish_an_unsubmitted_draft() -> None:
    """Proves: publishing is the head's (NotAllowed for the officer, the monitor, another unit);
    the head may not publish an officer's draft that was not submitted (WrongStatus)."""
    d = accepted()
    handling.save_draft(d.officer, d.item.id, ANSWER, expected_version=None, now=FRI_6_MARCH)
    for not_head in (d.officer, d.monitor, d.stranger):
        with pytest.raises(NotAllowed):
            handling.publish_answer(not_head, d.item.id, now=FRI_6_MARCH)
    with pytest.raises(WrongStatus, match="trình"):
        handling.publish_answer(d.head, d.item.id, now=FRI_6_MARCH)
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS and "answer_published" not in actions(d.item)


def test_the_head_returns_a_draft_with_a_comment_then_publishes_it() -> None:
    """Proves: a submitted draft is locked for editing, returned with a comment (required), edited
    again, submitted again and published; publishing twice (double click) writes once."""
    d = accepted(email="dan@example.test", language="en")
    submitted(d)
    with pytest.raises(WrongStatus, match="trình"):
        handling.save_draft(d.officer, d.item.id, "Sửa", expected_version=2, now=FRI_6_MARCH)
    with pytest.raises(InvalidInput):
        handling.return_answer(d.head, d.item.id, " ", now=MON_9_MARCH)
    with pytest.raises(NotAllowed):
        handling.return_answer(d.officer, d.item.id, "Tự trả lại", now=MON_9_MARCH)
    returned = handling.return_answer(d.head, d.item.id, "Nêu rõ lịch thu gom", now=MON_9_MARCH)
    assert returned.status is DraftStatus.RETURNED and returned.return_comment == "Nêu rõ lịch thu gom"
    handling.save_draft(d.officer, d.item.id, ANSWER + " Lịch: thứ Hai và thứ Năm.", expected_version=returned.version,
                        now=MON_9_MARCH)
    handling.submit_answer(d.officer, d.item.id, now=MON_9_MARCH)
    first = handling.publish_answer(d.head, d.item.id, now=TUE_10_MARCH)
    again = handling.publish_answer(d.head, d.item.id, now=TUE_10_MARCH)
    assert not first.already and again.already and again.answer_id == first.answer_id
    assert actions(d.item).count("answer_published") == 1
    db.session.refresh(d.item)
    assert d.item.status is Status.ANSWERED and d.item.answered_at == TUE_10_MARCH
    assert d.item.answered_by_unit_id == d.item.current_unit_id
    (mail,) = db.session.scalars(sa.select(Notification).where(Notification.kind == "resident_answered")).all()
    assert "has been answered" in mail.subject  # the item's language (English)
    assert d.item.body not in mail.body


def test_a_head_publishes_their_own_draft() -> None:
    """Proves: the head's own draft needs no submission to themselves."""
    d = accepted()
    handling.save_draft(d.head, d.item.id, ANSWER, expected_version=None, now=FRI_6_MARCH)
    assert not handling.publish_answer(d.head, d.item.id, now=FRI_6_MARCH).already


@pytest.mark.parametrize("published_at, on_time", [(TUE_10_MARCH, True), (LATE_MAY, False)])
def test_publishing_meets_the_clocks_on_time_or_late(published_at: object, on_time: bool) -> None:
    """Proves: publishing stops the resolution clock (due Tue 24/3/2026 for this phản ánh) at the
    publication time, and the public "deadline_met" event records whether it was on time."""
    d = accepted()
    submitted(d)
    handling.publish_answer(d.head, d.item.id, now=published_at)  # type: ignore[arg-type]
    resolution = [c for c in d.item.deadlines if c.clock == "resolution"][0]
    db.session.refresh(resolution)
    assert resolution.met_at == published_at and resolution.closed_at == published_at
    met = [e.after for e in events(d.item) if e.action == "deadline_met" and e.after["clock"] == "resolution"]
    assert met == [{"id": resolution.id, "clock": "resolution", "on_time": on_time}]


def test_the_answer_is_public_for_a_report_with_the_unit_frozen(client: FlaskClient) -> None:
    """Proves: /t/<code>.json and the public view carry answer, answered_at and answered_by_unit,
    and a later rename of the unit changes nothing (the unit of that moment)."""
    d = accepted()
    assert public_view(str(d.item.code), now=FRI_6_MARCH).answer is None  # type: ignore[union-attr]
    submitted(d)
    handling.publish_answer(d.head, d.item.id, now=TUE_10_MARCH)
    unit = db.session.get(Unit, d.item.current_unit_id)
    assert unit is not None
    name_then = unit.name
    unit.name = "Tên mới của đơn vị"
    db.session.commit()
    view = public_view(str(d.item.code), now=TUE_10_MARCH)
    assert isinstance(view, PublicItem) and view.answer == ANSWER
    assert view.answered_at == TUE_10_MARCH and view.answered_by_unit is not None
    assert view.answered_by_unit.name == name_then
    data = client.get(f"/t/{d.item.code}.json").get_json()
    assert data["answer"] == ANSWER and data["answered_at"] == "2026-03-10T09:00:00+07:00"
    assert data["answered_by_unit"] == {"code": unit.code, "name": name_then}


def test_the_answer_to_a_complaint_is_read_only_through_the_secret_link(client: FlaskClient) -> None:
    """Proves: for a khiếu nại the public view stays restricted (no answer in it nor in the JSON);
    the resident's private view has it."""
    d = accepted(Kind.COMPLAINT)
    submitted(d)
    handling.publish_answer(d.head, d.item.id, now=TUE_10_MARCH)
    assert isinstance(public_view(str(d.item.code), now=TUE_10_MARCH), RestrictedItem)
    data = client.get(f"/t/{d.item.code}.json").get_json()
    assert data["restricted"] is True and data["answer"] is None and ANSWER not in str(data)
    private = private_view(str(d.item.code), TOKEN, now=TUE_10_MARCH)
    assert private is not None and private.public.answer == ANSWER


def test_answer_files_are_the_answers_not_the_residents() -> None:
    """Proves: a file attached to the draft is stored with the answer; the resident's view lists it
    with the published answer, never among their own files, and not before publication."""
    d = accepted()
    letter = CheckedFile("cong-van.pdf", "application/pdf", b"%PDF-1.4 tra loi", "1" * 64)
    handling.save_draft(d.head, d.item.id, ANSWER, expected_version=None, files=[letter], now=FRI_6_MARCH)
    before = private_view(str(d.item.code), TOKEN, now=FRI_6_MARCH)
    assert before is not None and before.answer_attachments == () and before.attachments == ()
    handling.publish_answer(d.head, d.item.id, now=FRI_6_MARCH)
    after = private_view(str(d.item.code), TOKEN, now=FRI_6_MARCH)
    assert after is not None and [a.original_name for a in after.answer_attachments] == ["cong-van.pdf"]
    assert after.attachments == ()
