"""The supervision recommendations of the dashboard's question, counted per addressee unit
(issue #9 item 4): issued, answered, answered on time, the on-time rate and those overdue now.

The figures are ``feedback.services.recommendations.counts`` (its module says what each counts),
asked for the question's period, within its territory (narrowed to the locality filter), and for
the unit and topic filters when they are set. The kind filter is the residents' kinds and does
not apply: every recommendation is a petition of the Front or the Board (``kind_ignored``).
Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.domain.text import name_key
from feedback.extensions import db
from feedback.services.monitoring.dashboard import Question
from feedback.services import recommendations as supervision

__all__ = ["RecommendationFigures", "RecommendationTable", "recommendation_figures"]


@dataclass(frozen=True)
class RecommendationFigures:
    """One unit's recommendations for the period (or the totals, with an empty code)."""

    unit_code: str
    unit_name: str
    issued: int
    answered: int
    answered_on_time: int
    overdue_open: int

    @property
    def on_time_rate(self) -> float | None:
        """Answered on time over answered; None when nothing was answered (never 0)."""
        return self.answered_on_time / self.answered if self.answered else None


@dataclass(frozen=True)
class RecommendationTable:
    rows: list[RecommendationFigures]
    totals: RecommendationFigures
    kind_ignored: bool


def recommendation_figures(question: Question, *, now: datetime) -> RecommendationTable:
    """The recommendations per unit for ``question`` at ``now``, by unit name, and their totals."""
    found = supervision.counts(db.session(), period_start=question.period.start, period_end=question.period.end,
                               territory_id=question.locality_id or question.territory.id, now=now,
                               unit_id=question.unit_id, topic_id=question.topic_id)
    rows = sorted((RecommendationFigures(c.unit_code, c.unit_name, c.issued, c.answered, c.answered_on_time,
                                         c.overdue_open or 0) for c in found.values()),
                  key=lambda row: (name_key(row.unit_name), row.unit_code))
    total = RecommendationFigures("", "", sum(r.issued for r in rows), sum(r.answered for r in rows),
                                  sum(r.answered_on_time for r in rows), sum(r.overdue_open for r in rows))
    return RecommendationTable(rows, total, question.kind is not None)
