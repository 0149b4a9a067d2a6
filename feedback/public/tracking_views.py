"""Tracking pages: ``/t/<code>`` (public, HTML and JSON), ``/t/<code>/<token>`` (the resident's), ``/t?code=``.

Codes are accepted as people type them (any case, with or without dashes, with a trailing
slash) and redirected to the canonical form. A mistyped code gets a 404 that says whether the
check character is what failed, with the look-up box still holding what was typed.

The pages that read an item are rate-limited per client address (``TRACK_RATE_LIMIT``, one
budget shared by the three): codes are sequential, and the public page of a complaint or a
denunciation must not be harvested. Those kinds show the public only their status and unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from feedback.domain.tracking import InvalidCode, InvalidCodeReason, make_code
from feedback.extensions import limiter
from feedback.public.errors import render_error
from feedback.web.labels import routing_sentence
from feedback.services.intake import PublicItem, RestrictedItem, canonical_code, private_view, public_view

# The endpoints that read an item, and share one rate-limit budget per client address.
RATE_LIMITED = frozenset({"public.track", "public.track_json", "public.track_private"})


def _track_rate_limit() -> str:
    return str(current_app.config["TRACK_RATE_LIMIT"])


_limited = limiter.shared_limit(_track_rate_limit, scope="tracking")


def add_tracking_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/t", "lookup", lookup, methods=["GET"])
    bp.add_url_rule("/t/<code>", "track", _limited(track), methods=["GET"])
    bp.add_url_rule("/t/<code>/", "track_slash", track_slash, methods=["GET"])
    bp.add_url_rule("/t/<code>.json", "track_json", _limited(track_json), methods=["GET"])
    bp.add_url_rule("/t/<code>/<token>", "track_private", _limited(track_private), methods=["GET"])
    bp.register_error_handler(429, too_many_lookups)


def too_many_lookups(error: HTTPException) -> ResponseReturnValue:
    """429 on a tracking page says what happened in the resident's words; elsewhere the usual page."""
    if request.endpoint not in RATE_LIMITED:
        return render_error(error)
    title = _("Tạm dừng tra cứu")
    message = _("Có quá nhiều lượt tra cứu từ địa chỉ mạng của bạn trong thời gian ngắn. Để bảo vệ người "
                "gửi ý kiến, việc tra cứu tạm dừng: vui lòng chờ một phút rồi thử lại.")
    headers = [(k, v) for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")]
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
    """The resident's page: the public facts and their own details. Wrong token: 404."""
    try:
        canonical = canonical_code(code)
    except InvalidCode as invalid:
        return _not_found(code, invalid.reason)
    if canonical != code:
        return redirect(url_for("public.track_private", code=canonical, token=token), 301)
    item = private_view(canonical, token, now=datetime.now(UTC))
    if item is None:
        return _not_found(code, None, secret=True)
    return render_template("public/track_private.html", item=item), 200, private_headers()


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
