"""Audit actions and actors are named values whose texts are exactly what the log has always stored."""

from __future__ import annotations

import pytest

from feedback.domain.assignments import EndReason
from feedback.domain.events import Actor, EventAction

# The texts already in stored events and hashed into their chains: they must never change.
STORED_ACTIONS = {
    "received", "assigned", "jurisdiction_dispute", "returned", "routing_failed", "routing_requested",
    "personal_data_viewed", "deadlines_set", "deadlines_reassigned", "transfer_clock_set", "deadline_met",
    "deadline_breached", "deadline_recomputed", "deadline_extended", "deadline_reclassified", "clocks_paused",
    "clocks_resumed", "handed_over_by_admin",
    # handling (issue #8)
    "officer_assigned", "accepted", "rejected", "kind_changed", "information_requested", "information_provided",
    "note_added", "answer_drafted", "answer_submitted", "answer_returned", "answer_published",
    "extension_requested", "extension_refused",
    # ratings (issue #8 item 5)
    "rated", "rating_changed", "reopened", "closed", "closure_undone",
    # supervision recommendations (issue #9 item 4)
    "recommendation_issued",
}


def test_the_actions_are_exactly_the_stored_texts() -> None:
    """Proves: each action's value is a text already in stored events, and every one is named."""
    assert {action.value for action in EventAction} == STORED_ACTIONS
    assert EventAction.CLOCKS_RESUMED == "clocks_resumed"  # a StrEnum compares equal to the stored text


@pytest.mark.parametrize("actor, stored, user_id", [
    (Actor.system(), "system", None),
    (Actor.deadline_scan(), "system:deadline-scan", None),
    (Actor.resident(), "resident", None),
    (Actor.cli("nguyenvana"), "cli:nguyenvana", None),
    (Actor.user(7, "quantri"), "quantri", 7),
])
def test_an_actor_is_stored_as_todays_text(actor: Actor, stored: str, user_id: int | None) -> None:
    """Proves: str() of each kind of actor is the text stored in event.actor until now, and only a
    signed-in user carries an account id."""
    assert (str(actor), actor.user_id) == (stored, user_id)


def test_actors_are_values() -> None:
    """Proves: two actors made alike are equal (usable as defaults and in sets), and a nameless one
    is refused."""
    assert Actor.system() == Actor.system() and Actor.user(7, "quantri") != Actor.user(8, "quantri")
    with pytest.raises(ValueError):
        Actor.cli(" ")  # "cli: " is not blank, but a login is required
    with pytest.raises(ValueError):
        Actor.user(7, "")


def test_the_end_reason_of_a_return_is_named() -> None:
    """Proves: the stored name of a return as not competent is the prefix's word, nothing else."""
    assert EndReason.NOT_COMPETENT.value == "not_competent"
