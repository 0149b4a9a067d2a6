"""Issuing a supervision recommendation: the Front or the Inspection Board sends it to one unit of
its territory, about one resident item (by its code) or a pattern, with text and files.

The recommendation enters the unit's hands as an item of origin ``supervision`` (kind kiến nghị,
channel staff) assigned straight to the unit and already in progress: no routing, no resident,
no public page, no rating. Its one clock is SUPERVISION: 15 calendar days for the Inspection
Board (Luật Thực hiện dân chủ ở cơ sở 2022 Art. 40(1)(c)), ``FRONT_RECOMMENDATION_DAYS`` for the
Front (default 30). From there the unit answers it through the same draft, submit, return and
publish path as any item (``feedback.services.handling``), and the beat scan reminds and
escalates its clock like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.domain.access import Grant, Viewer
from feedback.domain.calendar import local_date
from feedback.domain.deadlines import plan_supervision
from feedback.domain.events import Actor, EventAction
from feedback.domain.handling import InvalidText, TextProblem, checked_text
from feedback.domain.recommendations import (
    TEXT_MAX_CHARS,
    TITLE_MAX_CHARS,
    Addressee,
    RecommendationSource,
    may_address,
    may_issue,
    source_of,
    sources,
)
from feedback.domain.status import Channel, Kind, Origin, Status, next_status
from feedback.domain.text import name_key
from feedback.domain.tracking import InvalidCode, make_code, normalise_code
from feedback.extensions import db
from feedback.models import Assignment, Attachment, Deadline, Feedback, Recommendation, Topic, Unit, UnitKind, User
from feedback.services.access import viewer_for, visible_items_filter
from feedback.services.audit import record_event
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.intake import uploads

# A recommendation has no resident and no secret link: this stored "hash" is no sha256 digest,
# so no token can ever match it (``tracking.token_matches`` compares hex digests).
NO_TOKEN = "-" * 64


class NotAllowed(PermissionError):
    """The user issues no recommendations (neither a Front monitor nor an Inspection Board member)."""


class RecommendationInvalid(ValueError):
    """Nothing was written; ``errors`` maps a field of ``RecommendationDraft`` to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


@dataclass(frozen=True)
class RecommendationDraft:
    """What the issuer typed. ``source`` "front" or "bttnd" (None: the only one the user has);
    ``item_code`` the resident item it is about (None or blank: a pattern); ``topic_code`` may be
    left out when an item is named (its topic is taken)."""

    unit_id: int | None
    title: str
    text: str
    source: str | None = None
    item_code: str | None = None
    topic_code: str | None = None


@dataclass(frozen=True)
class Issued:
    recommendation_id: int
    feedback_id: int
    code: str
    due_at: datetime


def addressee(unit: Unit) -> Addressee:
    """The domain's view of ``unit`` for the addressing rule (reads its locality)."""
    return Addressee(
        locality_path=unit.locality.ancestor_ids() if unit.locality is not None else (),
        commune_committee=unit.kind is UnitKind.COMMUNE_COMMITTEE,
        front_committee=unit.kind is UnitKind.FRONT_COMMITTEE,
        active=unit.active,
    )


def addressable_units(viewer: Viewer, source: RecommendationSource | None = None) -> list[Unit]:
    """The units ``viewer`` may send a recommendation to (as ``source``, or as any source it
    has), by name (``name_key``). Read only."""
    wanted = [s for s in sources(viewer) if source is None or s is source]
    if not wanted:
        return []
    # Their localities in one more statement, not one each (a province's 60 units: 60 statements).
    units = sorted(db.session.scalars(select(Unit).options(selectinload(Unit.locality))
                                      .where(Unit.active.is_(True), Unit.locality_id.is_not(None))),
                   key=lambda unit: (name_key(unit.name), unit.id))
    return [unit for unit in units if any(may_issue(viewer, s, addressee(unit)) for s in wanted)]


def _text(value: str | None, limit: int, field: str, errors: dict[str, str], *, what: str) -> str:
    try:
        return checked_text(value, limit)
    except InvalidText as invalid:
        if invalid.problem is TextProblem.EMPTY:
            errors[field] = _("Hãy nhập %(what)s.", what=what)
        else:
            errors[field] = _("%(what)s dài quá %(limit)s ký tự.", what=what.capitalize(),
                              limit=format_decimal(limit))
        return ""


def _source(viewer: Viewer, given: str | None, errors: dict[str, str]) -> RecommendationSource | None:
    held = sources(viewer)
    if not given:
        if len(held) == 1:
            return held[0]
        errors["source"] = _("Hãy chọn danh nghĩa gửi kiến nghị.")
        return None
    try:
        source = RecommendationSource(given)
    except ValueError:
        source = None
    if source not in held:
        errors["source"] = _("Bạn không gửi kiến nghị với danh nghĩa này.")
        return None
    return source


def _about(viewer: Viewer, code: str | None, errors: dict[str, str]) -> Feedback | None:
    """The resident item named by ``code`` among those the issuer may see; None for a pattern."""
    text = (code or "").strip()
    if not text:
        return None
    try:
        canonical = normalise_code(text)
    except InvalidCode:
        errors["item_code"] = _("Mã ý kiến %(code)s không đúng dạng (ví dụ QN-26-000123-K).", code=text[:40])
        return None
    item = db.session.scalar(select(Feedback).where(Feedback.code == canonical, Feedback.origin == Origin.RESIDENT,
                                                    visible_items_filter(viewer)))
    if item is None:
        errors["item_code"] = _("Không tìm thấy ý kiến có mã %(code)s trong địa bàn bạn giám sát.", code=canonical)
    return item


def _grant(viewer: Viewer, source: RecommendationSource, unit: Unit) -> Grant:
    target = addressee(unit)
    return next(g for g in viewer.grants if source_of(g.role) is source and may_address(g, target))


def configured_days(source: RecommendationSource) -> int | None:
    """The configured answer period of ``source``: the Front's ``FRONT_RECOMMENDATION_DAYS``;
    None for the Inspection Board, whose 15 days are statutory."""
    if source is RecommendationSource.BTTND:
        return None
    return int(current_app.config["FRONT_RECOMMENDATION_DAYS"])


def issue_recommendation(user: User, draft: RecommendationDraft, *, now: datetime,
                         files: Sequence[uploads.CheckedFile] = ()) -> Issued:
    """Issue ``draft`` as ``user`` at ``now``; commits and returns what was made.

    Checks every field at once and raises RecommendationInvalid with all problems (nothing
    written): the source among the user's roles, the unit (one the user may address:
    ``domain.recommendations.may_issue``), the item code (a resident item the user may see),
    the topic (active; taken from the item when one is named), title 1..200 and text
    1..20,000 characters. NotAllowed when the user is neither a Front monitor nor an Inspection
    Board member. ``files`` (checked by ``uploads.check_upload``) are stored like the resident's:
    staged, committed with the rows, published after the commit, removed if it fails.

    Writes: the carrying item (origin supervision, in progress, held by the unit, with a
    tracking code), its open assignment, the Recommendation row (unit code and name frozen), the
    SUPERVISION clock, an internal "recommendation_issued" event on the new item (and on the
    item it is about) and a "deadlines_set" event. Not idempotent: a second call issues a second
    recommendation.
    """
    viewer = viewer_for(user)
    if not sources(viewer):
        raise NotAllowed(_("Chỉ cán bộ Mặt trận Tổ quốc và thành viên Ban Thanh tra nhân dân gửi được kiến nghị."))
    errors: dict[str, str] = {}
    source = _source(viewer, draft.source, errors)
    title = _text(draft.title, TITLE_MAX_CHARS, "title", errors, what=_("tiêu đề"))
    text = _text(draft.text, TEXT_MAX_CHARS, "text", errors, what=_("nội dung kiến nghị"))
    unit = db.session.get(Unit, draft.unit_id) if draft.unit_id is not None else None
    if unit is None:
        errors["unit_id"] = _("Hãy chọn đơn vị nhận kiến nghị.")
    elif source is not None and not may_issue(viewer, source, addressee(unit)):
        if source is RecommendationSource.BTTND:
            errors["unit_id"] = _("Ban Thanh tra nhân dân gửi kiến nghị đến Ủy ban nhân dân xã, phường, đặc khu "
                                  "nơi Ban được bầu.")
        else:
            errors["unit_id"] = _("%(unit)s không thuộc địa bàn bạn giám sát.", unit=unit.name)
    about = _about(viewer, draft.item_code, errors)
    topic_code = (draft.topic_code or "").strip()
    # A code holding a NUL names no topic, and PostgreSQL refuses one even in a comparison.
    topic = db.session.scalar(select(Topic).where(Topic.code == topic_code, Topic.active.is_(True))) \
        if topic_code and "\x00" not in topic_code else None
    if topic_code and topic is None:
        errors["topic_code"] = _("Không tìm thấy lĩnh vực đã chọn.")
    elif topic is None and about is not None:
        topic = about.topic
    elif topic is None and "item_code" not in errors:
        errors["topic_code"] = _("Hãy chọn lĩnh vực của kiến nghị (hoặc nhập mã ý kiến được kiến nghị).")
    if errors:
        raise RecommendationInvalid(errors)
    assert source is not None and unit is not None and topic is not None and unit.locality is not None
    days = configured_days(source)
    plan = plan_supervision(now, source.value, calendar_for(now), days)
    grant = _grant(viewer, source, unit)
    actor = Actor.user(user.id, user.username)
    staged = uploads.stage(files, Path(current_app.config["UPLOAD_DIR"]))
    try:
        item = Feedback(kind=Kind.PETITION, origin=Origin.SUPERVISION, channel=Channel.STAFF, title=title, body=text,
                        locality_id=about.locality_id if about is not None else unit.locality_id, topic_id=topic.id,
                        token_hash=NO_TOKEN, status=Status.RECEIVED, received_at=now, updated_at=now)
        db.session.add(item)
        db.session.flush()
        item.code = make_code(prefix=str(current_app.config["TRACKING_PREFIX"]), year=local_date(now).year,
                              sequence=item.id)
        # Addressed by name: no routing; the unit answers without a separate acceptance (thụ lý).
        item.status = next_status(next_status(item.status, Status.ASSIGNED), Status.IN_PROGRESS)
        item.current_unit_id = unit.id
        db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=now,
                                  explanation=_("Kiến nghị gửi đích danh đơn vị")))
        recommendation = Recommendation(feedback_id=item.id, source=source, unit_id=unit.id, unit_code=unit.code,
                                        unit_name=unit.name, issuer_id=user.id, issuer_unit_id=grant.unit_id,
                                        about_feedback_id=about.id if about is not None else None, issued_at=now)
        clock = Deadline(feedback_id=item.id, unit_id=unit.id, clock=plan.clock.value, sequence=1,
                         legal_basis=plan.period.legal_basis, day_type=plan.period.day_type.value,
                         period_days=plan.period.days, starts_at=plan.starts_at, due_at=plan.due_at, created_at=now)
        db.session.add_all([recommendation, clock])
        for file in staged:
            db.session.add(Attachment(feedback_id=item.id, storage_name=file.storage_name,
                                      original_name=file.file.original_name, content_type=file.file.content_type,
                                      size=file.file.size, sha256=file.file.sha256, created_at=now))
        db.session.flush()
        details = {"recommendation_id": recommendation.id, "source": source.value, "unit_id": unit.id,
                   "unit_code": unit.code, "unit_name": unit.name, "issuer_unit_id": grant.unit_id,
                   "about": about.code if about is not None else None, "attachments": len(staged)}
        record_event(item, EventAction.RECOMMENDATION_ISSUED, actor=actor, at=now, public=False, after=details)
        record_event(item, EventAction.DEADLINES_SET, actor=actor, at=now, public=False, after={"deadlines": [{
            "id": clock.id, "clock": clock.clock, "due_at": clock.due_at.isoformat(),
            "legal_basis": clock.legal_basis, "day_type": clock.day_type, "period_days": clock.period_days}]})
        if about is not None:
            record_event(about, EventAction.RECOMMENDATION_ISSUED, actor=actor, at=now, public=False,
                         after={**details, "about": None, "recommendation_code": item.code})
        issued = Issued(recommendation.id, item.id, item.code, clock.due_at)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        uploads.discard(staged)
        raise
    uploads.publish(staged)
    return issued
