"""A unit desk for the handling tests: an item routed (to the environment department, or for a
complaint or denunciation to the unit routing chooses), that unit's officer
and head, an officer of another unit and a Front monitor of the item's commune."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app

from feedback.domain.calendar import local_date
from feedback.domain.status import Kind
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import Deadline, Event, Feedback, Unit, User
from feedback.models.users import Role
from feedback.services.routing.route import route_item
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.services.routing_rows import add_rule
from tests.times import ROUTED_AT

TOKEN = "bi-mat-cua-nguoi-dan-0123456789"
# Local times in Hà Nội, as UTC (09:00 local = 02:00 UTC).
WED_4_MARCH = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
FRI_6_MARCH = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
MON_9_MARCH = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
TUE_10_MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LATE_MAY = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


@dataclass
class Desk:
    directory: Directory
    item: Feedback
    officer: User
    head: User
    stranger: User  # an officer of another unit
    monitor: User  # a Front monitor whose territory holds the item


def desk(kind: Kind = Kind.REPORT, *, email: str | None = None, language: str | None = None) -> Desk:
    """An item of ``kind`` received Tue 3/3/2026 09:00, routed to the department a minute later
    (its clocks started); everything committed, so a service's rollback keeps it."""
    directory = make_directory()
    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    item = make_feedback(directory, kind=kind, submitter_email=email, language=language)
    item.code = make_code(str(current_app.config["TRACKING_PREFIX"]), 2026, item.id)
    item.token_hash = hash_token(TOKEN)
    db.session.commit()
    # Complaints and denunciations go to the commune's People's Committee whatever the topic rule.
    unit = db.session.get(Unit, route_item(item.id, now=ROUTED_AT).unit_id)
    assert unit is not None
    officer = make_user("can-bo-xu-ly", Role.OFFICER, unit=unit)
    head = make_user("lanh-dao-don-vi", Role.UNIT_HEAD, unit=unit)
    stranger = make_user("can-bo-van-don", Role.OFFICER, unit=directory.ubnd_van_don)
    monitor = make_user("mat-tran-ha-tu", Role.FRONT_MONITOR, unit=directory.front_ha_tu, territory=directory.ha_tu)
    db.session.commit()
    return Desk(directory, item, officer, head, stranger, monitor)


def clocks(item: Feedback) -> dict[tuple[str, int], Deadline]:
    rows = db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == item.id))
    return {(d.clock, d.sequence): d for d in rows}


def open_clock(item: Feedback, clock: str) -> Deadline:
    (row,) = [d for d in clocks(item).values() if d.clock == clock and d.closed_at is None]
    return row


def due_day(deadline: Deadline) -> date:
    return local_date(deadline.due_at)


def events(item: Feedback, *, public: bool | None = None) -> list[Event]:
    query = sa.select(Event).where(Event.feedback_id == item.id).order_by(Event.seq)
    if public is not None:
        query = query.where(Event.public.is_(public))
    return list(db.session.scalars(query))


def actions(item: Feedback, *, public: bool | None = None) -> list[str]:
    return [e.action for e in events(item, public=public)]
