"""Who may see what (DESIGN.md §1): one table per role of which items it sees, what it may do
with them and on what basis it sees the resident's personal data.

A small world of plain ids: province 1 → communes 10 and 20 → villages 11 and 21. Units: UBND
of commune 10 (100) and of commune 20 (200), a provincial department (300), the provincial
Front committee (900) and the Front committee of commune 10 (910).
"""

from __future__ import annotations

import pytest

from feedback.domain.access import (
    ANONYMOUS,
    Action,
    Grant,
    ItemFacts,
    PersonalDataBasis,
    Role,
    Viewer,
    allowed_actions,
    may,
    may_see,
    may_see_personal_data,
    personal_data_basis,
    visibility,
)

PROVINCE, COMMUNE_10, VILLAGE_11, COMMUNE_20, VILLAGE_21 = (1,), (1, 10), (1, 10, 11), (1, 20), (1, 20, 21)
UBND_10, UBND_20, DEPARTMENT, FRONT_PROVINCE, FRONT_10 = 100, 200, 300, 900, 910

ITEMS: dict[str, ItemFacts] = {
    # Held by UBND 10, the resident agreed to share the contact.
    "held by 10, consent": ItemFacts(VILLAGE_11, UBND_10, frozenset({UBND_10}), consent_share_contact=True),
    "held by 10, no consent": ItemFacts(VILLAGE_11, UBND_10, frozenset({UBND_10})),
    # Commune 20's item: outside commune 10 and its units.
    "held by 20, consent": ItemFacts(VILLAGE_21, UBND_20, frozenset({UBND_20}), consent_share_contact=True),
    # UBND 10 held it, returned it as not competent; the department holds it now.
    "passed on by 10": ItemFacts(VILLAGE_11, DEPARTMENT, frozenset({UBND_10, DEPARTMENT}),
                                 consent_share_contact=True),
    # A complaint about UBND 10 itself, which handles it (Luật Khiếu nại: first round goes there).
    "about 10, held by 10": ItemFacts(VILLAGE_11, UBND_10, frozenset({UBND_10}), consent_share_contact=True,
                                      accused_unit_id=UBND_10),
    # A complaint about the Front committee of commune 10.
    "about front 10": ItemFacts(VILLAGE_11, UBND_10, frozenset({UBND_10}), consent_share_contact=True,
                                accused_unit_id=FRONT_10),
    # Waiting for routing, placed at commune level.
    "unrouted in 10": ItemFacts(COMMUNE_10, None, frozenset(), consent_share_contact=True),
}

VIEWERS: dict[str, Viewer] = {
    "administrator": Viewer((Grant(Role.ADMIN),)),
    "officer of 10": Viewer((Grant(Role.OFFICER, UBND_10),)),
    "unit head of 10": Viewer((Grant(Role.UNIT_HEAD, UBND_10),)),
    "Front monitor, province": Viewer((Grant(Role.FRONT_MONITOR, FRONT_PROVINCE, PROVINCE),)),
    "Front monitor, commune 10": Viewer((Grant(Role.FRONT_MONITOR, FRONT_10, COMMUNE_10),)),
    "Inspection Board, village 11": Viewer((Grant(Role.INSPECTION_BOARD, None, VILLAGE_11),)),
    "anonymous": ANONYMOUS,
    # Memberships missing what their role needs grant nothing (the rule fails closed).
    "officer without a unit": Viewer((Grant(Role.OFFICER),)),
    "Front monitor without a territory": Viewer((Grant(Role.FRONT_MONITOR, FRONT_10),)),
    "Inspection Board above a commune": Viewer((Grant(Role.INSPECTION_BOARD, None, PROVINCE),)),
}

H, A, R, F, X = Action.HANDLE, Action.APPROVE, Action.RECOMMEND, Action.FLAG, Action.ADMINISTER
OPERATOR, FRONT, CONSENT = PersonalDataBasis.OPERATOR, PersonalDataBasis.FRONT, PersonalDataBasis.CONSENT
NOT_SEEN: tuple[bool, frozenset[Action], None] = (False, frozenset(), None)

# viewer → item → (sees it, may do, personal-data basis); every item of ITEMS is listed for every viewer.
EXPECTED: dict[str, dict[str, tuple[bool, frozenset[Action], PersonalDataBasis | None]]] = {
    "administrator": {name: (True, frozenset({X}), OPERATOR) for name in ITEMS},
    "officer of 10": {
        "held by 10, consent": (True, frozenset({H}), CONSENT),
        "held by 10, no consent": (True, frozenset({H}), None),
        "held by 20, consent": NOT_SEEN,
        "passed on by 10": (True, frozenset(), None),  # its history, no longer its to handle
        "about 10, held by 10": (True, frozenset({H}), None),  # never about that unit
        "about front 10": (True, frozenset({H}), CONSENT),
        "unrouted in 10": NOT_SEEN,
    },
    "unit head of 10": {
        "held by 10, consent": (True, frozenset({H, A}), CONSENT),
        "held by 10, no consent": (True, frozenset({H, A}), None),
        "held by 20, consent": NOT_SEEN,
        "passed on by 10": (True, frozenset(), None),
        "about 10, held by 10": (True, frozenset({H, A}), None),
        "about front 10": (True, frozenset({H, A}), CONSENT),
        "unrouted in 10": NOT_SEEN,
    },
    "Front monitor, province": {name: (True, frozenset({R}), FRONT) for name in ITEMS},
    "Front monitor, commune 10": {
        "held by 10, consent": (True, frozenset({R}), FRONT),
        "held by 10, no consent": (True, frozenset({R}), FRONT),  # the Front needs no consent
        "held by 20, consent": NOT_SEEN,
        "passed on by 10": (True, frozenset({R}), FRONT),
        "about 10, held by 10": (True, frozenset({R}), FRONT),
        "about front 10": (True, frozenset({R}), None),  # about its own committee
        "unrouted in 10": (True, frozenset({R}), FRONT),
    },
    "Inspection Board, village 11": {
        "held by 10, consent": (True, frozenset({R, F}), None),
        "held by 10, no consent": (True, frozenset({R, F}), None),
        "held by 20, consent": NOT_SEEN,
        "passed on by 10": (True, frozenset({R, F}), None),
        "about 10, held by 10": (True, frozenset({R, F}), None),
        "about front 10": (True, frozenset({R, F}), None),
        "unrouted in 10": (True, frozenset({R, F}), None),  # the whole commune, not only its thôn
    },
    "anonymous": {name: NOT_SEEN for name in ITEMS},
    "officer without a unit": {name: NOT_SEEN for name in ITEMS},
    "Front monitor without a territory": {name: NOT_SEEN for name in ITEMS},
    "Inspection Board above a commune": {name: NOT_SEEN for name in ITEMS},
}

CASES = [(viewer, item) for viewer in VIEWERS for item in ITEMS]


def test_the_table_covers_every_viewer_and_item() -> None:
    assert set(EXPECTED) == set(VIEWERS)
    assert all(set(row) == set(ITEMS) for row in EXPECTED.values())


@pytest.mark.parametrize(("viewer", "item"), CASES)
def test_each_role_sees_acts_and_reads_personal_data_as_designed(viewer: str, item: str) -> None:
    """Proves, for every role and item: may_see, allowed_actions (and may) and
    personal_data_basis (and may_see_personal_data) give the expected answers."""
    sees, actions, basis = EXPECTED[viewer][item]
    who, facts = VIEWERS[viewer], ITEMS[item]
    assert may_see(who, facts) is sees
    assert allowed_actions(who, facts) == actions
    assert all(may(who, action, facts) is (action in actions) for action in Action)
    assert personal_data_basis(who, facts) is basis
    assert may_see_personal_data(who, facts) is (basis is not None)


@pytest.mark.parametrize(("viewer", "item"), CASES)
def test_nothing_is_allowed_on_an_item_that_is_not_seen(viewer: str, item: str) -> None:
    """Proves: actions and personal data imply seeing the item (no rule reaches past visibility)."""
    who, facts = VIEWERS[viewer], ITEMS[item]
    if not may_see(who, facts):
        assert allowed_actions(who, facts) == frozenset() and personal_data_basis(who, facts) is None


def test_several_memberships_add_up_and_the_strongest_basis_wins() -> None:
    """Proves: an officer of 10 who also monitors the Front of commune 10 handles 10's items and
    sees the resident as the Front (no consent needed); a commune-20 item stays out of reach."""
    both = Viewer((Grant(Role.OFFICER, UBND_10), Grant(Role.FRONT_MONITOR, FRONT_10, COMMUNE_10)))
    facts = ITEMS["held by 10, no consent"]
    assert allowed_actions(both, facts) == frozenset({H, R})
    assert personal_data_basis(both, facts) is FRONT
    assert not may_see(both, ITEMS["held by 20, consent"])
    assert personal_data_basis(Viewer((Grant(Role.OFFICER, UBND_10), Grant(Role.ADMIN))), facts) is OPERATOR


def test_visibility_is_the_data_the_query_filter_is_built_from() -> None:
    """Proves: the administrator sees everything, units and territories are collected per grant,
    an Inspection Board member's thôn widens to its commune, and anonymous sees nothing."""
    assert visibility(VIEWERS["administrator"]).everything
    assert visibility(ANONYMOUS).nothing and visibility(VIEWERS["officer without a unit"]).nothing
    assert visibility(VIEWERS["unit head of 10"]).unit_ids == frozenset({UBND_10})
    assert visibility(VIEWERS["Inspection Board, village 11"]).territories == frozenset({COMMUNE_10})
    assert visibility(VIEWERS["Front monitor, province"]).territories == frozenset({PROVINCE})
