"""The public scoreboard (/units): every unit's figures for a chosen period, the same figures as
the Front's dashboard and the open data (``feedback.services.statistics``), with the ranking by
the satisfaction interval's lower bound. Units and counts only: no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from feedback.domain.text import NameKey, name_key
from feedback.extensions import db
from feedback.services.statistics import Figures, Period, Scope, SharedReads, figures, ranking, totals

# The named periods a visitor may choose (Period.named), the first being the default.
NAMED_PERIODS = ("last_12_months", "this_month", "last_month", "this_quarter", "this_year")
MIN_RATINGS = 10


@dataclass(frozen=True)
class Scoreboard:
    """The units of the open data for the same period, split for reading: ``units`` (with some
    figure, the table) and ``without_figures`` (active units with nothing in the period, listed
    apart by name), both in Vietnamese alphabetical order."""

    period: Period
    units: tuple[Figures, ...]  # by name
    ranked: tuple[Figures, ...]  # by the satisfaction interval's lower bound, best first
    too_few_ratings: tuple[Figures, ...]  # with some figure, but too few ratings to rank
    total: Figures
    without_figures: tuple[Figures, ...] = ()  # by name


def named_period(name: str | None, today: date) -> tuple[str, Period]:
    """The period called ``name`` (the default for an unknown or missing name) and its name."""
    chosen = name if name in NAMED_PERIODS else NAMED_PERIODS[0]
    return str(chosen), Period.named(str(chosen), today)


def scoreboard(period: Period, *, now: datetime) -> Scoreboard:
    """Every unit the open data lists for ``period`` (every active unit, and inactive ones with
    figures), those with nothing apart; the ranking and the whole platform's totals. Read only."""
    # The units and the totals are two questions about the same period and ``now``: their stored
    # medians, their sums (one rollup, one pass), their overdue counts and the window of
    # past-due clocks are read once for both.
    shared = SharedReads(asked=((period, "unit"), (period, None)))
    rows = figures(db.session(), period=period, group="unit", scope=Scope(), now=now, shared=shared,
                   every_active_unit=True)
    shown = [row for row in rows if not row.is_empty]
    ranked, too_few = ranking(shown, min_ratings=MIN_RATINGS)
    total = totals(db.session(), period=period, scope=Scope(), now=now, shared=shared)
    return Scoreboard(period, tuple(sorted(shown, key=_by_name)), tuple(ranked), tuple(too_few), total,
                      tuple(sorted((row for row in rows if row.is_empty), key=_by_name)))


def _by_name(row: Figures) -> tuple[NameKey, str]:
    return name_key(row.label), row.key
