"""A unit refuses an item with a reason, or keeps an anonymous tố cáo as a phản ánh.

Out of the unit's remit is the existing return (``routing.transfer.return_item``): the item goes
to the competent unit. A duplicate (linked to the other item by its code), a submission that is
not a valid kind, or an abusive one is refused: the item ends ``rejected`` and the resident is
told why (email, and the public "rejected" event whose reason shows on the secret-link page).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action
from feedback.domain.deadlines import Clock, plan_deadlines
from feedback.domain.events import Actor, EventAction
from feedback.domain.handling import REASON_MAX_CHARS, RejectReason, may_keep_as_report
from feedback.domain.status import HANDLING_STATUSES, Kind, Status
from feedback.domain.tracking import InvalidCode, normalise_code
from feedback.extensions import db
from feedback.models import Deadline, Feedback, User
from feedback.services.audit import record_event
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.deadlines.clocks import add_planned, case_facts, mark_met, open_deadlines, pause_clocks
from feedback.services.handling.common import (
    locked_item, move, require, require_resident_item, require_status, text_or_refuse,
)
from feedback.services.handling.errors import InvalidInput, WrongStatus
from feedback.services.handling.extensions import REFUSED as EXTENSION_REFUSED
from feedback.services.handling.extensions import pending_extension
from feedback.services.handling.information import open_request
from feedback.services.handling.resident_notices import Notice, tell_resident
from feedback.services.routing.transfer import TransferRefused, TransferResult, return_item


def reject(user: User, feedback_id: int, reason: RejectReason | None, explanation: str, *, now: datetime,
           duplicate_of_code: str | None = None, target_unit_id: int | None = None) -> TransferResult | None:
    """The holding unit (HANDLE) refuses the item with ``reason`` and ``explanation``; commits.

    OUT_OF_REMIT hands over to ``return_item`` (``target_unit_id`` optional) and returns its
    result. DUPLICATE needs ``duplicate_of_code``, the code of another item (stored as
    ``duplicate_of_id``). For DUPLICATE, INVALID_KIND and ABUSIVE the item becomes ``rejected``:
    the ACCEPTANCE clock is met (refusing is the first step's answer), every other open clock is
    closed, a request for more time still pending is refused; a public "rejected" event holds the reason, the explanation and the linked code; the
    resident is told. Returns None then. InvalidInput for no reason (None: none or an unknown one
    was chosen), a blank or too long explanation or a bad code; WrongStatus unless assigned or in
    progress; NotAllowed outside the holding unit, checked first (before what was typed).
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_resident_item(item)
        require_status(item, HANDLING_STATUSES)
        if reason is None:
            raise InvalidInput(_("Hãy chọn lý do từ chối."))
        explanation = text_or_refuse(explanation, REASON_MAX_CHARS, what=_("lý do"))
        if reason is RejectReason.OUT_OF_REMIT:
            assert item.current_unit_id is not None  # HANDLE means a unit holds it
            unit_id = item.current_unit_id
            db.session.rollback()  # return_item takes its own lock and commits
            try:
                return return_item(feedback_id, unit_id=unit_id, reason=explanation,
                                   target_unit_id=target_unit_id, actor=actor, now=now)
            except TransferRefused as refused:
                raise InvalidInput(str(refused)) from refused
        duplicate = _duplicate_of(item, duplicate_of_code) if reason is RejectReason.DUPLICATE else None
        move(item, Status.REJECTED)
        item.duplicate_of_id = duplicate.id if duplicate is not None else None
        item.updated_at = now
        mark_met(item, Clock.ACCEPTANCE, now, actor=actor)
        for deadline in open_deadlines(item, lock=True):
            deadline.closed_at = now
            deadline.paused_at = None
        _close_pending_extension(item, user, now, actor)
        record_event(item, EventAction.REJECTED, actor=actor, at=now,
                     after={"reason": reason.value, "explanation": explanation,
                            "duplicate_of": duplicate.code if duplicate is not None else None})
        tell_resident(item, Notice.REJECTED, occurrence="1", now=now)
        db.session.commit()
        return None
    except BaseException:
        db.session.rollback()
        raise


def _close_pending_extension(item: Feedback, user: User, now: datetime, actor: Actor) -> None:
    """A request for more time still waiting for the head is refused with the rejection: its
    clocks are closed, and the head must not find a decision on a rejected item to take."""
    request = pending_extension(item)
    if request is None:
        return
    comment = _("Ý kiến đã bị từ chối: không còn thời hạn để gia hạn.")
    request.decided_by_id, request.decided_at, request.outcome, request.decision_comment = (
        user.id, now, EXTENSION_REFUSED, comment)
    record_event(item, EventAction.EXTENSION_REFUSED, actor=actor, at=now, public=False,
                 after={"request_id": request.id, "comment": comment})


def _duplicate_of(item: Feedback, code: str | None) -> Feedback:
    """The other item, by its code as typed or in canonical form; InvalidInput otherwise."""
    canonical = (code or "").strip().upper()
    if "\x00" in canonical:  # no code holds one, and PostgreSQL refuses it even in a comparison
        raise InvalidInput(_("Hãy nhập đúng mã của ý kiến bị trùng."))
    other = db.session.scalar(select(Feedback).where(Feedback.code == canonical)) if canonical else None
    if other is None:
        try:
            canonical = normalise_code(canonical)
        except InvalidCode as invalid:
            raise InvalidInput(_("Hãy nhập đúng mã của ý kiến bị trùng.")) from invalid
        other = db.session.scalar(select(Feedback).where(Feedback.code == canonical))
    if other is None:
        raise InvalidInput(_("Không tìm thấy ý kiến có mã %(code)s.", code=canonical))
    if other.id == item.id:
        raise InvalidInput(_("Một ý kiến không thể trùng với chính nó."))
    return other


def keep_as_report(user: User, feedback_id: int, explanation: str, *, now: datetime) -> list[Deadline]:
    """Keep an anonymous tố cáo as a phản ánh instead of refusing it (HANDLE); commits.

    The law does not accept an anonymous tố cáo (Luật Tố cáo 2018 Art. 23, 25), but what it
    reports can still be handled as a phản ánh. The kind becomes REPORT; the open ACCEPTANCE and
    RESOLUTION clocks are superseded by those of a report planned from the receipt (breaches
    already recorded stay on the old rows); while a request for information is open the new
    clocks are paused too, like the old ones. A public "kind_changed" event holds the explanation.
    WrongStatus unless assigned or in progress; InvalidInput when the item is not an anonymous
    tố cáo or the explanation is blank. Returns the new clocks.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_resident_item(item)
        require_status(item, HANDLING_STATUSES)
        explanation = text_or_refuse(explanation, REASON_MAX_CHARS, what=_("lý do"))
        anonymous = not (item.submitter_name or "").strip()
        if not may_keep_as_report(item.kind, anonymous=anonymous):
            raise InvalidInput(_("Chỉ tố cáo nặc danh mới được chuyển thành phản ánh."))
        if item.accepted_at is not None:
            raise WrongStatus(_("Ý kiến đã được thụ lý: không thể đổi loại."))
        before = item.kind
        item.kind = Kind.REPORT
        item.updated_at = now
        clocks = [Clock.ACCEPTANCE, Clock.RESOLUTION]
        for old in open_deadlines(item, clocks, lock=True):
            old.closed_at = now
        rows = add_planned(item, plan_deadlines(case_facts(item), calendar_for(item.received_at, now)), now)
        record_event(item, EventAction.KIND_CHANGED, actor=actor, at=now,
                     before={"kind": before.value}, after={"kind": item.kind.value, "explanation": explanation})
        if (waiting := open_request(item.id)) is not None:  # the new clocks wait for the resident too
            pause_clocks(item, now, waiting.question, actor=actor)
        db.session.commit()
        return rows
    except BaseException:
        db.session.rollback()
        raise
