"""Calendar pages: the public holidays of a year and the administrator's overrides (an extra day
off, a worked swap day). Adding or removing an override recomputes the open deadlines it moves;
the page says how many (breached and closed deadlines are never rewritten)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from feedback.admin.forms import CalendarOverrideForm, ConfirmForm
from feedback.admin.views import bp
from feedback.auth.permissions import current_actor, role_required
from feedback.domain.calendar import local_date
from feedback.models import Role
from feedback.services.deadlines import FIRST_YEAR, LAST_YEAR, add_override, remove_override, year_overview


def _known(year: int | None) -> bool:
    return year is not None and FIRST_YEAR <= year <= LAST_YEAR


@bp.get("/calendar")
@role_required(Role.ADMIN)
def calendar_index() -> ResponseReturnValue:
    year = request.args.get("year", type=int) or local_date(datetime.now(UTC)).year
    if not _known(year):
        abort(404)
    return _page(year, CalendarOverrideForm())


@bp.post("/calendar")
@role_required(Role.ADMIN)
def calendar_add() -> ResponseReturnValue:
    form = CalendarOverrideForm()
    valid = form.validate_on_submit()
    day: date | None = form.day.data
    if valid and day is not None and not _known(day.year):
        form.day.errors.append(
            _("Năm phải trong khoảng %(first)d–%(last)d.", first=FIRST_YEAR, last=LAST_YEAR))
        valid = False
    if not valid or day is None:
        year = day.year if day is not None and _known(day.year) else local_date(datetime.now(UTC)).year
        return _page(year, form), 400
    day_off = form.day_type.data == "off"
    moved = add_override(day, day_off, (form.note.data or "").strip(), now=datetime.now(UTC),
                         actor=current_actor())
    shown = format_date(day, "full")
    if day_off:
        flash(_("Đã đặt ngày %(day)s là ngày nghỉ; đã tính lại %(count)d thời hạn đang mở.",
                day=shown, count=moved), "success")
    else:
        flash(_("Đã đặt ngày %(day)s là ngày làm việc; đã tính lại %(count)d thời hạn đang mở.",
                day=shown, count=moved), "success")
    return redirect(url_for("admin.calendar_index", year=day.year))


@bp.post("/calendar/<day>/remove")
@role_required(Role.ADMIN)
def calendar_remove(day: str) -> ResponseReturnValue:
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moved = remove_override(chosen, now=datetime.now(UTC), actor=current_actor())
    flash(_("Đã bỏ thay đổi của ngày %(day)s; đã tính lại %(count)d thời hạn đang mở.",
            day=format_date(chosen, "full"), count=moved), "success")
    return redirect(url_for("admin.calendar_index", year=chosen.year))


def _page(year: int, form: CalendarOverrideForm) -> str:
    overview = year_overview(year, str(get_locale() or "vi"))
    return render_template("admin/calendar.html", overview=overview, form=form, remove_form=ConfirmForm(),
                           first_year=FIRST_YEAR, last_year=LAST_YEAR)
