"""The unit asks the resident for more information; the clocks pause until the resident answers
on the secret-link page (text and files), then resume (DESIGN.md §5: the days still owed count
again from the day after the answer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action
from feedback.domain.events import Actor, EventAction
from feedback.domain.handling import ANSWER_MAX_CHARS, REASON_MAX_CHARS
from feedback.domain.status import HANDLING_STATUSES
from feedback.domain.tracking import token_matches
from feedback.extensions import db
from feedback.models import Feedback, InfoRequest, User
from feedback.services.audit import record_event
from feedback.services.deadlines.clocks import pause_clocks, resume_clocks
from feedback.services.handling.acceptance import waiting_for_resident
from feedback.services.handling.common import (
    attach,
    files_with_commit,
    locked_item,
    require,
    require_resident_item,
    require_status,
    text_or_refuse,
)
from feedback.services.handling.errors import InvalidInput, ItemNotFound, WrongStatus
from feedback.services.handling.resident_notices import Notice, tell_resident
from feedback.services.intake import uploads


def request_information(user: User, feedback_id: int, question: str, *, now: datetime) -> InfoRequest:
    """The holding unit (HANDLE) asks the resident ``question``; the open clocks pause; commits.

    One open request at a time (WrongStatus for a second one); the item must be assigned or in
    progress. The question is shown to the resident on the secret-link page; the public event
    "information_requested" holds nothing but the fact. Tells the resident by email.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.HANDLE, item)
        require_resident_item(item)
        require_status(item, HANDLING_STATUSES)
        question = text_or_refuse(question, REASON_MAX_CHARS, what=_("nội dung cần bổ sung"))
        if waiting_for_resident(item):
            raise WrongStatus(_("Đã có một đề nghị bổ sung thông tin đang chờ người gửi trả lời."))
        request = InfoRequest(feedback_id=item.id, question=question, asked_by_id=user.id, asked_at=now)
        db.session.add(request)
        db.session.flush()
        pause_clocks(item, now, question, actor=actor)
        item.updated_at = now
        record_event(item, EventAction.INFORMATION_REQUESTED, actor=actor, at=now, after={"request_id": request.id})
        tell_resident(item, Notice.INFORMATION_NEEDED, occurrence=str(request.id), now=now)
        db.session.commit()
        return request
    except BaseException:
        db.session.rollback()
        raise


def provide_information(code: str, token: str, reply: str, *, now: datetime,
                        files: Sequence[uploads.CheckedFile] = ()) -> InfoRequest:
    """The resident answers the open request through the secret link (``code`` + ``token``).

    ``files`` are already checked (``uploads.check_upload``); they are staged before the commit
    and published after it, as at intake. The clocks resume at ``now``. ItemNotFound when the
    code or token is wrong (indistinguishable); WrongStatus when no request is open (a second
    submit of the same answer included); InvalidInput for an empty or too long reply.
    """
    item = db.session.scalar(select(Feedback).where(Feedback.code == code).with_for_update())
    if item is None or not token_matches(token, item.token_hash):
        db.session.rollback()
        raise ItemNotFound(_("Không tìm thấy ý kiến."))
    request = db.session.scalar(select(InfoRequest).where(
        InfoRequest.feedback_id == item.id, InfoRequest.answered_at.is_(None)))
    if request is None or item.status not in HANDLING_STATUSES:  # e.g. refused meanwhile
        db.session.rollback()
        raise WrongStatus(_("Không có đề nghị bổ sung thông tin nào đang chờ bạn trả lời."))
    try:
        reply = text_or_refuse(reply, ANSWER_MAX_CHARS, what=_("nội dung bổ sung"))
    except InvalidInput:
        db.session.rollback()
        raise
    with files_with_commit(files) as staged:
        request.reply = reply
        request.answered_at = now
        attach(item, staged, now)
        resume_clocks(item, now, actor=Actor.resident())
        item.updated_at = now
        record_event(item, EventAction.INFORMATION_PROVIDED, actor=Actor.resident(), at=now,
                     after={"request_id": request.id, "attachments": len(staged)})
        db.session.commit()
    return request


def open_request(feedback_id: int) -> InfoRequest | None:
    """The item's unanswered request for more information, if any (for the pages)."""
    return db.session.scalar(select(InfoRequest).where(
        InfoRequest.feedback_id == feedback_id, InfoRequest.answered_at.is_(None)))
