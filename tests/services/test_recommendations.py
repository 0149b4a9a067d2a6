"""Supervision recommendations (issue #9 item 4): issued by the Front or the Inspection Board to a
unit of their territory with its own clock, reminded and escalated by the beat scan, answered
through the unit's draft and approval path, shown to the issuer, counted per unit; never public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from feedback.domain.calendar import end_of_local_day, local_date
from feedback.domain.events import EventAction
from feedback.domain.status import Kind, Origin, Status
from feedback.domain.tracking import make_code
from feedback.extensions import db
from feedback.models import Deadline, Event, Feedback, Notification, Recommendation, Role, User
from feedback.services import handling, recommendations
from feedback.services.access import viewer_for
from feedback.services.deadlines import scan_deadlines
from feedback.services.intake import public_view
from feedback.services.recommendations import RecommendationDraft, RecommendationInvalid
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.times import TUESDAY_MORNING

ISSUED = TUESDAY_MORNING  # Tuesday 3 March 2026, 09:00 local


@dataclass
class Scene:
    d: Directory
    front: User  # Front monitor of Phường Hà Tu (its committee MTTQ-06652)
    province_front: User
    board: User  # Inspection Board member elected in Tổ dân phố 1 of Hà Tu
    officer: User  # of UBND Phường Hà Tu
    head: User
    stranger: User  # officer of UBND Đặc khu Vân Đồn


def scene() -> Scene:
    d = make_directory()
    s = Scene(
        d,
        make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=d.front_ha_tu, territory=d.ha_tu),
        make_user("mttq-tinh", Role.FRONT_MONITOR, unit=d.front_province, territory=d.province),
        make_user("bttnd-to-1", Role.INSPECTION_BOARD, territory=d.village),
        make_user("can-bo-ha-tu", Role.OFFICER, unit=d.ubnd_ha_tu),
        make_user("lanh-dao-ha-tu", Role.UNIT_HEAD, unit=d.ubnd_ha_tu),
        make_user("can-bo-van-don", Role.OFFICER, unit=d.ubnd_van_don),
    )
    db.session.commit()
    return s


def issue(user: User, unit_id: int, *, now=ISSUED, **fields: object) -> recommendations.Issued:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"title": "Rác thải tồn đọng kéo dài", "text": "Đề nghị UBND kiểm tra việc thu gom.",
                                 "topic_code": "moi-truong", **fields}
    return recommendations.issue_recommendation(user, RecommendationDraft(unit_id=unit_id, **values), now=now)  # type: ignore[arg-type]


def clock_of(issued: recommendations.Issued) -> Deadline:
    (row,) = db.session.scalars(sa.select(Deadline).where(Deadline.feedback_id == issued.feedback_id))
    return row


def test_the_board_gets_15_calendar_days_the_front_30_by_default_and_as_configured(
        app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: a BTTND recommendation to its commune's People's Committee is due 15 calendar days
    after the issue day (Luật 10/2022 Art. 40(1)(c), quoted), the Front's after 30 by default
    and after FRONT_RECOMMENDATION_DAYS when configured; the only clock is SUPERVISION, owned by
    the addressee; the carrying item is in progress at that unit, of origin supervision."""
    s = scene()
    board = issue(s.board, s.d.ubnd_ha_tu.id)
    front = issue(s.front, s.d.ubnd_ha_tu.id)
    monkeypatch.setitem(app.config, "FRONT_RECOMMENDATION_DAYS", 20)
    configured = issue(s.front, s.d.ubnd_ha_tu.id)

    assert local_date(clock_of(board).due_at) == date(2026, 3, 18)  # Wednesday
    assert clock_of(board).due_at == end_of_local_day(date(2026, 3, 18))
    assert "Luật Thực hiện dân chủ ở cơ sở 2022, Điều 40(1)(c)" in clock_of(board).legal_basis
    assert local_date(clock_of(front).due_at) == date(2026, 4, 2)  # Thursday
    assert local_date(clock_of(configured).due_at) == date(2026, 3, 23)  # Monday
    assert (clock_of(configured).period_days, clock_of(front).period_days, clock_of(board).period_days) == (20, 30, 15)
    for issued in (board, front, configured):
        row = clock_of(issued)
        assert (row.clock, row.unit_id, row.day_type) == ("supervision", s.d.ubnd_ha_tu.id, "calendar")
        item = db.session.get(Feedback, issued.feedback_id)
        assert item is not None
        assert (item.origin, item.status, item.current_unit_id, item.kind) == (
            Origin.SUPERVISION, Status.IN_PROGRESS, s.d.ubnd_ha_tu.id, Kind.PETITION)
    sources = db.session.scalars(sa.select(Recommendation.source).order_by(Recommendation.id)).all()
    assert [str(x) for x in sources] == ["bttnd", "front", "front"]


def test_the_scan_reminds_and_escalates_a_recommendation_like_any_clock(db_session: Session) -> None:
    """Proves: the beat scan sends the unit the 'before' reminder 2 working days ahead and the
    'due today' one, then records the breach once and escalates it to the parent unit and the
    commune's Front committee, each exactly once (a second scan adds nothing)."""
    s = scene()
    issued = issue(s.board, s.d.ubnd_ha_tu.id)  # due Wednesday 18 March
    deadline = clock_of(issued)

    def sent() -> list[tuple[str, int | None]]:
        rows = db.session.execute(sa.select(Notification.kind, Notification.recipient_unit_id)
                                  .where(Notification.deadline_id == deadline.id)).all()
        return sorted((kind, unit) for kind, unit in rows)

    scan_deadlines(ISSUED + timedelta(days=10))  # Friday 13 March: nothing due yet
    assert sent() == []
    scan_deadlines(ISSUED + timedelta(days=13))  # Monday 16 March: 2 working days before
    assert sent() == [("deadline_before", s.d.ubnd_ha_tu.id)]
    scan_deadlines(ISSUED + timedelta(days=15))  # Wednesday 18 March: the due day
    after = ISSUED + timedelta(days=16)  # Thursday 19 March: late
    first, second = scan_deadlines(after), scan_deadlines(after)

    assert (first.breaches, second.breaches, second.notifications) == (1, 0, 0)
    assert sent() == sorted([("deadline_before", s.d.ubnd_ha_tu.id), ("deadline_due_day", s.d.ubnd_ha_tu.id),
                             ("deadline_breach", s.d.ubnd_ha_tu.id), ("deadline_breach", s.d.province_committee.id),
                             ("deadline_breach", s.d.front_ha_tu.id)])
    db.session.refresh(deadline)
    assert deadline.breached_at == after


def test_the_unit_answers_through_draft_return_and_approval_and_the_issuer_reads_it(db_session: Session) -> None:
    """Proves: the addressee's officer drafts and submits, the head returns it, the officer
    resubmits, the head publishes: the SUPERVISION clock is met on time, the answer shows to the
    issuer (text, unit), the issuing Front committee is told once, and nothing of it is public."""
    s = scene()
    issued = issue(s.front, s.d.ubnd_ha_tu.id)
    handling.save_draft(s.officer, issued.feedback_id, "Đã thu gom xong.", expected_version=None,
                        now=ISSUED + timedelta(days=1))
    handling.submit_answer(s.officer, issued.feedback_id, now=ISSUED + timedelta(days=1))
    handling.return_answer(s.head, issued.feedback_id, "Nêu rõ lịch thu gom.", now=ISSUED + timedelta(days=2))
    version = handling.current_answer(db.session.get(Feedback, issued.feedback_id)).version  # type: ignore[arg-type,union-attr]
    handling.save_draft(s.officer, issued.feedback_id, "Đã thu gom; lịch thu gom hằng ngày lúc 6 giờ.",
                        expected_version=version, now=ISSUED + timedelta(days=3))
    handling.submit_answer(s.officer, issued.feedback_id, now=ISSUED + timedelta(days=3))
    before = recommendations.recommendation_view(viewer_for(s.front), issued.recommendation_id,
                                                 now=ISSUED + timedelta(days=3))
    assert before.answer is None  # a draft is never the issuer's to read
    published = ISSUED + timedelta(days=4)
    handling.publish_answer(s.head, issued.feedback_id, now=published)
    handling.publish_answer(s.head, issued.feedback_id, now=published)  # double click

    shown = recommendations.recommendation_view(viewer_for(s.front), issued.recommendation_id, now=published)
    assert shown.answer is not None
    assert (shown.answer.text, shown.answer.unit_name, shown.answer.published_at) == (
        "Đã thu gom; lịch thu gom hằng ngày lúc 6 giờ.", "UBND Phường Hà Tu", published)
    assert shown.line.clock is not None and shown.line.clock.on_time is True
    assert clock_of(issued).met_at == published
    told = db.session.execute(sa.select(Notification.kind, Notification.recipient_unit_id)
                              .where(Notification.feedback_id == issued.feedback_id)).all()
    assert [tuple(row) for row in told] == [("recommendation_answered", s.d.front_ha_tu.id)]
    actions = db.session.scalars(sa.select(Event.action).where(Event.feedback_id == issued.feedback_id)
                                 .order_by(Event.seq)).all()
    assert actions[0] == EventAction.RECOMMENDATION_ISSUED and EventAction.ANSWER_PUBLISHED in actions
    assert public_view(issued.code, now=published) is None


def test_a_recommendation_is_only_answered_never_refused_paused_or_extended(db_session: Session) -> None:
    """Proves: the resident-only steps (refuse or return, ask the resident, ask for more time) are
    refused on a recommendation with nothing written, and the item page does not offer them."""
    s = scene()
    issued = issue(s.board, s.d.ubnd_ha_tu.id)
    later = ISSUED + timedelta(days=1)
    with pytest.raises(handling.WrongStatus):
        handling.request_information(s.officer, issued.feedback_id, "Địa điểm cụ thể?", now=later)
    with pytest.raises(handling.WrongStatus):
        handling.reject(s.officer, issued.feedback_id, handling_reason(), "Không thuộc thẩm quyền", now=later)
    with pytest.raises(handling.WrongStatus):
        handling.request_extension(s.officer, issued.feedback_id, "Cần thêm thời gian", now=later)
    offered = handling.offered(s.head, issued.code)
    assert (offered.reject, offered.request_information, offered.request_extension, offered.keep_as_report) == (
        False, False, False, False)
    assert offered.save_draft and offered.note and offered.assign
    item = db.session.get(Feedback, issued.feedback_id)
    assert item is not None and item.status is Status.IN_PROGRESS and item.current_unit_id == s.d.ubnd_ha_tu.id


def handling_reason():  # type: ignore[no-untyped-def]
    from feedback.domain.handling import RejectReason

    return RejectReason.OUT_OF_REMIT


def test_who_may_issue_to_whom_and_who_sees_it(db_session: Session) -> None:
    """Proves the scoping: a commune monitor cannot address a unit outside its commune, the Board
    only its commune's People's Committee, an officer issues nothing; the addressee and the
    Front and Board of the territory see the recommendation, another unit does not."""
    s = scene()
    with pytest.raises(RecommendationInvalid) as outside:
        issue(s.front, s.d.ubnd_van_don.id)
    assert set(outside.value.errors) == {"unit_id"}
    with pytest.raises(RecommendationInvalid) as department:
        issue(s.board, s.d.environment_dept.id)
    assert set(department.value.errors) == {"unit_id"}
    with pytest.raises(RecommendationInvalid):
        issue(s.front, s.d.front_ha_tu.id)  # the Front does not recommend to itself
    with pytest.raises(recommendations.NotAllowed):
        issue(s.officer, s.d.ubnd_ha_tu.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 0
    issue(s.province_front, s.d.environment_dept.id)  # a province monitor reaches a province department
    issued = issue(s.front, s.d.ubnd_ha_tu.id)

    assert {u.code for u in recommendations.addressable_units(viewer_for(s.board))} == {"UBND-06652"}
    assert "UBND-06994" not in {u.code for u in recommendations.addressable_units(viewer_for(s.front))}
    for user in (s.front, s.province_front, s.board, s.officer, s.head):
        assert recommendations.recommendation_view(viewer_for(user), issued.recommendation_id,
                                                   now=ISSUED).line.code == issued.code
    with pytest.raises(recommendations.RecommendationNotFound):
        recommendations.recommendation_view(viewer_for(s.stranger), issued.recommendation_id, now=ISSUED)
    with pytest.raises(handling.NotAllowed):
        handling.save_draft(s.stranger, issued.feedback_id, "x", expected_version=None, now=ISSUED)
    lines, _ = recommendations.recommendation_lines(viewer_for(s.stranger), now=ISSUED)
    assert lines == []


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(db_session: Session) -> None:
    """Proves: an empty title and text, a 200,000-character text, an unknown item code and an item
    outside the issuer's territory are each refused with a message on their field; nothing is
    written. An item of the territory named by code gives its topic and place."""
    s = scene()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Feedback))
    with pytest.raises(RecommendationInvalid) as empty:
        issue(s.front, s.d.ubnd_ha_tu.id, title="  ", text="")
    assert set(empty.value.errors) == {"title", "text"}
    with pytest.raises(RecommendationInvalid) as long:
        issue(s.front, s.d.ubnd_ha_tu.id, text="x" * 200_000)
    assert "20.000" in long.value.errors["text"]
    with pytest.raises(RecommendationInvalid) as unknown:
        issue(s.front, s.d.ubnd_ha_tu.id, item_code=make_code("QN", 2026, 999_999), topic_code=None)
    assert set(unknown.value.errors) == {"item_code"}
    with pytest.raises(RecommendationInvalid) as nul:  # PostgreSQL refused the lookup: a 500 (found by probing)
        issue(s.front, s.d.ubnd_ha_tu.id, topic_code="moi-truong\x00")
    assert set(nul.value.errors) == {"topic_code"}
    elsewhere = make_feedback(s.d, locality=s.d.remote_village)
    elsewhere.code = make_code("QN", 2026, elsewhere.id)
    db.session.commit()
    with pytest.raises(RecommendationInvalid) as outside:
        issue(s.front, s.d.ubnd_ha_tu.id, item_code=elsewhere.code, topic_code=None)
    assert set(outside.value.errors) == {"item_code"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == before + 1  # only `elsewhere`

    mine = make_feedback(s.d, topic=s.d.land)
    mine.code = make_code("QN", 2026, mine.id)
    db.session.commit()
    issued = issue(s.front, s.d.ubnd_ha_tu.id, item_code=mine.code.lower(), topic_code=None)  # type: ignore[union-attr]
    item = db.session.get(Feedback, issued.feedback_id)
    assert item is not None and (item.topic_id, item.locality_id) == (s.d.land.id, mine.locality_id)
    assert recommendations.recommendation_view(viewer_for(s.front), issued.recommendation_id,
                                               now=ISSUED).about_code == mine.code


def test_counts_per_unit_issued_answered_and_on_time(db_session: Session) -> None:
    """Proves the counts of a hand-made period: three issued to UBND Hà Tu in March, one answered on
    time, one answered after its due day (and breached), one open; one to the department; a
    territory without them counts nothing; a period after March sees only the late answer."""
    s = scene()
    on_time = issue(s.board, s.d.ubnd_ha_tu.id)  # due 18 March
    late = issue(s.board, s.d.ubnd_ha_tu.id)
    issue(s.front, s.d.ubnd_ha_tu.id)
    issue(s.province_front, s.d.environment_dept.id)
    for issued, when in ((on_time, ISSUED + timedelta(days=5)), (late, date_at(2026, 4, 2))):
        if issued is late:
            scan_deadlines(date_at(2026, 3, 25))
        handling.save_draft(s.head, issued.feedback_id, "Trả lời.", expected_version=None, now=when)
        handling.publish_answer(s.head, issued.feedback_id, now=when)

    march = recommendations.counts(db.session, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                                   territory_id=None)
    assert march == {
        "SNNMT-22": recommendations.RecommendationCounts("SNNMT-22", "Sở Nông nghiệp và Môi trường", 1, 0, 0),
        "UBND-06652": recommendations.RecommendationCounts("UBND-06652", "UBND Phường Hà Tu", 3, 1, 1),
    }
    april = recommendations.counts(db.session, period_start=date(2026, 4, 1), period_end=date(2026, 4, 30),
                                   territory_id=s.d.ha_tu.id)
    assert april == {"UBND-06652": recommendations.RecommendationCounts("UBND-06652", "UBND Phường Hà Tu", 0, 1, 0)}
    assert recommendations.counts(db.session, period_start=date(2026, 3, 1), period_end=date(2026, 4, 30),
                                  territory_id=s.d.van_don.id) == {}
    # Now 10 April: the Front's open one (due 2 April) and the department's are overdue; the
    # answered ones are not, late or not.
    with_now = recommendations.counts(db.session, period_start=date(2026, 4, 1), period_end=date(2026, 4, 30),
                                      territory_id=None, now=date_at(2026, 4, 10))
    assert {code: (c.answered, c.overdue_open) for code, c in with_now.items()} == {
        "UBND-06652": (1, 1), "SNNMT-22": (0, 1)}
    assert {c.overdue_open for c in march.values()} == {None}
    with pytest.raises(ValueError):
        recommendations.counts(db.session, period_start=date(2026, 4, 1), period_end=date(2026, 3, 1),
                               territory_id=None)


def date_at(year: int, month: int, day: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(year, month, day, 2, 0, tzinfo=UTC)


def test_a_board_member_without_a_committee_is_told_at_their_own_address(db_session: Session) -> None:
    """Proves: when the issuer's membership names no committee (an Inspection Board member), the
    answer notice goes to the issuer's own email, once, naming the code and never the text."""
    s = scene()
    s.board.email = "bttnd@example.test"
    db.session.commit()
    issued = issue(s.board, s.d.ubnd_ha_tu.id)
    handling.save_draft(s.head, issued.feedback_id, "Nội dung trả lời riêng.", expected_version=None, now=ISSUED)
    handling.publish_answer(s.head, issued.feedback_id, now=ISSUED)
    (notice,) = db.session.scalars(sa.select(Notification).where(Notification.feedback_id == issued.feedback_id))
    assert (notice.recipient_email, notice.recipient_unit_id) == ("bttnd@example.test", None)
    assert issued.code in notice.subject and "Nội dung trả lời riêng" not in notice.body
