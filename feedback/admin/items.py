"""Item pages for administrators: the list with filters, one item in full, and "route it again".

Showing an item shows the resident's personal data, so every display is logged first
(``record_personal_data_view``, DESIGN.md §1) and the page is never cached.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from feedback.admin.forms import ConfirmForm
from feedback.admin.views import bp
from feedback.auth.permissions import current_actor, role_required
from feedback.domain.status import Status
from feedback.models import Role
from feedback.services.items import admin_view as service

PER_PAGE = 25

CHANNEL_LABELS = {
    "web": _l("Trang web"),
    "api": _l("Giao diện lập trình (API)"),
    "staff": _l("Cán bộ nhập thay người dân"),
}


def _as_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _as_status(value: str | None) -> Status | None:
    try:
        return Status(value) if value else None
    except ValueError:
        return None


def _as_json(value: dict[str, Any] | None) -> str:
    """An event's before/after as readable JSON (Vietnamese kept as letters, not \\u escapes)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""


@bp.get("/items")
@role_required(Role.ADMIN)
def items_index() -> ResponseReturnValue:
    status = _as_status(request.args.get("status"))
    unit_id = _as_id(request.args.get("unit"))
    overdue_only = request.args.get("overdue") == "1"
    page = service.list_items(status=status, unit_id=unit_id, overdue_only=overdue_only,
                              page=request.args.get("page", 1, type=int) or 1, now=datetime.now(UTC),
                              per_page=PER_PAGE)
    args = {key: value for key, value in request.args.items() if key not in ("page", "lang") and value}
    return render_template("admin/items/index.html", page=page, args=args, statuses=list(Status),
                           units=service.units_for_filter(), status=status, unit_id=unit_id,
                           overdue_only=overdue_only)


@bp.get("/items/<code>")
@role_required(Role.ADMIN)
def item_detail(code: str) -> ResponseReturnValue:
    now = datetime.now(UTC)
    try:
        detail = service.item_detail(code, viewer=current_user, now=now)
    except service.ItemNotFound:
        abort(404)
    # Logged (and committed) before the page exists: if the log cannot be written, nothing is shown.
    service.record_personal_data_view(detail, current_user, now)
    response = make_response(render_template(
        "admin/items/detail.html", item=detail, route_form=ConfirmForm(), as_json=_as_json,
        channel_labels=CHANNEL_LABELS, received=Status.RECEIVED))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/items/<code>/route")
@role_required(Role.ADMIN)
def item_route(code: str) -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sent = service.resend_for_routing(code, actor=current_actor(), now=datetime.now(UTC))
    except service.ItemNotFound:
        abort(404)
    except service.RoutingRequestRefused as refused:
        flash(str(refused), "error")
    else:
        if sent:
            flash(_("Đã gửi ý kiến %(code)s đi phân công lại.", code=code), "success")
        else:
            flash(_("Đã ghi yêu cầu phân công ý kiến %(code)s nhưng hàng đợi chưa nhận; hệ thống sẽ tự gửi "
                    "lại trong vài phút.", code=code), "error")
    return redirect(url_for("admin.item_detail", code=code))
