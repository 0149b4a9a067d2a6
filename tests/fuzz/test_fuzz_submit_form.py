"""Hypothesis on the resident's form (issue #10 item 2): the real POST to /submit, with its CSRF
token and form key, of arbitrary unicode (control characters, NUL, combining marks, emoji),
huge fields, missing fields, wrong choices and arbitrary files.

Properties, for every example: the answer is never a 5xx (only 200, 303, 400, 413 or 422); a
redirect (303) made exactly one new item and anything else made none; and every item stored is
valid and complete: a tracking code whose check character verifies, a kind, a non-empty title and
body within their limits and free of control characters, a commune or village, an active topic,
status received, a token digest, its "received" event, and its attachments on disk.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from feedback.domain.status import Kind, Status
from feedback.domain.tracking import parse_code
from feedback.extensions import db, limiter
from feedback.models import Event, Feedback, LocalityLevel
from feedback.services.intake import MAX_BODY, MAX_TITLE
from tests.factories import make_directory
from tests.fuzz.budget import fuzz_settings
from tests.web.form_helpers import JPEG, PDF, PNG, WINDOWS_EXE, form_fields

ANSWERS = {200, 303, 400, 413, 422}
COMMUNES = ["06652", "06994", "22", "6652", "", "99999"]
VILLAGES = ["06652-001", "06994-001", "", "06652-999"]
TOPICS = ["moi-truong.rac-thai", "moi-truong", "dat-dai", "khac", "", "khong-co"]
KINDS = [kind.value for kind in Kind] + ["", "Phản ánh", "REPORT", "complaint "]

# Any unicode scalar value (surrogates cannot travel in UTF-8), control characters and NUL included.
any_text = st.text(st.characters(codec="utf-8"), max_size=300)
vietnamese = st.text(st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
                                     " \n\t.,!?0123456789"), min_size=1, max_size=200)
# Past every limit: a title of thousands of characters, a body of hundreds of thousands.
huge = st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(MAX_BODY, 200_000))
field_text = st.one_of(any_text, vietnamese, huge)
choice = lambda values: st.one_of(st.sampled_from(values), any_text)  # noqa: E731
files = st.lists(
    st.tuples(st.one_of(st.sampled_from([PNG, JPEG, PDF, WINDOWS_EXE, b""]), st.binary(max_size=2048)),
              any_text.filter(bool)),
    max_size=6,
)

form_data = st.fixed_dictionaries(
    {},
    optional={
        "kind": choice(KINDS),
        "commune": choice(COMMUNES),
        "village": choice(VILLAGES),
        "topic": choice(TOPICS),
        "title": field_text,
        "body": field_text,
        "name": field_text,
        "phone": st.one_of(st.sampled_from(["0912 345 678", "+84912345678", "091"]), any_text),
        "email": st.one_of(st.sampled_from(["ten@example.com", "a@b", "@"]), any_text),
        "consent_share_contact": st.sampled_from(["y", "", "on", "x"]),
        "step": st.sampled_from(["village", "send", ""]),
    },
)

# A valid report with one to three fields replaced or left out: reaches the deeper checks (and the
# saving) far more often than all-random forms do.
VALID = {"kind": "report", "commune": "06652", "village": "06652-001", "topic": "moi-truong.rac-thai",
         "title": "Rác tồn đọng ở đầu ngõ 12", "body": "Rác không được thu gom ba ngày nay."}
_MISSING = object()
mostly_valid = st.builds(
    lambda changes: {k: v for k, v in {**VALID, **changes}.items() if v is not _MISSING},
    st.dictionaries(st.sampled_from(sorted(VALID) + ["name", "phone", "email"]),
                    st.one_of(field_text, st.just(_MISSING)), max_size=3),
)


def stored_ids() -> set[int]:
    return set(db.session.scalars(sa.select(Feedback.id)))


def assert_every_item_is_complete(upload_dir: Path) -> None:
    for item in db.session.scalars(sa.select(Feedback)):
        assert item.code, item.id
        parsed = parse_code(item.code)  # raises when the check character does not verify
        assert parsed.sequence == item.id
        assert item.kind in Kind and item.status is Status.RECEIVED
        assert item.title and len(item.title) <= MAX_TITLE and item.title == item.title.strip()
        assert item.body and len(item.body) <= MAX_BODY
        for text in (item.title, item.body, item.submitter_name or ""):
            assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text[:80])
        assert item.locality.level in (LocalityLevel.COMMUNE, LocalityLevel.VILLAGE)
        assert item.topic.active
        assert item.token_hash
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
            Event.feedback_id == item.id, Event.action == "received")) == 1
        for attachment in item.attachments:
            assert (upload_dir / attachment.storage_name).is_file()
        if item.kind.needs_identity:
            assert item.submitter_name and (item.submitter_phone or item.submitter_email)


@pytest.fixture
def form_world(client: FlaskClient, db_session: Session) -> FlaskClient:
    make_directory()
    db.session.commit()
    return client


@fuzz_settings()
@given(data=st.one_of(form_data, mostly_valid), attachments=files, drop_key=st.booleans())
def test_the_form_never_fails_and_never_stores_garbage(
    form_world: FlaskClient, app: Flask, data: dict[str, str], attachments: list[tuple[bytes, str]], drop_key: bool,
) -> None:
    client = form_world
    limiter.reset()  # the per-minute limit of real residents is not what this test is about
    csrf, key = form_fields(client)
    before = stored_ids()
    body: dict[str, object] = {**data, "csrf_token": csrf}
    if not drop_key:
        body["submission_key"] = key
    if attachments:
        body["attachments"] = [(BytesIO(content), name) for content, name in attachments]
    response = client.post("/submit", data=body, content_type="multipart/form-data")

    event(f"answered {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code in ANSWERS, (response.status_code, response.get_data(as_text=True)[:300])
    after = stored_ids()
    if response.status_code == 303:
        assert len(after - before) == 1 and before <= after
    else:
        assert after == before
    assert_every_item_is_complete(Path(app.config["UPLOAD_DIR"]))
    db.session.rollback()
