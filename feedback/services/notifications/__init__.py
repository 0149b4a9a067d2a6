"""Notifications: the outbox (a row first, exactly once per dedupe key) and the mailer that sends
it, retries with backoff and marks what was sent.

Shells import from here, not from the inner modules.
"""

from feedback.services.notifications.mailer import SendResult, send_one, send_pending
from feedback.services.notifications.outbox import queue_notification
from feedback.services.notifications.receipt_mail import confirm_receipt

__all__ = ["SendResult", "confirm_receipt", "queue_notification", "send_one", "send_pending"]
