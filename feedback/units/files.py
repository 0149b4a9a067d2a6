"""Opening an item's file in the browser from the unit workspace (issue #8 item 3).

``/unit/items/<code>/attachments/<id>`` (``views.attachment``) always downloads; the variant
here, ``…/<id>/view``, shows an image inline and sends anything else as a download, with the
headers of every file response (``feedback.web.files``: ``nosniff``, a CSP that allows nothing
but an image, ``no-store``). Same access rule as the download: another unit's file is a 404.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from feedback.auth.permissions import role_required
from feedback.services import workspace
from feedback.services.access import viewer_for
from feedback.units.views import UNIT_ROLES, _canonical_code, bp
from feedback.web.args import path_id
from feedback.web.files import file_response


@bp.get("/items/<code>/attachments/<int:attachment_id>/view")
@role_required(*UNIT_ROLES)
def attachment_inline(code: str, attachment_id: int) -> ResponseReturnValue:
    """An image of an item the user may see, shown in the browser; other files downloaded."""
    try:
        found = workspace.attachment_file(_canonical_code(code), path_id(attachment_id),
                                          viewer=viewer_for(current_user))
    except workspace.ItemNotFound:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type)
