"""Residents' items only: hot spots, public answers and public figures count what residents sent.

Supervision recommendations (helper ``recs``, branch feat/recs) travel through the units' hands as
``Feedback`` rows of origin ``supervision``; they are not residents' items and must never make a
hot spot or be listed among the public answers. That branch adds ``Feedback.origin`` and offers
this clause as ``feedback.services.recommendations.resident_items()``; until both are merged this
module reads the column when it exists. INTEGRATOR: once feat/recs is in, replace the body by
``return recommendations.resident_items()`` (the one definition).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from feedback.models import Feedback


def resident_items_only() -> ColumnElement[bool]:
    """WHERE clause over ``feedback``: residents' items only (every item before origins exist)."""
    origin = getattr(Feedback, "origin", None)
    if origin is None:
        return true()
    clause: ColumnElement[bool] = origin == "resident"
    return clause
