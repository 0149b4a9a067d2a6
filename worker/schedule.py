"""Beat schedule: task-name constants → how often."""

from __future__ import annotations

from datetime import timedelta

from feedback.jobs import SCAN_DEADLINES, SEND_NOTIFICATIONS, SWEEP_RECEIVED, TIDY_UPLOADS

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Items still `received` after STRANDED_AFTER_MINUTES are sent to routing again.
    "sweep-received": {"task": SWEEP_RECEIVED, "schedule": timedelta(seconds=60)},
    # Reminders and escalations; the scan is an indexed query over open deadlines.
    "scan-deadlines": {"task": SCAN_DEADLINES, "schedule": timedelta(seconds=60)},
    # Pending notifications whose retry time has come.
    "send-notifications": {"task": SEND_NOTIFICATIONS, "schedule": timedelta(seconds=30)},
    # Uploads left half-way by a process that died between staging and publishing.
    "tidy-uploads": {"task": TIDY_UPLOADS, "schedule": timedelta(hours=1)},
}
