"""What the audit log records: the actions (``EventAction``) and who did them (``Actor``).

The values are exactly the texts stored in ``event.action`` and ``event.actor`` (and hashed into
each event's chain link), so stored data and old hashes never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventAction(StrEnum):
    """Every action something writes to the audit log; nothing else is ever written.

    Public ones (shown on the resident's timeline) are marked; the others are internal.
    """

    RECEIVED = "received"  # public: the resident sent the item
    ASSIGNED = "assigned"  # public: given to a unit (routing, transfer or an administrator)
    JURISDICTION_DISPUTE = "jurisdiction_dispute"  # public: given to the Front after too many returns
    RETURNED = "returned"  # a unit gave it back as not its competence
    ROUTING_FAILED = "routing_failed"  # no unit could be chosen; administrators are told
    ROUTING_REQUESTED = "routing_requested"  # an administrator sent it to routing again
    PERSONAL_DATA_VIEWED = "personal_data_viewed"  # staff saw the resident's name or contact
    HANDED_OVER_BY_ADMIN = "handed_over_by_admin"  # an administrator gave it to a named unit, with a reason
    DEADLINES_SET = "deadlines_set"  # public: the clocks started
    DEADLINES_REASSIGNED = "deadlines_reassigned"  # open clocks handed to the next unit
    TRANSFER_CLOCK_SET = "transfer_clock_set"  # public: the 5-working-day transfer clock started
    DEADLINE_MET = "deadline_met"  # public
    DEADLINE_BREACHED = "deadline_breached"  # the scan recorded a breach and escalated it
    DEADLINE_RECOMPUTED = "deadline_recomputed"  # public: a calendar override moved due dates
    DEADLINE_EXTENDED = "deadline_extended"  # replayed by ``recompute_due_at``
    DEADLINE_RECLASSIFIED = "deadline_reclassified"  # a complaint found complex: longer period
    CLOCKS_PAUSED = "clocks_paused"  # waiting for the resident
    CLOCKS_RESUMED = "clocks_resumed"  # replayed by ``recompute_due_at``: carries every span
    # Handling by the unit (feedback.services.handling)
    OFFICER_ASSIGNED = "officer_assigned"  # the head gave the item to one of the unit's officers
    ACCEPTED = "accepted"  # public: thụ lý (the unit accepted the item)
    REJECTED = "rejected"  # public: refused with a reason (duplicate, not a valid kind, abusive)
    KIND_CHANGED = "kind_changed"  # public: e.g. an anonymous tố cáo kept as a phản ánh
    INFORMATION_REQUESTED = "information_requested"  # public: the unit asks the resident for more
    INFORMATION_PROVIDED = "information_provided"  # public: the resident answered on the secret link
    NOTE_ADDED = "note_added"  # an internal note (the text stays in ``note``)
    ANSWER_DRAFTED = "answer_drafted"  # an officer saved the answer's draft
    ANSWER_SUBMITTED = "answer_submitted"  # sent to the unit head for approval
    ANSWER_RETURNED = "answer_returned"  # the head returned the draft with a comment
    ANSWER_PUBLISHED = "answer_published"  # public: the answer is published to the resident
    EXTENSION_REQUESTED = "extension_requested"  # an officer asks the head for more time
    EXTENSION_REFUSED = "extension_refused"  # the head (or the law) refused it
    # ratings (issue #8 item 5)
    RATED = "rated"  # public: the resident rated the answer of a cycle
    RATING_CHANGED = "rating_changed"  # public: the resident changed it within 7 days
    REOPENED = "reopened"  # public: unsatisfied, the resident sent it back to the unit that answered
    CLOSED = "closed"  # public: rated 3 or more, or 30 days after the answer without a reopening
    CLOSURE_UNDONE = "closure_undone"  # public: a rating changed below 3 reopens the offer to reopen
    # supervision recommendations (issue #9 item 4); their answer is "answer_published"
    RECOMMENDATION_ISSUED = "recommendation_issued"  # the Front or the Inspection Board issued it to a unit


@dataclass(frozen=True)
class Actor:
    """Who did something: ``str()`` is the text stored in ``event.actor``, ``user_id`` the
    ``event.actor_user_id`` (set only for a signed-in user). Build one with a constructor below;
    a blank name raises ValueError."""

    name: str
    user_id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an actor needs a name")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def system(cls) -> Actor:
        """The application itself: routing, the clocks it starts and meets."""
        return cls("system")

    @classmethod
    def deadline_scan(cls) -> Actor:
        """The beat scan that records breaches and sends reminders."""
        return cls("system:deadline-scan")

    @classmethod
    def resident(cls) -> Actor:
        """The person who sent the item (never named in the log)."""
        return cls("resident")

    @classmethod
    def cli(cls, login: str) -> Actor:
        """An operator at the command line, by the login name of the shell (``cli:<login>``).
        Raises ValueError for a blank login."""
        if not login.strip():
            raise ValueError("a command-line actor needs a login name")
        return cls(f"cli:{login}")

    @classmethod
    def user(cls, user_id: int, username: str) -> Actor:
        """A signed-in user: stored as the username, with the account's id."""
        return cls(username, user_id)
