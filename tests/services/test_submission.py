"""submit_feedback: validation writes nothing, the item and its event commit together, routing is
enqueued only after the commit, files are never half-written, and a submission key is idempotent."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from celery import Celery
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import feedback.jobs
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import parse_code, token_matches
from feedback.extensions import db
from feedback.models import Attachment, Event, Feedback
from feedback.services.intake import submission as submission_service
from feedback.services.audit import verify_chain
from feedback.services.intake.submission import Submission, SubmissionInvalid, Upload, submit_feedback
from tests.conftest import Enqueued
from tests.factories import Directory, make_directory
from tests.statements import recorded_statements
from tests.times import TUESDAY_MORNING

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# 31 December 17:30 UTC is already 1 January 00:30 in Hà Nội.
NEW_YEAR_LOCAL = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)


def report(directory: Directory, **changes: object) -> Submission:
    values: dict[str, object] = dict(
        kind=Kind.REPORT,
        locality_code=directory.ha_tu.code,
        village_code=directory.village.code,
        topic_code=directory.waste.code,
        title="Rác tồn đọng",
        body="Rác không được thu gom ba ngày nay.",
    )
    values.update(changes)
    return Submission(**values)  # type: ignore[arg-type]


def upload_files(app: Flask) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_DIR"]).iterdir())


@pytest.fixture
def empty_uploads(app: Flask) -> Iterator[None]:
    for path in upload_files(app):
        path.unlink()
    yield
    for path in upload_files(app):
        path.unlink()


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_valid_report_is_saved_received_with_a_valid_code_and_a_public_event(
    db_session: Session, enqueued: Enqueued
) -> None:
    directory = make_directory()
    receipt = submit_feedback(report(directory, name="Trần Thị B", phone="0912 345 678"), now=TUESDAY_MORNING)

    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None and item.code == receipt.code
    parsed = parse_code(receipt.code)
    assert (parsed.prefix, parsed.year, parsed.sequence) == ("QN", 2026, item.id)
    assert item.status == Status.RECEIVED
    assert item.locality_id == directory.village.id
    assert item.submitter_phone == "0912345678"
    assert receipt.token and token_matches(receipt.token, item.token_hash)
    assert receipt.enqueued and not receipt.duplicate
    assert enqueued == [(feedback.jobs.ROUTE_FEEDBACK, item.id)]
    events = db.session.scalars(select(Event).where(Event.feedback_id == item.id)).all()
    assert [(e.action, e.actor, e.public) for e in events] == [("received", "resident", True)]
    assert verify_chain(item.id)
    # The event is public: it carries no personal data.
    assert "Trần Thị B" not in events[0].payload() and "0912345678" not in events[0].payload()


def test_the_code_year_is_the_local_year(db_session: Session, enqueued: Enqueued) -> None:
    directory = make_directory()
    receipt = submit_feedback(report(directory), now=NEW_YEAR_LOCAL)
    assert parse_code(receipt.code).year == 2027


def test_a_commune_without_village_is_the_items_locality(db_session: Session, enqueued: Enqueued) -> None:
    directory = make_directory()
    receipt = submit_feedback(report(directory, village_code=None), now=TUESDAY_MORNING)
    assert db.session.get(Feedback, receipt.feedback_id).locality_id == directory.ha_tu.id  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (dict(kind=Kind.COMPLAINT), {"name", "phone"}),
        (dict(kind=Kind.DENUNCIATION, name="Nguyễn Văn A"), {"phone"}),
        (dict(kind="nonsense"), {"kind"}),
        (dict(title=" ", body=""), {"title", "body"}),
        (dict(title="\u200b\u200b\u200b", body="\u200b\u2060\n\u202e"), {"title", "body"}),  # nothing visible
        (dict(title="x" * 201), {"title"}),
        (dict(body="x" * 5001), {"body"}),
        (dict(locality_code="99999"), {"locality_code"}),
        (dict(locality_code="22", village_code=None), {"locality_code"}),
        (dict(locality_code="06994"), {"village_code"}),
        (dict(topic_code="khong-co"), {"topic_code"}),
        (dict(phone="12ab"), {"phone"}),
        (dict(email="khong-phai-email"), {"email"}),
        (dict(email="ten\x00@example.com"), {"email"}),
        (dict(locality_code="06652\x00", village_code="x\x00"), {"locality_code"}),
        (dict(village_code="06652-001\x00"), {"village_code"}),
        (dict(topic_code="moi-truong\x00"), {"topic_code"}),
        (dict(attachments=(Upload("a.jpg", b"MZ\x90\x00" + b"\x00" * 64),)), {"attachments"}),
        (dict(attachments=tuple(Upload(f"{i}.png", PNG) for i in range(6))), {"attachments"}),
    ],
)
def test_an_invalid_submission_names_its_fields_and_writes_nothing(
    app: Flask, db_session: Session, empty_uploads: None, enqueued: Enqueued,
    changes: dict[str, object], fields: set[str],
) -> None:
    directory = make_directory()
    with pytest.raises(SubmissionInvalid) as raised:
        submit_feedback(report(directory, **changes), now=TUESDAY_MORNING)
    assert set(raised.value.errors) == fields
    assert count(Feedback) == 0 and count(Event) == 0
    assert upload_files(app) == [] and enqueued == []


def test_bidirectional_overrides_are_dropped_from_what_staff_read(db_session: Session, enqueued: Enqueued) -> None:
    """Proves: a right-to-left override (U+202E) or isolate typed into the title, body or name is
    not kept, so staff read the letters in the order they were typed; other text is untouched."""
    directory = make_directory()
    receipt = submit_feedback(report(directory, title="Ảnh \u202egpj.exe", body="Nội \u2067dung\u2069 rõ ràng",
                                     name="Nguyễn\u202d Văn A"), now=TUESDAY_MORNING)
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None
    assert (item.title, item.body, item.submitter_name) == ("Ảnh gpj.exe", "Nội dung rõ ràng", "Nguyễn Văn A")


def test_every_problem_comes_in_the_order_of_the_form(db_session: Session) -> None:
    """Fields checked before the database is asked and places checked after keep the form's order."""
    directory = make_directory()
    with pytest.raises(SubmissionInvalid) as raised:
        submit_feedback(report(directory, kind="nonsense", locality_code="99999", topic_code="khong-co", title="",
                               email="khong-phai-email"), now=TUESDAY_MORNING)
    assert list(raised.value.errors) == ["kind", "locality_code", "topic_code", "title", "email"]
    assert "99999" in raised.value.errors["locality_code"] and "khong-co" in raised.value.errors["topic_code"]


def test_a_village_of_another_commune_and_an_inactive_topic_are_refused(db_session: Session) -> None:
    directory = make_directory()
    directory.waste.active = False
    db.session.flush()
    with pytest.raises(SubmissionInvalid) as raised:  # the village is Hà Tu's
        submit_feedback(report(directory, locality_code=directory.van_don.code), now=TUESDAY_MORNING)
    assert set(raised.value.errors) == {"village_code", "topic_code"}
    assert count(Feedback) == 0


def test_a_submission_is_one_read_and_one_insert(
    db_session: Session, enqueued: Enqueued,
) -> None:
    """Issue #11: places, topic, repeat check and (PostgreSQL) the new id in one statement; the
    item (with its code: no UPDATE after), its attachments and its event in one INSERT."""
    directory = make_directory()
    db.session.flush()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    with recorded_statements() as statements:
        receipt = submit_feedback(report(directory, submission_key="k", session_id="s"), now=TUESDAY_MORNING)
    sent = [" ".join(s.split()[:3]) for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    if postgresql:
        assert sent == ["SELECT %(param_1)s::VARCHAR AS", "WITH item AS"], sent
        written = next(s for s in statements if s.startswith("WITH"))
        assert "INSERT INTO feedback" in written and "INSERT INTO event" in written
    else:  # SQLite: the id comes from the INSERT, the code after it
        assert [x.split(" ")[0] for x in sent] == ["SELECT", "INSERT", "UPDATE", "INSERT"], sent
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None and item.code == receipt.code and parse_code(item.code).sequence == item.id
    assert verify_chain(item.id)
    # A repeat is answered by the same read, without writing.
    with recorded_statements() as statements:
        again = submit_feedback(report(directory, submission_key="k", session_id="s"), now=TUESDAY_MORNING)
    assert again.duplicate and again.feedback_id == receipt.feedback_id
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements)


def test_limits_are_stated_in_the_messages(db_session: Session) -> None:
    directory = make_directory()
    with pytest.raises(SubmissionInvalid) as raised:
        submit_feedback(report(directory, title="x" * 201, body="y" * 5001), now=TUESDAY_MORNING)
    assert "200" in raised.value.errors["title"] and "5.000" in raised.value.errors["body"]


def test_a_complaint_with_name_and_email_is_accepted(db_session: Session, enqueued: Enqueued) -> None:
    directory = make_directory()
    receipt = submit_feedback(report(directory, kind=Kind.COMPLAINT, name="Nguyễn Văn A", email="a@example.vn"),
                              now=TUESDAY_MORNING)
    assert db.session.get(Feedback, receipt.feedback_id).kind == Kind.COMPLAINT  # type: ignore[union-attr]


def test_attachments_are_stored_under_random_names_with_their_metadata(
    app: Flask, db_session: Session, empty_uploads: None, enqueued: Enqueued
) -> None:
    directory = make_directory()
    receipt = submit_feedback(
        report(directory, attachments=(Upload("C:\\ảnh\\đường hỏng.png", PNG), Upload("don.pdf", PDF))),
        now=TUESDAY_MORNING,
    )
    rows = db.session.scalars(select(Attachment).where(Attachment.feedback_id == receipt.feedback_id)
                              .order_by(Attachment.id)).all()
    assert [(r.original_name, r.content_type, r.size) for r in rows] == [
        ("đường hỏng.png", "image/png", len(PNG)), ("don.pdf", "application/pdf", len(PDF))]
    stored = upload_files(app)
    assert sorted(p.name for p in stored) == sorted(r.storage_name for r in rows)  # no temporary file left
    assert all(len(r.storage_name) == 32 and int(r.storage_name, 16) >= 0 for r in rows)
    assert (Path(app.config["UPLOAD_DIR"]) / rows[0].storage_name).read_bytes() == PNG


def test_a_failed_commit_leaves_no_row_and_no_file(
    app: Flask, db_session: Session, empty_uploads: None, enqueued: Enqueued,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory = make_directory()
    db.session.flush()

    def broken_commit() -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(OperationalError):
        submit_feedback(report(directory, attachments=(Upload("a.png", PNG),)), now=TUESDAY_MORNING)
    monkeypatch.undo()
    assert upload_files(app) == []
    assert count(Feedback) == 0 and enqueued == []


def test_the_same_key_session_and_content_give_the_same_item_and_secret(
    db_session: Session, enqueued: Enqueued
) -> None:
    """A double click whose first answer (and its session cookie) was dropped loses nothing."""
    directory = make_directory()
    first = submit_feedback(report(directory, submission_key="key-1", session_id="s-1"), now=TUESDAY_MORNING)
    later = TUESDAY_MORNING + timedelta(minutes=3)
    second = submit_feedback(report(directory, submission_key="key-1", session_id="s-1"), now=later)
    assert first.token is not None and not first.duplicate
    assert (second.feedback_id, second.code, second.duplicate, second.token) == (first.feedback_id, first.code, True,
                                                                                  first.token)
    assert second.received_at == first.received_at == TUESDAY_MORNING  # the shell's window counts from here
    assert count(Feedback) == 1 and len(enqueued) == 1


def test_another_session_with_the_same_key_makes_its_own_item_and_learns_nothing(
    db_session: Session, enqueued: Enqueued
) -> None:
    """The key is in the form's HTML: whoever copies it must not get the first sender's receipt."""
    directory = make_directory()
    victim = submit_feedback(report(directory, submission_key="key-v", session_id="victim", name="Nguyễn Văn A",
                                    phone="0912345678"), now=TUESDAY_MORNING)
    attacker = submit_feedback(report(directory, submission_key="key-v", session_id="attacker", name="Nguyễn Văn A",
                                      phone="0912345678"), now=TUESDAY_MORNING)
    assert not attacker.duplicate and attacker.feedback_id != victim.feedback_id and attacker.code != victim.code
    assert attacker.token is not None and attacker.token != victim.token
    victim_item = db.session.get(Feedback, victim.feedback_id)
    assert victim_item is not None and not token_matches(attacker.token, victim_item.token_hash)
    no_session = submit_feedback(report(directory, submission_key="key-v", name="Nguyễn Văn A", phone="0912345678"),
                                 now=TUESDAY_MORNING)
    assert not no_session.duplicate and no_session.feedback_id not in (victim.feedback_id, attacker.feedback_id)
    assert count(Feedback) == 3


CHANGES: dict[str, Callable[[Directory], dict[str, object]]] = {
    "title": lambda d: {"title": "Rác tồn đọng ở ngõ 14"},
    "body": lambda d: {"body": "Rác không được thu gom bốn ngày nay."},
    "kind": lambda d: {"kind": Kind.PETITION},
    "commune": lambda d: {"locality_code": d.van_don.code, "village_code": None},
    "village": lambda d: {"village_code": None},
    "topic": lambda d: {"topic_code": d.land.code},
    "contact": lambda d: {"email": "a@example.com"},
    "consent": lambda d: {"consent_share_contact": True},
    "attachments": lambda d: {"attachments": (Upload("a.png", PNG),)},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_report_with_the_same_key_and_session_is_a_new_item(
    db_session: Session, empty_uploads: None, enqueued: Enqueued, change: str
) -> None:
    """Back, edit, send again: the second report is never swallowed by the first receipt."""
    directory = make_directory()
    first = submit_feedback(report(directory, submission_key="key-3", session_id="s-3"), now=TUESDAY_MORNING)
    second = submit_feedback(report(directory, submission_key="key-3", session_id="s-3", **CHANGES[change](directory)),
                             now=TUESDAY_MORNING)
    assert not second.duplicate and second.feedback_id != first.feedback_id and second.token is not None
    assert count(Feedback) == 2 and len(enqueued) == 2


def test_only_a_digest_of_the_form_key_is_stored(db_session: Session, enqueued: Enqueued) -> None:
    directory = make_directory()
    key = "plain-form-key-0123456789"
    receipt = submit_feedback(report(directory, submission_key=key, session_id="s-4"), now=TUESDAY_MORNING)
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None and item.submission_key is not None
    assert key not in item.submission_key and re.fullmatch(r"[0-9a-f]{64}", item.submission_key)
    assert token_matches(receipt.token or "", item.token_hash)


def test_the_token_of_a_repeated_form_cannot_be_made_without_the_secret_key(
    app: Flask, db_session: Session, enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_directory()
    first = submit_feedback(report(directory, submission_key="key-2", session_id="s-2"), now=TUESDAY_MORNING)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    again = submit_feedback(report(directory, submission_key="key-2", session_id="s-2"), now=TUESDAY_MORNING)
    assert first.token and first.token != "key-2"
    assert (again.feedback_id, again.duplicate, again.token) == (first.feedback_id, True, None)


def test_a_form_without_submission_key_gets_a_random_token(db_session: Session, enqueued: Enqueued) -> None:
    directory = make_directory()
    first = submit_feedback(report(directory, submission_key=None), now=TUESDAY_MORNING)
    second = submit_feedback(report(directory, submission_key=None), now=TUESDAY_MORNING)
    assert first.token and second.token and first.token != second.token
    assert count(Feedback) == 2


def test_a_lost_race_on_the_submission_key_returns_the_winner(
    app: Flask, db_session: Session, empty_uploads: None, enqueued: Enqueued,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other request inserted the key between our check and our insert: the unique column refuses ours."""
    directory = make_directory()
    winner = submit_feedback(report(directory, submission_key="key-race", session_id="s-race",
                                    attachments=(Upload("a.png", PNG),)), now=TUESDAY_MORNING)
    seen: list[int | None] = []
    real_read = submission_service._read_facts

    def blind_read(*args: Any, **kwargs: Any) -> Any:
        # The winner's row is there (the check sees it) but, as if it had been inserted just
        # after our read, the check reports nothing: our INSERT then meets the unique column.
        facts = real_read(*args, **kwargs)
        seen.append(facts.repeat_id)
        return dataclasses.replace(facts, repeat_id=None)

    monkeypatch.setattr(submission_service, "_read_facts", blind_read)
    loser = submit_feedback(report(directory, submission_key="key-race", session_id="s-race",
                                   attachments=(Upload("a.png", PNG),)), now=TUESDAY_MORNING)
    assert seen == [winner.feedback_id]
    assert (loser.feedback_id, loser.duplicate, loser.token) == (winner.feedback_id, True, winner.token)
    assert count(Feedback) == 1
    assert len(upload_files(app)) == 1  # the winner's file only: the loser's staged file was removed


def test_an_unreachable_broker_still_saves_the_item(app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = Celery("dead-broker")
    dead.conf.update(broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=1,
                     broker_transport_options={"socket_connect_timeout": 1, "max_retries": 0})
    monkeypatch.setitem(app.extensions, "celery", dead)
    directory = make_directory()
    receipt = submit_feedback(report(directory), now=TUESDAY_MORNING)
    assert receipt.enqueued is False and receipt.token
    item = db.session.get(Feedback, receipt.feedback_id)
    assert item is not None and item.status == Status.RECEIVED and item.code == receipt.code


def test_routing_is_enqueued_only_once_the_row_is_committed(
    app: Flask, committed_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the moment enqueue is called, another connection (the worker's) already sees the item."""
    directory = make_directory()
    db.session.commit()
    seen: list[tuple[str, str] | None] = []

    def check_from_another_connection(name: str, feedback_id: int) -> bool:
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.connect() as other:
                row = other.execute(sa.text("SELECT code, status FROM feedback WHERE id = :id"),
                                    {"id": feedback_id}).first()
                seen.append((row.code, row.status) if row else None)
        finally:
            engine.dispose()
        return True

    monkeypatch.setattr(feedback.jobs, "enqueue", check_from_another_connection)
    receipt = submit_feedback(report(directory), now=TUESDAY_MORNING)
    assert seen == [(receipt.code, "received")]


def test_the_item_row_carries_every_python_default_of_the_model_that_a_submission_does_not_set() -> None:
    """Proves: the item's INSERT (a WITH query, where SQLAlchemy adds no column default) carries
    each ``default=`` of Feedback that ``_item_row`` does not set itself, with the model's value;
    a default added to the model later fails here until the intake writes it."""
    table = Feedback.__table__
    assert isinstance(table, sa.Table)
    row = submission_service._item_row(
        Submission(kind=Kind.REPORT, locality_code="x", topic_code="y", title="t", body="b"),
        submission_service._Clean(Kind.REPORT, 1, "x", 2, "y", "t", "b", None, None, None, ()),
        "token", None, TUESDAY_MORNING, 7, "PA-2026-7")
    scalar_defaults = {column.key: column.default.arg for column in table.columns
                       if column.default is not None and column.default.is_scalar}
    assert {key: value for key, value in scalar_defaults.items() if key not in row} == {}
    for key, value in submission_service._ITEM_DEFAULTS.items():
        assert scalar_defaults[key] == value, key
    assert {column.key for column in table.columns if column.default is not None and column.default.is_callable} \
        <= set(row), "a callable default (a time) must be set by the intake"
