"""Why a unit stopped holding an item: the end of an assignment (DESIGN.md §3, Assignment)."""

from __future__ import annotations

from enum import StrEnum


class EndReason(StrEnum):
    """How an assignment ended, stored in ``assignment.end_reason``; the unit's own words go in
    ``assignment.end_reason_text``. Only what something writes is listed: the handling
    capability adds its ends (answered and closed) when it arrives."""

    # The unit returned the item as not its competence (chuyển đơn); transfers are counted from these.
    NOT_COMPETENT = "not_competent"
    # An administrator handed the item to a named unit (not a return: it does not count towards
    # the jurisdiction-dispute limit).
    HANDED_OVER = "handed_over"
