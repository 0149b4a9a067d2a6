"""Files chosen before the form is re-rendered, kept on the server until the form is sent.

A browser never fills a file input again: when the form without JavaScript is re-rendered (the
"Chọn thôn/khu phố" step), the files the resident chose would be lost. Instead they are checked
and written here as temporary uploads (``uploads.stage``: ``.incoming-<random>`` in
``UPLOAD_DIR``), and the web shell keeps their names in the resident's session, bound to the
form's key. When the form is sent without new files, ``reclaim_files`` gives them back as if they
had been sent again; the submission stores its own copies.

Nothing else refers to a held file, so the hourly ``tidy_uploads`` removes it once it is older
than ``maintenance.STALE_AFTER``: an abandoned form leaves nothing behind. ``release_files``
removes them at once (new files chosen, "forget me").
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from feedback.services import uploads
from feedback.services.submission import Upload

log = logging.getLogger(__name__)

_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class HeldFile:
    """A file held for a form: its temporary name, the name the resident gave, its digest."""

    storage_name: str
    original_name: str
    sha256: str


def hold_files(files: Sequence[Upload], *, upload_dir: Path, max_bytes: int, max_files: int) -> list[HeldFile]:
    """Check ``files`` as a submission would and keep them; all or none.

    Raises ``uploads.UploadRejected`` (nothing written) when there are more than ``max_files`` or
    one is refused, with the message for the resident; ``OSError`` when the disk fails.
    """
    if len(files) > max_files:
        raise uploads.UploadRejected(_too_many(max_files, len(files)))
    checked = [uploads.check_upload(file.filename, file.data, max_bytes=max_bytes) for file in files]
    staged = uploads.stage(checked, upload_dir)
    return [HeldFile(s.storage_name, s.file.original_name, s.file.sha256) for s in staged]


def reclaim_files(held: Sequence[HeldFile], *, upload_dir: Path) -> tuple[Upload, ...] | None:
    """The held files as uploads again, in their order; None when any is gone or altered
    (``tidy_uploads`` removed it after an hour, or the disk was cleaned). Never raises."""
    found: list[Upload] = []
    for file in held:
        path = _path(file, upload_dir)
        try:
            data = path.read_bytes() if path is not None else None
        except OSError:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != file.sha256:
            return None
        found.append(Upload(filename=file.original_name, data=data))
    return tuple(found)


def release_files(held: Iterable[HeldFile], *, upload_dir: Path) -> None:
    """Remove the held files now. Never raises; idempotent (a missing file is already gone)."""
    for file in held:
        path = _path(file, upload_dir)
        if path is None:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove held upload %s", path, exc_info=True)


def _path(file: HeldFile, upload_dir: Path) -> Path | None:
    """The temporary file of ``file``; None for a name that ``uploads.stage`` cannot have made."""
    if not _STORAGE_NAME.fullmatch(file.storage_name):
        return None
    return upload_dir / f"{uploads.TEMP_PREFIX}{file.storage_name}"


def _too_many(limit: int, count: int) -> str:
    return _("Chỉ được gửi tối đa %(limit)d tệp; bạn đã chọn %(count)d tệp.", limit=limit, count=count)
