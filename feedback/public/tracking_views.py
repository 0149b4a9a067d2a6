"""Tracking pages: ``/t/<code>`` (public, HTML and JSON), ``/t/<code>/<token>`` (the resident's), ``/t?code=``.

Codes are accepted as people type them (any case, with or without dashes, with a trailing
slash) and redirected to the canonical form. A mistyped code gets a 404 that says whether the
check character is what failed, with the look-up box still holding what was typed.

The secret-link page also takes the resident's reply to the unit's question (POST, CSRF,
post-redirect-get) and serves the item's files through the token (``/t/<code>/<token>/files/<id>``:
images inline for the thumbnails, other files as downloads; ``feedback.web.files``).

The pages that read an item are rate-limited per client address (``TRACK_RATE_LIMIT``, one
budget shared by all of them): codes are sequential, and the public page of a complaint or a
denunciation must not be harvested. Those kinds show the public only their status and unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from feedback.domain.handling import ANSWER_MAX_CHARS
from feedback.domain.tracking import InvalidCode, InvalidCodeReason, make_code
from feedback.extensions import limiter
from feedback.public.errors import error_headers, render_error
from feedback.public.forms import ReplyForm
from feedback.services import handling
from feedback.services.intake import (
    CheckedFile, PublicItem, RestrictedItem, UploadRejected, canonical_code, check_upload, private_view, public_view,
    resident_file,
)
from feedback.web.args import path_id
from feedback.web.files import file_response
from feedback.web.labels import routing_sentence

# The endpoints that read an item, and share one rate-limit budget per client address.
RATE_LIMITED = frozenset({"public.track", "public.track_json", "public.track_private", "public.track_file"})


def _track_rate_limit() -> str:
    return str(current_app.config["TRACK_RATE_LIMIT"])


_limited = limiter.shared_limit(_track_rate_limit, scope="tracking")


def add_tracking_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/t", "lookup", lookup, methods=["GET"])
    bp.add_url_rule("/t/<code>", "track", _limited(track), methods=["GET"])
    bp.add_url_rule("/t/<code>/", "track_slash", track_slash, methods=["GET"])
    bp.add_url_rule("/t/<code>.json", "track_json", _limited(track_json), methods=["GET"])
    bp.add_url_rule("/t/<code>/<token>", "track_private", _limited(track_private), methods=["GET", "POST"])
    bp.add_url_rule("/t/<code>/<token>/files/<int:attachment_id>", "track_file", _limited(track_file), methods=["GET"])
    bp.register_error_handler(429, too_many_lookups)


def too_many_lookups(error: HTTPException) -> ResponseReturnValue:
    """429 on a tracking page says what happened in the resident's words; elsewhere the usual page."""
    if request.endpoint not in RATE_LIMITED:
        return render_error(error)
    title = _("Tạm dừng tra cứu")
    message = _("Có quá nhiều lượt tra cứu từ địa chỉ mạng của bạn trong thời gian ngắn. Để bảo vệ người "
                "gửi ý kiến, việc tra cứu tạm dừng: vui lòng chờ một phút rồi thử lại.")
    headers = error_headers(error)
    if request.path.endswith(".json"):
        return jsonify(error={"code": 429, "title": title, "message": message}), 429, headers
    return render_template("error.html", code=429, title=title, message=message), 429, headers


def private_headers() -> dict[str, str]:
    """Pages showing personal data: never cached, never indexed."""
    return {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def example_code() -> str:
    """A well-formed code of this deployment and year, for hints ("QN-26-000123-K")."""
    year = datetime.now(ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))).year
    return make_code(str(current_app.config["TRACKING_PREFIX"]), year, 123)


def lookup() -> ResponseReturnValue:
    """The home page's "Tra cứu" form: to the canonical tracking page, or a helpful 404."""
    typed = request.args.get("code", "").strip()[:64]
    if not typed:
        return redirect(url_for("public.home") + "#tra-cuu")
    try:
        code = canonical_code(typed)
    except InvalidCode as invalid:
        return _not_found(typed, invalid.reason)
    return redirect(url_for("public.track", code=code))


def track(code: str) -> ResponseReturnValue:
    try:
        canonical = canonical_code(code)
    except InvalidCode as invalid:
        return _not_found(code, invalid.reason)
    if canonical != code:
        return redirect(url_for("public.track", code=canonical), 301)
    item = public_view(canonical, now=datetime.now(UTC))
    if item is None:
        return _not_found(code, None)
    if isinstance(item, RestrictedItem):
        return render_template("public/track_restricted.html", item=item)
    return render_template("public/track.html", item=item)


def track_slash(code: str) -> ResponseReturnValue:
    """``/t/<code>/`` (a link copied with its slash): to the tracking page."""
    try:
        canonical = canonical_code(code)
    except InvalidCode as invalid:
        return _not_found(code, invalid.reason)
    return redirect(url_for("public.track", code=canonical), 301)


def track_json(code: str) -> ResponseReturnValue:
    """The public facts as JSON; the keys are a contract (see ``public_json``)."""
    try:
        canonical = canonical_code(code)
    except InvalidCode as invalid:
        return _json_not_found(invalid.reason)
    if canonical != code:
        return redirect(url_for("public.track_json", code=canonical), 301)
    item = public_view(canonical, now=datetime.now(UTC))
    if item is None:
        return _json_not_found(None)
    if isinstance(item, RestrictedItem):
        return jsonify(restricted_json(item))
    return jsonify(public_json(item))


def track_private(code: str, token: str) -> ResponseReturnValue:
    """The resident's page: the public facts, their own details, the unit's answer, refusal or
    questions, and what happened. POST: the reply to the open question (then back here with a
    message). Wrong token: 404."""
    try:
        canonical = canonical_code(code)
    except InvalidCode as invalid:
        return _not_found(code, invalid.reason)
    if canonical != code:
        if request.method == "POST":
            abort(404)  # a form posts to the canonical address it was rendered with
        return redirect(url_for("public.track_private", code=canonical, token=token), 301)
    now = datetime.now(UTC)
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _reply(form, canonical, token, now):
            return redirect(url_for("public.track_private", code=canonical, token=token) + "#bo-sung", 303)
        status = 400
    item = private_view(canonical, token, now=now)
    if item is None:
        return _not_found(code, None, secret=True)
    page = render_template("public/track_private.html", item=item, token=token, form=form, reply_limit=ANSWER_MAX_CHARS)
    return page, status, private_headers()


def _reply(form: ReplyForm, code: str, token: str, now: datetime) -> bool:
    """Hand the reply and its files to ``handling.provide_information``; True when the page is to
    be shown again by a redirect (the reply taken, or nothing waiting any more: a double click),
    with a message. A refusal of the text or a file is put on the form's fields (False); a wrong
    token is a 404."""
    try:
        files = _checked_files()
    except UploadRejected as rejected:
        form.attachments.errors = [rejected.message]
        return False
    try:
        handling.provide_information(code, token, form.reply.data or "", now=now, files=files)
    except handling.ItemNotFound:
        abort(404)
    except handling.WrongStatus as closed:
        # Nothing is waiting any more (a second click, or the unit moved on): say so on the page.
        flash(closed.message, "info")
        return True
    except handling.HandlingError as refused:
        form.reply.errors = [refused.message]
        return False
    flash(_("Đã gửi thông tin bổ sung. Thời hạn giải quyết được tính tiếp từ hôm nay."), "info")
    return True


def _checked_files() -> list[CheckedFile]:
    """The chosen files, each checked as at intake (type by content, size, number)."""
    config = current_app.config
    limit = int(config["MAX_ATTACHMENT_BYTES"])
    chosen = [s for s in request.files.getlist("attachments") if s is not None and s.filename]
    if len(chosen) > int(config["MAX_ATTACHMENTS"]):
        raise UploadRejected(_("Chỉ được gửi tối đa %(limit)d tệp; bạn đã chọn %(count)d tệp.",
                                 limit=int(config["MAX_ATTACHMENTS"]), count=len(chosen)))
    return [check_upload(s.filename or "", s.stream.read(limit + 1), max_bytes=limit) for s in chosen]


def track_file(code: str, token: str, attachment_id: int) -> ResponseReturnValue:
    """A file of the item through the secret link: images inline (thumbnails), the rest as
    downloads (``feedback.web.files``). A wrong token or another item's file: 404."""
    try:
        canonical = canonical_code(code)
    except InvalidCode:
        abort(404)
    found = resident_file(canonical, token, path_id(attachment_id))
    if found is None:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type)


def public_json(item: PublicItem) -> dict[str, object]:
    """``code, kind, status, topic, locality, unit, routing, deadlines, events, restricted``.

    Times in +07:00; ``routing`` is the plain sentence of the page, in the page language;
    ``topic.name_en`` is null when the topic has no English name.
    """
    zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return {
        "code": item.code,
        "kind": item.kind.value,
        "status": item.status.value,
        "topic": {"code": item.topic.code, "name": item.topic.name, "name_en": item.topic.name_en},
        "locality": {
            "code": item.locality.code,
            "name": item.locality.name,
            "commune": {"code": item.commune.code, "name": item.commune.name},
        },
        "unit": {"code": item.unit.code, "name": item.unit.name} if item.unit else None,
        "routing": routing_sentence(item.routing) if item.routing else None,
        "deadlines": [
            {"name": d.clock, "due_at": d.due_at.astimezone(zone).isoformat(timespec="seconds"),
             "legal_basis": d.legal_basis}
            for d in item.deadlines
        ],
        "events": [{"action": e.action, "at": e.at.astimezone(zone).isoformat(timespec="seconds")}
                   for e in item.events],
        "answer": item.answer,
        "answered_at": item.answered_at.astimezone(zone).isoformat(timespec="seconds") if item.answered_at else None,
        "answered_by_unit": ({"code": item.answered_by_unit.code, "name": item.answered_by_unit.name}
                             if item.answered_by_unit else None),
        "restricted": False,
    }


def restricted_json(item: RestrictedItem) -> dict[str, object]:
    """The same keys as ``public_json``; only ``code``, ``status`` and ``unit`` are filled."""
    return {
        "code": item.code,
        "kind": None,
        "status": item.status.value,
        "topic": None,
        "locality": None,
        "unit": {"code": item.unit.code, "name": item.unit.name} if item.unit else None,
        "routing": None,
        "deadlines": [],
        "events": [],
        "answer": None,  # read only through the secret link
        "answered_at": None,
        "answered_by_unit": None,
        "restricted": True,
    }


def _not_found(typed: str, reason: InvalidCodeReason | None, *, secret: bool = False) -> ResponseReturnValue:
    body = render_template("public/track_not_found.html", typed=typed, reason=reason, secret=secret,
                           example_code=example_code())
    return body, 404


def _json_not_found(reason: InvalidCodeReason | None) -> ResponseReturnValue:
    if reason == InvalidCodeReason.BAD_CHECK:
        message = _("Ký tự kiểm tra (ký tự cuối) không khớp: hãy xem lại mã tra cứu.")
    elif reason == InvalidCodeReason.MALFORMED:
        message = _("Mã tra cứu không đúng dạng.")
    else:
        message = _("Không tìm thấy ý kiến có mã tra cứu này.")
    return jsonify(error={"code": 404, "reason": reason.value if reason else "unknown", "message": message}), 404
