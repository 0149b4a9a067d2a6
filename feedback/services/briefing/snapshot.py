"""What a briefing report holds, taken once at generation time as plain JSON values.

The figures come from ``feedback.services.statistics`` (DESIGN.md §6 definitions, the same as
every page and export), for the territory's items in the month; the overdue list is the one at
generation time; hot spots are those seen during the month; recommendations with the unit's
answer. Items are named by their code only: no resident's text, name or contact enters a report.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from feedback.domain.briefing import month_end
from feedback.domain.calendar import VN_TZ, local_date
from feedback.extensions import db
from feedback.models import Locality, Unit
from feedback.services.briefing.recommendations import recommendation_rows
from feedback.services.hotspots import hot_spots_in
from feedback.services.statistics import MIN_RATINGS, OverdueRow, Period, Scope, figures, overdue_now, ranking, totals


def jsonable(value: Any) -> Any:
    """``value`` as JSON values: dataclasses as dicts, tuples as lists, times as ISO strings,
    enums as their values, durations as days."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    return value


def overdue_row(row: OverdueRow) -> dict[str, Any]:
    """One overdue item as the report lists it: code, unit, kind, topic, place, which clock, its
    due time (local) and how late in days (one decimal)."""
    return {
        "code": row.code, "unit": row.unit_name, "unit_code": row.unit_code, "kind": row.kind.value,
        "topic": row.topic_name, "locality": row.locality_name, "clock": row.clock,
        "due_at": row.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"),
        "days_late": round(row.late.total_seconds() / 86400, 1),
    }


def build_snapshot(territory: Locality, committee: Unit | None, month: date, *, now: datetime) -> dict[str, Any]:
    """The report's content for ``territory`` and the month starting on ``month``."""
    period = Period(month, month_end(month))
    scope = Scope(territory_id=territory.id)
    session = db.session()
    headline = totals(session, period=period, scope=scope, now=now)
    per_unit = figures(session, period=period, group="unit", scope=scope, now=now)
    ranked, too_few = ranking(per_unit, min_ratings=MIN_RATINGS)
    overdue = overdue_now(session, scope=scope, now=now)
    spots = hot_spots_in(territory.id, since=period.start, until=period.end, today=local_date(now))
    return {
        "territory": {"id": territory.id, "code": territory.code, "name": territory.name},
        "committee": {"code": committee.code, "name": committee.name} if committee else None,
        "month": month.strftime("%Y-%m"),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "generated_at": now.isoformat(),
        "totals": jsonable(headline),
        "ranked": jsonable(ranked),
        "too_few_ratings": jsonable(too_few),
        "min_ratings": MIN_RATINGS,
        "overdue": [overdue_row(row) for row in overdue],
        "hot_spots": [
            {"id": s.id, "commune": s.commune_name, "topic": s.topic_name, "first_day": s.first_day.isoformat(),
             "last_seen_on": s.last_seen_on.isoformat(), "recent_count": s.recent_count,
             "peak_count": s.peak_count, "weekly_average": s.weekly_average}
            for s in spots
        ],
        "recommendations": recommendation_rows(territory, period.start, period.end, now=now),
    }


__all__ = ["MIN_RATINGS", "build_snapshot", "jsonable"]
