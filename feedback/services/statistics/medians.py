"""The medians computed ahead (``stat_median``) for the wide questions, so that a page asking
them reads a few stored rows instead of sorting every answer of a province for a year.

What is computed ahead (``presets``): for the whole platform (the open data, the public
scoreboard) the units and the totals, and for each province (a Front committee's territory) the
totals and every grouping of the dashboard's table, for each named period seen from today
(``PERIOD_NAMES``), and the months of each one's trend; and for each topic area (a topic at the
top of the tree) of each province, its units and its totals. Any other question keeps the medians
its first view computed (``queries.keep_medians``).

Each stored median carries the stamp of its group when it was computed: the sum of
``answer_changes`` over the group's rollup rows, read before and after the answers and the same
both times. That sum grows by at least 1 with every answer entering or leaving the group
(``rollups.apply_deltas``), never shrinks (whatever it started from: the migration starts it at
0), and a rebuild empties this table: so a stored median
whose stamp equals the group's stamp now was computed from exactly the answers there are now,
and ``queries.medians`` uses it as the exact current value; for any other group it computes the
median from the answers, for those groups only. A stale median is never shown.

``refresh_medians`` (the beat, every few minutes, and ``flask stats rebuild``) recomputes only
the groups whose stamp moved, and forgets the periods no longer offered (a day after a view last
kept one: ``KEPT_FOR``). A closed period (last month) is computed once; the periods running to today move with their new answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session

from feedback.domain.calendar import local_date
from feedback.domain.statistics import PERIOD_NAMES, Period, trend_period
from feedback.models import Locality, StatMedian, Topic
from feedback.models.directory import LocalityLevel
from feedback.services.database import on_postgresql
from feedback.services.statistics.grouping import GroupId
from feedback.services.statistics.queries import (
    Filters, counted, filters_of, grouping_key, median_seconds, scope_key, stamps_of, store_medians, stored_key,
)
from feedback.services.statistics.values import Grouping, Scope

log = logging.getLogger(__name__)

# The groupings a province's dashboard table offers (with None: the totals).
TABLE_GROUPINGS: tuple[Grouping | None, ...] = (None, "unit", "commune", "village", "topic", "kind")
# A topic area of a province (the dashboard's topic filter at its top level): by unit, and the totals.
AREA_GROUPINGS: tuple[Grouping | None, ...] = (None, "unit")
# The open data and the public scoreboard: by unit, and the totals.
PLATFORM_GROUPINGS: tuple[Grouping | None, ...] = (None, "unit")
# How long the medians a view kept of a period not offered (a custom range) stay stored.
KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Preset:
    scope: Scope
    period: Period
    group: Grouping | None


def presets(session: Session, now: datetime) -> list[Preset]:
    """The questions whose medians are kept ahead, as of ``now``."""
    today = local_date(now)
    named = list(dict.fromkeys(Period.named(name, today) for name in PERIOD_NAMES))
    trends = list(dict.fromkeys(trend_period(period) for period in named))
    provinces = list(session.scalars(select(Locality.id).where(Locality.level == LocalityLevel.PROVINCE)
                                     .order_by(Locality.id)))
    areas = list(session.scalars(select(Topic.id).where(Topic.parent_id.is_(None)).order_by(Topic.id)))
    found = [Preset(Scope(), period, group) for period in named for group in PLATFORM_GROUPINGS]
    for province in provinces:
        scope = Scope(territory_id=province)
        found += [Preset(scope, period, group) for period in named for group in TABLE_GROUPINGS]
        found += [Preset(scope, period, "month") for period in trends]
        for area in areas:
            found += [Preset(Scope(territory_id=province, topic_id=area), period, group)
                      for period in named for group in AREA_GROUPINGS]
    return found


@dataclass(frozen=True)
class Refreshed:
    questions: int  # presets looked at
    computed: int  # group medians computed (stale or new)
    forgotten: int  # stored medians of periods no longer offered


def _stamps(session: Session, period: Period, group: Grouping | None, f: Filters) -> dict[GroupId, int]:
    return stamps_of(counted(session, period, group, f))


def refresh_one(session: Session, preset: Preset, now: datetime) -> int:
    """Recompute, in the caller's transaction, the medians of the groups of ``preset`` whose
    stamp moved; returns how many were stored.

    The stamps are read before and after the answers (under READ COMMITTED each statement sees
    its own snapshot): a group whose stamp is the same both times had the same answers all
    along, so its median is stored with that stamp; a group that changed meanwhile is left for
    the next run (its pages compute it themselves until then)."""
    f = filters_of(session, preset.scope)
    if f.empty:
        return 0
    period, group = preset.period, preset.group
    key, grouping = scope_key(f), grouping_key(group)
    stamps = _stamps(session, period, group, f)
    stored = {row.group_key: row.stamp for row in session.execute(
        select(StatMedian.group_key, StatMedian.stamp).where(
            StatMedian.scope_key == key, StatMedian.start == period.start, StatMedian.end == period.end,
            StatMedian.grouping == grouping))}
    stale = [k for k, stamp in stamps.items() if stored.get(stored_key(k)) != stamp]
    if not stale:
        return 0
    found = median_seconds(session, period, group, f, None if group is None else stale)
    after = _stamps(session, period, group, f)
    rows = [{"scope_key": key, "start": period.start, "end": period.end, "grouping": grouping,
             "group_key": stored_key(k), "stamp": stamps[k], "seconds": found.get(k), "computed_at": now}
            for k in stale if after.get(k) == stamps[k]]
    store_medians(session, rows)
    return len(rows)


def _forget_old(session: Session, kept: list[Period], now: datetime) -> int:
    """Forget the medians of the periods no longer offered, once no view has kept one of them
    for ``KEPT_FOR`` (a custom range viewed today stays a read until tomorrow)."""
    wanted = {(p.start, p.end) for p in kept}
    stored = {(row.start, row.end) for row in session.execute(select(StatMedian.start, StatMedian.end).distinct())}
    old = sorted(stored - wanted)
    if not old:
        return 0
    result = session.execute(delete(StatMedian).where(tuple_(StatMedian.start, StatMedian.end).in_(old),
                                                      StatMedian.computed_at < now - KEPT_FOR))
    return int(getattr(result, "rowcount", 0) or 0)


def _batches(items: list[Preset]) -> Iterator[list[Preset]]:
    """The presets a question (scope and period) at a time: one transaction each."""
    batch: list[Preset] = []
    for preset in items:
        if batch and (batch[0].scope, batch[0].period) != (preset.scope, preset.period):
            yield batch
            batch = []
        batch.append(preset)
    if batch:
        yield batch


def refresh_medians(session: Session, now: datetime) -> Refreshed:
    """Bring the medians computed ahead up to date as of ``now``: commits once per question
    (scope and period). Idempotent; safe beside the live writers (see ``refresh_one``)."""
    listed = presets(session, now)
    forgotten = _forget_old(session, [p.period for p in listed], now)
    session.commit()
    computed = 0
    for batch in _batches(listed):
        try:
            if on_postgresql():
                # One refresh at a time, and never across a rebuild (which takes this lock before
                # it empties the table): stamps read before a rebuild are never stored after it.
                session.execute(text("LOCK TABLE stat_median IN SHARE ROW EXCLUSIVE MODE"))
            computed += sum(refresh_one(session, preset, now) for preset in batch)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    log.info("medians computed ahead: %d questions, %d group medians computed, %d forgotten",
             len(listed), computed, forgotten)
    return Refreshed(len(listed), computed, forgotten)
