"""The supervision recommendations (kiến nghị sau giám sát) of a briefing report, with their answers.

Recommendations are helper ``recs``'s capability (branch feat/recs): a ``recommendation`` row
names the item that carries it through the unit's hands (``feedback_id``, origin
``supervision``), the unit it is addressed to (frozen code and name) and when it was issued; its
clock is the item's SUPERVISION deadline and its answer the item's published answer. This module
reads that table through the shared metadata, so that it needs no import of a model this branch
does not have: before feat/recs is merged there is no such table and a report lists none.
INTEGRATOR: once merged, tests/services/test_briefing.py should gain a recommendation (the
helper's own test world issues one) to check these rows; the definitions follow
``feedback.services.recommendations.counts`` (answered by first publication; on time when
published by the clock's due time and never breached).

A row lists a recommendation of the territory (its item located in the territory's subtree)
issued in the month or first answered in it: ``code``, ``unit``, ``issued_at``, ``due_at``,
``status`` ("answered", "overdue" or "open" at generation time), ``answered_at``, ``on_time``
(True, False, or None while unanswered) and ``answer`` (the latest published text).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, or_, select

from feedback.domain.calendar import VN_TZ, end_of_local_day, start_of_local_day
from feedback.domain.deadlines import Clock
from feedback.domain.handling import DraftStatus
from feedback.extensions import db
from feedback.models import Answer, Deadline, Feedback, Locality

TABLE = "recommendation"


def _table() -> Table | None:
    return db.metadata.tables.get(TABLE)


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if moment is not None else None


def recommendation_rows(territory: Locality, start: date, end: date, *, now: datetime) -> list[dict[str, Any]]:
    """The recommendations of ``territory`` issued or first answered from ``start`` to ``end``
    (local dates, inclusive), oldest first; none while the recommendations are not merged."""
    table = _table()
    if table is None:
        return []
    since, until = start_of_local_day(start), end_of_local_day(end)
    published = (select(Answer.feedback_id, func.min(Answer.published_at).label("first"),
                        func.max(Answer.cycle).label("cycle"))
                 .where(Answer.status == DraftStatus.PUBLISHED, Answer.published_at.is_not(None))
                 .group_by(Answer.feedback_id).subquery())
    clock = (select(Deadline.feedback_id, Deadline.due_at, Deadline.breached_at)
             .where(Deadline.clock == Clock.SUPERVISION.value, Deadline.sequence == 1).subquery())
    latest = (select(Answer.feedback_id, Answer.cycle, Answer.text)
              .where(Answer.status == DraftStatus.PUBLISHED).subquery())
    inside = select(Locality.id).where(Locality.path.startswith(territory.path))
    rows = db.session.execute(
        select(Feedback.code, table.c.unit_name, table.c.issued_at, clock.c.due_at, clock.c.breached_at,
               published.c.first, latest.c.text)
        .select_from(table)
        .join(Feedback, Feedback.id == table.c.feedback_id)
        .outerjoin(published, published.c.feedback_id == table.c.feedback_id)
        .outerjoin(latest, (latest.c.feedback_id == table.c.feedback_id) & (latest.c.cycle == published.c.cycle))
        .outerjoin(clock, clock.c.feedback_id == table.c.feedback_id)
        .where(Feedback.locality_id.in_(inside),
               or_(table.c.issued_at.between(since, until), published.c.first.between(since, until)))
        .order_by(table.c.issued_at, table.c.id)
    ).all()
    found = []
    for code, unit, issued, due, breached, answered, text in rows:
        if answered is not None:
            status = "answered"
            on_time: bool | None = breached is None and (due is None or answered <= due)
        else:
            status = "overdue" if due is not None and (breached is not None or now > due) else "open"
            on_time = None
        found.append({"code": code, "unit": unit, "issued_at": _local(issued), "due_at": _local(due),
                      "status": status, "answered_at": _local(answered), "on_time": on_time, "answer": text})
    return found
