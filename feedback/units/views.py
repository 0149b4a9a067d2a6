"""The unit workspace (/unit/) for officers and unit heads: the inbox and one item, read side.

Every page reads through ``feedback.services.workspace``, which reads through the one access rule
(``visible_items_filter`` and ``may_see_personal_data``). Another unit's item or file answers 404,
as an unknown code does, so that a URL never confirms that an item exists. The handling actions
(assign, accept, reject, ask for information, notes, answer drafts, publish, extensions) are POST
forms in the item page's "Thao tác" section, each shown only when ``handling.offered`` says the
service would run it; a refusal answers 403 (NotAllowed) or the page again with the message and
what was typed (409 for a draft conflict, 422 otherwise), never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask.typing import ResponseReturnValue
from flask_login import current_user

from feedback.auth.permissions import role_required
from feedback.domain.handling import DraftStatus, RejectReason
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import InvalidCode, normalise_code
from feedback.models import Role
from feedback.models import User
from feedback.services import directory, handling, workspace
from feedback.services.intake import CheckedFile, UploadRejected, check_upload
from feedback.services.access import viewer_for
from feedback.units.forms import AssignForm, ConfirmForm, DraftForm, ExtensionForm, RejectForm, TextForm
from feedback.web.args import BadFilter, id_or_none, page_number, past_the_end, path_id
from feedback.web.files import file_response
from feedback.web.labels import local_datetime

bp = Blueprint("units", __name__)

PER_PAGE = 25
# Officers and heads work here; an administrator has /admin/, the Front its own pages.
UNIT_ROLES = (Role.OFFICER, Role.UNIT_HEAD)
# The longest search text read from the URL (a title is at most 200 characters).
MAX_SEARCH = 200


def _enum[E: (Status, Kind)](kind: type[E], value: str | None) -> E | None:
    """A status or kind from the query string; 400 for a value that is not one (never "all")."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise BadFilter(value) from None


def _filters() -> workspace.InboxFilters:
    args = request.args
    return workspace.InboxFilters(
        unit_id=id_or_none(args.get("unit")),
        status=_enum(Status, args.get("status")),
        kind=_enum(Kind, args.get("kind")),
        topic_id=id_or_none(args.get("topic")),
        commune_id=id_or_none(args.get("commune")),
        village_id=id_or_none(args.get("village")),
        officer_id=current_user.id if args.get("mine") == "1" else id_or_none(args.get("officer")),
        overdue=args.get("overdue") == "1",
        recommendations=args.get("recommendations") == "1",
        due_soon=args.get("due_soon") == "1",
        search=(args.get("q") or "").strip()[:MAX_SEARCH],
    )


@bp.get("/")
@role_required(*UNIT_ROLES)
def inbox() -> ResponseReturnValue:
    """The inbox: the open items of the user's units, nearest deadline first, filtered and counted."""
    filters = _filters()
    page_asked = page_number()
    try:
        page = workspace.inbox(viewer_for(current_user), filters, page=page_asked, per_page=PER_PAGE,
                               now=datetime.now(UTC))
    except workspace.NotYourUnit:
        abort(404)
    if (last := past_the_end(page_asked, page.pages)) is not None:
        return last
    args = {key: value for key, value in request.args.items() if key not in ("page", "lang") and value}
    response = make_response(render_template("units/inbox.html", page=page, filters=filters, args=args,
                                             village_labels=_village_labels(page)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _village_labels(page: workspace.InboxPage) -> dict[str, str]:
    """The village filter's option value → "Khu phố 2, Phường Hà Tu" when its villages lie in more
    than one commune (names repeat from commune to commune: the inbox listed "Khu phố 2" twice);
    empty when they lie in one, whose name every option would only repeat."""
    options = page.counts.villages
    communes = directory.communes_of_villages([int(o.value) for o in options if o.value.isdigit()])
    if len({commune_id for commune_id, _name in communes.values()}) < 2:
        return {}
    return {o.value: _("%(village)s, %(commune)s", village=o.label, commune=communes[int(o.value)][1])
            for o in options if o.value.isdigit() and int(o.value) in communes}


def _canonical_code(code: str) -> str:
    """The code as stored (``qn-26-000123-k`` → ``QN-26-000123-K``), as the admin page reads it;
    a text that does not parse is only upper-cased (the lookup then finds it or 404s)."""
    try:
        return normalise_code(code)
    except InvalidCode:
        return code.strip().upper()


@bp.get("/items/<code>")
@role_required(*UNIT_ROLES)
def item(code: str) -> ResponseReturnValue:
    """One item: facts, clocks with time left or late, files, timeline; the resident only under the
    identity rule, and every such display logged (committed) before the page is rendered."""
    canonical = _canonical_code(code)
    if canonical != code:
        return redirect(url_for("units.item", code=canonical), 301)
    now = datetime.now(UTC)
    try:
        shown = workspace.unit_item(code, viewer=viewer_for(current_user), now=now)
    except workspace.ItemNotFound:
        abort(404)
    return _item_page(shown, now)


def _item_page(shown: workspace.UnitItem, now: datetime, *, forms: dict[str, TranslatedForms] | None = None,
               error: str | None = None, conflict: handling.DraftConflict | None = None,
               status: int = 200) -> ResponseReturnValue:
    """The item page with its action forms (``forms`` keeps what was typed in a refused one)."""
    # Logged (and committed) before the page exists: if the log cannot be written, nothing is shown.
    workspace.record_personal_data_view(shown, current_user, now)
    offered = handling.offered(current_user, shown.detail.code)
    built = {name: action.form() for name, action in ACTIONS.items()}
    built["save_draft"] = _draft_form(offered)
    built.update(forms or {})
    _fill_choices(built, offered)
    response = make_response(render_template("units/item.html", shown=shown, item=shown.detail, offered=offered,
                                             forms=built, error=error, conflict=conflict), status)
    response.headers["Cache-Control"] = "no-store"
    return response


type TranslatedForms = ConfirmForm | AssignForm | RejectForm | TextForm | ExtensionForm | DraftForm

REJECT_REASONS = {
    RejectReason.OUT_OF_REMIT: _l("Không thuộc thẩm quyền của đơn vị (trả lại để chuyển đơn vị khác)"),
    RejectReason.DUPLICATE: _l("Trùng với ý kiến khác"),
    RejectReason.INVALID_KIND: _l("Không đúng loại ý kiến (ví dụ tố cáo nặc danh)"),
    RejectReason.ABUSIVE: _l("Nội dung xúc phạm, quấy rối"),
}
COMPLEXITIES = {"": _l("Thông thường"), "complex": _l("Phức tạp"), "especially_complex": _l("Đặc biệt phức tạp")}


def _fill_choices(forms: dict[str, TranslatedForms], offered: handling.Offered) -> None:
    assign = forms["assign"]
    assert isinstance(assign, AssignForm)
    assign.officer.choices = [(o.id, o.name) for o in offered.officers]
    if assign.officer.data is None and offered.assigned_officer_id is not None:
        assign.officer.data = offered.assigned_officer_id
    reject = forms["reject"]
    assert isinstance(reject, RejectForm)
    reject.reason.choices = [(reason.value, str(label)) for reason, label in REJECT_REASONS.items()]
    extension = forms["request_extension"]
    assert isinstance(extension, ExtensionForm)
    extension.complexity.choices = [(value, str(label)) for value, label in COMPLEXITIES.items()]


def _draft_form(offered: handling.Offered) -> DraftForm:
    """The answer form holding the stored draft of the current cycle (empty for a new one)."""
    form = DraftForm(prefix="save_draft")
    answer = offered.answer
    if answer is not None and answer.status is not DraftStatus.PUBLISHED:
        form.text.data = answer.text
        form.version.data = str(answer.version)
    return form


def _text(form: TranslatedForms) -> str:
    field = getattr(form, "text", None)
    return str(field.data or "") if field is not None else ""


def _assign(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    assert isinstance(form, AssignForm)
    # What was chosen is checked by the service, after the user's right (403 before 422).
    officer = form.officer.data
    handling.assign_officer(user, feedback_id, officer if isinstance(officer, int) else None, now=now)
    return _("Đã giao ý kiến cho cán bộ.")


def _accept(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.accept(user, feedback_id, now=now)
    return _("Đã thụ lý ý kiến.")


def _acceptance_notice(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    if not handling.acceptance_notice_sent(user, feedback_id, now=now):  # a second click: already recorded
        return _("Việc gửi thông báo thụ lý đã được ghi nhận trước đó.")
    return _("Đã ghi nhận việc gửi thông báo thụ lý cho người tố cáo.")


def _decision_notice(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    if not handling.decision_notice_sent(user, feedback_id, now=now):  # a second click: already recorded
        return _("Việc gửi quyết định giải quyết khiếu nại đã được ghi nhận trước đó.")
    return _("Đã ghi nhận việc gửi quyết định giải quyết khiếu nại cho người khiếu nại.")


def _reject(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    assert isinstance(form, RejectForm)
    try:
        reason: RejectReason | None = RejectReason(form.reason.data or "")
    except ValueError:
        reason = None  # the service says so, after the user's right (403 before 422)
    handling.reject(user, feedback_id, reason, form.explanation.data or "", now=now,
                    duplicate_of_code=form.duplicate_of.data or None)
    if reason is RejectReason.OUT_OF_REMIT:
        return _("Đã trả lại ý kiến để chuyển đến đơn vị có thẩm quyền.")
    return _("Đã từ chối ý kiến; người gửi được thông báo lý do.")


def _keep(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.keep_as_report(user, feedback_id, _text(form), now=now)
    return _("Đã chuyển ý kiến thành phản ánh.")


def _ask(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.request_information(user, feedback_id, _text(form), now=now)
    return _("Đã đề nghị người gửi bổ sung thông tin; thời hạn tạm dừng.")


def _note(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.add_note(user, feedback_id, _text(form), now=now)
    return _("Đã thêm ghi chú nội bộ.")


def _save(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    assert isinstance(form, DraftForm)
    version = form.version.data
    # The files are read by the service after the user's right: another unit's officer posting a
    # bad file gets 403, not the file's message.
    handling.save_draft(user, feedback_id, _text(form), now=now, files=_uploads,
                        expected_version=int(version) if version and str(version).isdigit() else None)
    return _("Đã lưu dự thảo câu trả lời.")


def _uploads() -> list[CheckedFile]:
    """The chosen files, each checked as at intake (image or PDF, size); InvalidInput otherwise."""
    config = current_app.config
    limit = int(config["MAX_ATTACHMENT_BYTES"])
    chosen = [f for f in request.files.getlist("save_draft-attachments") if f is not None and f.filename]
    if len(chosen) > int(config["MAX_ATTACHMENTS"]):
        raise handling.InvalidInput(_("Chỉ được đính kèm tối đa %(num)s tệp.", num=config["MAX_ATTACHMENTS"]))
    try:
        return [check_upload(f.filename or "", f.stream.read(limit + 1), max_bytes=limit) for f in chosen]
    except UploadRejected as rejected:
        raise handling.InvalidInput(rejected.message) from rejected


def _submit(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.submit_answer(user, feedback_id, now=now)
    return _("Đã trình dự thảo cho lãnh đạo đơn vị.")


def _return(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.return_answer(user, feedback_id, _text(form), now=now)
    return _("Đã trả lại dự thảo cho cán bộ kèm ý kiến.")


def _publish(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    if handling.publish_answer(user, feedback_id, now=now).already:
        return _("Câu trả lời đã được công bố trước đó.")
    return _("Đã công bố câu trả lời; người gửi được thông báo.")


def _request_extension(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    assert isinstance(form, ExtensionForm)
    handling.request_extension(user, feedback_id, _text(form), now=now, complexity=form.complexity.data or None)
    return _("Đã gửi đề nghị gia hạn cho lãnh đạo đơn vị.")


def _grant(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    granted = handling.grant_extension(user, feedback_id, now=now)
    return _("Đã gia hạn đến %(date)s; người gửi được thông báo.", date=local_datetime(granted.due_at))


def _refuse(user: User, feedback_id: int, form: TranslatedForms, now: datetime) -> str:
    handling.refuse_extension(user, feedback_id, _text(form), now=now)
    return _("Đã không chấp thuận đề nghị gia hạn.")


@dataclass(frozen=True)
class ItemAction:
    """One POST of the "Thao tác" section: its form and the service call, which returns the
    message flashed after the redirect."""

    form: Callable[[], TranslatedForms]
    run: Callable[[User, int, TranslatedForms, datetime], str]


def _prefixed[F: TranslatedForms](form: type[F], name: str) -> Callable[[], TranslatedForms]:
    return lambda: form(prefix=name)


ACTIONS: dict[str, ItemAction] = {
    "assign": ItemAction(_prefixed(AssignForm, "assign"), _assign),
    "accept": ItemAction(_prefixed(ConfirmForm, "accept"), _accept),
    "acceptance_notice": ItemAction(_prefixed(ConfirmForm, "acceptance_notice"), _acceptance_notice),
    "decision_notice": ItemAction(_prefixed(ConfirmForm, "decision_notice"), _decision_notice),
    "reject": ItemAction(_prefixed(RejectForm, "reject"), _reject),
    "keep_as_report": ItemAction(_prefixed(TextForm, "keep_as_report"), _keep),
    "request_information": ItemAction(_prefixed(TextForm, "request_information"), _ask),
    "note": ItemAction(_prefixed(TextForm, "note"), _note),
    "save_draft": ItemAction(_prefixed(DraftForm, "save_draft"), _save),
    "submit": ItemAction(_prefixed(ConfirmForm, "submit"), _submit),
    "return_answer": ItemAction(_prefixed(TextForm, "return_answer"), _return),
    "publish": ItemAction(_prefixed(ConfirmForm, "publish"), _publish),
    "request_extension": ItemAction(_prefixed(ExtensionForm, "request_extension"), _request_extension),
    "grant_extension": ItemAction(_prefixed(ConfirmForm, "grant_extension"), _grant),
    "refuse_extension": ItemAction(_prefixed(TextForm, "refuse_extension"), _refuse),
}


@bp.post("/items/<code>/<action>")
@role_required(*UNIT_ROLES)
def act(code: str, action: str) -> ResponseReturnValue:
    """One handling action on the item (CSRF checked before this runs: 400 without a token).

    Another unit's item answers 404 as an unknown one; NotAllowed 403; any other refusal shows
    the page again with the message and what was typed (nothing written); success redirects to
    the page (post-redirect-get) with a flash message.
    """
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    now = datetime.now(UTC)
    canonical = _canonical_code(code)
    try:
        shown = workspace.unit_item(canonical, viewer=viewer_for(current_user), now=now)
    except workspace.ItemNotFound:
        abort(404)
    form = chosen.form()
    try:
        message = chosen.run(current_user, shown.detail.id, form, now)
    except handling.NotAllowed:
        abort(403)
    except handling.ItemNotFound:
        abort(404)
    except handling.DraftConflict as conflict:
        assert isinstance(form, DraftForm)
        form.version.data = str(conflict.current_version)
        return _item_page(_reread(shown, now), now, forms={action: form}, error=conflict.message, conflict=conflict,
                          status=409)
    except handling.HandlingError as refused:
        return _item_page(_reread(shown, now), now, forms={action: form}, error=refused.message, status=422)
    flash(message, "success")
    if action == "reject" and not _still_visible(canonical, now):
        return redirect(url_for("units.inbox"), 303)
    return redirect(url_for("units.item", code=canonical) + "#thao-tac", 303)


def _reread(shown: workspace.UnitItem, now: datetime) -> workspace.UnitItem:
    """The item as it is after a refused action (the service rolled back; the page shows now)."""
    try:
        return workspace.unit_item(shown.detail.code, viewer=viewer_for(current_user), now=now)
    except workspace.ItemNotFound:
        return shown


def _still_visible(code: str, now: datetime) -> bool:
    try:
        workspace.unit_item(code, viewer=viewer_for(current_user), now=now)
    except workspace.ItemNotFound:
        return False
    return True


@bp.get("/items/<code>/attachments/<int:attachment_id>")
@role_required(*UNIT_ROLES)
def attachment(code: str, attachment_id: int) -> ResponseReturnValue:
    """A file of an item the user may see, always as a download (``Content-Disposition:
    attachment``, ``nosniff``): a file is never rendered by the browser in the site's origin.
    Opening the resident's file is logged as a view of personal data."""
    try:
        found = workspace.open_attachment(_canonical_code(code), path_id(attachment_id),
                                          viewer=viewer_for(current_user), user=current_user, now=datetime.now(UTC))
    except workspace.ItemNotFound:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type, inline=False)
