"""Statistics (DESIGN.md §6): the figures per unit, locality, topic, kind and month for a
period and scope, the totals, the ranking by the lower end of the satisfaction interval, the
items behind a figure and the overdue list now. Every page, export and API reads these.

The counts come from rollups kept in the transaction of each fact (``live``: facts derived by
``facts``, written by ``rollups``; ``flask stats rebuild`` recomputes them from scratch), the
medians from the stored per-answer facts (the wide questions' computed ahead by ``medians``
and used while exact; on PostgreSQL the units, communes and totals of any range through the
answers' histogram, ``histogram``), overdue from the open clocks. ``recount`` counts the
same figures straight from the raw rows: the oracle the rollups are tested against.

Shells import from here, not from the inner modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period, median, rate, wilson
from feedback.domain.text import name_key
from feedback.models import Feedback
from feedback.services.statistics import queries
from feedback.services.statistics.live import count_first_assignment, track_facts
from feedback.services.statistics.medians import refresh_medians
from feedback.services.statistics.overdue import overdue_counts, overdue_now
from feedback.services.statistics.rebuild import item_count, rebuild, rebuild_statistics
from feedback.services.statistics.rollups import refresh_items
from feedback.services.statistics.shared import SharedReads
from feedback.services.statistics.values import (
    FIGURE_NAMES,
    GROUPINGS,
    FigureRows,
    Figures,
    Grouping,
    OverdueRow,
    Scope,
)

# Units with fewer ratings than this are shown apart ("too few ratings"), never ranked.
MIN_RATINGS = 10


def figures(session: Session, *, period: Period, group: Grouping, scope: Scope, now: datetime,
            shared: SharedReads | None = None, every_active_unit: bool = False) -> list[Figures]:
    """One row of figures per group (``group``) for ``period`` within ``scope``; groups with no
    fact in the period and nothing overdue are left out, except months (every month of the
    period is listed, for trends) and, with ``every_active_unit`` (the public pages: group
    "unit", the whole platform's scope, else ValueError), every active unit that answers
    residents (not the Front's committees, which watch), its counts 0, its rates and median None. ``overdue_open`` is as of ``now``. ``shared``: what the
    page's other calls about the same scope and ``now`` read already (``SharedReads``). Read only."""
    return queries.rollup_figures(session, period=period, group=group, scope=scope, now=now, shared=shared,
                                  every_active_unit=every_active_unit).rows


def figure_rows(session: Session, *, period: Period, group: Grouping, scope: Scope, now: datetime, first: int,
                count: int, shared: SharedReads | None = None) -> FigureRows:
    """``count`` rows of ``figures`` from position ``first`` (0-based, in their order) and how
    many there are: what one page of a table shows. Every group is counted, named and ordered,
    but only these rows' medians are computed and their figures built (a province has 1,452
    villages; a page shows 100). Read only, as ``figures`` (which keeps the medians it computes)."""
    return queries.rollup_figures(session, period=period, group=group, scope=scope, now=now, shared=shared,
                                  window=(first, count))


def totals(session: Session, *, period: Period, scope: Scope, now: datetime,
           shared: SharedReads | None = None) -> Figures:
    """All of ``scope`` for ``period`` as one row (key and label ""; ``shared`` as for
    ``figures``). Read only."""
    return queries.rollup_totals(session, period=period, scope=scope, now=now, shared=shared)


def ranking(rows: list[Figures], min_ratings: int = MIN_RATINGS) -> tuple[list[Figures], list[Figures]]:
    """(ranked, too few ratings): rows with at least ``min_ratings`` ratings ordered by the
    lower end of their satisfaction interval, best first (ties: rate, then label); the others
    in their given order."""
    ranked = [r for r in rows if r.ratings >= min_ratings and r.satisfaction_ci is not None]
    ranked.sort(key=lambda r: (-(r.satisfaction_ci or (0.0, 0.0))[0], -(r.satisfaction_rate or 0.0), name_key(r.label)))
    too_few = [r for r in rows if not (r.ratings >= min_ratings and r.satisfaction_ci is not None)]
    return ranked, too_few


def items_behind(session: Session, *, period: Period, scope: Scope, figure: str, group: Grouping | None,
                 key: str | None, now: datetime) -> Select[Any]:
    """The items ``figure`` (one of FIGURE_NAMES) counts for the group whose key is ``key``
    (every group when ``group`` is None), as a query of Feedback rows ordered by id, for the
    caller to page and to filter further (access rules). ValueError for another figure."""
    return queries.rollup_items_behind(session, period=period, scope=scope, figure=figure, group=group, key=key,
                                       now=now)


__all__ = ["FIGURE_NAMES", "GROUPINGS", "MIN_RATINGS", "FigureRows", "Figures", "Grouping", "OverdueRow", "Period",
           "Scope", "SharedReads", "count_first_assignment", "figure_rows", "figures", "item_count", "items_behind",
           "median", "overdue_counts", "overdue_now", "ranking", "rate", "rebuild", "rebuild_statistics", "refresh_items",
           "refresh_medians", "totals", "track_facts", "wilson"]
