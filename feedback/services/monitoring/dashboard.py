"""The Front dashboard's read model: the question asked (territory, period, grouping, filters),
the figures that answer it, the ranking, the monthly trend, the overdue list and the items behind
any figure. Every number comes from ``feedback.services.statistics`` (DESIGN.md §6 definitions);
this module only asks, always limited to the viewer's territory.

Read only. Filters that name something outside the territory raise ``OutsideTerritory``
(the page answers 404); a typed range that cannot be right raises ``BadRange``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select

from feedback.domain.access import Viewer
from feedback.domain.calendar import local_date
from feedback.domain.date_range import parse_range
from feedback.domain.status import Kind
from feedback.domain.statistics import TREND_MONTHS as STATISTICS_TREND_MONTHS
from feedback.domain.statistics import trend_period as statistics_trend_period
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Topic, Unit
from feedback.services.access import visible_items_filter
from feedback.services.deadlines import deadline_is_overdue
from feedback.services.directory import place_names
from feedback.services.items.lines import ItemLine
from feedback.services.monitoring.territory import (
    OutsideTerritory,
    Territory,
    find_locality,
    find_unit,
    locality_by_code,
    unit_by_code,
)
from feedback.services.statistics import (
    FIGURE_NAMES,
    MIN_RATINGS,
    FigureRows,
    Figures,
    Grouping,
    OverdueRow,
    Period,
    Scope,
    SharedReads,
    figure_rows,
    figures,
    items_behind,
    overdue_counts,
    overdue_now,
    ranking,
    totals,
)

# The named periods the dashboard offers (feedback.domain.statistics.Period.named), then "custom".
PERIOD_NAMES = ("this_month", "last_month", "this_quarter", "this_year")
CUSTOM = "custom"
# The groupings of the figures table (months are the trend chart's).
TABLE_GROUPINGS: tuple[Grouping, ...] = ("unit", "commune", "village", "topic", "kind")
# How many months the trend chart shows, ending with the period's last month (the medians
# computed ahead cover these trends: feedback.services.statistics.medians).
TREND_MONTHS = STATISTICS_TREND_MONTHS
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Question:
    """What the dashboard is asked: the territory watched, the period (named or custom, with
    the typed dates kept for the form), how to group, and the optional filters."""

    territory: Territory
    period: Period
    period_name: str
    group: Grouping = "unit"
    unit_id: int | None = None
    locality_id: int | None = None
    topic_id: int | None = None
    kind: Kind | None = None

    @property
    def scope(self) -> Scope:
        """The statistics scope: always the territory, narrowed by the filters."""
        return Scope(territory_id=self.territory.id, unit_id=self.unit_id, locality_id=self.locality_id,
                     topic_id=self.topic_id, kind=self.kind)


def period_for(name: str, start_text: str | None, end_text: str | None, *, today: date) -> Period:
    """The period named ``name`` (PERIOD_NAMES) seen from ``today``, or the custom range typed
    (``CUSTOM``); BadRange when the typed range cannot be right, ValueError for an unknown name."""
    if name == CUSTOM:
        start, end = parse_range(start_text, end_text, today=today)
        return Period(start, end)
    if name not in PERIOD_NAMES:
        raise ValueError(name)
    return Period.named(name, today)


def ask(territory: Territory, *, period: Period, period_name: str, group: Grouping = "unit",
        unit_id: int | None = None, locality_id: int | None = None, topic_id: int | None = None,
        kind: Kind | None = None) -> Question:
    """The question, with every filter checked against ``territory`` (OutsideTerritory for a unit
    or locality outside it, or a topic that does not exist). Read only."""
    if unit_id is not None:
        find_unit(territory, unit_id)
    if locality_id is not None:
        find_locality(territory, locality_id)
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise OutsideTerritory(topic_id)
    if group not in TABLE_GROUPINGS:
        raise ValueError(group)
    return Question(territory, period, period_name, group, unit_id, locality_id, topic_id, kind)


@dataclass(frozen=True)
class Dashboard:
    """The answer: the totals, the rows per group asked for (every row, or one page of them:
    ``rows_first`` is the first's 0-based position among ``row_count``), the units ranked by the
    lower end of their satisfaction interval and those with too few ratings, and the monthly
    trend (``trend_period``)."""

    question: Question
    totals: Figures
    rows: list[Figures]
    ranked: list[Figures]
    too_few: list[Figures]
    trend: list[Figures]
    trend_period: Period
    min_ratings: int = MIN_RATINGS
    rows_first: int = 0
    row_count: int = 0


def trend_period(period: Period) -> Period:
    """The TREND_MONTHS months ending with ``period``'s last month (its last day included)."""
    return statistics_trend_period(period, TREND_MONTHS)


def dashboard(question: Question, *, now: datetime, rows: tuple[int, int] | None = None) -> Dashboard:
    """Everything the dashboard page shows for ``question`` at ``now``: with ``rows`` (first,
    count), only that page of the rows per group (``figure_rows``: a province's 1,452 villages
    are counted and ordered, a page's 100 computed); the totals, the ranking and the trend are
    always whole. Read only."""
    session, scope = db.session(), question.scope
    # The four questions share their scope and ``now``: what they read alike is read once.
    trend_span = trend_period(question.period)
    shared = SharedReads(asked=((question.period, question.group), (question.period, "unit"),
                                (trend_span, "month"), (question.period, None)))
    # The ranking needs every unit: by unit, the page's rows are cut from them.
    units = figures(session, period=question.period, group="unit", scope=scope, now=now, shared=shared)
    first, count = rows if rows is not None else (0, None)
    if question.group == "unit":
        page = FigureRows(units[first:] if count is None else units[first:first + count], first, len(units))
    elif count is None:
        every = figures(session, period=question.period, group=question.group, scope=scope, now=now, shared=shared)
        page = FigureRows(every, 0, len(every))
    else:
        page = figure_rows(session, period=question.period, group=question.group, scope=scope, now=now, first=first,
                           count=count, shared=shared)
    ranked, too_few = ranking(units, MIN_RATINGS)
    trend = figures(session, period=trend_span, group="month", scope=scope, now=now, shared=shared)
    return Dashboard(question, totals(session, period=question.period, scope=scope, now=now, shared=shared), page.rows,
                     ranked, too_few, trend, trend_span, rows_first=page.first, row_count=page.total)


def unit_figures(question: Question, *, now: datetime) -> list[Figures]:
    """The figures per unit for ``question`` (the ranking's input). Read only."""
    return figures(db.session(), period=question.period, group="unit", scope=question.scope, now=now)


def trend_figures(question: Question, *, now: datetime) -> tuple[Period, list[Figures]]:
    span = trend_period(question.period)
    return span, figures(db.session(), period=span, group="month", scope=question.scope, now=now)


def overdue_list(question: Question, *, now: datetime, limit: int | None = None,
                 shared: SharedReads | None = None) -> list[OverdueRow]:
    """The items past a deadline now in the question's scope, the latest first (only the first
    ``limit`` when given). Read only."""
    return overdue_now(db.session(), scope=question.scope, now=now, limit=limit, shared=shared)


def overdue_per_unit(question: Question, *, now: datetime, shared: SharedReads | None = None) -> dict[int, int]:
    """How many items are past a deadline now per unit whose clock it is, in the question's
    scope (counted from the kept overdue state). Read only."""
    return {int(unit): n for unit, n in overdue_counts(db.session(), question.scope, "unit", now, shared).items()}


def overdue_page(question: Question, *, now: datetime, limit: int) -> tuple[list[OverdueRow], dict[int, int]]:
    """The overdue page's list (its first ``limit`` rows: ``overdue_list``) and counts per unit
    (``overdue_per_unit``), the scope and the window of past-due clocks read once for both.
    Read only."""
    shared = SharedReads()
    return (overdue_list(question, now=now, limit=limit, shared=shared),
            overdue_per_unit(question, now=now, shared=shared))


# ---- drill-down ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Drill:
    """Which figure's items are asked for: ``figure`` (FIGURE_NAMES) of the group ``key`` of
    ``group`` (None: of the totals)."""

    figure: str
    group: Grouping | None
    key: str | None
    label: str | None = None  # the group's name, for the page's heading (a code means little)


def check_drill(question: Question, figure: str, group: str | None, key: str | None) -> Drill:
    """The drill-down asked, checked: an unknown figure or grouping is ValueError; a key naming a
    unit or locality outside the territory (or nothing) is OutsideTerritory. Read only."""
    if figure not in FIGURE_NAMES:
        raise ValueError(figure)
    if not group:
        return Drill(figure, None, None)
    if group not in (*TABLE_GROUPINGS, "month") or not key:
        raise ValueError(group)
    grouping: Grouping = group  # narrowed by the check just above
    label: str | None = None
    if grouping == "unit":
        label = unit_by_code(question.territory, key).name
    elif grouping in ("commune", "village"):
        place = locality_by_code(question.territory, key)
        label = place_names([place.id]).get(place.id, place.name)
    elif grouping == "topic":
        label = db.session.scalar(select(Topic.name).where(Topic.code == key))
        if label is None:
            raise OutsideTerritory(key)
    elif grouping == "kind":
        Kind(key)  # ValueError for another value
    elif not _MONTH.fullmatch(key):
        raise ValueError(key)
    return Drill(figure, grouping, key, label)


@dataclass(frozen=True)
class DrillRow(ItemLine):
    overdue: bool


@dataclass(frozen=True)
class DrillPage:
    """One page of a drill-down. ``total`` is exact (``total_exact``) when the list ends on this
    page; otherwise it is the rows up to this page's last, and more follow: the page reads its
    rows and one more, never a count of every item behind the figure (a period's 83,000 at
    10,000,000 items, 1,000,000 for a year). ``pages`` is then one past this page."""

    drill: Drill
    items: list[DrillRow]
    page: int
    pages: int
    total: int
    total_exact: bool = True


def _behind(question: Question, drill: Drill, viewer: Viewer, now: datetime, period: Period) -> Select[tuple[Feedback]]:
    behind = items_behind(db.session(), period=period, scope=question.scope, figure=drill.figure,
                          group=drill.group, key=drill.key, now=now)
    # The access rule again, whatever the statistics return: only items the viewer may see.
    return behind.where(visible_items_filter(viewer))


def drill_period(question: Question, drill: Drill) -> Period:
    """The period a drill-down counts over: the question's, or the trend's for a month key."""
    return trend_period(question.period) if drill.group == "month" else question.period


def drill_items(question: Question, drill: Drill, *, viewer: Viewer, now: datetime, page: int,
                per_page: int = 25) -> DrillPage:
    """Page ``page`` of the items behind ``drill`` that ``viewer`` may see, by id: its rows and
    whether another follows (``DrillPage``). A page past the end is empty (``drill_pages`` says
    where the list ends). Read only."""
    page = max(page, 1)
    offset = (page - 1) * per_page
    query = _behind(question, drill, viewer, now, drill_period(question, drill))
    found: list[Feedback] = list(db.session.scalars(query.offset(offset).limit(per_page + 1)))
    more = len(found) > per_page
    items = found[:per_page]
    total = offset + len(items)
    return DrillPage(drill, _lines(items, now), page, page + 1 if more else page, total, not more)


def drill_pages(question: Question, drill: Drill, *, viewer: Viewer, now: datetime, per_page: int = 25) -> int:
    """How many pages the drill-down has (at least 1): every item behind it counted, for the
    rare request past the end (to send it to the last page), never for a page's own view."""
    query = _behind(question, drill, viewer, now, drill_period(question, drill))
    counted = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return max(-(-counted // per_page), 1)


def all_drill_items(question: Question, drill: Drill, *, viewer: Viewer, now: datetime,
                    limit: int = 50_000) -> list[DrillRow]:
    """Every item behind ``drill`` (up to ``limit``) for the export. Read only."""
    query = _behind(question, drill, viewer, now, drill_period(question, drill)).limit(limit)
    return _lines(list(db.session.scalars(query)), now)


def _lines(items: list[Feedback], now: datetime) -> list[DrillRow]:
    if not items:
        return []
    ids = [item.id for item in items]
    units = {u.id: u.name for u in db.session.scalars(
        select(Unit).where(Unit.id.in_({i.current_unit_id for i in items if i.current_unit_id})))}
    topics = {t.id: t.name for t in db.session.scalars(select(Topic).where(Topic.id.in_({i.topic_id for i in items})))}
    places = place_names({i.locality_id for i in items})
    running: dict[int, list[Deadline]] = {}
    for deadline in db.session.scalars(select(Deadline).where(Deadline.feedback_id.in_(ids),
                                                              Deadline.closed_at.is_(None))):
        running.setdefault(deadline.feedback_id, []).append(deadline)
    return [
        DrillRow(code=str(item.code), title=item.title, kind=item.kind, status=item.status,
                 unit=units.get(item.current_unit_id) if item.current_unit_id else None,
                 topic=topics.get(item.topic_id, ""), locality=places.get(item.locality_id, ""),
                 received_at=item.received_at,
                 next_due_at=min((d.due_at for d in running.get(item.id, [])), default=None),
                 overdue=any(deadline_is_overdue(d, now) for d in running.get(item.id, [])))
        for item in items
    ]


def today_of(now: datetime) -> date:
    """The local date of ``now`` (the named periods are seen from it)."""
    return local_date(now)


__all__ = ["CUSTOM", "PERIOD_NAMES", "TABLE_GROUPINGS", "TREND_MONTHS", "Dashboard", "Drill", "DrillPage", "DrillRow",
           "Question", "all_drill_items", "ask", "check_drill", "dashboard", "drill_items", "drill_pages",
           "drill_period", "overdue_list", "overdue_page", "overdue_per_unit", "period_for", "today_of", "trend_figures",
           "trend_period", "unit_figures"]
