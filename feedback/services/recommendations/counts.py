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

from sqlalchemy import ColumnElement, and_, func, select, true
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


def _in_territory(session: Session | scoped_session[Session], territory_id: int | None) -> ColumnElement[bool]:
    if territory_id is None:
        return true()
    prefix = session.scalar(select(Locality.path).where(Locality.id == territory_id))
    if not prefix:
        return Feedback.id.is_(None)  # an unknown territory holds nothing
    return Feedback.locality_id.in_(select(Locality.id).where(Locality.path.startswith(prefix)))


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
    start, end = start_of_local_day(period_start), end_of_local_day(period_end)
    where = and_(_in_territory(session, territory_id),
                 true() if unit_id is None else Recommendation.unit_id == unit_id,
                 true() if topic_id is None else Feedback.topic_id == topic_id)
    names: dict[str, str] = {}
    found: dict[str, dict[str, int]] = {}

    def add(code: str, name: str, figure: str, value: int) -> None:
        # Grouped by (code, frozen name): a unit renamed within the period adds up under its
        # code, named as it was at its latest recommendation (rows come oldest group first).
        names[code] = name
        figures = found.setdefault(code, {"issued": 0, "answered": 0, "answered_on_time": 0,
                                          **({"overdue_open": 0} if now is not None else {})})
        figures[figure] += value

    issued = session.execute(
        select(Recommendation.unit_code, Recommendation.unit_name, func.count())
        .join(Feedback, Feedback.id == Recommendation.feedback_id)
        .where(Recommendation.issued_at >= start, Recommendation.issued_at <= end, where)
        .group_by(Recommendation.unit_code, Recommendation.unit_name)
        .order_by(func.max(Recommendation.issued_at)))
    for code, name, number in issued:
        add(code, name, "issued", number)
    # The first publication of the recommendations' answers only: grouping every published answer
    # of the platform (the residents' items are the many) read them all for a handful of rows.
    first_published = (select(Answer.feedback_id, func.min(Answer.published_at).label("published_at"))
                       .where(Answer.status == DraftStatus.PUBLISHED, Answer.published_at.is_not(None),
                              Answer.feedback_id.in_(select(Recommendation.feedback_id)))
                       .group_by(Answer.feedback_id).subquery())
    clock = (select(Deadline.feedback_id, Deadline.due_at, Deadline.breached_at)
             .where(Deadline.clock == Clock.SUPERVISION.value, Deadline.sequence == 1).subquery())
    on_time = and_(clock.c.breached_at.is_(None), first_published.c.published_at <= clock.c.due_at)
    answered = session.execute(
        select(Recommendation.unit_code, Recommendation.unit_name, func.count(),
               func.count().filter(on_time))
        .join(Feedback, Feedback.id == Recommendation.feedback_id)
        .join(first_published, first_published.c.feedback_id == Recommendation.feedback_id)
        .outerjoin(clock, clock.c.feedback_id == Recommendation.feedback_id)
        .where(first_published.c.published_at >= start, first_published.c.published_at <= end, where)
        .group_by(Recommendation.unit_code, Recommendation.unit_name)
        .order_by(func.max(Recommendation.issued_at)))
    for code, name, number, in_time in answered:
        add(code, name, "answered", number)
        add(code, name, "answered_on_time", in_time)
    if now is not None:
        overdue = session.execute(
            select(Recommendation.unit_code, Recommendation.unit_name, func.count(func.distinct(Recommendation.id)))
            .join(Feedback, Feedback.id == Recommendation.feedback_id)
            .join(Deadline, and_(Deadline.feedback_id == Recommendation.feedback_id,
                                 Deadline.clock == Clock.SUPERVISION.value))
            .where(overdue_clause(now), where)
            .group_by(Recommendation.unit_code, Recommendation.unit_name)
            .order_by(func.max(Recommendation.issued_at)))
        for code, name, number in overdue:
            add(code, name, "overdue_open", number)
    return {code: RecommendationCounts(code, names[code], **figures) for code, figures in sorted(found.items())}
