"""Beat schedule: task-name constants → how often; and the first tick sent as beat starts."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery

from feedback.jobs import (
    CLOSE_ANSWERED, FIND_HOT_SPOTS, GENERATE_BRIEFING_REPORTS, PURGE_BROKER_MESSAGES, REFRESH_MEDIANS, REMIND_TO_RATE,
    SCAN_DEADLINES, SEND_NOTIFICATIONS, SWEEP_RECEIVED, TIDY_UPLOADS,
)

log = logging.getLogger(__name__)

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Items still `received` after STRANDED_AFTER_MINUTES are sent to routing again.
    "sweep-received": {"task": SWEEP_RECEIVED, "schedule": timedelta(seconds=60)},
    # Reminders and escalations; the scan is an indexed query over open deadlines.
    "scan-deadlines": {"task": SCAN_DEADLINES, "schedule": timedelta(seconds=60)},
    # Pending notifications whose retry time has come.
    "send-notifications": {"task": SEND_NOTIFICATIONS, "schedule": timedelta(seconds=30)},
    # Uploads left half-way by a process that died between staging and publishing.
    "tidy-uploads": {"task": TIDY_UPLOADS, "schedule": timedelta(hours=1)},
    # Consumed messages the embedded SQLite broker keeps forever (does nothing on Redis).
    "purge-broker-messages": {"task": PURGE_BROKER_MESSAGES, "schedule": timedelta(hours=1)},
    # Answered items nobody reopened close 30 days after the answer.
    "close-answered": {"task": CLOSE_ANSWERED, "schedule": timedelta(minutes=15)},
    # One reminder to rate, 3 days after the answer (deduplicated in the outbox).
    "remind-to-rate": {"task": REMIND_TO_RATE, "schedule": timedelta(minutes=15)},
    # The daily hot-spot check, as of the last complete local day: run a few times a day so that
    # a beat restart never skips a day; a second run the same day changes and sends nothing.
    "find-hot-spots": {"task": FIND_HOT_SPOTS, "schedule": timedelta(hours=6)},
    # Last month's briefing report of each Front committee, from the first working day of the
    # month on; one per territory and month, so the hourly runs after the first make nothing.
    "generate-briefing-reports": {"task": GENERATE_BRIEFING_REPORTS, "schedule": timedelta(hours=1)},
    # The medians of the wide questions computed ahead (only the groups with new answers): the
    # dashboards and the open data read them while exact, and compute the others themselves.
    # The same task compacts the overdue tally (the whole-tree overdue counts sum its rows).
    "refresh-medians": {"task": REFRESH_MEDIANS, "schedule": timedelta(minutes=5)},
}


def send_first_tick(app: Celery) -> list[str]:
    """Send every scheduled task once, now; return the names sent.

    Beat's interval schedules first fire one interval after a fresh start, so the heartbeats
    /healthz reads (and the sweep, the deadline scan, the mail) would wait up to an hour for
    nothing. Every scheduled task is idempotent, so a tick more is harmless. A broker that is
    down is logged, never raised: beat then ticks as usual once the broker is back.
    """
    sent = []
    for entry in BEAT_SCHEDULE.values():
        name = str(entry["task"])
        try:
            app.send_task(name)
        except Exception:  # kombu raises a different error per transport
            log.warning("beat start: could not send the first %s; it runs at its next interval", name,
                        exc_info=True)
            continue
        sent.append(name)
    log.info("beat start: first tick sent (%s)", ", ".join(sent))
    return sent
