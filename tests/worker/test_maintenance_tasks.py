"""tidy_uploads: uploads stranded by a crash between staging and publishing are finished or
removed, once, and only when they are stale (run as the task function, twice)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.jobs import TIDY_UPLOADS
from feedback.models import Attachment, WorkerHeartbeat
from feedback.services.intake.uploads import TEMP_PREFIX
from tests.factories import make_directory, make_feedback
from tests.times import TUESDAY_MORNING
from worker.tasks.maintenance import tidy_uploads



@pytest.fixture
def upload_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path)
    return tmp_path


def temp_file(upload_dir: Path, storage_name: str, age: timedelta) -> Path:
    path = upload_dir / f"{TEMP_PREFIX}{storage_name}"
    path.write_bytes(b"%PDF-1.4 stranded")
    stamp = (TUESDAY_MORNING - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_a_committed_upload_is_published_an_orphan_removed_a_fresh_one_kept(
    db_session: Session, upload_dir: Path
) -> None:
    item = make_feedback(make_directory())
    db.session.add(Attachment(feedback_id=item.id, storage_name="a" * 32, original_name="don.pdf",
                              content_type="application/pdf", size=17, sha256="0" * 64, created_at=TUESDAY_MORNING))
    db.session.flush()
    committed = temp_file(upload_dir, "a" * 32, timedelta(hours=2))
    orphan = temp_file(upload_dir, "b" * 32, timedelta(hours=2))
    in_progress = temp_file(upload_dir, "c" * 32, timedelta(seconds=5))

    first = tidy_uploads(TUESDAY_MORNING.isoformat())
    second = tidy_uploads(TUESDAY_MORNING.isoformat())

    assert first == {"published": 1, "removed": 1}
    assert second == {"published": 0, "removed": 0}
    assert (upload_dir / ("a" * 32)).read_bytes() == b"%PDF-1.4 stranded" and not committed.exists()
    assert not orphan.exists() and not (upload_dir / ("b" * 32)).exists()
    assert in_progress.exists()  # a submission may still be committing
    assert db.session.get(WorkerHeartbeat, TIDY_UPLOADS) is not None


def test_the_task_is_registered_under_the_shared_name_and_scheduled() -> None:
    from worker.schedule import BEAT_SCHEDULE

    assert tidy_uploads.name == TIDY_UPLOADS
    assert any(entry["task"] == TIDY_UPLOADS for entry in BEAT_SCHEDULE.values())


def sqlite_broker(path: Path, *, waiting: int, consumed: int) -> str:
    """A real kombu SQLite broker file ("sqla+" URL, as the Quick start uses) holding ``consumed``
    messages that a consumer took and acknowledged and ``waiting`` messages not yet taken."""
    from kombu import Connection

    url = f"sqla+sqlite:///{path}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("celery")
        for n in range(consumed + waiting):
            queue.put({"n": n})
        for _ in range(consumed):
            queue.get(timeout=5).ack()
        queue.close()
    return url


def broker_rows(path: Path) -> list[tuple[int, int]]:
    """(visible, count) of the broker file's message rows."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        return sorted(connection.execute("SELECT visible, count(*) FROM kombu_message GROUP BY visible").fetchall())


def test_consumed_messages_of_the_sqlite_broker_are_deleted_once_and_waiting_ones_kept(
    db_session: Session, app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proves issue #6 item 16 against a real kombu SQLite broker file: kombu keeps every
    consumed message (visible = 0) forever; the hourly task deletes those consumed more than an
    hour ago, never a waiting one, and a second run deletes nothing."""
    from feedback.jobs import PURGE_BROKER_MESSAGES
    from worker.schedule import BEAT_SCHEDULE
    from worker.tasks.maintenance import purge_broker_messages

    path = tmp_path / "broker.sqlite3"
    url = sqlite_broker(path, waiting=2, consumed=5)
    assert broker_rows(path) == [(0, 5), (1, 2)]  # kombu itself deletes nothing
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", url)
    now = datetime.now(UTC)

    too_recent = purge_broker_messages(now.isoformat())
    assert too_recent == {"deleted": 0} and broker_rows(path) == [(0, 5), (1, 2)]

    later = (now + timedelta(hours=1, minutes=1)).isoformat()
    assert purge_broker_messages(later) == {"deleted": 5}
    assert purge_broker_messages(later) == {"deleted": 0}
    assert broker_rows(path) == [(1, 2)]  # the waiting messages are still there
    assert db.session.get(WorkerHeartbeat, PURGE_BROKER_MESSAGES) is not None
    assert purge_broker_messages.name == PURGE_BROKER_MESSAGES
    assert any(entry["task"] == PURGE_BROKER_MESSAGES for entry in BEAT_SCHEDULE.values())


def test_purging_leaves_a_redis_broker_alone(db_session: Session, app: Flask) -> None:
    """Proves the task does nothing on another transport (the test broker is Redis)."""
    from worker.tasks.maintenance import purge_broker_messages

    assert str(app.config["CELERY_BROKER_URL"]).startswith("redis://")
    assert purge_broker_messages(TUESDAY_MORNING.isoformat()) == {"deleted": None}
