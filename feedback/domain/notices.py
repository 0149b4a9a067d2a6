"""What the resident is told happened to their item (issue #8 item 4), one name per fact.

The same names serve the email (``services/handling/resident_notices``: the notification's
kind is ``resident_<notice>``) and the "what happened" list of the secret-link page
(``services/intake/tracking``), which reads them from the stored events (``NOTICE_ACTIONS``).
"""

from __future__ import annotations

from enum import StrEnum

from feedback.domain.events import EventAction


class Notice(StrEnum):
    ROUTED = "routed"  # given to a unit (routing, transfer, an administrator)
    ACCEPTED = "accepted"  # thụ lý
    INFORMATION_NEEDED = "information_needed"  # the unit asks the resident; clocks paused
    EXTENDED = "extended"  # the resolution deadline moved (with the new date)
    ANSWERED = "answered"  # the answer is published
    REJECTED = "rejected"  # refused with a reason
    REOPENED = "reopened"  # the resident reopened the item after an unsatisfying answer


# Stored event action → the notice it makes on the resident's page. "reopened" is written by the
# ratings (issue #8 item 5) and named here by its stored text, so that this table needs no change
# when that action arrives. An extension counts only for the resolution clock (the page checks).
NOTICE_ACTIONS: dict[str, Notice] = {
    EventAction.ASSIGNED.value: Notice.ROUTED,
    EventAction.ACCEPTED.value: Notice.ACCEPTED,
    EventAction.INFORMATION_REQUESTED.value: Notice.INFORMATION_NEEDED,
    EventAction.DEADLINE_EXTENDED.value: Notice.EXTENDED,
    EventAction.DEADLINE_RECLASSIFIED.value: Notice.EXTENDED,
    EventAction.ANSWER_PUBLISHED.value: Notice.ANSWERED,
    EventAction.REJECTED.value: Notice.REJECTED,
    "reopened": Notice.REOPENED,
}
