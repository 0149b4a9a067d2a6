"""What the administrator's calendar page shows for one year (read only).

Changing the calendar is ``feedback.services.deadlines.overrides.add_override`` / ``remove_override``,
which also recompute open deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import CalendarOverride

# The languages of the holiday names in the `holidays` package, by the site's locale.
_HOLIDAY_LANGUAGES = {"vi": "vi", "en": "en_US"}
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class YearOverview:
    """The public holidays and worked Saturdays the ``holidays`` package knows for ``year``, and
    the administrator's overrides of that year (which win over the package), all by date."""

    year: int
    holidays: list[tuple[date, str]]
    package_worked_days: list[date]
    overrides: list[CalendarOverride]


def year_overview(year: int, locale: str = "vi") -> YearOverview:
    """The overview of ``year`` with holiday names in ``locale`` (vi or en; others fall back to vi).

    Raises ValueError for a year outside 2000-2099 (the range of tracking codes and calendars).
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year must be within {FIRST_YEAR}-{LAST_YEAR}, got {year}")
    package = holidays.country_holidays("VN", years=year, language=_HOLIDAY_LANGUAGES.get(locale, "vi"))
    overrides = db.session.execute(
        select(CalendarOverride)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)
    ).scalars()
    return YearOverview(
        year=year,
        holidays=sorted((day, str(name)) for day, name in package.items() if day.year == year),
        package_worked_days=sorted(day for day in package.weekend_workdays if day.year == year),
        overrides=list(overrides),
    )
