"""The unit's answer: an officer drafts it (text and files) and submits it; the unit head
publishes it or returns it with a comment; a head may publish their own draft.

Two people saving at once: every save names the version it was based on (``expected_version``,
None for a new draft); under the item's row lock the second save sees a newer version and gets
DraftConflict carrying its own text, so one wins and nothing is lost. Publishing twice (a
double click) publishes once and answers the second call with the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action
from feedback.domain.deadlines import Clock, plan_decision_notice
from feedback.domain.events import EventAction
from feedback.domain.handling import (
    ANSWER_MAX_CHARS, REASON_MAX_CHARS, DraftStatus, InvalidDraftTransition, may_publish, next_draft_status,
)
from feedback.domain.status import Kind, Origin, Status
from feedback.extensions import db
from feedback.models import Answer, Deadline, Feedback, Unit, User
from feedback.services.audit import record_event
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.deadlines.clocks import add_planned, case_facts, mark_met, open_deadlines
from feedback.services.handling.acceptance import waiting_for_resident
from feedback.services.handling.common import (
    attach,
    files_with_commit,
    locked_item,
    move,
    require,
    require_status,
    text_or_refuse,
)
from feedback.services.handling.errors import DraftConflict, WrongStatus
from feedback.services.handling.issuer_notices import tell_issuer
from feedback.services.handling.resident_notices import Notice, tell_resident
from feedback.services.intake import uploads


@dataclass(frozen=True)
class Published:
    answer_id: int
    cycle: int
    already: bool  # True when the answer was published before this call (double click)


def current_answer(item: Feedback) -> Answer | None:
    """The answer of the item's latest cycle (draft, submitted, returned or published), if any."""
    return db.session.scalar(
        select(Answer).where(Answer.feedback_id == item.id).order_by(Answer.cycle.desc()).limit(1)
    )


def published_answer(feedback_id: int) -> Answer | None:
    """The latest published answer of the item, if any (the read models show it)."""
    return db.session.scalar(
        select(Answer).where(Answer.feedback_id == feedback_id, Answer.status == DraftStatus.PUBLISHED)
        .order_by(Answer.cycle.desc()).limit(1)
    )


def save_draft(user: User, feedback_id: int, text: str, *, expected_version: int | None, now: datetime,
               files: Sequence[uploads.CheckedFile] | Callable[[], Sequence[uploads.CheckedFile]] = ()) -> Answer:
    """Save the answer's draft of the current cycle (HANDLE, item in progress); commits.

    ``expected_version`` is the version the user started from (None: a new draft). When it is
    not the stored one, DraftConflict (with ``text``) and nothing is written. A submitted draft
    is locked (WrongStatus) until the head returns it. Text 1..20,000 characters (InvalidInput).
    ``files`` (checked by ``uploads.check_upload``) are attached to the answer; given as a
    function, it is called only once the user's right and the item's status are checked, so that a
    file the check refuses (InvalidInput) never answers a user who may not save. The saver
    becomes the draft's author. Writes an internal "answer_drafted" event.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_status(item, {Status.IN_PROGRESS})
        if callable(files):
            files = files()
        text = text_or_refuse(text, ANSWER_MAX_CHARS, what=_("câu trả lời"))
        answer = current_answer(item)
        if answer is None or answer.status is DraftStatus.PUBLISHED:  # first cycle, or reopened
            if expected_version is not None:
                raise _conflict(text, answer.version if answer is not None else 0)
            unit = _unit(item)
            answer = Answer(feedback_id=item.id, cycle=(answer.cycle + 1) if answer is not None else 1,
                            status=DraftStatus.DRAFT, text=text, version=1, author_id=user.id, unit_id=unit.id,
                            unit_code=unit.code, unit_name=unit.name, created_at=now, updated_at=now)
            db.session.add(answer)
        else:
            if answer.status is DraftStatus.SUBMITTED:
                raise WrongStatus(_("Dự thảo đã trình lãnh đạo: chờ duyệt hoặc trả lại trước khi sửa."))
            if expected_version != answer.version:
                raise _conflict(text, answer.version)
            answer.status = next_draft_status(answer.status, DraftStatus.DRAFT)
            answer.text, answer.author_id, answer.updated_at = text, user.id, now
            answer.version += 1
        db.session.flush()
        with files_with_commit(files) as staged:
            attach(item, staged, now, answer_id=answer.id)
            record_event(item, EventAction.ANSWER_DRAFTED, actor=actor, at=now, public=False,
                         after={"answer_id": answer.id, "cycle": answer.cycle, "version": answer.version,
                                "attachments": len(staged)})
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return answer


def _conflict(text: str, version: int) -> DraftConflict:
    return DraftConflict(_("Một cán bộ khác vừa lưu câu trả lời này. Nội dung của bạn chưa được lưu: hãy "
                           "tải lại bản mới nhất và nhập lại phần thay đổi."), text=text, current_version=version)


def _unit(item: Feedback) -> Unit:
    unit = db.session.get(Unit, item.current_unit_id) if item.current_unit_id is not None else None
    assert unit is not None  # HANDLE means a unit holds the item
    return unit


def _draft(item: Feedback) -> Answer:
    answer = current_answer(item)
    if answer is None or answer.status is DraftStatus.PUBLISHED:
        raise WrongStatus(_("Chưa có dự thảo câu trả lời."))
    return answer


def submit_answer(user: User, feedback_id: int, *, now: datetime) -> Answer:
    """Send the current draft to the unit head (HANDLE); commits. WrongStatus when there is no
    draft or it is already submitted. Writes an internal "answer_submitted" event."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_status(item, {Status.IN_PROGRESS})
        answer = _draft(item)
        _advance(answer, DraftStatus.SUBMITTED)
        answer.submitted_at = answer.updated_at = now
        answer.version += 1
        record_event(item, EventAction.ANSWER_SUBMITTED, actor=actor, at=now, public=False,
                     after={"answer_id": answer.id, "cycle": answer.cycle})
        db.session.commit()
        return answer
    except BaseException:
        db.session.rollback()
        raise


def return_answer(user: User, feedback_id: int, comment: str, *, now: datetime) -> Answer:
    """The unit head (APPROVE) returns the submitted draft with ``comment``; commits.
    WrongStatus unless a draft is submitted; InvalidInput for a blank comment."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.APPROVE, item)
        require_status(item, {Status.IN_PROGRESS})
        answer = _draft(item)
        comment = text_or_refuse(comment, REASON_MAX_CHARS, what=_("ý kiến của lãnh đạo"))
        _advance(answer, DraftStatus.RETURNED)
        answer.return_comment, answer.updated_at = comment, now
        answer.version += 1
        record_event(item, EventAction.ANSWER_RETURNED, actor=actor, at=now, public=False,
                     after={"answer_id": answer.id, "cycle": answer.cycle, "comment": comment})
        db.session.commit()
        return answer
    except BaseException:
        db.session.rollback()
        raise


def _advance(answer: Answer, target: DraftStatus) -> None:
    try:
        answer.status = next_draft_status(answer.status, target)
    except InvalidDraftTransition as refused:
        messages = {
            DraftStatus.SUBMITTED: _("Dự thảo đã trình lãnh đạo, đang chờ duyệt."),
            DraftStatus.RETURNED: _("Chỉ trả lại được dự thảo đã trình."),
        }
        raise WrongStatus(messages.get(target, _("Dự thảo không ở trạng thái phù hợp."))) from refused


def publish_answer(user: User, feedback_id: int, *, now: datetime) -> Published:
    """The unit head (APPROVE) publishes the current answer; commits.

    A submitted draft, or the head's own draft (``may_publish``); an officer's unsubmitted
    draft is refused (WrongStatus). The answer records approver, time and the unit as it is now
    (frozen); the item becomes ``answered`` with ``answered_at`` and ``answered_by_unit_id``;
    its ACCEPTANCE, RESOLUTION and (for a recommendation) SUPERVISION clocks stop (``mark_met``:
    on time or late, a recorded fact); a public "answer_published" event; the resident is told
    (for a recommendation: the body that issued it, ``tell_issuer``). A first-round khiếu nại
    gets its DECISION_NOTICE clock: the decision is sent to the complainant within 3 working days
    of its issue (Luật Khiếu nại 2011 Art. 32; ``plan_decision_notice``). Idempotent: when the item is
    already answered with this cycle's answer published, nothing is written and
    ``already=True``. WrongStatus while waiting for the resident's information.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.APPROVE, item)
        answer = current_answer(item)
        if item.status in (Status.ANSWERED, Status.CLOSED) and answer is not None \
                and answer.status is DraftStatus.PUBLISHED:
            db.session.rollback()
            return Published(answer.id, answer.cycle, already=True)
        require_status(item, {Status.IN_PROGRESS})
        answer = _draft(item)
        if waiting_for_resident(item):
            raise WrongStatus(_("Ý kiến đang chờ người gửi bổ sung thông tin: chưa thể công bố câu trả lời."))
        if not may_publish(answer.status, publisher_is_author=answer.author_id == user.id):
            raise WrongStatus(_("Dự thảo của cán bộ phải được trình trước khi lãnh đạo công bố."))
        unit = _unit(item)
        _advance(answer, DraftStatus.PUBLISHED)
        answer.approver_id, answer.published_at, answer.updated_at = user.id, now, now
        answer.unit_id, answer.unit_code, answer.unit_name = unit.id, unit.code, unit.name
        answer.version += 1
        move(item, Status.ANSWERED)
        item.answered_at, item.answered_by_unit_id, item.updated_at = now, unit.id, now
        for clock in (Clock.ACCEPTANCE, Clock.RESOLUTION, Clock.SUPERVISION):
            mark_met(item, clock, now, actor=actor)
        notice = _open_decision_notice(item, now)
        record_event(item, EventAction.ANSWER_PUBLISHED, actor=actor, at=now,
                     after={"answer_id": answer.id, "cycle": answer.cycle, "unit_code": unit.code,
                            "unit_name": unit.name,
                            **({"deadlines": [_describe(row) for row in notice]} if notice else {})})
        tell_resident(item, Notice.ANSWERED, occurrence=str(answer.cycle), now=now)
        tell_issuer(item, now=now)
        db.session.commit()
        return Published(answer.id, answer.cycle, already=False)
    except BaseException:
        db.session.rollback()
        raise


def has_decision_notice(item: Feedback) -> bool:
    """Whether publishing the item's answer issues a decision that must be sent to the complainant
    (Luật Khiếu nại 2011 Art. 32): a resident's khiếu nại in its first round. The second round's
    sending rule (Art. 41) is not in the law table yet (``decision_notice_period`` refuses it)."""
    return item.kind is Kind.COMPLAINT and item.origin is Origin.RESIDENT and item.complaint_round == 1


def _open_decision_notice(item: Feedback, now: datetime) -> list[Deadline]:
    """The DECISION_NOTICE clock of the decision published at ``now``, for a first-round
    complaint (``has_decision_notice``); ``[]`` otherwise. A clock of an earlier cycle still open
    is superseded (closed, neither met nor breached)."""
    if not has_decision_notice(item):
        return []
    for old in open_deadlines(item, [Clock.DECISION_NOTICE], lock=True):
        old.closed_at = now
    plan = plan_decision_notice(now, case_facts(item), calendar_for(item.received_at, now))
    return add_planned(item, [plan], now)


def _describe(row: Deadline) -> dict[str, object]:
    return {"id": row.id, "clock": row.clock, "due_at": row.due_at.isoformat(), "legal_basis": row.legal_basis}


def decision_notice_sent(user: User, feedback_id: int, *, now: datetime) -> bool:
    """The unit (HANDLE) records that it sent the complainant the decision on the complaint
    (quyết định giải quyết khiếu nại lần đầu, Luật Khiếu nại 2011 Art. 32); the DECISION_NOTICE
    clock is met at ``now``, on time or late (public "deadline_met" event); commits. Offered
    while that clock is open, also once the item is answered. WrongStatus for an item without
    such a decision (not a khiếu nại, or a supervision recommendation, which has no resident);
    False when no such clock is open (a second click: idempotent)."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        if not has_decision_notice(item):
            raise WrongStatus(_("Chỉ khiếu nại (lần đầu) của người dân mới có quyết định giải quyết để gửi."))
        met = mark_met(item, Clock.DECISION_NOTICE, now, actor=actor)
        db.session.commit()
        return bool(met)
    except BaseException:
        db.session.rollback()
        raise
