"""Residents' items only: hot spots, public answers and public figures count what residents sent.

Supervision recommendations travel through the units' hands as ``Feedback`` rows of origin
``supervision``; they are not residents' items and never make a hot spot or appear among the
public answers. The clause is defined once, by the recommendations capability.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from feedback.services import recommendations


def resident_items_only() -> ColumnElement[bool]:
    """WHERE clause over ``feedback``: residents' items only."""
    return recommendations.resident_items()
