"""Item pages for administrators: the list with filters, one item in full, and "route it again".

Showing an item shows the resident's personal data, so every display is logged first
(``record_personal_data_view``, DESIGN.md §1) and the page is never cached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from feedback.admin.args import page_number, past_the_end
from feedback.admin.forms import ConfirmForm, HandoverForm
from feedback.admin.views import bp
from feedback.auth.permissions import current_actor, role_required
from feedback.domain.status import Status
from feedback.domain.tracking import InvalidCode, normalise_code
from feedback.models import Role
from feedback.services.access import viewer_for
from feedback.services import items as service

PER_PAGE = 25

CHANNEL_LABELS = {
    "web": _l("Trang web"),
    "api": _l("Giao diện lập trình (API)"),
    "staff": _l("Cán bộ nhập thay người dân"),
}


# The longest typed value quoted back in a filter's error message.
QUOTED = 60


def _filter_errors(status_text: str, overdue_text: str, unit_text: str, unit_found: bool) -> dict[str, str]:
    """Field → message for each filter value that names nothing (a status that does not exist, an
    overdue flag other than "1", a unit no code or name matches). Such a list answers 400 with
    the form and the messages, never a silent "all": the same request to the unit inbox is
    refused too, and a list of everything under a filter reads as the filter's result."""
    errors: dict[str, str] = {}
    if status_text and status_text not in {s.value for s in Status}:
        errors["status"] = _("Không có trạng thái “%(text)s”. Hãy chọn một trạng thái trong danh sách.",
                             text=status_text[:QUOTED])
    if overdue_text not in ("", "1"):
        errors["overdue"] = _("Giá trị “%(text)s” của ô “Chỉ ý kiến đang quá hạn” không hợp lệ. Hãy chọn hoặc bỏ "
                              "chọn ô này rồi lọc lại.", text=overdue_text[:QUOTED])
    if unit_text and not unit_found:
        errors["unit"] = _("Không có đơn vị nào có mã hoặc tên “%(text)s”.", text=unit_text[:QUOTED])
    return errors


def _as_pairs(value: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An event's before/after as (key, readable value) pairs, keys sorted: Vietnamese kept as
    letters, times written in Vietnam's time (the log stores UTC ISO strings), lists joined."""
    if not value:
        return []
    return [(str(key), _readable(value[key])) for key in sorted(value)]


def _readable(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, str):
        moment = _as_moment(value)
        # The deployment's zone (Asia/Ho_Chi_Minh), as the ``local_datetime`` filter shows times.
        zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
        return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S") if moment is not None else value
    if isinstance(value, list | tuple):
        return ", ".join(_readable(part) for part in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_readable(part)}" for key, part in sorted(value.items()))
    return str(value)


def _as_moment(text: str) -> datetime | None:
    """An aware ISO-8601 time ("2026-03-03T02:00:00+00:00"), else None (plain text stays text)."""
    if len(text) < 19 or not text[:4].isdigit() or text[10:11] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _canonical_code(code: str) -> str:
    """The code as stored: ``qn-26-000123-k`` → ``QN-26-000123-K``, read as the public tracking
    reads it (``normalise_code``). A text that does not parse (a code with a wrong check
    character, as older imports may hold) is only upper-cased; the lookup then finds it or 404s."""
    try:
        return normalise_code(code)
    except InvalidCode:
        return code.strip().upper()


@bp.get("/items")
@role_required(Role.ADMIN)
def items_index() -> ResponseReturnValue:
    status_text = (request.args.get("status") or "").strip()[:200]
    overdue_text = (request.args.get("overdue") or "").strip()[:200]
    unit_text = (request.args.get("unit") or "").strip()[:200]
    search = (request.args.get("q") or "").strip()[:200]
    overdue_only = overdue_text == "1"
    page_asked = page_number()
    unit = service.find_unit(unit_text) if unit_text else None
    errors = _filter_errors(status_text, overdue_text, unit_text, unit is not None)
    status = Status(status_text) if status_text and "status" not in errors else None
    args = {key: value for key, value in request.args.items() if key not in ("page", "lang") and value}
    context = {"args": args, "statuses": list(Status), "units": service.units_for_filter(), "status": status,
               "unit": unit, "unit_text": unit_text, "search": search, "overdue_only": overdue_only,
               "errors": errors, "short_search": service.SHORT_SEARCH}
    if errors:
        empty = service.ItemPage(items=[], page=1, pages=0, total=0)
        return render_template("admin/items/index.html", page=empty, **context), 400
    if search and page_asked == 1:
        # A whole code typed in the search box opens that item directly.
        try:
            exact = normalise_code(search)
        except InvalidCode:
            pass
        else:
            if service.item_exists(exact):
                return redirect(url_for("admin.item_detail", code=exact))
    page = service.list_items(viewer=viewer_for(current_user), status=status,
                              unit_id=unit.id if unit else None, overdue_only=overdue_only,
                              page=page_asked, now=datetime.now(UTC), per_page=PER_PAGE, search=search)
    if (last := past_the_end(page_asked, page.pages)) is not None:
        return last
    return render_template("admin/items/index.html", page=page, **context)


@bp.get("/items/<code>")
@role_required(Role.ADMIN)
def item_detail(code: str) -> ResponseReturnValue:
    canonical = _canonical_code(code)
    if canonical != code:
        return redirect(url_for("admin.item_detail", code=canonical), 301)
    now = datetime.now(UTC)
    try:
        detail = service.item_detail(code, viewer=viewer_for(current_user), now=now)
    except service.ItemNotFound:
        abort(404)
    return _detail_page(detail, now, _handover_form())


def _handover_form() -> HandoverForm:
    form = HandoverForm()
    form.unit.choices = [SelectChoice("", _("— Chọn đơn vị —"))] + [
        SelectChoice(str(unit.id), f"{unit.name} ({unit.code})") for unit in service.units_for_handover()]
    return form


def _detail_page(detail: service.ItemDetail, now: datetime, handover_form: HandoverForm,
                 status: int = 200) -> ResponseReturnValue:
    # Logged (and committed) before the page exists: if the log cannot be written, nothing is shown.
    service.record_personal_data_view(detail, current_user, now)
    response = make_response(render_template(
        "admin/items/detail.html", item=detail, route_form=ConfirmForm(), handover_form=handover_form,
        may_hand_over=service.may_hand_over(detail.status), as_pairs=_as_pairs,
        channel_labels=CHANNEL_LABELS, received=Status.RECEIVED), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/items/<code>/handover")
@role_required(Role.ADMIN)
def item_handover(code: str) -> ResponseReturnValue:
    """"Chuyển cho đơn vị": hand the item to the chosen unit with a reason (any status before the answer)."""
    code = _canonical_code(code)
    form = _handover_form()
    now = datetime.now(UTC)
    if form.validate_on_submit():
        try:
            unit = service.hand_over(code, unit_id=int(form.unit.data), reason=form.reason.data or "",
                                     actor=current_actor(), now=now)
        except service.ItemNotFound:
            abort(404)
        except service.HandoverRefused as refused:
            form.unit.errors = [*form.unit.errors, str(refused)]
        else:
            flash(_("Đã chuyển ý kiến %(code)s cho %(unit)s.", code=code, unit=unit.name), "success")
            return redirect(url_for("admin.item_detail", code=code))
    try:
        detail = service.item_detail(code, viewer=viewer_for(current_user), now=now)
    except service.ItemNotFound:
        abort(404)
    return _detail_page(detail, now, form, 422)


@bp.post("/items/<code>/route")
@role_required(Role.ADMIN)
def item_route(code: str) -> ResponseReturnValue:
    code = _canonical_code(code)
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
