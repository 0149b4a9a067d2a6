"""Routing-rule pages: list with filters, create, edit, delete or end, import from CSV."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from wtforms import SelectChoice

from feedback.admin.args import id_or_none, page_number, past_the_end, path_id
from feedback.admin.forms import ConfirmForm, RuleFilterForm, RuleForm, RuleImportForm
from feedback.admin.views import bp
from feedback.auth.permissions import current_actor, role_required
from feedback.domain.calendar import local_date
from feedback.domain.status import Kind
from feedback.models import ImportStatus, Role, RoutingRule
from feedback.services import routing as service

PER_PAGE = 25


def _locality_choices(any_label: str) -> list[SelectChoice]:
    return [SelectChoice("", any_label)] + [SelectChoice(str(loc.id), f"{loc.name} ({loc.code})")
                                            for loc in service.upper_localities()]


def _topic_choices(any_label: str) -> list[SelectChoice]:
    return [SelectChoice("", any_label)] + [SelectChoice(str(t.id), "— " * (t.depth - 1) + f"{t.name} ({t.code})")
                                            for t in service.all_topics()]


def _unit_choices(include_id: int | None = None) -> list[SelectChoice]:
    return [SelectChoice(str(unit.id), f"{unit.name} ({unit.code})") for unit in service.units_for_rules(include_id)]


def _fill_choices(form: RuleForm, rule: RoutingRule | None) -> None:
    form.locality.choices = _locality_choices(_("Mọi địa bàn"))
    form.topic.choices = _topic_choices(_("Mọi lĩnh vực"))
    form.kind.choices = [SelectChoice("", _("Mọi loại"))] + [SelectChoice(str(kind), str(label))
                                                            for kind, label in service.KIND_LABELS.items()]
    form.unit.choices = [SelectChoice("", _("— Chọn đơn vị —"))] + _unit_choices(rule.unit_id if rule else None)


def _fill_from_rule(form: RuleForm, rule: RoutingRule) -> None:
    """Show a stored rule in the form; a village (not in the select) goes in the code field."""
    offered = {choice.value for choice in form.locality.choices}
    if rule.locality is not None and str(rule.locality_id) not in offered:
        form.locality.data, form.locality_code.data = "", rule.locality.code
    else:
        form.locality.data = str(rule.locality_id or "")
    form.topic.data = str(rule.topic_id or "")
    form.kind.data = rule.kind.value if rule.kind else ""
    form.unit.data = str(rule.unit_id)
    form.valid_from.data, form.valid_to.data, form.note.data = rule.valid_from, rule.valid_to, rule.note or ""


def _data_from_form(form: RuleForm) -> service.RuleData | None:
    """The rule entered, or None after putting an error on ``locality_code``."""
    locality_id = id_or_none(form.locality.data)
    if form.locality_code.data and locality_id is not None:
        # Two answers to one question: keeping either silently would store what was not meant.
        form.locality_code.errors.append(
            _("Chọn địa bàn trong danh sách hoặc nhập mã địa bàn, không nhập cả hai."))
        return None
    if form.locality_code.data:
        locality = service.locality_by_code(form.locality_code.data)
        if locality is None:
            form.locality_code.errors.append(
                _("Không có địa bàn mã \"%(code)s\".", code=form.locality_code.data.strip()))
            return None
        locality_id = locality.id
    return service.RuleData(
        locality_id=locality_id,
        topic_id=id_or_none(form.topic.data),
        kind=Kind(form.kind.data) if form.kind.data else None,
        unit_id=int(form.unit.data),
        valid_from=form.valid_from.data,
        valid_to=form.valid_to.data,
        note=form.note.data or "",
    )


def _show_problems(form: RuleForm, refused: service.RuleRefused) -> list[str]:
    """Put field problems on their fields; return the others (conflicts) for the top of the page."""
    general = []
    for problem in refused.problems:
        field = form._fields.get(problem.field or "")
        if field is not None:
            field.errors.append(problem.message)
        else:
            general.append(problem.message)
    return general


@bp.get("/rules")
@role_required(Role.ADMIN)
def rules_index() -> ResponseReturnValue:
    filters = RuleFilterForm(request.args)
    filters.locality.choices = _locality_choices(_("Tất cả"))
    filters.topic.choices = _topic_choices(_("Tất cả"))
    filters.unit.choices = [SelectChoice("", _("Tất cả"))] + _unit_choices()
    page_asked = page_number()
    page = service.list_rules(
        locality_id=id_or_none(filters.locality.data),
        topic_id=id_or_none(filters.topic.data),
        unit_id=id_or_none(filters.unit.data),
        page=page_asked,
        per_page=PER_PAGE,
    )
    if (last := past_the_end(page_asked, page.pages)) is not None:
        return last
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("admin/rules/index.html", filters=filters, page=page, args=args,
                           describe=service.describe_rule, kind_label=service.kind_label,
                           ended=_ended_today())


@bp.route("/rules/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rule_new() -> ResponseReturnValue:
    form = RuleForm()
    _fill_choices(form, None)
    general: list[str] = []
    if form.validate_on_submit() and (data := _data_from_form(form)) is not None:
        try:
            rule = service.create_rule(data, actor=current_actor(), now=datetime.now(UTC))
        except service.RuleRefused as refused:
            general = _show_problems(form, refused)
        else:
            flash(_("Đã tạo quy tắc #%(id)d.", id=rule.id), "success")
            return redirect(url_for("admin.rules_index"))
    return render_template("admin/rules/form.html", form=form, rule=None, used=0, general=general)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rule_edit(rule_id: int) -> ResponseReturnValue:
    rule = _rule_or_404(rule_id)
    used = service.usage_counts([rule.id]).get(rule.id, 0)
    form = RuleForm()
    _fill_choices(form, rule)
    if request.method == "GET":
        _fill_from_rule(form, rule)
    elif used:
        # A rule that routed items keeps its condition and unit: only the end date and note come
        # from the form (the page shows the rest as text).
        kept = RuleForm(formdata=None)
        _fill_choices(kept, rule)
        _fill_from_rule(kept, rule)
        for name in ("locality", "locality_code", "topic", "kind", "unit", "valid_from"):
            form[name].data = kept[name].data
            form[name].raw_data = None
    general: list[str] = []
    if request.method == "POST" and form.validate() and (data := _data_from_form(form)) is not None:
        try:
            service.update_rule(rule.id, data, actor=current_actor(), now=datetime.now(UTC))
        except service.RuleRefused as refused:
            general = _show_problems(form, refused)
        else:
            flash(_("Đã lưu quy tắc #%(id)d.", id=rule.id), "success")
            return redirect(url_for("admin.rules_index"))
    return render_template("admin/rules/form.html", form=form, rule=rule, used=used, general=general,
                           describe=service.describe_rule)


@bp.route("/rules/<int:rule_id>/delete", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rule_delete(rule_id: int) -> ResponseReturnValue:
    rule = _rule_or_404(rule_id)
    used = service.usage_counts([rule.id]).get(rule.id, 0)
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = service.remove_rule(rule_id, actor=current_actor(), now=datetime.now(UTC))
        messages = {
            service.Removal.DELETED: _("Đã xóa quy tắc #%(id)d.", id=rule_id),
            service.Removal.ENDED: _("Quy tắc #%(id)d đã được dùng nên không xóa: hiệu lực chỉ còn đến hết ngày "
                                     "%(day)s.", id=rule_id, day=_format_day(rule.valid_to)),
            service.Removal.ALREADY_ENDED: _("Quy tắc #%(id)d đã hết hiệu lực từ trước; không có gì thay đổi.",
                                             id=rule_id),
        }
        flash(messages[outcome], "success")
        return redirect(url_for("admin.rules_index"))
    return render_template("admin/rules/delete.html", form=form, rule=rule, used=used,
                           describe=service.describe_rule, ended=_ended_today())


@bp.route("/rules/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rules_import() -> ResponseReturnValue:
    """Upload a CSV file: a small one is imported at once, a large one (more than SYNC_LIMIT
    rows) by the worker while the job's page shows its progress."""
    form = RuleImportForm()
    result = None
    if form.validate_on_submit():
        try:
            text = service.decode(form.file.data.read())
        except service.UndecodableFile:
            form.file.errors.append(_("Tệp không đọc được: hãy lưu lại dưới dạng “CSV UTF-8”."))
        else:
            now = datetime.now(UTC)
            if service.data_rows(text) > service.SYNC_LIMIT:
                job_id, sent = service.start_import(text, filename=form.file.data.filename or "", now=now,
                                                    actor=current_actor())
                if not sent:
                    flash(_("Đã lưu tệp nhưng hàng đợi chưa nhận việc nhập; hãy thử lại sau ít phút."), "error")
                return redirect(url_for("admin.rules_import_job", job_id=job_id))
            result = service.import_rules(io.StringIO(text, newline=""), now=now, actor=current_actor())
            if result.ok:
                flash(_("Đã nhập %(count)d quy tắc.", count=result.created), "success")
                return redirect(url_for("admin.rules_index"))
    return render_template("admin/rules/import.html", form=form, result=result, header=",".join(service.HEADER),
                           sync_limit=service.SYNC_LIMIT)


@bp.get("/rules/import/<int:job_id>")
@role_required(Role.ADMIN)
def rules_import_job(job_id: int) -> ResponseReturnValue:
    """A large import's progress; the page refreshes itself (no JavaScript) until it is over."""
    job = service.get_job(path_id(job_id))
    if job is None:
        abort(404)
    running = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    return render_template("admin/rules/import_job.html", job=job, statuses=ImportStatus, running=running)


def _rule_or_404(rule_id: int) -> RoutingRule:
    try:
        return service.get_rule(path_id(rule_id))
    except service.RuleNotFound:
        abort(404)


def _ended_today() -> Callable[[RoutingRule], bool]:
    """``is_ended`` for the local date of now, for the templates."""
    today = local_date(datetime.now(UTC))
    return lambda rule: service.is_ended(rule, today)


def _format_day(day: date | None) -> str:
    return format_date(day) if day is not None else ""
