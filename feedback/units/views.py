"""The unit workspace (/unit/) for officers and unit heads: the inbox and one item, read side.

Every page reads through ``feedback.services.workspace``, which reads through the one access rule
(``visible_items_filter`` and ``may_see_personal_data``). Another unit's item or file answers 404,
as an unknown code does, so that a URL never confirms that an item exists. The handling actions
(accept, answer, approve, extend...) are wired into the item page's "Actions" section by
``services/handling/`` in a later step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from feedback.auth.permissions import role_required
from feedback.domain.status import Kind, Status
from feedback.domain.tracking import InvalidCode, normalise_code
from feedback.models import Role
from feedback.services import workspace
from feedback.services.access import viewer_for
from feedback.web.args import id_or_none, page_number, path_id

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
        abort(400)


def _filters() -> workspace.InboxFilters:
    args = request.args
    return workspace.InboxFilters(
        unit_id=id_or_none(args.get("unit")),
        status=_enum(Status, args.get("status")),
        kind=_enum(Kind, args.get("kind")),
        topic_id=id_or_none(args.get("topic")),
        commune_id=id_or_none(args.get("commune")),
        village_id=id_or_none(args.get("village")),
        overdue=args.get("overdue") == "1",
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
    args = {key: value for key, value in request.args.items() if key not in ("page", "lang") and value}
    response = make_response(render_template("units/inbox.html", page=page, filters=filters, args=args))
    response.headers["Cache-Control"] = "no-store"
    return response


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
    # Logged (and committed) before the page exists: if the log cannot be written, nothing is shown.
    workspace.record_personal_data_view(shown, current_user, now)
    response = make_response(render_template("units/item.html", shown=shown, item=shown.detail))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/items/<code>/attachments/<int:attachment_id>")
@role_required(*UNIT_ROLES)
def attachment(code: str, attachment_id: int) -> ResponseReturnValue:
    """A file of an item the user may see, always as a download (``Content-Disposition:
    attachment``, ``nosniff``): a file is never rendered by the browser in the site's origin."""
    try:
        found = workspace.attachment_file(_canonical_code(code), path_id(attachment_id),
                                          viewer=viewer_for(current_user))
    except workspace.ItemNotFound:
        abort(404)
    path = Path(current_app.config["UPLOAD_DIR"]) / found.storage_name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=found.original_name, max_age=0, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
