"""Files sent with an item: checked by content, written under random names outside the web root.

The life of a file, so that nothing is ever half-written:

1. ``check_upload`` looks at the bytes (``filetype`` reads the magic numbers; the name the
   resident gave is never trusted): only images (JPEG, PNG, WebP, HEIC) and PDF, each at most
   ``MAX_ATTACHMENT_BYTES``. A program renamed ``photo.jpg`` is refused.
2. ``stage`` writes each file to a temporary name in ``UPLOAD_DIR`` (``.incoming-…``) before
   the database transaction commits.
3. After the commit, ``publish`` renames each temporary file to its final random name (an atomic
   rename inside one directory). If anything before the commit fails, ``discard`` removes them.

Final names are ``secrets.token_hex(16)``: nothing a visitor chose ever reaches the file system;
the original name is kept only as metadata (``Attachment.original_name``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask_babel import gettext as _

log = logging.getLogger(__name__)

# MIME type → what the resident is told the file is. Decided by content only.
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "application/pdf": "PDF",
}

TEMP_PREFIX = ".incoming-"
_MAX_NAME = 255


class UploadRejected(ValueError):
    """A file that may not be stored; ``message`` is for the resident, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed ``check_upload``: its type comes from its content."""

    original_name: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class StagedFile:
    """A checked file written to ``temp_path``, to become ``final_path`` after the commit."""

    file: CheckedFile
    storage_name: str
    temp_path: Path
    final_path: Path


def clean_name(filename: str) -> str:
    """The name to show for a file: last path component, NFC, no control characters, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:_MAX_NAME] or "tep-dinh-kem"


def check_upload(filename: str, data: bytes, *, max_bytes: int) -> CheckedFile:
    """Accept ``data`` when it is a non-empty image or PDF of at most ``max_bytes`` bytes.

    Raises ``UploadRejected`` with a message naming the file otherwise. Pure: writes nothing.
    """
    name = clean_name(filename)
    if not data:
        raise UploadRejected(_("Tệp %(name)s rỗng. Hãy chọn lại tệp.", name=name))
    if len(data) > max_bytes:
        raise UploadRejected(
            _("Tệp %(name)s lớn hơn %(limit)s MB, mức tối đa cho mỗi tệp.", name=name,
              limit=_megabytes(max_bytes))
        )
    guessed = filetype.guess(data)
    mime = guessed.mime if guessed is not None else None
    if mime not in ALLOWED_TYPES:
        raise UploadRejected(
            _("Tệp %(name)s không phải ảnh (JPEG, PNG, WebP, HEIC) hoặc PDF nên không được nhận.", name=name)
        )
    return CheckedFile(name, str(mime), data, hashlib.sha256(data).hexdigest())


def stage(files: Iterable[CheckedFile], upload_dir: Path) -> list[StagedFile]:
    """Write every file to a temporary name in ``upload_dir``; all or none.

    On any error the files already written are removed and the error is raised again.
    """
    staged: list[StagedFile] = []
    try:
        for file in files:
            storage_name = secrets.token_hex(16)
            item = StagedFile(file, storage_name, upload_dir / f"{TEMP_PREFIX}{storage_name}",
                              upload_dir / storage_name)
            # O_EXCL: never overwrite anything, even with 128 random bits.
            descriptor = os.open(item.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            staged.append(item)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(file.data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        discard(staged)
        raise
    return staged


def publish(staged: Iterable[StagedFile]) -> None:
    """Give each staged file its final name (call only after the database commit succeeded)."""
    for item in staged:
        os.replace(item.temp_path, item.final_path)


def discard(staged: Iterable[StagedFile]) -> None:
    """Remove staged temporary files; never raises (a missing file is already gone)."""
    for item in staged:
        try:
            item.temp_path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove temporary upload %s", item.temp_path, exc_info=True)


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g}" if megabytes == int(megabytes) else f"{megabytes:.1f}"
