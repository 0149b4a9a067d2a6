"""The submission on the Quick start's SQLite database: no sequence to draw the id from, so the
item is flushed for its id and its code set after; everything else as on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from feedback.domain.tracking import parse_code
from feedback.extensions import db
from feedback.models import Event, Feedback
from feedback.services.audit import verify_chain
from feedback.services.intake.submission import SubmissionInvalid, submit_feedback
from tests.conftest import Enqueued
from tests.factories import make_directory
from tests.services.test_submission import report
from tests.sqlite_apps import migrated_sqlite_app
from tests.statements import recorded_statements
from tests.times import TUESDAY_MORNING


@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on a fresh SQLite file built by the migrations."""
    with migrated_sqlite_app(app, tmp_path) as other:
        yield other


def test_sqlite_submission_saves_the_item_with_its_code_event_and_repeat(sqlite_app: Flask, enqueued: Enqueued) -> None:
    directory = make_directory()
    db.session.commit()
    submission = report(directory, submission_key="k", session_id="s")
    with recorded_statements() as statements:
        receipt = submit_feedback(submission, now=TUESDAY_MORNING)
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "INSERT", "UPDATE", "INSERT"]
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None and item.code == receipt.code and parse_code(item.code).sequence == item.id
    assert item.locality_id == directory.village.id and item.topic_id == directory.waste.id
    assert [e.action for e in db.session.scalars(select(Event).where(Event.feedback_id == item.id))] == ["received"]
    assert verify_chain(item.id)
    again = submit_feedback(report(directory, submission_key="k", session_id="s"), now=TUESDAY_MORNING)
    assert again.duplicate and again.feedback_id == item.id and again.token == receipt.token
    with pytest.raises(SubmissionInvalid) as raised:
        submit_feedback(report(directory, locality_code=directory.van_don.code, topic_code="khong-co"),
                        now=TUESDAY_MORNING)
    assert list(raised.value.errors) == ["village_code", "topic_code"]
