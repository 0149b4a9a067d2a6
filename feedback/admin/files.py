"""An item's file for the administrator (issue #8 item 3): images open in the browser, anything
else downloads, with the headers of every file response (``feedback.web.files``)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from feedback.admin.items import _canonical_code
from feedback.admin.views import bp
from feedback.auth.permissions import role_required
from feedback.models import Role
from feedback.web.args import path_id
from feedback.web.files import staff_file


@bp.get("/items/<code>/attachments/<int:attachment_id>")
@role_required(Role.ADMIN)
def attachment(code: str, attachment_id: int) -> ResponseReturnValue:
    """The file ``attachment_id`` of item ``code``; another item's file or an unknown one: 404."""
    return staff_file(_canonical_code(code), path_id(attachment_id))
