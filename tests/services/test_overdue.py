"""One definition of "overdue now" (DESIGN.md §4, issue #7 item 1): the domain rule
``is_overdue``, its SQL twin ``overdue_clause`` run on PostgreSQL, and every page that shows the
flag (public tracking, the administrator's list filter, list badge and item detail) give the same
answer over the awkward cases: paused, resumed, extended, met late, breached then closed,
superseded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.calendar import end_of_local_day
from feedback.domain.deadlines import is_overdue
from feedback.extensions import db
from feedback.models import Deadline, Role
from feedback.services.access import viewer_for
from feedback.services.deadlines import deadline_is_overdue, overdue_clause
from feedback.services.intake.tracking import public_view
from feedback.services.items import admin_view
from tests.factories import make_directory, make_user
from tests.services.deadline_rows import FRI_13_FEB_0900, add_deadline, assigned_item
from tests.times import DUE_AFTER_TET, THU_12_FEB_0900, TUE_10_MAR_0900, TUE_24_FEB_0001

# The resolution clock of an item received before Tết is due at DUE_AFTER_TET (end of 23/02/2026).
# A pause from 12/02 to 02/03 moves it to the end of 16/03 (resume_due; 7 working days remained);
# an extension of 10 working days from 23/02 moves it to the end of 09/03.
RESUMED_DUE = end_of_local_day(date(2026, 3, 16))
EXTENDED_DUE = end_of_local_day(date(2026, 3, 9))
AFTER_RESUMED_DUE = RESUMED_DUE + timedelta(days=1)


@dataclass(frozen=True)
class Case:
    now: datetime
    expected: bool
    due_at: datetime = DUE_AFTER_TET
    facts: dict[str, object] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "running, before due": Case(FRI_13_FEB_0900, False),
    "at the due instant itself": Case(DUE_AFTER_TET, False),
    "past due, breach not yet recorded": Case(TUE_24_FEB_0001, True),
    "breach recorded, still running": Case(TUE_10_MAR_0900, True, facts={"breached_at": TUE_24_FEB_0001}),
    # The pause stops the clock: not overdue however long it waits for the resident.
    "paused before due, now past the old due": Case(TUE_10_MAR_0900, False, facts={"paused_at": THU_12_FEB_0900}),
    "paused at the due instant": Case(TUE_10_MAR_0900, False, facts={"paused_at": DUE_AFTER_TET}),
    # Already late when paused: resume_due keeps the due date, so it stays overdue.
    "paused after due": Case(TUE_10_MAR_0900, True, facts={"paused_at": TUE_24_FEB_0001}),
    "resumed, new due not reached": Case(TUE_10_MAR_0900, False, RESUMED_DUE),
    "resumed, new due passed": Case(AFTER_RESUMED_DUE, True, RESUMED_DUE),
    "extended, within the extension": Case(TUE_24_FEB_0001, False, EXTENDED_DUE, {"extensions": 1}),
    "extended, extension passed": Case(TUE_10_MAR_0900, True, EXTENDED_DUE, {"extensions": 1}),
    "met on time": Case(TUE_10_MAR_0900, False, facts={"met_at": FRI_13_FEB_0900, "closed_at": FRI_13_FEB_0900}),
    "met late": Case(TUE_10_MAR_0900, False, facts={"breached_at": TUE_24_FEB_0001, "met_at": TUE_10_MAR_0900,
                                                    "closed_at": TUE_10_MAR_0900}),
    # A closed clock is history: its breach stays recorded (breached_at) but it is not overdue now.
    "breached then closed": Case(TUE_10_MAR_0900, False, facts={"breached_at": TUE_24_FEB_0001,
                                                                "closed_at": TUE_10_MAR_0900 - timedelta(days=1)}),
    "superseded before it fell due": Case(TUE_10_MAR_0900, False, facts={"closed_at": FRI_13_FEB_0900}),
}


def _keyword_facts(row: Deadline) -> dict[str, datetime | None]:
    return {"paused_at": row.paused_at, "breached_at": row.breached_at, "met_at": row.met_at,
            "closed_at": row.closed_at}


@pytest.mark.parametrize("name", list(CASES))
def test_the_rule_its_sql_twin_and_every_page_agree(name: str, db_session: Session) -> None:
    """Proves, per case: is_overdue gives the expected answer, overdue_clause selects the row on
    PostgreSQL exactly then, and the public page, the admin list (filter and badge) and the admin
    detail show the same flag (the public page used to differ when paused or breached then closed)."""
    case = CASES[name]
    d = make_directory()
    item = assigned_item(d, d.ubnd_ha_tu)
    row = add_deadline(item, d.ubnd_ha_tu, case.due_at, **case.facts)

    assert is_overdue(row.due_at, case.now, **_keyword_facts(row)) is case.expected
    assert deadline_is_overdue(row, case.now) is case.expected
    in_sql = db.session.scalar(sa.select(Deadline.id).where(Deadline.id == row.id, overdue_clause(case.now)))
    assert (in_sql == row.id) is case.expected

    public = public_view(str(item.code), now=case.now)
    assert public is not None and [view.overdue for view in public.deadlines] == [case.expected]

    operator = viewer_for(make_user("quantri", Role.ADMIN))
    detail = admin_view.item_detail(str(item.code), viewer=operator, now=case.now)
    assert [deadline.overdue for deadline in detail.deadlines] == [case.expected]
    listed = admin_view.list_items(viewer=operator, status=None, unit_id=None, overdue_only=True, page=1,
                                   now=case.now)
    assert [r.code for r in listed.items] == ([item.code] if case.expected else [])
    everything = admin_view.list_items(viewer=operator, status=None, unit_id=None, overdue_only=False, page=1,
                                       now=case.now)
    assert [r.overdue for r in everything.items] == [case.expected]
