"""Keys of the Open311 API: the list, issuing a key (shown once, on the page that answers the
form, never stored nor put in the session) and revoking one (``services.open311``)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from feedback.admin.forms import ApiKeyForm, ConfirmForm
from feedback.admin.views import bp
from feedback.auth.permissions import current_actor, role_required
from feedback.models import Role
from feedback.services.open311 import ApiKeyError, IssuedKey, issue_key, list_keys, revoke_key_by_id
from feedback.web.args import path_id

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/api-keys")
@role_required(Role.ADMIN)
def api_keys_index() -> ResponseReturnValue:
    return _page(ApiKeyForm())


@bp.post("/api-keys")
@role_required(Role.ADMIN)
def api_key_create() -> ResponseReturnValue:
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form), 400
    try:
        issued = issue_key(form.name.data or "", actor=current_actor(), now=datetime.now(UTC),
                           rate_limit=form.rate_limit.data)
    except ApiKeyError as refused:
        (form.rate_limit if refused.field == "rate_limit" else form.name).errors = [refused.message]
        return _page(form), 400
    return _page(ApiKeyForm(formdata=None), issued), 200, NO_STORE


@bp.post("/api-keys/<int:key_id>/revoke")
@role_required(Role.ADMIN)
def api_key_revoke(key_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revoked = revoke_key_by_id(path_id(key_id), actor=current_actor(), now=datetime.now(UTC))
    except ApiKeyError as refused:
        flash(refused.message, "error")
        return redirect(url_for("admin.api_keys_index"))
    flash(_("Đã thu hồi khóa %(name)s: mọi yêu cầu dùng khóa này bị từ chối ngay.", name=revoked.name), "success")
    return redirect(url_for("admin.api_keys_index"))


def _page(form: ApiKeyForm, issued: IssuedKey | None = None) -> str:
    return render_template("admin/api_keys.html", keys=list_keys(), form=form, issued=issued,
                           revoke_form=ConfirmForm(), default_limit=current_app.config["OPEN311_KEY_RATE_LIMIT"])
