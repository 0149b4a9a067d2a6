"""find_hot_spots and generate_briefing_reports, run as task functions twice: one outcome."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.calendar import start_of_local_day
from feedback.extensions import db
from feedback.jobs import FIND_HOT_SPOTS, GENERATE_BRIEFING_REPORTS
from feedback.models import BriefingReport, HotSpot, Notification, WorkerHeartbeat
from tests.factories import make_directory, make_feedback
from tests.services.report_rows import counted_world
from tests.services.stats_rows import local
from worker.schedule import BEAT_SCHEDULE
from worker.tasks.watch import find_hot_spots, generate_briefing_reports


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_both_tasks_are_scheduled() -> None:
    tasks = {str(entry["task"]) for entry in BEAT_SCHEDULE.values()}
    assert {FIND_HOT_SPOTS, GENERATE_BRIEFING_REPORTS} <= tasks


def test_find_hot_spots_twice_makes_one_hot_spot_and_one_notification(db_session: Session) -> None:
    directory = make_directory()
    day = date(2026, 3, 16)
    for hour in range(5):
        make_feedback(directory, received_at=start_of_local_day(day) + timedelta(hours=hour))
    morning = (start_of_local_day(day + timedelta(days=1)) + timedelta(hours=9)).isoformat()
    first, second = find_hot_spots(morning), find_hot_spots(morning)
    assert first == {"day": "2026-03-16", "found": 1, "new": 1, "notified": 1}
    assert second == {"day": "2026-03-16", "found": 1, "new": 0, "notified": 0}
    assert _count(HotSpot) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "hot_spot")) == 1
    assert db.session.get(WorkerHeartbeat, FIND_HOT_SPOTS) is not None


def test_generate_briefing_reports_twice_makes_each_report_once(db_session: Session) -> None:
    counted_world()
    first_working_day = local(4, 1).isoformat()
    assert generate_briefing_reports(first_working_day) == {"generated": 2}
    assert generate_briefing_reports(first_working_day) == {"generated": 0}
    assert _count(BriefingReport) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "briefing_report")) == 2
