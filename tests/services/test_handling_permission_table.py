"""The permission matrix of the handling actions, at service level (issue #8 item 6): the actions
whose routes do not exist yet on this branch, each tried by every staff role.

Table format: one line per action, the expected outcome per role in the column order of
``ROLES``; ``YES`` the service does it, ``NO`` it raises ``NotAllowed`` and writes nothing::

    #  action              officer head  stranger monitor board  admin
    ("publish_answer",     (NO,     YES,  NO,      NO,     NO,    NO)),

``stranger`` is an officer of another unit. An action's item is brought to the status the action
needs by ``READY`` (routed, accepted, drafted, submitted: tests/services/handling_rows.desk); the
call itself is in ``CALLS``. A new action adds one line to each. Once an action has a route, its
rows go into tests/web/test_permission_matrix.py as well.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Event, Role, User
from feedback.services import handling
from feedback.services.accounts import passwords
from feedback.services.handling import NotAllowed
from tests.factories import make_user
from tests.services.handling_rows import FRI_6_MARCH, TUE_10_MARCH, WED_4_MARCH, Desk, desk

ROLES = ("officer", "head", "stranger", "monitor", "board", "admin")
YES, NO = True, False
ANSWER = "Đơn vị đã bố trí xe thu gom rác tại tổ dân phố 1 từ ngày 05/3/2026."

MATRIX: list[tuple[str, tuple[bool, ...]]] = [
    # action                  officer head  stranger monitor board  admin
    ("accept",                (YES,    YES,  NO,      NO,     NO,    NO)),
    ("add_note",              (YES,    YES,  NO,      NO,     NO,    NO)),
    ("assign_officer",        (NO,     YES,  NO,      NO,     NO,    NO)),
    ("request_information",   (YES,    YES,  NO,      NO,     NO,    NO)),
    ("save_draft",            (YES,    YES,  NO,      NO,     NO,    NO)),
    ("submit_answer",         (YES,    YES,  NO,      NO,     NO,    NO)),
    ("return_answer",         (NO,     YES,  NO,      NO,     NO,    NO)),
    ("publish_answer",        (NO,     YES,  NO,      NO,     NO,    NO)),
]


def _accepted(d: Desk) -> None:
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)


def _drafted(d: Desk) -> None:
    _accepted(d)
    handling.save_draft(d.officer, d.item.id, ANSWER, expected_version=None, now=FRI_6_MARCH)


def _submitted(d: Desk) -> None:
    _drafted(d)
    handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)


READY: dict[str, Callable[[Desk], None]] = {
    "accept": lambda d: None,
    "add_note": _accepted,
    "assign_officer": _accepted,
    "request_information": _accepted,
    "save_draft": _accepted,
    "submit_answer": _drafted,
    "return_answer": _submitted,
    "publish_answer": _submitted,
}

CALLS: dict[str, Callable[[User, Desk], object]] = {
    "accept": lambda user, d: handling.accept(user, d.item.id, now=TUE_10_MARCH),
    "add_note": lambda user, d: handling.add_note(user, d.item.id, "Đã gọi điện cho tổ trưởng.", now=TUE_10_MARCH),
    "assign_officer": lambda user, d: handling.assign_officer(user, d.item.id, d.officer.id, now=TUE_10_MARCH),
    "request_information": lambda user, d: handling.request_information(user, d.item.id, "Rác ở số nhà nào?",
                                                                        now=TUE_10_MARCH),
    "save_draft": lambda user, d: handling.save_draft(user, d.item.id, ANSWER, expected_version=None,
                                                      now=TUE_10_MARCH),
    "submit_answer": lambda user, d: handling.submit_answer(user, d.item.id, now=TUE_10_MARCH),
    "return_answer": lambda user, d: handling.return_answer(user, d.item.id, "Bổ sung số liệu.", now=TUE_10_MARCH),
    "publish_answer": lambda user, d: handling.publish_answer(user, d.item.id, now=TUE_10_MARCH),
}

EXPECTED: dict[tuple[str, str], bool] = {
    (action, role): allowed for action, outcomes in MATRIX for role, allowed in zip(ROLES, outcomes, strict=True)
}


@pytest.fixture(autouse=True)
def _fast_passwords(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody logs in here: one Argon2 hash serves every user the desk makes."""
    stored = passwords.hash_password("mat-khau-dung-1")
    monkeypatch.setattr(passwords, "hash_password", lambda password: stored)


def _user(d: Desk, role: str) -> User:
    users = {"officer": d.officer, "head": d.head, "stranger": d.stranger, "monitor": d.monitor}
    if role == "board":
        return make_user("ban-thanh-tra", Role.INSPECTION_BOARD, territory=d.directory.village)
    if role == "admin":
        return make_user("quan-tri", Role.ADMIN)
    return users[role]


def _event_count(d: Desk) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.feedback_id == d.item.id)) or 0


def test_every_action_has_its_row() -> None:
    """Proves: MATRIX, READY and CALLS name the same actions (none has a row without a call, or a
    call without a row)."""
    assert {action for action, _ in MATRIX} == set(READY) == set(CALLS)


@pytest.mark.parametrize("action, role", sorted(EXPECTED))
def test_role_on_action(action: str, role: str) -> None:
    """Proves: this role may or may not take this action, as MATRIX says: an officer does not
    publish (only the head approves), another unit, the Front, the Board and the administrator
    handle nothing; a refusal is NotAllowed and writes no event."""
    d = desk()
    READY[action](d)
    user = _user(d, role)
    before = _event_count(d)
    if EXPECTED[action, role]:
        CALLS[action](user, d)
        assert _event_count(d) > before
    else:
        with pytest.raises(NotAllowed):
            CALLS[action](user, d)
        assert _event_count(d) == before
