"""Opening an item's file in the browser from the unit workspace (issue #8 item 3).

``/unit/items/<code>/attachments/<id>`` (``views.attachment``) always downloads; the variant
here, ``…/<id>/view``, shows an image inline and sends anything else as a download, with the
headers of every file response (``feedback.web.files``: ``nosniff``, a CSP that allows nothing
but an image, ``no-store``). Same access rule as the download: another unit's file is a 404.
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from feedback.auth.permissions import role_required
from feedback.units.views import UNIT_ROLES, _canonical_code, bp
from feedback.web.args import path_id
from feedback.web.files import staff_file


@bp.get("/items/<code>/attachments/<int:attachment_id>/view")
@role_required(*UNIT_ROLES)
def attachment_inline(code: str, attachment_id: int) -> ResponseReturnValue:
    """An image of an item the user may see, shown in the browser; other files downloaded."""
    return staff_file(_canonical_code(code), path_id(attachment_id))
