"""HOOK: the supervision recommendations (kiến nghị sau giám sát) of a briefing report.

Recommendations are helper ``recs``'s capability (branch feat/recs); until it is merged, a report
lists none. When it is, this function returns one dict per recommendation issued in the
territory during the month, with its answer: ``code``, ``unit``, ``issued_at``, ``due_at``,
``status``, ``answered_at``, ``on_time`` (bool or None) and ``answer`` (its text, no personal data).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from feedback.models import Locality


def recommendation_rows(territory: Locality, start: date, end: date, *, now: datetime) -> list[dict[str, Any]]:
    """The recommendations of ``territory`` issued from ``start`` to ``end`` (none until the
    recommendations capability is merged)."""
    return []
