"""Issue #10 item 4: personal data never reaches the logs. A full journey (the web form and an
Open311 POST from named residents, routing by the worker's task, the receipt and notice emails
in the log-only mode of the Quick start, the unit's acceptance and published answer, the staff
pages that show the contact, the public tracking pages, the secret link, the API's GETs) runs
with every logger of the process at DEBUG, and the captured log is searched for the residents'
names, phone numbers and email addresses. (There are no exports yet on this branch.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.jobs import ROUTE_FEEDBACK
from feedback.models import Feedback, Role, Unit
from feedback.services import handling
from tests.conftest import Enqueued, FreshGlobalsClient
from tests.factories import make_user
from tests.open311.api_rows import RESIDENT_EMAIL, RESIDENT_NAME, RESIDENT_PHONE, api_world, request_form
from tests.web.auth_helpers import log_in
from tests.web.form_helpers import code_from_location, post_form, valid_data
from tests.web.html_text import texts

WEB_NAME, WEB_PHONE, WEB_EMAIL = "Trần Văn Bình", "0987654321", "binh.tran@example.vn"
SECRETS = (RESIDENT_NAME, RESIDENT_PHONE, RESIDENT_EMAIL, WEB_NAME, WEB_PHONE, WEB_EMAIL,
           # the forms a phone or a name may take in a log line
           "0912 345 678", "+84912345678", "Thị Hoa", "Văn Bình")


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger at DEBUG and above (the migrations' fileConfig disables the
    loggers that existed then; they are enabled again for the test)."""
    for logger in [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]:
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            lines.append(record.stack_info)
    return "\n".join(lines)


def test_a_full_journey_writes_no_name_phone_or_email_to_the_logs(client: FlaskClient, db_session: Session,
                                                                  enqueued: Enqueued,
                                                                  every_log: pytest.LogCaptureFixture,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from worker.tasks.notifications import send_notifications
    from worker.tasks.routing import route_feedback

    api = api_world()
    d = api.directory
    now = datetime.now(UTC)
    # 1. The web form, with consent to share the contact, and the API, from two named residents.
    sent = post_form(client, valid_data(name=WEB_NAME, phone=WEB_PHONE, email=WEB_EMAIL, consent_share_contact="y"))
    assert sent.status_code in (302, 303), sent.get_data(as_text=True)
    web_code = code_from_location(sent)
    posted = client.post("/open311/v2/requests.json", data=request_form(api.key))
    assert posted.status_code == 200
    api_code = posted.get_json()[0]["service_request_id"]
    private_link = posted.get_json()[0]["service_notice"].rsplit(" ", 1)[1]
    # 2. The worker routes both and sends the receipts (written to the log: no MAIL_SERVER).
    ids = [args[0] for name, *args in enqueued if name == ROUTE_FEEDBACK]
    assert len(ids) == 2
    for feedback_id in ids:
        route_feedback(feedback_id, now=now.isoformat())
        route_feedback(feedback_id, now=now.isoformat())  # delivered twice: the same outcome
    send_notifications(now=(now + timedelta(minutes=1)).isoformat())
    # 3. The unit accepts, answers, and its head publishes; the resident is told by email.
    item = db.session.scalar(sa.select(Feedback).where(Feedback.code == api_code))
    assert item is not None and item.current_unit_id is not None
    unit = db.session.get(Unit, item.current_unit_id)
    officer = make_user("can-bo-moi-truong", Role.OFFICER, unit=unit)
    head = make_user("lanh-dao-moi-truong", Role.UNIT_HEAD, unit=unit)
    make_user("quantri", Role.ADMIN)
    db.session.commit()
    for code in (api_code, web_code):
        feedback_id = db.session.scalar(sa.select(Feedback.id).where(Feedback.code == code))
        handling.accept(officer, feedback_id, now=now + timedelta(hours=1))
        handling.save_draft(officer, feedback_id, "Đã thu gom rác ở ngõ 12.", expected_version=None,
                            now=now + timedelta(hours=2))
        handling.submit_answer(officer, feedback_id, now=now + timedelta(hours=2))
        handling.publish_answer(head, feedback_id, now=now + timedelta(hours=3))
    send_notifications(now=(now + timedelta(hours=4)).isoformat())
    # 4. Staff read the items (the contact is shown: the web resident agreed), then log out.
    app = client.application
    staff = FreshGlobalsClient(app, app.response_class, use_cookies=True)
    assert log_in(staff, "can-bo-moi-truong").status_code == 302
    unit_page = staff.get(f"/unit/items/{web_code}")
    assert unit_page.status_code == 200 and WEB_PHONE in unit_page.get_data(as_text=True)
    admin = FreshGlobalsClient(app, app.response_class, use_cookies=True)
    assert log_in(admin, "quantri").status_code == 302
    admin_page = admin.get(f"/admin/items/{api_code}")
    assert admin_page.status_code == 200 and RESIDENT_EMAIL in admin_page.get_data(as_text=True)
    # The media_url sent with the request is on the staff pages as a link (and nowhere public).
    media = texts(admin_page.get_data(as_text=True), "a", **{"class": "media-link"})
    assert media == ["https://anh.example.vn/rac-ngo-12.jpg"]
    officer_page = staff.get(f"/unit/items/{api_code}").get_data(as_text=True)
    assert texts(officer_page, "a", **{"class": "media-link"}) == media
    # 5. The public pages, the resident's secret link and the API's GETs.
    visitor = FreshGlobalsClient(app, app.response_class, use_cookies=True)
    for url in (f"/t/{web_code}", f"/t/{web_code}.json", f"/t/{api_code}", private_link,
                "/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{api_code}.json",
                f"/open311/v2/requests/{web_code}.xml"):
        page = visitor.get(url)
        assert page.status_code == 200, url
        assert "anh.example.vn" not in page.get_data(as_text=True) or url == private_link
    assert RESIDENT_PHONE in visitor.get(private_link).get_data(as_text=True)  # the link does show it

    log = _text(every_log)
    captured = capsys.readouterr()
    everything = "\n".join((log, captured.out, captured.err))
    # The capture worked: the emails written to the log and the routing are in it.
    assert "email (no MAIL_SERVER, not sent)" in log and api_code in log and web_code in log
    leaked = [secret for secret in SECRETS if secret in everything]
    assert leaked == [], [line for line in everything.splitlines() if any(s in line for s in leaked)][:5]
