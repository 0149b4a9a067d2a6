"""The deadline scan on the Quick start's SQLite database: its set-based batch (the next notify_at
as an executemany, events and notifications as executemany INSERTs) records a breach once, with
its chained audit event, and escalates it, as on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db
from feedback.models import Deadline, Notification
from feedback.services.audit import verify_chain
from feedback.services.deadlines.reminders import scan_deadlines
from tests.factories import make_directory
from tests.services.deadline_rows import MON_23_FEB_0800, add_deadline, assigned_item
from tests.sqlite_apps import migrated_sqlite_app
from tests.times import DUE_AFTER_TET, THU_12_FEB_0900, TUE_24_FEB_0001


@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on a fresh SQLite file built by the migrations."""
    with migrated_sqlite_app(app, tmp_path) as other:
        yield other


def test_sqlite_scan_reminds_then_breaches_and_escalates_once(sqlite_app: Flask) -> None:
    """Proves, on SQLite: the "before" reminder, then the due day's, then two clocks of one item
    breached in one scan (two chained events, the chain verifies) and escalated to the unit, its
    parent and the commune's Front; a second scan changes nothing."""
    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu, d.village)
    first = add_deadline(item, d.ubnd_ha_tu)
    second = add_deadline(item, d.ubnd_ha_tu, DUE_AFTER_TET - timedelta(hours=1), clock="acceptance")
    db.session.commit()

    assert scan_deadlines(THU_12_FEB_0900).notifications == 2
    assert scan_deadlines(MON_23_FEB_0800).notifications == 2
    breached = scan_deadlines(TUE_24_FEB_0001 + timedelta(hours=2))
    again = scan_deadlines(TUE_24_FEB_0001 + timedelta(hours=3))

    assert (breached.breaches, breached.notifications) == (2, 6)
    assert (again.examined, again.notifications, again.breaches) == (0, 0, 0)
    rows = db.session.execute(sa.select(Notification.deadline_id, Notification.kind, Notification.recipient_unit_id)).all()
    for deadline in (first, second):
        assert sorted((kind, unit) for dl, kind, unit in rows if dl == deadline.id) == sorted([
            ("deadline_before", d.ubnd_ha_tu.id), ("deadline_due_day", d.ubnd_ha_tu.id),
            ("deadline_breach", d.ubnd_ha_tu.id), ("deadline_breach", d.province_committee.id),
            ("deadline_breach", d.front_ha_tu.id)])
    assert db.session.scalar(sa.select(sa.func.count()).where(Deadline.breached_at.is_not(None))) == 2
    assert verify_chain(item.id)
