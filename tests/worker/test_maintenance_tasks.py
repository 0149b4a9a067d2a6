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
from worker.tasks.maintenance import tidy_uploads

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def upload_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path)
    return tmp_path


def temp_file(upload_dir: Path, storage_name: str, age: timedelta) -> Path:
    path = upload_dir / f"{TEMP_PREFIX}{storage_name}"
    path.write_bytes(b"%PDF-1.4 stranded")
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_a_committed_upload_is_published_an_orphan_removed_a_fresh_one_kept(
    db_session: Session, upload_dir: Path
) -> None:
    item = make_feedback(make_directory())
    db.session.add(Attachment(feedback_id=item.id, storage_name="a" * 32, original_name="don.pdf",
                              content_type="application/pdf", size=17, sha256="0" * 64, created_at=NOW))
    db.session.flush()
    committed = temp_file(upload_dir, "a" * 32, timedelta(hours=2))
    orphan = temp_file(upload_dir, "b" * 32, timedelta(hours=2))
    in_progress = temp_file(upload_dir, "c" * 32, timedelta(seconds=5))

    first = tidy_uploads(NOW.isoformat())
    second = tidy_uploads(NOW.isoformat())

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
