"""Housekeeping the worker runs periodically: uploads left half-way by a crashed process."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Attachment
from feedback.services.intake.uploads import TEMP_PREFIX

log = logging.getLogger(__name__)

# A submission stages its files and commits within seconds; an hour-old temporary file belongs
# to a process that died between staging and publishing.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class TidyResult:
    published: int  # the item was committed: the file got its final name, nothing is lost
    removed: int  # no item refers to it: the submission never committed


def tidy_uploads(now: datetime, *, stale_after: timedelta = STALE_AFTER) -> TidyResult:
    """Finish or undo uploads whose process died between staging and publishing.

    A temporary file older than ``stale_after`` is renamed to its final name when an attachment
    row names it (the commit happened), and removed otherwise. Younger files are left alone: a
    submission may be in progress. Idempotent: a second run finds nothing to do.
    """
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    cutoff = (now - stale_after).timestamp()
    stale: dict[str, Path] = {}
    for path in upload_dir.glob(f"{TEMP_PREFIX}*"):
        try:
            if path.stat().st_mtime <= cutoff:
                stale[path.name.removeprefix(TEMP_PREFIX)] = path
        except FileNotFoundError:  # published or removed meanwhile
            continue
    if not stale:
        return TidyResult(0, 0)
    committed = set(db.session.scalars(select(Attachment.storage_name).where(Attachment.storage_name.in_(stale))))
    published = removed = 0
    for storage_name, path in stale.items():
        try:
            if storage_name in committed:
                os.replace(path, upload_dir / storage_name)
                published += 1
            else:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    if published or removed:
        log.warning("uploads tidied: %d published after a crash, %d orphans removed", published, removed)
    return TidyResult(published, removed)
