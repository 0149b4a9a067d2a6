"""The unit head gives an item to one of the unit's officers."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain.access import Action, Role
from feedback.domain.events import EventAction
from feedback.domain.status import HANDLING_STATUSES
from feedback.extensions import db
from feedback.models import Membership, User
from feedback.services.audit import record_event
from feedback.services.handling.common import locked_item, require, require_status
from feedback.services.handling.errors import InvalidInput


def assign_officer(user: User, feedback_id: int, officer_id: int | None, *, now: datetime) -> None:
    """``user`` (a head of the unit holding the item: APPROVE) gives it to ``officer_id``; commits.

    The officer must be chosen (None: not) and be an active officer or head of that same unit
    (InvalidInput otherwise, checked after the user's right);
    the item must be assigned or in progress (WrongStatus); NotAllowed for anyone but the
    holding unit's head. Giving it to the officer who already has it changes nothing.
    Writes an internal "officer_assigned" event.
    """
    try:
        item = locked_item(feedback_id)
        actor = require(user, Action.APPROVE, item)
        require_status(item, HANDLING_STATUSES)
        if officer_id is None:
            raise InvalidInput(_("Hãy chọn cán bộ."))
        member = db.session.scalar(
            select(Membership).join(User, User.id == Membership.user_id).where(
                Membership.user_id == officer_id, Membership.unit_id == item.current_unit_id,
                Membership.role.in_([Role.OFFICER, Role.UNIT_HEAD]), User.active.is_(True),
            ).limit(1)
        )
        if member is None:
            raise InvalidInput(_("Chỉ được giao cho cán bộ của đơn vị đang xử lý ý kiến."))
        if item.assigned_officer_id == officer_id:
            db.session.rollback()
            return
        before = item.assigned_officer_id
        item.assigned_officer_id = officer_id
        item.updated_at = now
        record_event(item, EventAction.OFFICER_ASSIGNED, actor=actor, at=now, public=False,
                     before={"officer_id": before}, after={"officer_id": officer_id})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
