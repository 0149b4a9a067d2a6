"""The values the statistics hand out and work with: the scope of a question, one row of
figures, one overdue item, and one fact (the unit of counting, DESIGN.md §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from feedback.domain.statistics import rate, wilson
from feedback.domain.status import Kind

Grouping = Literal["unit", "commune", "village", "topic", "kind", "month"]
GROUPINGS: tuple[Grouping, ...] = ("unit", "commune", "village", "topic", "kind", "month")

# The figures a drill-down can open (``items_behind``).
FIGURE_NAMES = ("received", "answered", "answered_on_time", "overdue_open", "transfers", "reopened", "ratings",
                "satisfied")


@dataclass(frozen=True)
class Scope:
    """What a question is limited to; every field None means "all".

    ``territory_id`` is the locality subtree the viewer may see (a province or a commune);
    ``locality_id`` a further chosen commune or village (its subtree); ``topic_id`` a topic
    subtree; ``unit_id`` one unit; ``kind`` one legal kind (the kind at the time of each fact).
    """

    territory_id: int | None = None
    unit_id: int | None = None
    locality_id: int | None = None
    topic_id: int | None = None
    kind: Kind | None = None


class FactKind(StrEnum):
    """What one fact counts (the stored text in ``stat_fact.measure``)."""

    RECEIVED = "received"  # the first assignment of the item to the unit
    ANSWERED = "answered"  # an answer the unit published (one per answer cycle)
    TRANSFER = "transfer"  # the unit returned the item as not its competence
    RATING = "rating"  # a rating of the unit's answer (by the time it was first given)
    REOPENED = "reopened"  # the resident reopened the unit's answer


@dataclass(frozen=True)
class Fact:
    """One counted fact with what it is counted under, as it was when it happened.

    ``ref`` tells facts of one measure and item apart: the unit (received), the answer,
    assignment, rating or reopening row. ``seconds`` is the answer's time to answer with the
    pauses taken out; ``on_time`` and ``satisfied`` are the answer's and the rating's verdicts.
    """

    measure: FactKind
    feedback_id: int
    ref: int
    unit_id: int
    unit_code: str
    unit_name: str
    locality_id: int
    commune_id: int
    village_id: int | None
    topic_id: int
    kind: Kind
    at: datetime
    day: date
    on_time: bool = False
    seconds: int | None = None
    satisfied: bool = False

    @property
    def identity(self) -> tuple[str, int, int]:
        return (self.measure.value, self.feedback_id, self.ref)

    @property
    def counted(self) -> tuple[object, ...]:
        """Everything that decides where and how the fact counts (the labels do not)."""
        return (self.unit_id, self.locality_id, self.commune_id, self.village_id, self.topic_id, self.kind.value,
                self.at, self.day, self.on_time, self.seconds, self.satisfied)


@dataclass(frozen=True)
class Figures:
    """The figures of one group (or of everything: ``totals``), DESIGN.md §6.

    ``key`` is the unit's code, the locality's code, the topic's code, the kind's value or
    "YYYY-MM"; ``label`` the display name (a unit's name as it was when it acted). Rates are
    fractions in [0, 1], None when their denominator is 0.
    """

    key: str
    label: str
    received: int
    answered: int
    answered_on_time: int
    on_time_rate: float | None
    overdue_open: int
    median_days_to_answer: float | None
    transfers: int
    reopened: int
    reopen_rate: float | None
    ratings: int
    satisfied: int
    satisfaction_rate: float | None
    satisfaction_ci: tuple[float, float] | None
    rating_response_rate: float | None

    @property
    def is_empty(self) -> bool:
        """Nothing to show: every count 0 and nothing overdue (so every rate and the median None)."""
        return not (self.received or self.answered or self.overdue_open or self.transfers or self.reopened
                    or self.ratings)

    @classmethod
    def of(cls, key: str, label: str, *, received: int = 0, answered: int = 0, answered_on_time: int = 0,
           overdue_open: int = 0, median_days_to_answer: float | None = None, transfers: int = 0,
           reopened: int = 0, ratings: int = 0, satisfied: int = 0) -> Figures:
        """The row with its rates and interval derived from the counts (the one place they are)."""
        return cls(
            key=key, label=label, received=received, answered=answered, answered_on_time=answered_on_time,
            on_time_rate=rate(answered_on_time, answered), overdue_open=overdue_open,
            median_days_to_answer=median_days_to_answer, transfers=transfers, reopened=reopened,
            reopen_rate=rate(reopened, answered), ratings=ratings, satisfied=satisfied,
            satisfaction_rate=rate(satisfied, ratings), satisfaction_ci=wilson(satisfied, ratings),
            rating_response_rate=rate(ratings, answered),
        )


@dataclass(frozen=True)
class FigureRows:
    """Rows of figures in their table's order: ``rows``, the first at position ``first``
    (0-based) of the ``total`` rows the table has."""

    rows: list[Figures]
    first: int
    total: int


@dataclass(frozen=True)
class OverdueRow:
    """One item past a deadline now, for the unit whose clock it is."""

    feedback_id: int
    code: str
    unit_id: int
    unit_code: str
    unit_name: str
    kind: Kind
    topic_id: int
    topic_name: str
    locality_id: int
    locality_name: str
    clock: str
    due_at: datetime
    late: timedelta
