"""Ratings and reopening (issue #8 item 5, DESIGN.md §6): one rating per answer cycle,
changeable for 7 days, attributed to the answering unit as it was; reopening below 3 within 30
days sends the item back to that unit with a new clock and tells the Front."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from feedback.domain.deadlines import Clock
from feedback.domain.handling import DraftStatus
from feedback.domain.satisfaction import Reason
from feedback.domain.status import Status
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import Assignment, Notification, Rating, Reopening, Unit
from feedback.services import handling
from feedback.services.handling import InvalidInput, ItemNotFound, WrongStatus
from feedback.services.ratings import rate, rating_panel, reopen
from tests.factories import make_feedback
from tests.services.handling_rows import TOKEN, Desk, actions, clocks, desk, events
from tests.services.rating_rows import ANSWERED_AT, answered, days_after_answer


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def ratings(d: Desk) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(Rating.feedback_id == d.item.id)))


def reopenings(d: Desk) -> list[Reopening]:
    return list(db.session.scalars(sa.select(Reopening).where(Reopening.feedback_id == d.item.id)))


def code(d: Desk) -> str:
    return str(d.item.code)


@pytest.mark.parametrize("score", ["0", "6", "-1", "3.5", "abc", "", 0, 6])
def test_a_score_outside_1_to_5_is_refused_with_a_clear_message(score: object) -> None:
    """Proves: 0, 6 and other non-scores are refused with the 1-to-5 message; nothing is written."""
    d = answered()
    with pytest.raises(InvalidInput, match="từ 1 đến 5"):
        rate(code(d), TOKEN, score, now=days_after_answer(1))
    assert ratings(d) == [] and d.item.status is Status.ANSWERED


def test_below_3_a_known_reason_is_needed() -> None:
    """Proves: a 2 without a reason (or with an unknown one) is refused; with one it is stored."""
    d = answered()
    for reason in (None, "", "boring"):
        with pytest.raises(InvalidInput, match="lý do"):
            rate(code(d), TOKEN, "2", reason=reason, now=days_after_answer(1))
    rated = rate(code(d), TOKEN, "2", reason="late", comment="  Chậm quá  ", now=days_after_answer(1))
    (row,) = ratings(d)
    assert (row.id, row.score, row.reason, row.comment) == (rated.rating_id, 2, Reason.LATE, "Chậm quá")
    assert d.item.status is Status.ANSWERED  # below 3 keeps it open for a reopening


def test_nothing_to_rate_before_the_answer_is_published() -> None:
    d = desk()
    with pytest.raises(WrongStatus, match="Chưa có câu trả lời"):
        rate(code(d), TOKEN, "5", now=ANSWERED_AT)


def test_a_wrong_token_or_someone_elses_code_is_not_found() -> None:
    """Proves: the resident's token opens only their own item (another code: not found)."""
    mine = answered()
    other = make_feedback(mine.directory)
    other.code = make_code(str(current_app.config["TRACKING_PREFIX"]), 2026, other.id)
    other.token_hash = hash_token("le-jeton-dun-autre-resident-987654")
    db.session.commit()
    with pytest.raises(ItemNotFound):
        rate(code(mine), "not-the-token", "5", now=days_after_answer(1))
    with pytest.raises(ItemNotFound):
        rate(str(other.code), TOKEN, "5", now=days_after_answer(1))
    with pytest.raises(ItemNotFound):
        reopen(str(other.code), TOKEN, now=days_after_answer(1))
    assert ratings(mine) == []


def test_a_second_rating_in_the_same_cycle_changes_it_for_7_days_then_is_refused() -> None:
    """Proves: one row per cycle; a change within 7 days updates it (rated_at kept, changed_at
    set, "rating_changed"); after 7 days it is refused and the row stays as it was."""
    d = answered()
    first = rate(code(d), TOKEN, "2", reason="not_resolved", now=days_after_answer(1))
    second = rate(code(d), TOKEN, "4", now=days_after_answer(7.9))
    assert second.rating_id == first.rating_id and second.changed and not first.changed
    (row,) = ratings(d)
    assert (row.score, row.reason, row.rated_at, row.changed_at) == (4, None, days_after_answer(1),
                                                                     days_after_answer(7.9))
    with pytest.raises(WrongStatus, match="7 ngày"):
        rate(code(d), TOKEN, "5", now=days_after_answer(8.1))
    db.session.refresh(row)
    assert row.score == 4
    assert actions(d.item, public=True)[-3:] == ["rated", "rating_changed", "closed"]


def test_a_rating_of_3_or_more_closes_the_answered_item() -> None:
    d = answered()
    assert rate(code(d), TOKEN, "3", now=days_after_answer(2)).closed
    db.session.refresh(d.item)
    assert d.item.status is Status.CLOSED
    closed = [e for e in events(d.item) if e.action == "closed"]
    assert len(closed) == 1 and closed[0].public


def test_a_rating_changed_below_3_within_its_7_days_undoes_the_closure_and_may_reopen() -> None:
    """One rating per cycle, changeable for 7 days: a resident who rated 4 and then, on second
    thought, 2 must still be offered the reopening a 2 gives; the closure by the 4 is undone."""
    d = answered()
    rate(code(d), TOKEN, "4", now=days_after_answer(1))
    changed = rate(code(d), TOKEN, "2", reason=Reason.NOT_RESOLVED.value, now=days_after_answer(3))

    db.session.refresh(d.item)
    assert changed.changed and not changed.closed and d.item.status is Status.ANSWERED
    assert actions(d.item, public=True)[-4:] == ["rated", "closed", "rating_changed", "closure_undone"]
    panel = rating_panel(code(d), TOKEN, now=days_after_answer(3))
    assert panel is not None and panel.may_reopen
    reopen(code(d), TOKEN, now=days_after_answer(4))
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS


def test_a_rating_changed_below_3_after_the_30_days_leaves_the_item_closed() -> None:
    """Past the reopen window (closed by the rating at day 25, changed at day 31) nothing can be
    reopened any more: the change is recorded, the item stays closed."""
    d = answered()
    rate(code(d), TOKEN, "3", now=days_after_answer(25))
    rate(code(d), TOKEN, "1", reason=Reason.LATE.value, now=days_after_answer(31))

    db.session.refresh(d.item)
    assert d.item.status is Status.CLOSED
    assert "closure_undone" not in actions(d.item)


def test_the_rating_keeps_the_unit_that_answered_after_a_rename_or_a_transfer() -> None:
    """Proves: the rating names the unit as it was at publication, though the unit was renamed
    and another unit holds the item by the time the resident rates."""
    d = answered()
    unit = db.session.get(Unit, d.item.current_unit_id)
    assert unit is not None
    name_then, code_then, id_then = unit.name, unit.code, unit.id
    unit.name, unit.code = "Sở Môi trường (tên mới)", "SMT-NEW"
    d.item.current_unit_id = d.directory.ubnd_van_don.id
    db.session.commit()
    rate(code(d), TOKEN, "1", reason="attitude", now=days_after_answer(1))
    (row,) = ratings(d)
    assert (row.unit_id, row.unit_code, row.unit_name) == (id_then, code_then, name_then)


def test_reopening_sends_it_back_with_a_new_clock_and_tells_the_front() -> None:
    """Proves: below 3 and within 30 days the item goes back to the answering unit, in progress,
    with a new open RESOLUTION clock counted from the reopening; the Front committee of the
    item's commune and the unit are notified once; the next draft starts answer cycle 2."""
    d = answered()
    unit_id = d.item.current_unit_id
    before = {key for key, row in clocks(d.item).items() if row.clock == Clock.RESOLUTION.value}
    rate(code(d), TOKEN, "2", reason="not_resolved", now=days_after_answer(5))
    reopening = reopen(code(d), TOKEN, now=days_after_answer(5))
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS and d.item.current_unit_id == unit_id
    assert (reopening.cycle, reopening.unit_id, reopening.reason) == (1, unit_id, Reason.NOT_RESOLVED)
    new = [row for key, row in clocks(d.item).items() if row.clock == Clock.RESOLUTION.value and key not in before]
    assert len(new) == 1 and new[0].closed_at is None and new[0].unit_id == unit_id
    assert new[0].starts_at == days_after_answer(5) and new[0].due_at > days_after_answer(5)
    told = db.session.scalars(sa.select(Notification).where(Notification.feedback_id == d.item.id,
                                                             Notification.kind == "reopened")).all()
    assert sorted(n.recipient_unit_id for n in told) == sorted([d.directory.front_ha_tu.id, unit_id])
    assert all(str(d.item.code) in n.subject and d.item.title not in n.body for n in told)
    assert "reopened" in actions(d.item, public=True)
    # The unit answers again: a new cycle, rated on its own.
    draft = handling.save_draft(d.officer, d.item.id, "Câu trả lời mới", expected_version=None,
                                now=days_after_answer(6))
    assert draft.cycle == 2 and draft.status is DraftStatus.DRAFT


def test_reopen_after_30_days_is_refused_and_nothing_changes() -> None:
    d = answered()
    rate(code(d), TOKEN, "1", reason="late", now=days_after_answer(3))
    with pytest.raises(WrongStatus, match="30 ngày"):
        reopen(code(d), TOKEN, now=days_after_answer(30.01))
    db.session.refresh(d.item)
    assert d.item.status is Status.ANSWERED and reopenings(d) == []
    assert reopen(code(d), TOKEN, now=days_after_answer(29.9)).cycle == 1  # just inside the window


@pytest.mark.parametrize("score", [None, "3"])
def test_reopen_needs_a_rating_below_3(score: str | None) -> None:
    d = answered()
    if score is not None:
        rate(code(d), TOKEN, score, now=days_after_answer(1))
    with pytest.raises(WrongStatus):
        reopen(code(d), TOKEN, now=days_after_answer(2))
    assert reopenings(d) == []


def test_a_double_click_on_reopen_reopens_once_and_rating_is_closed_meanwhile() -> None:
    d = answered()
    rate(code(d), TOKEN, "2", reason="attitude", now=days_after_answer(1))
    reopen(code(d), TOKEN, now=days_after_answer(2))
    with pytest.raises(WrongStatus):
        reopen(code(d), TOKEN, now=days_after_answer(2))
    with pytest.raises(WrongStatus):
        rate(code(d), TOKEN, "5", now=days_after_answer(2))  # the unit is answering again
    assert len(reopenings(d)) == 1
    panel = rating_panel(code(d), TOKEN, now=days_after_answer(2))
    assert panel is not None and panel.reopened_at == days_after_answer(2) and not panel.may_rate


def test_reopen_gives_the_item_back_when_another_unit_holds_it() -> None:
    """Proves: if another unit holds the item when it is reopened, the open assignment ends and
    the answering unit gets it again (assigned, to accept anew)."""
    d = answered()
    answering = d.item.current_unit_id
    current = db.session.scalar(sa.select(Assignment).where(Assignment.feedback_id == d.item.id,
                                                            Assignment.ended_at.is_(None)))
    assert current is not None
    current.unit_id = d.directory.ubnd_van_don.id
    d.item.current_unit_id = d.directory.ubnd_van_don.id
    db.session.commit()
    rate(code(d), TOKEN, "2", reason="not_answered", now=days_after_answer(1))
    reopen(code(d), TOKEN, now=days_after_answer(1))
    db.session.refresh(d.item)
    assert d.item.status is Status.ASSIGNED and d.item.current_unit_id == answering
    open_rows = db.session.scalars(sa.select(Assignment).where(Assignment.feedback_id == d.item.id,
                                                               Assignment.ended_at.is_(None))).all()
    assert [a.unit_id for a in open_rows] == [answering]
