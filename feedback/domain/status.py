"""Kinds, statuses and channels of a feedback item, and the legal transitions between statuses."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """The legal kind of one item (DESIGN.md §2). One item has exactly one kind."""

    COMMENT = "comment"  # góp ý
    REPORT = "report"  # phản ánh
    PETITION = "petition"  # kiến nghị
    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo

    @property
    def needs_identity(self) -> bool:
        """Khiếu nại and tố cáo must name the person (Luật Khiếu nại Art. 8, Luật Tố cáo Art. 23)."""
        return self in (Kind.COMPLAINT, Kind.DENUNCIATION)


class Status(StrEnum):
    """Where an item is in its life (DESIGN.md §4). Overdue is not a status."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"


class Origin(StrEnum):
    """Who puts an item in a unit's hands. Resident items are the platform's items: routed, tracked
    publicly, rated and counted in every resident figure (DESIGN.md §6). A supervision
    recommendation (kiến nghị sau giám sát, BTTND kiến nghị) is issued by the Front or the
    Inspection Board straight to one unit and answered through the same draft and approval path;
    it has no resident, no routing, no public page, no rating, and is counted apart
    (``feedback.services.recommendations``)."""

    RESIDENT = "resident"
    SUPERVISION = "supervision"


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    STAFF = "staff"


class InvalidTransition(Exception):
    """Raised when a status change is not allowed from the current status."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"cannot go from {current} to {target}")
        self.current = current
        self.target = target


_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ASSIGNED, Status.REJECTED}),
    # a transfer re-routes: the item goes back to received, then is assigned again
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.RECEIVED, Status.ASSIGNED, Status.REJECTED}),
    # accepted, then answered; rejected when found a duplicate, not a valid kind or abusive
    Status.IN_PROGRESS: frozenset({Status.ANSWERED, Status.RECEIVED, Status.ASSIGNED, Status.REJECTED}),
    # closed once rated or after the window; reopened (back in progress) when the resident is unsatisfied
    Status.ANSWERED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    # a closure by a rating of 3 or more is undone when the resident changes that rating below 3
    # within its 7 days: the offer to reopen (within 30 days of the answer) must stay open
    Status.CLOSED: frozenset({Status.ANSWERED}),
    Status.REJECTED: frozenset(),
}


# The statuses in which the unit holding an item works on it (accept, ask, note, draft, extend).
HANDLING_STATUSES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})


def next_status(current: Status, target: Status) -> Status:
    """Return ``target`` if the move from ``current`` is legal, else raise :class:`InvalidTransition`."""
    if target not in _TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target
