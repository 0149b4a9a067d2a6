"""Files chosen before the form is re-rendered, kept on the server until the form is sent.

A browser never fills a file input again: when the form without JavaScript is re-rendered (the
"Chọn thôn/khu phố" step), the files the resident chose would be lost. Instead they are checked
and written here as temporary uploads (``uploads.stage``: ``.incoming-<random>`` in
``UPLOAD_DIR``) together with a small manifest (their names and digests, also a
``.incoming-<random>`` file), and the web shell keeps only the manifest's random id in the
resident's session, bound to the form's key (a cookie has no room for file names). When the form
is sent without new files, ``reclaim_files`` gives them back as if they had been sent again; the
submission stores its own copies.

Nothing else refers to a held file or a manifest, so the hourly ``tidy_uploads`` removes them
once they are older than ``maintenance.STALE_AFTER``: an abandoned form leaves nothing behind.
``release_files`` removes them at once (new files chosen, "forget me").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from feedback.services.intake import uploads
from feedback.services.intake.submission import Upload

log = logging.getLogger(__name__)

# What uploads.stage and hold_files name their files: 128 random bits in hex.
_RANDOM_NAME = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class HeldFile:
    """A file held for a form: its temporary name, the name the resident gave, its digest."""

    storage_name: str
    original_name: str
    sha256: str


def hold_files(files: Sequence[Upload], *, upload_dir: Path, max_bytes: int, max_files: int) -> str:
    """Check ``files`` as a submission would and keep them; all or none. Returns the hold's id.

    Raises ``uploads.UploadRejected`` (nothing written) when there are more than ``max_files`` or
    one is refused, with the message for the resident; ``OSError`` when the disk fails.
    """
    if len(files) > max_files:
        raise uploads.UploadRejected(
            _("Chỉ được gửi tối đa %(limit)d tệp; bạn đã chọn %(count)d tệp.", limit=max_files, count=len(files)))
    checked = [uploads.check_upload(file.filename, file.data, max_bytes=max_bytes) for file in files]
    staged = uploads.stage(checked, upload_dir)
    manifest = [[s.storage_name, s.file.original_name, s.file.sha256] for s in staged]
    hold_id = secrets.token_hex(16)
    try:
        descriptor = os.open(_temp_path(hold_id, upload_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)
    except BaseException:
        uploads.discard(staged)
        raise
    return hold_id


def held_files(hold_id: str, *, upload_dir: Path) -> list[HeldFile] | None:
    """The files of the hold ``hold_id``, in their order; None when the hold is gone (tidied
    after an hour, released) or its id is not one ``hold_files`` can have made. Never raises."""
    if not _RANDOM_NAME.fullmatch(hold_id):
        return None
    try:
        manifest = json.loads(_temp_path(hold_id, upload_dir).read_text(encoding="utf-8"))
        return [HeldFile(str(name), str(original), str(digest)) for name, original, digest in manifest]
    except (OSError, ValueError, TypeError):
        return None


def reclaim_files(hold_id: str, *, upload_dir: Path) -> tuple[Upload, ...] | None:
    """The held files as uploads again, in their order; None when the hold or any of its files is
    gone or altered. Never raises."""
    held = held_files(hold_id, upload_dir=upload_dir)
    if held is None:
        return None
    found: list[Upload] = []
    for file in held:
        try:
            data = _temp_path(file.storage_name, upload_dir).read_bytes() if _RANDOM_NAME.fullmatch(
                file.storage_name) else None
        except OSError:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != file.sha256:
            return None
        found.append(Upload(filename=file.original_name, data=data))
    return tuple(found)


def release_files(hold_id: str, *, upload_dir: Path) -> None:
    """Remove the hold's files and manifest now. Never raises; idempotent."""
    names = [file.storage_name for file in held_files(hold_id, upload_dir=upload_dir) or []]
    for name in [*names, hold_id]:
        if not _RANDOM_NAME.fullmatch(name):
            continue
        try:
            _temp_path(name, upload_dir).unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove held upload %s", name, exc_info=True)


def _temp_path(name: str, upload_dir: Path) -> Path:
    return upload_dir / f"{uploads.TEMP_PREFIX}{name}"
