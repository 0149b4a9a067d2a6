"""The resident is told by email when routing gives their item to a unit (issue #8 item 4): once
per assignment, in the language they used, naming only the code and the unit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.notices import Notice
from feedback.extensions import db
from feedback.models import Notification
from feedback.services.handling.resident_notices import tell_resident
from feedback.services.routing.route import route_item
from tests.factories import Directory, make_directory, make_feedback
from tests.times import ROUTED_AT

TITLE = "Rác trước nhà số 7, tổ 3"


@pytest.fixture
def directory(db_session: Session) -> Directory:
    return make_directory()


def resident_notices(item_id: int) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.feedback_id == item_id, Notification.kind == "resident_routed")))


@pytest.mark.parametrize(("language", "subject", "line"), [
    ("vi", "Ý kiến {code} đã được chuyển đến đơn vị xử lý", "Ý kiến của bạn đã được chuyển đến {unit} để giải quyết."),
    ("en", "Submission {code} has been sent to a handling unit", "Your submission has been sent to {unit} to be resolved."),
])
def test_routing_tells_the_resident_once_in_their_language(directory: Directory, language: str, subject: str,
                                                            line: str) -> None:
    """Proves: one "resident_routed" message per assignment (dedupe key with the assignment id),
    to the resident's address, in the item's language, with the code and the unit's name and
    nothing the resident wrote; routing the item again adds nothing."""
    item = make_feedback(directory, title=TITLE, submitter_email="dan@example.test", language=language)
    db.session.commit()
    result = route_item(item.id, now=ROUTED_AT)
    route_item(item.id, now=ROUTED_AT)
    (notice,) = resident_notices(item.id)
    unit = directory.ubnd_ha_tu.name
    assert notice.dedupe_key == f"resident:{item.id}:routed:{result.assignment_id}"
    assert notice.recipient_email == "dan@example.test" and notice.recipient_unit_id is None
    assert notice.subject == subject.format(code=item.code)
    assert line.format(unit=unit) in notice.body and str(item.code) in notice.body
    assert TITLE not in notice.body and item.body not in notice.body


def test_without_an_email_the_resident_gets_no_message(directory: Directory) -> None:
    """Proves: no address, no message (the unit's own notice is still queued)."""
    item = make_feedback(directory)
    db.session.commit()
    route_item(item.id, now=ROUTED_AT)
    assert resident_notices(item.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.feedback_id == item.id)) == 1


@pytest.mark.parametrize("notice", list(Notice))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_notice_has_a_message_in_both_languages(directory: Directory, notice: Notice, language: str) -> None:
    """Proves: ``tell_resident`` can tell every fact of ``feedback.domain.notices`` (the ratings'
    "reopened" included), with the code in the subject, and English pages get English words."""
    item = make_feedback(directory, submitter_email="dan@example.test", language=language)
    assert tell_resident(item, notice, occurrence="1", now=ROUTED_AT, unit="UBND Phường Hà Tu")
    (row,) = db.session.scalars(sa.select(Notification).where(Notification.feedback_id == item.id))
    assert row.kind == f"resident_{notice.value}" and str(item.code) in row.subject
    assert ("Tracking code:" in row.body) is (language == "en")
