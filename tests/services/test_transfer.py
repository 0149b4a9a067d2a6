"""Returning an item as "not our competence": who may, what the clocks do, where it goes next,
and the jurisdiction dispute after three transfers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.assignments import EndReason
from feedback.domain.calendar import local_date
from feedback.domain.events import Actor
from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Event, Feedback, Notification, Unit
from feedback.services.routing.route import RouteOutcome, route_item
from feedback.services.routing.transfer import TransferOutcome, TransferRefused, return_item
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory, make_feedback
from tests.services.routing_rows import add_rule, extra_unit
from tests.times import FRI_06_MAR_0900, ROUTED_AT, THU_05_MAR_0900, WED_04_MAR_0900

# The unit workspace will pass the signed-in officer.
OFFICER = Actor.cli("can-bo")


@pytest.fixture
def directory(db_session: Session) -> Directory:
    return make_directory()


def routed_to_department(directory: Directory) -> Feedback:
    """An item on Rác thải in Hà Tu, routed by a rule to the department (fallback: UBND Hà Tu)."""
    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory)
    db.session.commit()
    assert route_item(item.id, now=ROUTED_AT).unit_id == directory.environment_dept.id
    return item


def clocks(item: Feedback) -> dict[tuple[str, int], Deadline]:
    rows = db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == item.id))
    return {(d.clock, d.sequence): d for d in rows}


def actions(item: Feedback) -> list[str]:
    return list(db.session.scalars(sa.select(Event.action).where(Event.feedback_id == item.id).order_by(Event.seq)))


def test_reason_is_required_and_nothing_is_written(directory: Directory, enqueued: Enqueued) -> None:
    item = routed_to_department(directory)
    with pytest.raises(TransferRefused, match="lý do"):
        return_item(item.id, unit_id=directory.environment_dept.id, reason="   ", actor=OFFICER, now=WED_04_MAR_0900)
    db.session.refresh(item)
    assert item.status is Status.ASSIGNED
    assert "returned" not in actions(item) and enqueued == []


def test_only_the_unit_holding_the_item_may_return_it(directory: Directory, enqueued: Enqueued) -> None:
    item = routed_to_department(directory)
    with pytest.raises(TransferRefused):
        return_item(item.id, unit_id=directory.ubnd_ha_tu.id, reason="Không thuộc thẩm quyền", actor=OFFICER,
                    now=WED_04_MAR_0900)
    db.session.refresh(item)
    assert item.current_unit_id == directory.environment_dept.id


def test_return_reroutes_without_the_unit_and_keeps_the_resolution_clock(
    directory: Directory, enqueued: Enqueued
) -> None:
    """The assignment ends with the reason, the item is `received` again and re-routing is asked
    for; routing skips the department (its rule) and falls back to UBND Hà Tu. The resolution
    clock is the same row with the same start and due date, now owned by UBND Hà Tu; the transfer
    clock (5 working days from when the department got it: Tue 03/03 → Tue 10/03) is met when
    UBND Hà Tu gets the item."""
    item = routed_to_department(directory)
    resolution = clocks(item)[("resolution", 1)]
    planned = (resolution.id, resolution.starts_at, resolution.due_at)

    result = return_item(item.id, unit_id=directory.environment_dept.id, reason="Thuộc thẩm quyền UBND phường",
                         actor=OFFICER, now=WED_04_MAR_0900)

    assert (result.outcome, result.transfers) == (TransferOutcome.REROUTING, 1)
    assert enqueued == [("feedback.reroute_feedback", item.id)]
    db.session.refresh(item)
    assert (item.status, item.current_unit_id) == (Status.RECEIVED, None)
    ended = db.session.scalars(sa.select(Assignment).where(Assignment.feedback_id == item.id)).one()
    assert ended.ended_at == WED_04_MAR_0900
    assert (ended.end_reason, ended.end_reason_text) == (EndReason.NOT_COMPETENT, "Thuộc thẩm quyền UBND phường")
    transfer_clock = clocks(item)[("transfer", 1)]
    assert transfer_clock.unit_id == directory.environment_dept.id
    assert local_date(transfer_clock.due_at) == date(2026, 3, 10)
    assert transfer_clock.closed_at is None

    rerouted = route_item(item.id, now=THU_05_MAR_0900)

    assert (rerouted.outcome, rerouted.unit_id) == (RouteOutcome.ASSIGNED, directory.ubnd_ha_tu.id)
    db.session.refresh(transfer_clock)
    db.session.refresh(resolution)
    assert transfer_clock.met_at == THU_05_MAR_0900
    assert (resolution.id, resolution.starts_at, resolution.due_at) == planned
    assert resolution.unit_id == directory.ubnd_ha_tu.id
    assert len(clocks(item)) == 3  # acceptance, resolution, transfer: nothing restarted
    notices = db.session.scalars(sa.select(Notification.recipient_unit_id).where(Notification.feedback_id == item.id))
    assert sorted(notices) == sorted([directory.environment_dept.id, directory.ubnd_ha_tu.id])


def test_return_to_a_named_unit_assigns_at_once(directory: Directory, enqueued: Enqueued) -> None:
    """The officer names the competent unit: it gets the item now, no re-routing is sent, the
    transfer clock is met, and the public explanation names the units, not the reason."""
    item = routed_to_department(directory)

    result = return_item(item.id, unit_id=directory.environment_dept.id, reason="Việc của phường (số điện thoại 0912)",
                         target_unit_id=directory.ubnd_ha_tu.id, actor=OFFICER, now=WED_04_MAR_0900)

    assert (result.outcome, result.unit_id) == (TransferOutcome.ASSIGNED, directory.ubnd_ha_tu.id)
    assert enqueued == []
    db.session.refresh(item)
    assert (item.status, item.current_unit_id) == (Status.ASSIGNED, directory.ubnd_ha_tu.id)
    assert item.routing_explanation is not None and "0912" not in item.routing_explanation
    assert clocks(item)[("transfer", 1)].met_at == WED_04_MAR_0900
    assert actions(item)[-5:] == ["returned", "transfer_clock_set", "assigned", "deadline_met",
                                  "deadlines_reassigned"]


def test_a_unit_that_returned_the_item_cannot_be_named_again(directory: Directory, enqueued: Enqueued) -> None:
    item = routed_to_department(directory)
    return_item(item.id, unit_id=directory.environment_dept.id, reason="Không thuộc", actor=OFFICER,
                target_unit_id=directory.ubnd_ha_tu.id, now=WED_04_MAR_0900)
    with pytest.raises(TransferRefused):
        return_item(item.id, unit_id=directory.ubnd_ha_tu.id, reason="Cũng không thuộc", actor=OFFICER,
                    target_unit_id=directory.environment_dept.id, now=THU_05_MAR_0900)


def test_three_transfers_make_a_jurisdiction_dispute_for_the_front(directory: Directory, enqueued: Enqueued) -> None:
    """Department → UBND Hà Tu → a third unit, each returning it: the third return gives the item
    to the Front committee of Phường Hà Tu with a public "jurisdiction_dispute" event, counted
    from the ended assignments."""
    third: Unit = extra_unit("BQLDA", "Ban Quản lý dự án")
    item = routed_to_department(directory)
    return_item(item.id, unit_id=directory.environment_dept.id, reason="Không thuộc", actor=OFFICER,
                target_unit_id=directory.ubnd_ha_tu.id, now=WED_04_MAR_0900)
    return_item(item.id, unit_id=directory.ubnd_ha_tu.id, reason="Không thuộc", actor=OFFICER,
                target_unit_id=third.id, now=THU_05_MAR_0900)

    result = return_item(item.id, unit_id=third.id, reason="Không thuộc", actor=OFFICER, now=FRI_06_MAR_0900)

    assert (result.outcome, result.transfers, result.unit_id) == (
        TransferOutcome.DISPUTE, 3, directory.front_ha_tu.id)
    db.session.refresh(item)
    assert (item.status, item.current_unit_id) == (Status.ASSIGNED, directory.front_ha_tu.id)
    dispute = db.session.scalars(sa.select(Event).where(
        Event.feedback_id == item.id, Event.action == "jurisdiction_dispute")).one()
    assert dispute.public and dispute.after == {"unit": directory.front_ha_tu.name, "transfers": 3}
    assert [d.sequence for (c, _), d in sorted(clocks(item).items()) if c == "transfer"] == [1, 2, 3]
    assert clocks(item)[("transfer", 3)].met_at == FRI_06_MAR_0900  # met by the Front's assignment
    assert enqueued == []


def test_routing_after_three_returns_also_goes_to_the_front(directory: Directory, enqueued: Enqueued) -> None:
    """If the item is `received` with three returns behind it (e.g. the Front was missing at the
    time), the worker's routing sends it to the Front rather than to a fourth unit."""
    item = routed_to_department(directory)
    for i, holder in enumerate([directory.environment_dept, directory.ubnd_ha_tu]):
        nxt = directory.ubnd_ha_tu if i == 0 else extra_unit("U3", "Đơn vị thứ ba")
        return_item(item.id, unit_id=holder.id, reason="Không thuộc", actor=OFFICER, target_unit_id=nxt.id,
                    now=WED_04_MAR_0900 + timedelta(hours=i))
    directory.front_ha_tu.active = False
    directory.front_province.active = False
    db.session.commit()
    holder_id = item.current_unit_id
    assert holder_id is not None
    stuck = return_item(item.id, unit_id=holder_id, reason="Không thuộc", actor=OFFICER, now=THU_05_MAR_0900)
    assert stuck.outcome is TransferOutcome.STUCK
    directory.front_province.active = True
    db.session.commit()

    result = route_item(item.id, now=FRI_06_MAR_0900)

    assert (result.outcome, result.unit_id) == (RouteOutcome.DISPUTE, directory.front_province.id)
