"""Receiving an item from a resident: validate, save with its first audit event, commit, enqueue.

The one way an item enters the platform (web form today; the API and staff entry later build the
same ``Submission``). Guarantees of ``submit_feedback``:

- Nothing is written when anything is invalid: every problem is reported at once, per field,
  in the visitor's language (``SubmissionInvalid``).
- The item, its attachments and its "received" event are committed together; files are staged
  to temporary names first and get their final names only after the commit succeeded, and are
  removed if it failed.
- Routing is asked for only after the commit (the worker must find the row). A broker that is
  down does not lose the item: the resident still gets a code and the beat sweep routes it.
- Idempotent on ``submission_key`` for the same sender and the same content: a double click or
  a reload from the session that sent the form gives the item already made, also when two
  requests race (the unique column decides). The key alone is worth nothing: another session
  with the same key, or the same session with a changed report, makes a new item
  (``feedback.domain.repeats``). Only a digest of key, session and content is stored.
- The secret token is random without a key or session; with both it is ``repeat_token`` (keyed
  with the secret key over key, session and content), so only a genuine repeat gets it again.
  The shell decides how long a repeat may still show it (``Receipt.received_at``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import Table, bindparam, func, insert, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError

from feedback import jobs
from feedback.domain.events import Actor, EventAction
from feedback.domain.open311 import MAX_MEDIA_URL, is_media_url
from feedback.domain.status import Channel, Kind, Origin, Status
from feedback.domain.repeats import ReportContent, content_fingerprint, repeat_digest, repeat_token
from feedback.domain.tracking import hash_token, make_code, new_secret_token, token_matches
from feedback.domain.text import shows_nothing, without_controls
from feedback.extensions import db
from feedback.models import Attachment, Event, Feedback, Locality, LocalityLevel, Topic
from feedback.services.intake import uploads
from feedback.services.intake.form_choices import storable_code
from feedback.services.audit import NewEvent, first_event_row, record_event, remember_chain_end
from feedback.services.database import commit_each_statement, execute_kept, on_postgresql

log = logging.getLogger(__name__)

# Column sizes of Feedback (title String(200)); the body limit keeps one item readable.
MAX_TITLE = 200
MAX_BODY = 5000
MAX_NAME = 120
MAX_EMAIL = 255
MAX_KEY = 64
# Vietnamese numbers: 0 or +84, then 9 digits (mobile) or 10 digits (landline with area code).
_PHONE = re.compile(r"^(?:\+84|0)\d{9,10}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the sender gave and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Submission:
    """What a resident sends.

    ``locality_code`` is the commune (or, from the API, a village); ``village_code``, when given,
    must be a village of that commune and becomes the item's locality. ``kind`` may also arrive
    as the raw text of a form or API field: anything that is not a ``Kind`` value is a field error.
    ``submission_key`` (the form's idempotency key) and ``session_id`` (an opaque value of the
    sender's session) decide together with the content whether a POST repeats an earlier one.
    """

    kind: Kind
    locality_code: str
    topic_code: str
    title: str
    body: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    consent_share_contact: bool = False
    attachments: tuple[Upload, ...] = ()
    submission_key: str | None = None
    channel: Channel = Channel.WEB
    village_code: str | None = None
    language: str | None = None  # the page's language ("vi", "en"): the resident's emails use it
    session_id: str | None = None
    # A link to a photo or video (Open311 ``media_url``): an absolute http(s) URL, stored as given.
    media_url: str | None = None
    # The API client that sent it (the name of its key), recorded in the "received" event.
    client: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The answer to a submission. ``token`` is the item's secret token: always for a new item;
    for a repeat (``duplicate``) only when the same key, session and content derive it again (it is
    None for an item whose token was random or made under another secret key). ``received_at``
    is when the item was made (for a repeat: the first time)."""

    feedback_id: int
    code: str
    token: str | None
    enqueued: bool
    duplicate: bool
    received_at: datetime


class SubmissionInvalid(ValueError):
    """The submission was refused; ``errors`` maps a ``Submission`` field name to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


@dataclass(frozen=True)
class _Place:
    """A locality as the intake needs it (read as plain columns, no ORM object)."""

    id: int
    code: str
    level: LocalityLevel
    parent_id: int | None


@dataclass(frozen=True)
class _Facts:
    """What one statement reads for a submission (``_read_facts``): its commune (or village) and
    village, its active topic, the item an earlier POST with the same key, session and content
    made, and on PostgreSQL the id the new item will have (so its code goes in the INSERT)."""

    place: _Place | None = None
    village: _Place | None = None
    topic_id: int | None = None
    repeat_id: int | None = None
    next_id: int | None = None


@dataclass(frozen=True)
class _Clean:
    kind: Kind
    locality_id: int
    locality_code: str
    topic_id: int
    topic_code: str
    title: str
    body: str
    name: str | None
    phone: str | None
    email: str | None
    files: tuple[uploads.CheckedFile, ...]
    media_url: str | None = None


def submit_feedback(sub: Submission, *, now: datetime, enqueue_routing: bool = True) -> Receipt:
    """Save ``sub`` as a new item in status received and ask the worker to route it.

    ``enqueue_routing=False`` leaves the routing to the caller (the demo history routes each
    item itself at its own time: 300 ROUTE_FEEDBACK messages for items already routed would
    only queue ahead of the residents' real ones); ``Receipt.enqueued`` is then False and the
    beat sweep still routes an item the caller left in received.

    Raises ``SubmissionInvalid`` (nothing written) when a field is wrong. Commits. Returns the
    existing item with ``duplicate=True`` when the same ``submission_key`` was already used by
    the same ``session_id`` with the same content (its token only when it derives again, see
    ``Receipt``); anything else is a new item.
    ``now`` is aware UTC; the code's year is the local (Asia/Ho_Chi_Minh) year of ``now``.

    On PostgreSQL, called before the session has begun, its statements commit each by itself
    (``commit_each_statement``: the reads, then the one INSERT that writes the item with its
    attachments and event), which spares BEGIN and COMMIT; the session is back in its usual mode
    when it returns or raises ``SubmissionInvalid``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    began = commit_each_statement()
    try:
        receipt = _submit(sub, now=now, enqueue_routing=enqueue_routing)
    except SubmissionInvalid:
        if began:
            db.session.rollback()  # only reads were sent: this ends the statement-by-statement mode
        raise
    if began and db.session().in_transaction():
        db.session.rollback()  # a repeat, answered from reads only
    return receipt


def _submit(sub: Submission, *, now: datetime, enqueue_routing: bool) -> Receipt:
    """``submit_feedback`` once its mode is chosen."""
    # The fields are checked first, then one statement reads what the database knows of the
    # submission (its places and topic, an earlier identical POST, the new item's id), then the
    # places and the topic are checked; nothing is written before every check passed.
    errors: dict[str, str] = {}
    draft = _check_fields(sub, errors)
    fingerprint = content_fingerprint(_content(sub, draft))
    digest = repeat_digest(sub.submission_key, sub.session_id, fingerprint) if sub.submission_key else None
    facts = _read_facts(draft, digest, want_id=not errors)
    clean = _check_directory(draft, facts, errors)
    token = _token_for(sub, fingerprint)
    if facts.repeat_id is not None:
        existing = db.session.get(Feedback, facts.repeat_id)
        if existing is not None:
            return _duplicate(existing, token)
    staged = uploads.stage(clean.files, Path(current_app.config["UPLOAD_DIR"]))
    try:
        feedback_id, code = _save(sub, clean, token, digest, staged, now, facts.next_id)
        db.session.commit()
    except IntegrityError:
        uploads.discard(staged)
        db.session.rollback()
        # Lost a race on the unique repeat digest: the other request's item is the answer.
        existing = find_by_repeat_digest(digest) if digest is not None else None
        if existing is None:
            raise
        return _duplicate(existing, token)
    except BaseException:
        # Files first: with the database gone (the usual cause here) the rollback itself may fail,
        # and no staged file may outlive an item that was never stored.
        uploads.discard(staged)
        db.session.rollback()
        raise
    try:
        uploads.publish(staged)
    except OSError:  # the item is committed; staff see the attachment row, the file is lost
        log.exception("could not publish the uploads of item %s", feedback_id)
    enqueued = jobs.enqueue(jobs.ROUTE_FEEDBACK, feedback_id) if enqueue_routing else False
    return Receipt(feedback_id=feedback_id, code=code, token=token, enqueued=enqueued, duplicate=False, received_at=now)


def find_by_repeat_digest(digest: str) -> Feedback | None:
    """The item whose key, session and content digest is ``digest`` (``domain.repeats``), if any."""
    return db.session.scalar(select(Feedback).where(Feedback.submission_key == digest))


def _content(sub: Submission, draft: _Draft) -> ReportContent:
    """What makes a repeat, from the fields as cleaned (the codes as given: a repeat is only
    looked for in what is also valid, since an invalid submission is refused before)."""
    return ReportContent(
        kind=draft.kind.value if draft.kind is not None else "", locality_code=draft.locality_code,
        topic_code=draft.topic_code, title=draft.title, body=draft.body, name=draft.name, phone=draft.phone,
        email=draft.email, consent_share_contact=bool(sub.consent_share_contact),
        attachment_hashes=tuple(file.sha256 for file in draft.files),
    )


def _token_for(sub: Submission, fingerprint: str) -> str:
    """The resident's secret token: derived when the form has a key and the sender a session (so
    that only a genuine repeat can show it again), random otherwise."""
    if sub.submission_key and sub.session_id:
        return repeat_token(str(current_app.config["SECRET_KEY"]), sub.submission_key, sub.session_id, fingerprint)
    return new_secret_token()


def _duplicate(item: Feedback, token: str) -> Receipt:
    """The receipt of an item already made by this session from this form with this content, with
    the token when it derives again (not after a change of secret key)."""
    return Receipt(feedback_id=item.id, code=str(item.code), token=token if token_matches(token, item.token_hash) else None,
                   enqueued=False, duplicate=True, received_at=item.received_at)


def _save(sub: Submission, clean: _Clean, token: str, digest: str | None, staged: list[uploads.StagedFile],
          now: datetime, next_id: int | None) -> tuple[int, str]:
    """Write the item, its attachments and its "received" event in the current transaction;
    returns the item's id and code.

    With ``next_id`` (PostgreSQL: the id already drawn from the sequence) they go in together,
    the item with its code, in one statement (an INSERT of the event with the item's and the
    attachments' INSERTs as data-modifying WITH queries: one round trip, all or nothing), their
    rows built as plain values (``_item_row``; no ORM object: issue #11). Without it (SQLite)
    they are added to the session: the item is flushed for its id, its code set after (an UPDATE
    at the commit's flush)."""
    year = now.astimezone(ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))).year
    prefix = str(current_app.config["TRACKING_PREFIX"])
    # The public timeline's first line; no personal data (the event is public).
    after: dict[str, object] = {
        "status": Status.RECEIVED.value,
        "kind": clean.kind.value,
        "channel": Channel(sub.channel).value,
        "locality": clean.locality_code,
        "topic": clean.topic_code,
        "attachments": len(staged),
    }
    if sub.client:
        after["client"] = sub.client
    if next_id is not None:
        code = make_code(prefix=prefix, year=year, sequence=next_id)
        item_values = _item_row(sub, clean, token, digest, now, next_id, code)
        event_values = first_event_row(NewEvent(
            feedback_id=next_id, action=EventAction.RECEIVED, actor=Actor.resident(), at=now,
            locality_id=clean.locality_id, topic_id=clean.topic_id, unit_id=None, after=after, public=True))
        file_values = [
            {"feedback_id": next_id, "storage_name": file.storage_name, "original_name": file.file.original_name,
             "content_type": file.file.content_type, "size": file.file.size, "sha256": file.file.sha256,
             "created_at": now}
            for file in staged
        ]
        statement = _insert_statement(tuple(item_values), tuple(event_values), tuple(tuple(v) for v in file_values))
        params: dict[str, Any] = {}
        for name_prefix, values in (("f_", item_values), ("e_", event_values),
                                    *((f"a{n}_", values) for n, values in enumerate(file_values))):
            params.update((f"{name_prefix}{k}", v) for k, v in values.items())
        execute_kept(statement, params)
        return next_id, code
    item = Feedback(**_item_row(sub, clean, token, digest, now, None, None))
    db.session.add(item)
    db.session.flush()  # the id is the code's sequence number
    item.code = make_code(prefix=prefix, year=year, sequence=item.id)
    if staged:  # (reading the collection of a flushed item would load it)
        item.attachments.extend(
            Attachment(storage_name=file.storage_name, original_name=file.file.original_name,
                       content_type=file.file.content_type, size=file.file.size, sha256=file.file.sha256,
                       created_at=now)
            for file in staged)
    remember_chain_end(item.id, None, None)  # a new item has no event yet: nothing to read
    record_event(item, EventAction.RECEIVED, actor=Actor.resident(), at=now, public=True, after=after)
    return item.id, str(item.code)


def _item_row(sub: Submission, clean: _Clean, token: str, digest: str | None, now: datetime,
              item_id: int | None, code: str | None) -> dict[str, Any]:
    """The new item's columns: those a submission sets and the column defaults of the model that
    an INSERT of these values would otherwise leave to the database (Feedback's ``default=``)."""
    row: dict[str, Any] = {
        "kind": clean.kind,
        "title": clean.title,
        "body": clean.body,
        "locality_id": clean.locality_id,
        "topic_id": clean.topic_id,
        "submitter_name": clean.name,
        "submitter_phone": clean.phone,
        "submitter_email": clean.email,
        "consent_share_contact": bool(sub.consent_share_contact),
        "channel": sub.channel,
        "status": Status.RECEIVED,
        "token_hash": hash_token(token),
        "submission_key": digest,
        "language": sub.language,
        "media_url": clean.media_url,
        "received_at": now,
        "updated_at": now,
    }
    if item_id is None:
        return row
    row.update(_ITEM_DEFAULTS)
    row["id"] = item_id
    row["code"] = code
    return row


# Feedback's Python-side column defaults that a submission does not set: SQLAlchemy leaves them
# out of a WITH query's INSERT, so the item's INSERT of ``_save`` carries them itself (a test
# compares them with the model's).
_ITEM_DEFAULTS: dict[str, Any] = {"complaint_round": 1, "is_complex": False, "several_places": False,
                                  "origin": Origin.RESIDENT}


@lru_cache(maxsize=64)
def _insert_statement(item: tuple[str, ...], event: tuple[str, ...], files: tuple[tuple[str, ...], ...]) -> Any:
    """The INSERT of ``_save`` (the event's, with the item's and the attachments' as WITH queries)
    of these columns, their values as parameters named ``f_``, ``e_`` or ``a<n>_`` and the
    column's name. Built once per shape and kept, as ``_facts_statement``."""
    def values(table: Table, columns: tuple[str, ...], prefix: str) -> dict[str, Any]:
        return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in columns}

    attachment = _table(Attachment)
    statement = insert(_table(Event)).values(values(_table(Event), event, "e_")).add_cte(
        insert(_table(Feedback)).values(values(_table(Feedback), item, "f_")).cte("item"))
    if files:
        statement = statement.add_cte(insert(attachment).values(
            [values(attachment, columns, f"a{n}_") for n, columns in enumerate(files)]).cte("files"))
    return statement


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Draft:
    """The fields as cleaned before the database is asked (``_check_fields``); the codes of the
    places and the topic are still to be looked up (``_check_directory``)."""

    kind: Kind | None
    commune_code: str
    village_code: str
    topic_code: str
    title: str
    body: str
    name: str | None
    phone: str | None
    email: str | None
    files: tuple[uploads.CheckedFile, ...]
    media_url: str | None

    @property
    def locality_code(self) -> str:
        """The item's place when the codes are valid: the village when one was chosen."""
        return self.village_code or self.commune_code


def _check_fields(sub: Submission, errors: dict[str, str]) -> _Draft:
    """Every check that needs no database, each problem added to ``errors``."""
    kind = _kind(sub.kind)
    if kind is None:
        errors["kind"] = _("Hãy chọn loại ý kiến.")
    title = _text(sub.title, multiline=False)
    body = _text(sub.body, multiline=True)
    if not title:
        errors["title"] = _("Hãy nhập tiêu đề.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Tiêu đề dài %(length)s ký tự; tối đa %(limit)s ký tự.",
                            length=format_decimal(len(title)), limit=format_decimal(MAX_TITLE))
    if not body:
        errors["body"] = _("Hãy nhập nội dung.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("Nội dung dài %(length)s ký tự; tối đa %(limit)s ký tự.",
                           length=format_decimal(len(body)), limit=format_decimal(MAX_BODY))
    name = _text(sub.name or "", multiline=False) or None
    phone = _PHONE_SEPARATORS.sub("", sub.phone or "") or None
    email = (sub.email or "").strip() or None
    if name and len(name) > MAX_NAME:
        errors["name"] = _("Họ và tên tối đa %(limit)d ký tự.", limit=MAX_NAME)
    if phone and not _PHONE.match(phone):
        errors["phone"] = _("Số điện thoại chưa đúng. Ví dụ: 0912 345 678.")
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)
                  or any(unicodedata.category(c) == "Cc" for c in email)):  # a NUL PostgreSQL would refuse
        errors["email"] = _("Địa chỉ thư điện tử chưa đúng. Ví dụ: ten@example.com.")
    if kind is not None and kind.needs_identity:
        # Luật Khiếu nại 2011 Art. 8 and Luật Tố cáo 2018 Art. 23: the author must be identified
        # and reachable; a denunciation is never anonymous.
        if not name:
            errors["name"] = _("Khiếu nại, tố cáo phải ghi rõ họ và tên người gửi (Luật Khiếu nại, Luật Tố cáo).")
        if not phone and not email and "phone" not in errors and "email" not in errors:
            errors["phone"] = _("Khiếu nại, tố cáo cần số điện thoại hoặc thư điện tử để cơ quan liên hệ và thông báo kết quả.")
    if sub.submission_key and len(sub.submission_key) > MAX_KEY:
        errors["submission_key"] = _("Biểu mẫu không hợp lệ. Hãy tải lại trang.")
    files = _files(sub.attachments, errors)
    media_url = (sub.media_url or "").strip() or None
    if media_url is not None and not is_media_url(media_url):
        errors["media_url"] = _("Đường dẫn ảnh, video phải là địa chỉ http:// hoặc https:// đầy đủ, tối đa "
                                "%(limit)d ký tự.", limit=MAX_MEDIA_URL)
    return _Draft(kind, (sub.locality_code or "").strip(), (sub.village_code or "").strip(),
                  (sub.topic_code or "").strip(), title, body, name, phone, email, files, media_url)


def _read_facts(draft: _Draft, digest: str | None, *, want_id: bool) -> _Facts:
    """One statement (a UNION ALL of one-row reads by unique keys): the commune and village of
    ``draft``, its topic if active, the item of an earlier POST with ``digest``, and, when
    ``want_id`` on PostgreSQL, the next id of the items' sequence (a number drawn and not used,
    by a repeat or a failed INSERT, is a gap in the codes, as a rolled-back INSERT always made)."""
    place = storable_code(draft.commune_code)
    village = place and storable_code(draft.village_code)
    topic = storable_code(draft.topic_code)
    statement = _facts_statement(place, village, topic, digest is not None, want_id and on_postgresql())
    if statement is None:
        return _Facts()
    params = {"place": draft.commune_code, "village": draft.village_code, "topic": draft.topic_code,
              "digest": digest}
    found: dict[str, _Place | int] = {}
    # The level comes as its text on PostgreSQL (``execute_kept``), as a LocalityLevel on SQLite.
    for label, id_, level, parent_id in execute_kept(statement, params):
        if label in ("place", "village"):
            found[label] = _Place(int(id_), draft.commune_code if label == "place" else draft.village_code,
                                  LocalityLevel(level), parent_id)
        else:
            found[label] = int(id_)
    place_found, village_found = found.get("place"), found.get("village")
    topic_id, repeat_id, next_id = found.get("topic"), found.get("repeat"), found.get("next")
    return _Facts(place=place_found if isinstance(place_found, _Place) else None,
                  village=village_found if isinstance(village_found, _Place) else None,
                  topic_id=topic_id if isinstance(topic_id, int) else None,
                  repeat_id=repeat_id if isinstance(repeat_id, int) else None,
                  next_id=next_id if isinstance(next_id, int) else None)


@lru_cache(maxsize=64)
def _facts_statement(place: bool, village: bool, topic: bool, repeat: bool, next_id: bool) -> Any:
    """The statement of ``_read_facts`` for the reads asked (None when none is), its values as
    parameters (``place``, ``village``, ``topic``, ``digest``). Built once per shape and kept: a
    statement built anew for every submission cost more of its CPU than reading its answer (its
    construction and cache key, issue #11)."""
    branches: list[Any] = []  # Select of differently typed columns
    if place:
        branches.append(select(literal("place"), Locality.id, Locality.level, Locality.parent_id)
                        .where(Locality.code == bindparam("place")))
    if village:
        branches.append(select(literal("village"), Locality.id, Locality.level, Locality.parent_id)
                        .where(Locality.code == bindparam("village")))
    if topic:
        branches.append(select(literal("topic"), Topic.id, null(), null())
                        .where(Topic.code == bindparam("topic"), Topic.active.is_(True)))
    if repeat:
        branches.append(select(literal("repeat"), Feedback.id, null(), null())
                        .where(Feedback.submission_key == bindparam("digest")))
    if next_id:
        branches.append(select(literal("next"), func.nextval(func.pg_get_serial_sequence("feedback", "id")),
                               null(), null()))
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _check_directory(draft: _Draft, facts: _Facts, errors: dict[str, str]) -> _Clean:
    """The places and the topic checked against ``facts``; raises ``SubmissionInvalid`` with every
    problem (``errors`` and these, in the order of the form: kind, places, topic, the rest)."""
    found: dict[str, str] = {}
    place = _place(draft, facts, found)
    topic_id: int | None = None
    if not draft.topic_code:
        found["topic_code"] = _("Hãy chọn lĩnh vực.")
    elif facts.topic_id is None:
        found["topic_code"] = _("Không tìm thấy lĩnh vực có mã %(code)s.", code=draft.topic_code)
    else:
        topic_id = facts.topic_id
    if errors or found:
        ordered = {key: message for key, message in errors.items() if key == "kind"}
        ordered.update(found)
        ordered.update((key, message) for key, message in errors.items() if key != "kind")
        raise SubmissionInvalid(ordered)
    assert draft.kind is not None and place is not None and topic_id is not None
    return _Clean(draft.kind, place.id, place.code, topic_id, draft.topic_code, draft.title, draft.body, draft.name,
                  draft.phone, draft.email, draft.files, draft.media_url)


def _place(draft: _Draft, facts: _Facts, errors: dict[str, str]) -> _Place | None:
    """The item's place: the commune (or, from the API, a village) given, or the village chosen
    in it."""
    if not draft.commune_code:
        errors["locality_code"] = _("Hãy chọn xã, phường hoặc đặc khu.")
        return None
    place = facts.place
    if place is None or place.level == LocalityLevel.PROVINCE:
        errors["locality_code"] = _("Không tìm thấy xã, phường, đặc khu có mã %(code)s.", code=draft.commune_code)
        return None
    if not draft.village_code:
        return place
    village = facts.village
    if village is None or village.level != LocalityLevel.VILLAGE:
        errors["village_code"] = _("Không tìm thấy thôn, bản, khu phố có mã %(code)s.", code=draft.village_code)
        return None
    if village.id != place.id and village.parent_id != place.id:
        errors["village_code"] = _("Thôn, bản, khu phố này không thuộc xã, phường, đặc khu đã chọn.")
        return None
    return village


def _kind(value: object) -> Kind | None:
    try:
        return Kind(str(value)) if value else None
    except ValueError:
        return None


def _text(value: str, *, multiline: bool) -> str:
    """NFC, Windows line ends made plain, no control characters (PostgreSQL refuses NUL) nor
    bidirectional overrides (``without_controls``); "" when nothing visible is left (zero-width
    spaces alone are not a title); one line's spaces collapsed."""
    text = without_controls(unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n"))
    if shows_nothing(text):
        return ""
    return text.strip() if multiline else " ".join(text.split())


def _files(attachments: tuple[Upload, ...], errors: dict[str, str]) -> tuple[uploads.CheckedFile, ...]:
    limit = int(current_app.config["MAX_ATTACHMENTS"])
    if len(attachments) > limit:
        errors["attachments"] = _("Chỉ được gửi tối đa %(limit)d tệp; bạn đã chọn %(count)d tệp.",
                                  limit=limit, count=len(attachments))
        return ()
    checked = []
    for upload in attachments:
        try:
            checked.append(uploads.check_upload(upload.filename, upload.data,
                                                max_bytes=int(current_app.config["MAX_ATTACHMENT_BYTES"])))
        except uploads.UploadRejected as rejected:
            errors["attachments"] = rejected.message
            return ()
    return tuple(checked)
