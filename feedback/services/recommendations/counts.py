"""Recommendations counted per unit for a period: issued, answered, answered on time.

Kept apart from the resident figures (DESIGN.md §6 counts residents' items only): the dashboard
and the monthly briefing show these beside them. Definitions, by analogy with §6:

- issued: recommendations issued to the unit in the period (by issue time);
- answered: recommendations whose answer the unit published in the period (by the time of the
  first publication);
- answered_on_time: of those, published at or before the SUPERVISION clock's due time (the
  clock is never extended; a recorded breach makes it late whatever the times say);
- overdue_open (only when ``now`` is given, else None): recommendations not answered whose clock
  is overdue at ``now`` (``deadlines.overdue_clause``), whenever they were issued.

The unit is the addressee, with the code and name frozen when the recommendation was issued (a
later rename changes no past figure). The period is of local (Asia/Ho_Chi_Minh) dates, both
ends inclusive. ``territory_id`` keeps the recommendations located in that locality's subtree,
the same rule that decides who sees them (the Front and the Board of that territory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, select, true
from sqlalchemy.orm import Session, scoped_session

from feedback.domain.calendar import end_of_local_day, start_of_local_day
from feedback.domain.deadlines import Clock
from feedback.domain.handling import DraftStatus
from feedback.models import Answer, Deadline, Feedback, Locality, Recommendation
from feedback.services.deadlines import overdue_clause


@dataclass(frozen=True)
class RecommendationCounts:
    unit_code: str
    unit_name: str
    issued: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue_open: int | None = None


# The statements of ``counts`` (three, and the territory's path), built once per process for each
# set of filters: building them with their subqueries and joins cost more CPU than the database
# spent answering them (a dashboard page asks them at each view). The values are bound parameters.
_PATH = select(Locality.path).where(Locality.id == bindparam("territory_id"))


@cache
def _statements(territory: bool, unit: bool, topic: bool) -> tuple[Select[*tuple[Any, ...]], ...]:
    """The issued, answered and overdue statements for these filters (``territory``: within the
    subtree of the path ``territory_path``; ``unit``, ``topic``: of ``unit_id``, ``topic_id``),
    with the bound parameters ``start``, ``end`` and ``now``."""
    moment = Recommendation.issued_at.type
    start, end = bindparam("start", type_=moment), bindparam("end", type_=moment)
    conditions: list[ColumnElement[bool]] = []
    if territory:
        conditions.append(Feedback.locality_id.in_(select(Locality.id).where(
            Locality.path.startswith(bindparam("territory_path", type_=Locality.path.type)))))
    if unit:
        conditions.append(Recommendation.unit_id == bindparam("unit_id", type_=Integer))
    if topic:
        conditions.append(Feedback.topic_id == bindparam("topic_id", type_=Integer))
    where = and_(true(), *conditions)
    issued = (select(Recommendation.unit_code, Recommendation.unit_name, func.count())
              .join(Feedback, Feedback.id == Recommendation.feedback_id)
              .where(Recommendation.issued_at >= start, Recommendation.issued_at <= end, where)
              .group_by(Recommendation.unit_code, Recommendation.unit_name)
              .order_by(func.max(Recommendation.issued_at)))
    # The first publication of the recommendations' answers only: grouping every published answer
    # of the platform (the residents' items are the many) read them all for a handful of rows.
    first_published = (select(Answer.feedback_id, func.min(Answer.published_at).label("published_at"))
                       .where(Answer.status == DraftStatus.PUBLISHED, Answer.published_at.is_not(None),
                              Answer.feedback_id.in_(select(Recommendation.feedback_id)))
                       .group_by(Answer.feedback_id).subquery())
    clock = (select(Deadline.feedback_id, Deadline.due_at, Deadline.breached_at)
             .where(Deadline.clock == Clock.SUPERVISION.value, Deadline.sequence == 1).subquery())
    on_time = and_(clock.c.breached_at.is_(None), first_published.c.published_at <= clock.c.due_at)
    answered = (select(Recommendation.unit_code, Recommendation.unit_name, func.count(), func.count().filter(on_time))
                .join(Feedback, Feedback.id == Recommendation.feedback_id)
                .join(first_published, first_published.c.feedback_id == Recommendation.feedback_id)
                .outerjoin(clock, clock.c.feedback_id == Recommendation.feedback_id)
                .where(first_published.c.published_at >= start, first_published.c.published_at <= end, where)
                .group_by(Recommendation.unit_code, Recommendation.unit_name)
                .order_by(func.max(Recommendation.issued_at)))
    overdue = (select(Recommendation.unit_code, Recommendation.unit_name, func.count(func.distinct(Recommendation.id)))
               .join(Feedback, Feedback.id == Recommendation.feedback_id)
               .join(Deadline, and_(Deadline.feedback_id == Recommendation.feedback_id,
                                    Deadline.clock == Clock.SUPERVISION.value))
               .where(overdue_clause(bindparam("now", type_=Deadline.due_at.type)), where)
               .group_by(Recommendation.unit_code, Recommendation.unit_name)
               .order_by(func.max(Recommendation.issued_at)))
    return issued, answered, overdue


def counts(session: Session | scoped_session[Session], *, period_start: date, period_end: date,
           territory_id: int | None, now: datetime | None = None, unit_id: int | None = None,
           topic_id: int | None = None) -> dict[str, RecommendationCounts]:
    """Issued, answered and answered on time per addressee unit code (see the module), for the
    local dates ``period_start``..``period_end`` inclusive, in ``territory_id``'s subtree (None:
    everywhere); with ``now``, also the overdue ones still open; ``unit_id`` keeps only those
    addressed to that unit, ``topic_id`` those of that topic (the dashboard's filters). Units with
    nothing to count are absent. Raises ValueError when the period ends before it starts. Read
    only: two or three grouped queries."""
    if period_end < period_start:
        raise ValueError(f"the period ends ({period_end}) before it starts ({period_start})")
    params: dict[str, Any] = {"start": start_of_local_day(period_start), "end": end_of_local_day(period_end),
                              "unit_id": unit_id, "topic_id": topic_id, "now": now}
    if territory_id is not None:
        params["territory_path"] = session.scalar(_PATH, {"territory_id": territory_id})
        if not params["territory_path"]:
            return {}  # an unknown territory holds nothing
    issued, answered, overdue = _statements(territory_id is not None, unit_id is not None, topic_id is not None)
    names: dict[str, str] = {}
    found: dict[str, dict[str, int]] = {}

    def add(code: str, name: str, figure: str, value: int) -> None:
        # Grouped by (code, frozen name): a unit renamed within the period adds up under its
        # code, named as it was at its latest recommendation (rows come oldest group first).
        names[code] = name
        figures = found.setdefault(code, {"issued": 0, "answered": 0, "answered_on_time": 0,
                                          **({"overdue_open": 0} if now is not None else {})})
        figures[figure] += value

    for code, name, number in session.execute(issued, params):
        add(code, name, "issued", number)
    for code, name, number, in_time in session.execute(answered, params):
        add(code, name, "answered", number)
        add(code, name, "answered_on_time", in_time)
    if now is not None:
        for code, name, number in session.execute(overdue, params):
            add(code, name, "overdue_open", number)
    return {code: RecommendationCounts(code, names[code], **figures) for code, figures in sorted(found.items())}
