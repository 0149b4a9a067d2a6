"""The Open311 GeoReport v2 endpoints under ``/open311/v2/`` (wiki.open311.org/GeoReport_v2).

Every endpoint answers in ``.json`` and ``.xml`` (the format is the path's extension), UTF-8,
with the specification's root elements. Errors are the specification's list of ``code`` and
``description``: 400 for a request that cannot be fulfilled, 403 for a missing, unknown or revoked
``api_key``, 404 for what does not exist (also for any path under ``/open311/`` that is no
endpoint), 429 past a rate limit.

Rate limits (``config.py``; counters in Redis whenever it is configured): POST requests per key
(``OPEN311_KEY_RATE_LIMIT``, or the key's own limit), GET requests/<id> and tokens/<token> in the
one tracking budget of ``/t/<code>`` per client address (``TRACK_RATE_LIMIT``: codes are
sequential), the other GETs per client address (``OPEN311_RATE_LIMIT``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from feedback.domain.open311 import SPECIFICATION, WindowTooLong, comma_list, parse_datetime, request_window
from feedback.extensions import csrf, limiter
from feedback.open311 import openapi, records, xml
from feedback.services.open311 import (
    ApiError, KeyHolder, RequestRefused, Search, begin_request, code_for_token, find_key, find_request, search,
    service_definition, services, submit_request,
)
from feedback.web.errors import describe

PREFIX = "/open311/v2"
bp = Blueprint("open311", __name__, url_prefix=PREFIX)
FORMAT = "<any(json, xml):format>"
# When this document or the services' shape last changed (discovery's ``changeset``).
CHANGESET = "2026-11-30T00:00:00+07:00"

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


def _open311_limit() -> str:
    return str(current_app.config["OPEN311_RATE_LIMIT"])


def _track_limit() -> str:
    return str(current_app.config["TRACK_RATE_LIMIT"])


def _holder() -> KeyHolder | None:
    """The client whose valid key came with the request (form or query ``api_key``), read once."""
    if "open311_holder" not in g:
        g.open311_holder = find_key(request.form.get("api_key") or request.args.get("api_key"))
    holder: KeyHolder | None = g.open311_holder
    return holder


def _key_limit() -> str:
    holder = _holder()
    if holder is not None and holder.rate_limit:
        return holder.rate_limit
    return str(current_app.config["OPEN311_KEY_RATE_LIMIT"])


def _key_bucket() -> str:
    """Each key counts alone; requests without a valid key count per client address."""
    holder = _holder()
    return f"api-key:{holder.id}" if holder is not None else f"no-key:{get_remote_address()}"


_listing = limiter.shared_limit(_open311_limit, scope="open311")
# The same scope as the tracking pages (feedback.public.tracking_views): one budget per address.
_tracking = limiter.shared_limit(_track_limit, scope="tracking")
_per_key = limiter.limit(_key_limit, key_func=_key_bucket)


def respond(root: str, payload: dict[str, Any] | list[Any], format: str, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """``payload`` as the document ``root`` in ``format`` (``json`` or ``xml``)."""
    if format == "xml":
        response = Response(xml.document(root, payload), status=status, content_type=XML_TYPE)
    else:
        response = Response(json.dumps(payload, ensure_ascii=False), status=status, content_type=JSON_TYPE)
    response.headers.update(headers or {})
    return response


def error_response(status: int, errors: list[ApiError], headers: dict[str, str] | None = None) -> Response:
    """The specification's error list, in the format of the path (JSON unless it ends in .xml)."""
    format = "xml" if request.path.endswith(".xml") else "json"
    return respond("errors", records.error_records(errors), format, status, headers)


def http_error(error: HTTPException) -> Response:
    """Any HTTP error under /open311/ (a wrong path, a method not allowed, a rate limit, a body
    too large, a server error): the error list with the same status, in the visitor's language."""
    status, title, message = describe(error)
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
    return error_response(status, [ApiError(status, f"{title}. {message}")], headers)


@bp.before_request
def check_jurisdiction() -> ResponseReturnValue | None:
    """One jurisdiction is served: another ``jurisdiction_id`` is not found (when one is configured)."""
    ours = str(current_app.config.get("OPEN311_JURISDICTION_ID") or "")
    given = (request.values.get("jurisdiction_id") or "").strip()
    if ours and given and given != ours:
        return error_response(404, [ApiError(404, _("jurisdiction_id: không phục vụ địa bàn %(given)s; "
                                                   "địa bàn của hệ thống này là %(ours)s.", given=given, ours=ours))])
    return None


@bp.before_request
def begin_post() -> None:
    """A POST of a request is reads and one INSERT: no BEGIN and COMMIT (``begin_request``).
    Before the rate limit, whose key function reads the API key."""
    if request.endpoint == "open311.request_create":
        begin_request()


@bp.get(f"/discovery.{FORMAT}")
@_listing
def discovery(format: str) -> Response:
    base = url_for("open311.discovery", format="json", _external=True).rsplit("/", 1)[0]
    contact = str(current_app.config.get("OPEN311_CONTACT") or "") or _(
        "Liên hệ quản trị hệ thống tiếp nhận ý kiến tại %(site)s.", site=url_for("public.home", _external=True))
    return respond("discovery", {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _("Khóa API (api_key) để gửi ý kiến do quản trị viên hệ thống cấp; hãy liên hệ quản trị viên."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }, format)


@bp.get(f"/services.{FORMAT}")
@_listing
def service_list(format: str) -> Response:
    return respond("services", [records.service_record(s) for s in services()], format)


@bp.get(f"/services/<service_code>.{FORMAT}")
@_listing
def service_detail(service_code: str, format: str) -> Response:
    definition = service_definition(service_code)
    if definition is None:
        return error_response(404, [ApiError(404, _("service_code: không có lĩnh vực (dịch vụ) mã %(code)s.",
                                                     code=service_code))])
    return respond("service_definition", records.definition_record(definition), format)


@bp.get(f"/requests.{FORMAT}")
@_listing
def request_list(format: str) -> Response:
    now = datetime.now(UTC)
    zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    errors: list[ApiError] = []
    dates: dict[str, datetime | None] = {}
    for name in ("start_date", "end_date"):
        text = (request.args.get(name) or "").strip()
        try:
            dates[name] = parse_datetime(text, zone) if text else None
        except ValueError:
            dates[name] = None
            errors.append(ApiError(400, _("%(name)s: ngày giờ phải theo ISO 8601, ví dụ 2026-03-01T00:00:00+07:00.",
                                          name=name)))
    statuses = comma_list(request.args.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        errors.append(ApiError(400, _("status: chỉ nhận open, closed hoặc cả hai (cách nhau bằng dấu phẩy).")))
    window = None
    if not errors:
        try:
            window = request_window(dates["start_date"], dates["end_date"], now=now)
        except WindowTooLong:
            errors.append(ApiError(400, _("start_date, end_date: khoảng thời gian phải từ start_date đến end_date "
                                          "và không quá 90 ngày.")))
    if errors:
        return error_response(400, errors)
    query = Search(codes=comma_list(request.args.get("service_request_id")),
                   service_codes=comma_list(request.args.get("service_code")), statuses=statuses, window=window)
    return respond("service_requests", [records.request_record(view) for view in search(query, now=now)], format)


@bp.post(f"/requests.{FORMAT}")
@_per_key
def request_create(format: str) -> Response:
    holder = _holder()
    if holder is None:
        return error_response(403, [ApiError(403, _("api_key: thiếu khóa API, khóa không đúng hoặc đã bị thu hồi; "
                                                    "không gửi được ý kiến."))])
    fields = {key: request.form.get(key, "") for key in request.form}
    locale = get_locale()
    try:
        receipt = submit_request(fields, holder=holder, language=locale.language if locale else None,
                                 now=datetime.now(UTC))
    except RequestRefused as refused:
        return error_response(refused.status, refused.errors)
    link = url_for("public.track_private", code=receipt.code, token=receipt.token or "", _external=True)
    notice = _("Đã tiếp nhận ý kiến, mã tra cứu %(code)s. Người gửi theo dõi, bổ sung thông tin và đánh giá câu "
               "trả lời tại đường dẫn riêng, không chia sẻ cho người khác: %(link)s", code=receipt.code, link=link)
    return respond("service_requests", [records.receipt_record(receipt.code, notice)], format,
                   headers={"Cache-Control": "no-store"})


@bp.get(f"/requests/<service_request_id>.{FORMAT}")
@_tracking
def request_detail(service_request_id: str, format: str) -> Response:
    view = find_request(service_request_id, now=datetime.now(UTC))
    if view is None:
        return error_response(404, [ApiError(404, _("service_request_id: không tìm thấy ý kiến có mã %(code)s.",
                                                     code=service_request_id))])
    return respond("service_requests", [records.request_record(view)], format)


@bp.get(f"/tokens/<token>.{FORMAT}")
@_tracking
def token_detail(token: str, format: str) -> Response:
    code = code_for_token(token)
    if code is None:
        return error_response(404, [ApiError(404, _("token: không tìm thấy ý kiến ứng với token này."))])
    return respond("service_requests", [records.token_record(code, token)], format,
                   headers={"Cache-Control": "no-store"})


@bp.get("/openapi.json")
@_listing
def openapi_document() -> Response:
    return respond("openapi", openapi.document(), "json")


def register_open311(app: Flask) -> None:
    """The blueprint, without CSRF (clients are programs; the POST needs its key), with its errors."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.extensions.setdefault("error_renderers", {})["/open311/"] = http_error
