"""Supervision recommendations for Front monitors and Inspection Board members
(/monitor/recommendations): the list of those of their territory, the form that issues one, one
recommendation with its clock and the unit's published answer, and its files.

Every page reads through ``feedback.services.recommendations``, which reads through the one access
rule: a recommendation outside the viewer's territory answers 404, as an unknown id does. A
refused form comes back with every problem on its field (422), never a 500 and never half-written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from feedback.auth.permissions import role_required
from feedback.models import Role
from feedback.monitor_recs.forms import RecommendationForm
from feedback.services import recommendations
from feedback.services.access import viewer_for
from feedback.services.intake import CheckedFile, UploadRejected, check_upload, topic_options
from feedback.web.args import page_number, past_the_end, path_id
from feedback.web.files import file_response
from feedback.web.labels import local_datetime

bp = Blueprint("monitor_recs", __name__)

MONITOR_ROLES = (Role.FRONT_MONITOR, Role.INSPECTION_BOARD)

SOURCE_LABELS = {
    "front": _l("Ủy ban Mặt trận Tổ quốc (kiến nghị sau giám sát)"),
    "bttnd": _l("Ban Thanh tra nhân dân"),
}


def _no_store(response: ResponseReturnValue) -> ResponseReturnValue:
    made = make_response(response)
    made.headers["Cache-Control"] = "no-store"
    return made


@bp.get("/")
@role_required(*MONITOR_ROLES)
def index() -> ResponseReturnValue:
    """The recommendations of the viewer's territory, newest first, with their clock and answer."""
    page = page_number()
    lines, pages = recommendations.recommendation_lines(viewer_for(current_user), now=datetime.now(UTC), page=page)
    if (last := past_the_end(page, pages)) is not None:
        return _no_store(last)
    return _no_store(render_template("monitor_recs/index.html", lines=lines, pages=pages, page=page,
                                     now=datetime.now(UTC), source_labels=SOURCE_LABELS))


def _form() -> RecommendationForm:
    form = RecommendationForm()
    viewer = viewer_for(current_user)
    form.source.choices = [(s.value, str(SOURCE_LABELS[s.value])) for s in recommendations.sources(viewer)]
    form.unit.choices = [("", _("Chọn đơn vị"))] + [(str(u.id), u.name)
                                                     for u in recommendations.addressable_units(viewer)]
    form.topic.choices = [("", _("Theo ý kiến được kiến nghị"))] + [
        (t.code, ("— " * (t.depth - 1)) + t.name) for t in topic_options()]
    return form


@bp.get("/new")
@role_required(*MONITOR_ROLES)
def new() -> ResponseReturnValue:
    """The form: source (when the user has both roles), unit, item code or topic, title, text, files."""
    form = _form()
    code = (request.args.get("item") or "").strip()[:40]
    if code and not form.item_code.data:
        form.item_code.data = code
    return _no_store(render_template("monitor_recs/new.html", form=form))


def _uploads() -> list[CheckedFile]:
    config = current_app.config
    limit = int(config["MAX_ATTACHMENT_BYTES"])
    chosen = [f for f in request.files.getlist("attachments") if f is not None and f.filename]
    if len(chosen) > int(config["MAX_ATTACHMENTS"]):
        raise recommendations.RecommendationInvalid(
            {"attachments": _("Chỉ được đính kèm tối đa %(num)s tệp.", num=config["MAX_ATTACHMENTS"])})
    try:
        return [check_upload(f.filename or "", f.stream.read(limit + 1), max_bytes=limit) for f in chosen]
    except UploadRejected as rejected:
        raise recommendations.RecommendationInvalid({"attachments": rejected.message}) from rejected


def _unit_id(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.post("/new")
@role_required(*MONITOR_ROLES)
def create() -> ResponseReturnValue:
    """Issue the recommendation (CSRF checked before this runs); 422 with every problem on its
    field, else a redirect to it."""
    form = _form()
    draft = recommendations.RecommendationDraft(
        unit_id=_unit_id(form.unit.data), title=form.title.data or "", text=form.text.data or "",
        source=form.source.data or None, item_code=form.item_code.data or None, topic_code=form.topic.data or None)
    try:
        issued = recommendations.issue_recommendation(current_user, draft, now=datetime.now(UTC), files=_uploads())
    except recommendations.NotAllowed:
        abort(403)
    except recommendations.RecommendationInvalid as invalid:
        form.attach_errors(invalid.errors)
        return _no_store((render_template("monitor_recs/new.html", form=form), 422))
    flash(_("Đã gửi kiến nghị %(code)s; hạn trả lời: %(due)s.", code=issued.code, due=local_datetime(issued.due_at)),
          "success")
    return redirect(url_for("monitor_recs.detail", recommendation_id=issued.recommendation_id), 303)


@bp.get("/<int:recommendation_id>")
@role_required(*MONITOR_ROLES)
def detail(recommendation_id: int) -> ResponseReturnValue:
    """One recommendation: what was asked, the clock, the issuer's files and the unit's answer."""
    try:
        shown = recommendations.recommendation_view(viewer_for(current_user), path_id(recommendation_id),
                                                    now=datetime.now(UTC))
    except recommendations.RecommendationNotFound:
        abort(404)
    return _no_store(render_template("monitor_recs/detail.html", shown=shown, line=shown.line,
                                     source_labels=SOURCE_LABELS))


@bp.get("/<int:recommendation_id>/files/<int:file_id>")
@role_required(*MONITOR_ROLES)
def file(recommendation_id: int, file_id: int) -> ResponseReturnValue:
    """A file of the recommendation or of its published answer (an image inline, else a download)."""
    try:
        found = recommendations.recommendation_file(viewer_for(current_user), path_id(recommendation_id),
                                                    path_id(file_id), now=datetime.now(UTC))
    except recommendations.RecommendationNotFound:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type)
