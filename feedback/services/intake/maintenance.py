"""Housekeeping the worker runs periodically: uploads left half-way by a crashed process, and
the messages the embedded SQLite broker keeps after they were consumed."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, select, text

from feedback.extensions import db
from feedback.models import Attachment
from feedback.services.intake.uploads import TEMP_PREFIX

log = logging.getLogger(__name__)

# A submission stages its files and commits within seconds; an hour-old temporary file belongs
# to a process that died between staging and publishing.
STALE_AFTER = timedelta(hours=1)
# kombu's SQLAlchemy transport ("sqla+" URLs, the Quick start's embedded broker) marks a consumed
# message invisible and never deletes it: about four rows a minute from beat alone, forever.
# A consumed row is never read again (a message delivered but not acknowledged is put back by
# kombu as a new row), so it can go; an hour is kept for looking into a recent problem.
SQLA_BROKER_PREFIX = "sqla+"
BROKER_MESSAGE_TABLE = "kombu_message"  # kombu's default ``message_tablename``
CONSUMED_KEPT_FOR = timedelta(hours=1)
PURGE_BATCH = 5000  # rows per DELETE: the broker's single writer is never held for long


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


def purge_consumed_broker_messages(broker_url: str, now: datetime, *,
                                   kept_for: timedelta = CONSUMED_KEPT_FOR) -> int | None:
    """Delete the messages a "sqla+" broker marked consumed more than ``kept_for`` before ``now``.

    Returns the rows deleted, or None when the broker is not kombu's SQLAlchemy transport (Redis,
    RabbitMQ: nothing to do, nothing touched). Messages still waiting (visible) are never
    deleted, whatever their age. kombu stamps a consumed row with the consuming process's local
    naive time (``datetime.now()``), so ``now`` is compared in this process's local time. Deletes
    in batches of PURGE_BATCH, each its own transaction. Idempotent: a second run deletes nothing.
    """
    if not broker_url.startswith(SQLA_BROKER_PREFIX):
        return None
    # Written as SQLAlchemy writes kombu's DateTime column on SQLite (text that sorts by time).
    cutoff = (now - kept_for).astimezone().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    engine = create_engine(broker_url.removeprefix(SQLA_BROKER_PREFIX))
    deleted = 0
    try:
        if not inspect(engine).has_table(BROKER_MESSAGE_TABLE):
            return 0  # the broker was never used
        batch = text(
            f"DELETE FROM {BROKER_MESSAGE_TABLE} WHERE id IN (SELECT id FROM {BROKER_MESSAGE_TABLE} "
            "WHERE visible = :consumed AND \"timestamp\" < :cutoff LIMIT :limit)"
        )
        values = {"consumed": False, "cutoff": cutoff, "limit": PURGE_BATCH}
        while True:
            with engine.begin() as connection:
                rows = connection.execute(batch, values).rowcount
            deleted += rows
            if rows < PURGE_BATCH:
                break
    finally:
        engine.dispose()
    if deleted:
        log.info("broker: %d consumed messages deleted", deleted)
    return deleted
