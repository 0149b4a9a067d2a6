"""More time: an officer asks with a reason; the unit head grants it within the law (the deadline
engine refuses anything beyond, quoting the rule) or refuses it. The resident is told the new date."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action
from feedback.domain.deadlines import Clock, resolution_counts_from_acceptance
from feedback.domain.events import EventAction
from feedback.domain.handling import REASON_MAX_CHARS
from feedback.domain.law import may_extend_again
from feedback.domain.status import HANDLING_STATUSES, Status
from feedback.extensions import db
from feedback.models import ExtensionRequest, Feedback, User
from feedback.services.audit import record_event
from feedback.services.deadlines.clocks import Complexity, DeadlineError, extend, open_deadlines
from feedback.services.handling.common import (
    locked_item, require, require_resident_item, require_status, text_or_refuse,
)
from feedback.services.handling.errors import InvalidInput, WrongStatus
from feedback.services.handling.resident_notices import Notice, tell_resident

GRANTED = "granted"
REFUSED = "refused"


def request_extension(user: User, feedback_id: int, reason: str, *, now: datetime,
                      complexity: str | None = None) -> ExtensionRequest:
    """The holding unit (HANDLE) asks for more time with ``reason`` (``complexity``: None,
    "complex" or "especially_complex", as tố cáo and complaints need); commits. One pending
    request at a time (WrongStatus); the item assigned or in progress, and a khiếu nại or tố
    cáo accepted (WrongStatus before: its resolution clock is re-planned at the acceptance); none
    once the law allows no more extensions (WrongStatus, ``law.may_extend_again``), where the head
    could only refuse it.
    Internal event."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_resident_item(item)
        require_status(item, HANDLING_STATUSES)
        reason = text_or_refuse(reason, REASON_MAX_CHARS, what=_("lý do gia hạn"))
        if complexity is not None and complexity not in get_args(Complexity):
            raise InvalidInput(_("Mức độ phức tạp không hợp lệ."))
        _require_final_clock(item)
        if pending_extension(item) is not None:
            raise WrongStatus(_("Đã có một đề nghị gia hạn đang chờ lãnh đạo quyết định."))
        if not may_extend_again(item.kind, extensions_granted(item), complexity):  # type: ignore[arg-type]
            raise WrongStatus(_("Đã gia hạn đủ số lần pháp luật cho phép."))
        request = ExtensionRequest(feedback_id=item.id, reason=reason, complexity=complexity,
                                   requested_by_id=user.id, requested_at=now)
        db.session.add(request)
        db.session.flush()
        record_event(item, EventAction.EXTENSION_REQUESTED, actor=actor, at=now, public=False,
                     after={"request_id": request.id, "reason": reason, "complexity": complexity})
        db.session.commit()
        return request
    except BaseException:
        db.session.rollback()
        raise


def _require_final_clock(item: Feedback) -> None:
    """WrongStatus for a khiếu nại or tố cáo not yet accepted: its resolution clock is replaced at
    the acceptance (counted from it), so an extension granted before would be silently dropped
    after the resident was told the new date."""
    if item.accepted_at is None and resolution_counts_from_acceptance(item.kind):
        raise WrongStatus(_("Khiếu nại, tố cáo chỉ được gia hạn sau khi thụ lý: thời hạn giải quyết "
                            "được tính từ ngày thụ lý."))


def extensions_granted(item: Feedback) -> int:
    """How many times the item's running resolution clock was extended (0 without one: the
    head's grant then says there is no clock to extend)."""
    rows = open_deadlines(item, [Clock.RESOLUTION])
    return rows[-1].extensions if rows else 0


def pending_extension(item: Feedback) -> ExtensionRequest | None:
    """The request for more time waiting for the head's decision, if any."""
    return db.session.scalar(select(ExtensionRequest).where(
        ExtensionRequest.feedback_id == item.id, ExtensionRequest.decided_at.is_(None)))


def _pending_or_refuse(item: Feedback) -> ExtensionRequest:
    request = pending_extension(item)
    if request is None:
        raise WrongStatus(_("Không có đề nghị gia hạn nào đang chờ quyết định."))
    return request


def grant_extension(user: User, feedback_id: int, *, now: datetime) -> ExtensionRequest:
    """The unit head (APPROVE) grants the pending request; commits; the resident is told.

    The RESOLUTION clock is extended by the engine (``deadlines.clocks.extend``): tố cáo +30
    days when complex (twice when especially complex), informal kinds once, a complaint
    reclassified complex. When the law refuses, InvalidInput with the engine's message quoting
    the rule, and nothing is written (the request stays pending: the head may refuse it).
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.APPROVE, item)
        require_resident_item(item)
        require_status(item, HANDLING_STATUSES)
        _require_final_clock(item)
        request = _pending_or_refuse(item)
        complexity: Complexity | None = request.complexity  # type: ignore[assignment]  # checked on request
        try:
            deadline = extend(item, Clock.RESOLUTION, complexity=complexity, reason=request.reason,
                              decided_by=actor, now=now)
        except DeadlineError as refused:
            raise InvalidInput(str(refused)) from refused
        request.decided_by_id, request.decided_at = user.id, now
        request.outcome, request.due_at = GRANTED, deadline.due_at
        item.updated_at = now
        tell_resident(item, Notice.EXTENDED, occurrence=f"{deadline.id}:{deadline.extensions}", now=now,
                      when=deadline.due_at)
        db.session.commit()
        return request
    except BaseException:
        db.session.rollback()
        raise


def refuse_extension(user: User, feedback_id: int, comment: str, *, now: datetime) -> ExtensionRequest:
    """The unit head (APPROVE) refuses the pending request with ``comment``; commits. Internal event."""
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.APPROVE, item)
        require_status(item, {*HANDLING_STATUSES, Status.ANSWERED})
        request = _pending_or_refuse(item)
        comment = text_or_refuse(comment, REASON_MAX_CHARS, what=_("lý do không chấp thuận"))
        request.decided_by_id, request.decided_at = user.id, now
        request.outcome, request.decision_comment = REFUSED, comment
        record_event(item, EventAction.EXTENSION_REFUSED, actor=actor, at=now, public=False,
                     after={"request_id": request.id, "comment": comment})
        db.session.commit()
        return request
    except BaseException:
        db.session.rollback()
        raise
