"""A unit returns an item as "not our competence" (chuyển đơn); it goes to the next unit.

Law: the body that received an item outside its competence passes it on within 5 working days
(Luật Tố cáo 2018 Art. 24; Luật Tiếp công dân 2013), and a transfer does not restart the
resolution clock (DESIGN.md §5). After MAX_TRANSFERS returns the item stops bouncing: the Front
committee of its locality takes it as a jurisdiction dispute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import select

from feedback import jobs
from feedback.domain.assignments import EndReason
from feedback.domain.events import Actor, EventAction
from feedback.domain.status import Status, next_status
from feedback.extensions import db
from feedback.models import Feedback, Unit
from feedback.services.routing.assignments import open_assignment, returns_of
from feedback.services.audit import record_event
from feedback.services.deadlines.clocks import open_transfer_clock
from feedback.services.routing.route import MAX_TRANSFERS, Target, dispute_target, give

log = logging.getLogger(__name__)


class TransferRefused(ValueError):
    """The return is not allowed; ``str()`` is a Vietnamese message for the officer."""


class TransferOutcome(StrEnum):
    REROUTING = "rerouting"  # back to `received`; the worker routes it without the returning units
    ASSIGNED = "assigned"  # given at once to the unit the officer named
    DISPUTE = "jurisdiction_dispute"  # given to the Front committee after MAX_TRANSFERS returns
    STUCK = "stuck"  # a dispute with no Front committee left: `received`, administrators told


@dataclass(frozen=True)
class TransferResult:
    outcome: TransferOutcome
    transfers: int  # returns of this item so far, this one included
    unit_id: int | None = None  # the unit now holding it, when known at once


def return_item(
    feedback_id: int,
    *,
    unit_id: int,
    reason: str,
    target_unit_id: int | None = None,
    actor: Actor,
    now: datetime,
) -> TransferResult:
    """Unit ``unit_id`` gives the item back as not its competence, with ``reason``; commits.

    Only the unit holding the item (open assignment) may return it, only while it is assigned
    or in progress, and only with a non-blank reason; otherwise TransferRefused (nothing
    written). The open assignment ends with the reason; a TRANSFER clock (5 working days from
    when the unit got the item) is opened for the returning unit and met when the next
    assignment is made; the ACCEPTANCE and RESOLUTION clocks keep running. Then:

    - after MAX_TRANSFERS returns (counted from the ended assignments, this one included), the
      Front committee of the commune, else of the province, gets it ("jurisdiction_dispute");
    - else, if ``target_unit_id`` names an active unit that has not returned it already, that
      unit gets it at once;
    - else the item goes back to `received` and REROUTE_FEEDBACK is enqueued after the commit:
      routing skips every unit that returned it (the sweep retries if the broker is down).
    Not idempotent by nature (a second return is refused: the unit no longer holds the item).
    """
    item = db.session.scalar(
        select(Feedback).where(Feedback.id == feedback_id).with_for_update().execution_options(populate_existing=True)
    )
    if item is None:
        raise TransferRefused(_("Không tìm thấy ý kiến."))
    reason = (reason or "").strip()
    if not reason:
        raise TransferRefused(_("Hãy nêu lý do trả lại: vì sao ý kiến không thuộc thẩm quyền của đơn vị."))
    current = open_assignment(item)
    if item.status not in (Status.ASSIGNED, Status.IN_PROGRESS) or current is None or current.unit_id != unit_id:
        raise TransferRefused(_("Chỉ đơn vị đang xử lý ý kiến này mới được trả lại."))
    returned_units = {a.unit_id for a in returns_of(item)}
    returning = db.session.get(Unit, unit_id)
    unit_name = returning.name if returning is not None else str(unit_id)
    target = _named_target(target_unit_id, unit_id, unit_name, returned_units)

    record_event(item, EventAction.RETURNED, actor=actor, at=now, public=False,
                 after={"unit": unit_name, "unit_id": unit_id, "reason": reason, "target_unit_id": target_unit_id})
    current.ended_at = now
    current.end_reason = EndReason.NOT_COMPETENT
    current.end_reason_text = reason
    item.status = next_status(item.status, Status.RECEIVED)
    item.current_unit_id = None
    item.updated_at = now
    db.session.flush()
    open_transfer_clock(item, unit_id, current.assigned_at, now, actor=actor)
    transfers = len(returns_of(item))

    if transfers >= MAX_TRANSFERS:
        front = dispute_target(item, frozenset(returned_units | {unit_id}), transfers)
        if front is None:
            log.error("item %s: jurisdiction dispute but no Front committee left to take it", item.id)
            record_event(item, EventAction.ROUTING_FAILED, actor=actor, at=now, public=False,
                         after={"reason": "no_front_committee", "transfers": transfers})
            db.session.commit()
            return TransferResult(TransferOutcome.STUCK, transfers)
        give(item, front, now, actor=actor)
        db.session.commit()
        return TransferResult(TransferOutcome.DISPUTE, transfers, front.unit.id)
    if target is not None:
        give(item, target, now, actor=actor)
        db.session.commit()
        return TransferResult(TransferOutcome.ASSIGNED, transfers, target.unit.id)
    db.session.commit()
    jobs.enqueue(jobs.REROUTE_FEEDBACK, item.id)
    return TransferResult(TransferOutcome.REROUTING, transfers)


def _named_target(target_unit_id: int | None, unit_id: int, unit_name: str, returned_units: set[int]) -> Target | None:
    """The unit the officer named, checked; None when none was named. Raises TransferRefused.

    The explanation is public (shown as ``routing``), so it names the units, never the reason.
    """
    if target_unit_id is None:
        return None
    unit = db.session.get(Unit, target_unit_id)
    if unit is None or not unit.active:
        raise TransferRefused(_("Không tìm thấy đơn vị nhận."))
    if unit.id == unit_id:
        raise TransferRefused(_("Không thể chuyển ý kiến cho chính đơn vị mình."))
    if unit.id in returned_units:
        raise TransferRefused(_("%(unit)s đã trả lại ý kiến này trước đó.", unit=unit.name))
    explanation = _("%(source)s chuyển vì không thuộc thẩm quyền → %(unit)s", source=unit_name, unit=unit.name)
    return Target(unit, None, explanation, dispute=False)
