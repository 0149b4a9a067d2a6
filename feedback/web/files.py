"""Serving a stored attachment: one response shape for the resident's secret link and for staff.

Images (``feedback.domain.files.shows_inline``) are sent inline with their type, everything else
as ``application/octet-stream`` with ``Content-Disposition: attachment``. Every file response
carries ``X-Content-Type-Options: nosniff``, ``Cache-Control: no-store`` and a CSP that lets
the response be nothing but an image (``default-src 'none'; img-src 'self'``): a file never runs
as a page in the site's origin. ``staff_file`` is the staff pages' way in (admin and unit
workspace), through the one access rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Response, abort, current_app, send_file
from flask_login import current_user

from feedback.domain.files import shows_inline
from feedback.services import workspace
from feedback.services.access import viewer_for

FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'"


def file_response(path: Path, *, original_name: str, content_type: str, inline: bool = True) -> Response:
    """The stored file at ``path`` for the browser: inline when it is an image and ``inline``,
    else a download named ``original_name``. 404 when the file is missing on disk."""
    if not path.is_file():
        abort(404)
    show = inline and shows_inline(content_type)
    response = send_file(path, mimetype=content_type if show else "application/octet-stream",
                         as_attachment=not show, download_name=original_name, max_age=0,
                         conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def staff_file(code: str, attachment_id: int) -> Response:
    """The file ``attachment_id`` of item ``code`` for the logged-in staff member, through the one
    access rule (``workspace.attachment_file``): an item they may not see, another item's file or
    an unknown one is a 404, as an unknown code is. Opening a file the resident sent is logged
    as a view of personal data (``workspace.open_attachment``)."""
    try:
        found = workspace.open_attachment(code, attachment_id, viewer=viewer_for(current_user), user=current_user,
                                          now=datetime.now(UTC))
    except workspace.ItemNotFound:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type)
