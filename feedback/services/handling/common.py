"""Steps every handling action shares: load the item locked, check the user's right through the
one access rule (``feedback.domain.access``), move the status through the domain's state machine,
and turn domain refusals into the typed errors of ``errors``."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action, may
from feedback.domain.events import Actor
from feedback.domain.handling import InvalidText, TextProblem, checked_text
from feedback.domain.status import InvalidTransition, Origin, Status, next_status
from feedback.extensions import db
from feedback.models import Attachment, Feedback, User
from feedback.services.access import item_facts, viewer_for
from feedback.services.handling.errors import InvalidInput, ItemNotFound, NotAllowed, WrongStatus
from feedback.services.intake import uploads


def locked_item(feedback_id: int) -> Feedback:
    """The item, its row locked until the commit (``FOR UPDATE``), with fresh values.

    Every action on an item goes through this lock, so two actions on the same item (two
    officers, a double click) run one after the other and the second sees what the first did.
    Raises ItemNotFound.
    """
    item = db.session.scalar(
        select(Feedback).where(Feedback.id == feedback_id).with_for_update().execution_options(populate_existing=True)
    )
    if item is None:
        raise ItemNotFound(_("Không tìm thấy ý kiến."))
    return item


def require(user: User, action: Action, item: Feedback) -> Actor:
    """The audit actor of ``user`` when the access rule lets them take ``action`` on ``item``;
    else NotAllowed (another unit's officer, a monitor, an officer approving...)."""
    if not may(viewer_for(user), action, item_facts(item)):
        if action is Action.APPROVE:
            raise NotAllowed(_("Chỉ lãnh đạo đơn vị đang xử lý ý kiến này mới được phê duyệt."))
        raise NotAllowed(_("Bạn không có quyền xử lý ý kiến này."))
    return Actor.user(user.id, user.username)


def require_resident_item(item: Feedback) -> None:
    """WrongStatus for a supervision recommendation (``Origin.SUPERVISION``): it is addressed to
    one unit by name and has no resident, so it cannot be refused, returned, kept as a report,
    paused for the resident's information or extended; it is only answered."""
    if item.origin is not Origin.RESIDENT:
        raise WrongStatus(_("Đây là kiến nghị giám sát gửi đích danh đơn vị: đơn vị soạn, trình duyệt và công "
                            "bố câu trả lời; không từ chối, trả lại, đề nghị bổ sung thông tin hay gia hạn."))


def require_status(item: Feedback, allowed: Collection[Status]) -> None:
    """WrongStatus unless the item is in one of ``allowed``."""
    if item.status not in allowed:
        raise WrongStatus(status_message(item.status))


def move(item: Feedback, target: Status) -> None:
    """Set the item's status to ``target`` through ``next_status``; WrongStatus when illegal."""
    try:
        item.status = next_status(item.status, target)
    except InvalidTransition as refused:
        raise WrongStatus(status_message(item.status)) from refused


def status_message(status: Status) -> str:
    """Why nothing was done, from the item's status."""
    messages = {
        Status.RECEIVED: _("Ý kiến chưa được giao cho đơn vị nào: chưa thể thực hiện thao tác này."),
        Status.ASSIGNED: _("Ý kiến chưa được thụ lý: hãy thụ lý trước."),
        Status.IN_PROGRESS: _("Ý kiến đang được xử lý: thao tác này không còn phù hợp."),
        Status.ANSWERED: _("Ý kiến đã được trả lời: thao tác này không còn phù hợp."),
        Status.CLOSED: _("Ý kiến đã đóng: không thể thay đổi."),
        Status.REJECTED: _("Ý kiến đã bị từ chối: không thể thay đổi."),
    }
    return messages[status]


def text_or_refuse(text: str | None, limit: int, *, what: str) -> str:
    """``text`` trimmed when it holds 1..``limit`` characters, else InvalidInput naming ``what``."""
    try:
        return checked_text(text, limit)
    except InvalidText as invalid:
        if invalid.problem is TextProblem.EMPTY:
            raise InvalidInput(_("Hãy nhập %(what)s.", what=what)) from invalid
        raise InvalidInput(_("%(what)s dài quá %(limit)s ký tự.", what=what.capitalize(),
                             limit=format_decimal(limit))) from invalid


@contextmanager
def files_with_commit(files: Sequence[uploads.CheckedFile]) -> Iterator[list[uploads.StagedFile]]:
    """Stage ``files`` (all or none) for a block that writes and commits.

    When the block raises, the session is rolled back, the staged files are removed and the
    error is raised again; when it ends normally (after its commit), the files get their final
    names. So no row points at a missing file and no file outlives a failed commit.
    """
    staged = uploads.stage(files, Path(current_app.config["UPLOAD_DIR"]))
    try:
        yield staged
    except BaseException:
        db.session.rollback()
        uploads.discard(staged)
        raise
    uploads.publish(staged)


def attach(item: Feedback, staged: Sequence[uploads.StagedFile], now: datetime, *,
           answer_id: int | None = None) -> None:
    """Add one Attachment row per staged file to ``item`` (of its answer when ``answer_id``)."""
    for file in staged:
        item.attachments.append(Attachment(
            storage_name=file.storage_name, original_name=file.file.original_name, answer_id=answer_id,
            content_type=file.file.content_type, size=file.file.size, sha256=file.file.sha256, created_at=now))
