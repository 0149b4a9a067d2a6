"""Supervision recommendations (kiến nghị sau giám sát, BTTND kiến nghị; issue #9 item 4): the
Front or the Inspection Board issues one to a unit of its territory, with its own clock; the unit
answers it through the handling path (``feedback.services.handling``) as an item of origin
``supervision``; the issuer reads the answer; counts per unit feed the dashboard and the briefing.

Resident pages, routing and the resident figures take only items of origin ``resident``
(``resident_items``). Shells import from here, not from the inner modules.
"""

from sqlalchemy import ColumnElement

from feedback.domain.recommendations import RecommendationSource, sources
from feedback.domain.status import Origin
from feedback.models import Feedback
from feedback.services.recommendations.counts import RecommendationCounts, counts
from feedback.services.recommendations.issuing import (
    Issued, NotAllowed, RecommendationDraft, RecommendationInvalid, addressable_units, configured_days,
    issue_recommendation,
)
from feedback.services.recommendations.reading import (
    AnswerView, FileView, RecommendationFacts, RecommendationLine, RecommendationNotFound, RecommendationView,
    SupervisionClock, recommendation_facts, recommendation_file, recommendation_lines, recommendation_view,
)


def resident_items() -> ColumnElement[bool]:
    """WHERE clause over ``feedback``: residents' items only (recommendations left out)."""
    return Feedback.origin == Origin.RESIDENT


__all__ = [
    "AnswerView", "FileView", "Issued", "NotAllowed", "RecommendationCounts", "RecommendationDraft",
    "RecommendationFacts", "RecommendationInvalid", "RecommendationLine", "RecommendationNotFound",
    "RecommendationSource", "RecommendationView", "SupervisionClock", "addressable_units", "configured_days", "counts",
    "issue_recommendation", "recommendation_facts", "recommendation_file", "recommendation_lines",
    "recommendation_view", "resident_items", "sources",
]
