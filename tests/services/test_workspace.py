"""The unit workspace's read model on PostgreSQL: what the inbox lists and in which order, each
filter and its count, the accent-insensitive search, lateness as each clock counts, the unit
switcher, and the item view's and file lookup's refusal of another unit's item."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from feedback.domain.calendar import end_of_local_day
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Assignment, Attachment, Deadline, Feedback, LocalityLevel, Role, Unit
from feedback.models.users import Membership
from feedback.services import workspace
from feedback.services.access import viewer_for
from feedback.services.deadlines.calendar import calendar_for
from feedback.services.workspace.inbox import due_soon_limit
from tests.factories import TUESDAY_MORNING, Directory, add_locality, make_directory, make_feedback, make_user

# Tuesday 10/3/2026, 09:00 in Hà Nội: a week after the items were received (no holiday in March).
NOW = TUESDAY_MORNING + timedelta(days=7)
FRIDAY_BEFORE = end_of_local_day(date(2026, 3, 6))  # due end of Fri 6/3: 2 working days late
THURSDAY = end_of_local_day(date(2026, 3, 12))  # the 2nd working day after today: due soon
FRIDAY = end_of_local_day(date(2026, 3, 13))  # the 3rd: not due soon
LATER = end_of_local_day(date(2026, 3, 20))


@pytest.fixture
def d(db_session: Session) -> Directory:
    return make_directory()


def held(d: Directory, unit: Unit, *, title: str = "Rác thải tồn đọng", due: datetime | None = None,
         day_type: str = "working", status: Status = Status.ASSIGNED, kind: Kind = Kind.REPORT,
         **extra: object) -> Feedback:
    """An item held now by ``unit`` (an open assignment), with one resolution clock due at ``due``."""
    item = make_feedback(d, title=title, status=status, kind=kind, current_unit=unit, **extra)
    db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=item.received_at))
    if due is not None:
        db.session.add(Deadline(feedback_id=item.id, unit_id=unit.id, clock="resolution", legal_basis="Quy chế",
                                day_type=day_type, period_days=15, starts_at=item.received_at, due_at=due))
    db.session.flush()
    return item


def codes(page: workspace.InboxPage) -> list[str]:
    return [row.code for row in page.rows]


def look(user: object, **filters: object) -> workspace.InboxPage:
    return workspace.inbox(viewer_for(user), workspace.InboxFilters(**filters),  # type: ignore[arg-type]
                           page=1, per_page=25, now=NOW)


def test_the_inbox_lists_its_units_open_items_nearest_deadline_first(d: Directory) -> None:
    """Proves: only open items held now by the officer's unit, ordered by the nearest running due
    time (overdue first, items without a running clock last); another unit's item, an answered
    one and one transferred away are not listed."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    later = held(d, d.ubnd_ha_tu, due=LATER)
    none = held(d, d.ubnd_ha_tu)
    soon = held(d, d.ubnd_ha_tu, due=THURSDAY, status=Status.IN_PROGRESS)
    late = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE)
    held(d, d.ubnd_van_don, due=FRIDAY_BEFORE)
    held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE, status=Status.ANSWERED)
    gone = held(d, d.ubnd_van_don, due=THURSDAY)
    db.session.add(Assignment(feedback_id=gone.id, unit_id=d.ubnd_ha_tu.id, assigned_at=gone.received_at,
                              ended_at=gone.received_at + timedelta(hours=1)))
    db.session.flush()
    page = look(officer)
    assert codes(page) == [late.code, soon.code, later.code, none.code]
    assert page.total == 4


def test_status_filter_and_its_counts(d: Directory) -> None:
    """Proves: the status list counts every status of the unit's items; choosing "answered" lists
    the answered item (the default shows open ones only)."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    held(d, d.ubnd_ha_tu, due=LATER)
    held(d, d.ubnd_ha_tu, due=LATER, status=Status.IN_PROGRESS)
    answered = held(d, d.ubnd_ha_tu, status=Status.ANSWERED)
    page = look(officer)
    counts = {o.value: o.count for o in page.counts.statuses}
    assert counts == {"assigned": 1, "in_progress": 1, "answered": 1, "closed": 0, "rejected": 0}
    assert codes(look(officer, status=Status.ANSWERED)) == [answered.code]


def test_the_counts_of_finished_statuses_stop_at_the_limit(d: Directory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: answered, closed and rejected items (a unit's whole history) are counted up to
    COUNT_LIMIT only, marked "at least"; the open statuses are counted exactly past it."""
    import sys

    monkeypatch.setattr(sys.modules["feedback.services.workspace.inbox"], "COUNT_LIMIT", 1)
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    for _ in range(2):
        held(d, d.ubnd_ha_tu, due=LATER)
        held(d, d.ubnd_ha_tu, status=Status.ANSWERED)
    held(d, d.ubnd_ha_tu, status=Status.CLOSED)
    page = look(officer)
    counts = {o.value: (o.count, o.more) for o in page.counts.statuses}
    assert counts == {"assigned": (2, False), "in_progress": (0, False), "answered": (1, True),
                      "closed": (1, False), "rejected": (0, False)}


def test_kind_topic_and_locality_filters_with_counts(d: Directory) -> None:
    """Proves: kind, topic, commune and village filters narrow the list, and each option's count is
    the number of items it shows with the other filters kept."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    village2 = add_locality("06652-002", "Tổ dân phố 2", "tổ dân phố", LocalityLevel.VILLAGE, d.ha_tu)
    a = held(d, d.ubnd_ha_tu, due=LATER, kind=Kind.COMPLAINT)
    b = held(d, d.ubnd_ha_tu, due=LATER, topic=d.land, locality=village2)
    c = held(d, d.ubnd_ha_tu, due=LATER, locality=d.remote_village)
    page = look(officer)
    assert {o.value: o.count for o in page.counts.kinds}["complaint"] == 1
    assert {o.value: o.count for o in page.counts.kinds}["report"] == 2
    assert {o.label: o.count for o in page.counts.topics} == {"Rác thải": 2, "Đất đai và giải phóng mặt bằng": 1}
    assert {o.label: o.count for o in page.counts.communes} == {"Phường Hà Tu": 2, "Đặc khu Vân Đồn": 1}
    assert {o.label: o.count for o in page.counts.villages} == {"Tổ dân phố 1": 1, "Tổ dân phố 2": 1,
                                                                "Thôn Đài Van": 1}
    assert codes(look(officer, kind=Kind.COMPLAINT)) == [a.code]
    assert codes(look(officer, topic_id=d.land.id)) == [b.code]
    assert sorted(codes(look(officer, commune_id=d.ha_tu.id))) == sorted([a.code, b.code])
    assert codes(look(officer, village_id=village2.id)) == [b.code]
    assert codes(look(officer, commune_id=d.van_don.id)) == [c.code]
    # Counts keep the other filters: within Vân Đồn there is no complaint.
    narrowed = look(officer, commune_id=d.van_don.id)
    assert {o.value: o.count for o in narrowed.counts.kinds}["complaint"] == 0
    assert {o.label: o.count for o in narrowed.counts.communes}["Phường Hà Tu"] == 2  # its own filter left out


def test_overdue_and_due_soon_filters_and_counts(d: Directory) -> None:
    """Proves: "overdue" is the overdue rule at ``now``; "due soon" means a running clock due by the
    end of the second working day after today (Thursday, not Friday); each is counted."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    late = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE)
    soon = held(d, d.ubnd_ha_tu, due=THURSDAY)
    held(d, d.ubnd_ha_tu, due=FRIDAY)
    assert due_soon_limit(NOW, calendar_for(NOW)) == THURSDAY
    page = look(officer)
    assert (page.counts.overdue, page.counts.due_soon) == (1, 1)
    assert codes(look(officer, overdue=True)) == [late.code]
    assert codes(look(officer, due_soon=True)) == [soon.code]


def test_due_soon_counts_an_overdue_item_by_its_other_clock(d: Directory) -> None:
    """Proves the kept pages' "due soon" count (two counts: nearest clock in the range, nearest
    past with another clock in the range) is the ``due_soon`` filter's: an item overdue by one
    running clock and due Thursday by another counts, on the inbox, its status tab and the
    overdue page; one overdue by a paused breached clock (nearest running clock Thursday) counts
    there too; one overdue with its other clock due Friday does not; a plain one due Thursday
    counts except on the overdue page."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)

    def clock(item: Feedback, due: datetime, sequence: int, **extra: object) -> None:
        db.session.add(Deadline(feedback_id=item.id, unit_id=d.ubnd_ha_tu.id, clock="resolution", sequence=sequence,
                                legal_basis="Quy chế", day_type="working", period_days=15,
                                starts_at=item.received_at, due_at=due, **extra))
        db.session.flush()

    late_soon = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE, status=Status.IN_PROGRESS)
    clock(late_soon, THURSDAY, 2)
    paused_soon = held(d, d.ubnd_ha_tu, due=THURSDAY)
    clock(paused_soon, FRIDAY_BEFORE, 2, breached_at=FRIDAY_BEFORE, paused_at=FRIDAY_BEFORE - timedelta(days=1))
    late_later = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE)
    clock(late_later, FRIDAY, 2)
    soon = held(d, d.ubnd_ha_tu, due=THURSDAY)
    assert set(codes(look(officer, due_soon=True))) == {late_soon.code, paused_soon.code, soon.code}
    assert look(officer).counts.due_soon == 3
    assert look(officer, status=Status.IN_PROGRESS).counts.due_soon == 1
    overdue = look(officer, overdue=True)
    assert set(codes(overdue)) == {late_soon.code, paused_soon.code, late_later.code}
    assert (overdue.counts.overdue, overdue.counts.due_soon) == (3, 2)
    assert set(codes(look(officer, overdue=True, due_soon=True))) == {late_soon.code, paused_soon.code}


def test_overdue_items_say_how_late_as_their_clock_counts(d: Directory) -> None:
    """Proves: an item due on Friday and seen on Tuesday is 2 working days late on a working-day
    clock and 4 days late on a calendar-day clock; a running item shows the days left."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    working = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE)
    calendar = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE, day_type="calendar")
    soon = held(d, d.ubnd_ha_tu, due=THURSDAY)
    rows = {row.code: row for row in look(officer).rows}
    working_late, calendar_late = rows[working.code].late, rows[calendar.code].late
    assert working_late is not None and (working_late.days, working_late.working) == (2, True)
    assert calendar_late is not None and (calendar_late.days, calendar_late.working) == (4, False)
    assert rows[soon.code].late is None and rows[soon.code].left is not None and rows[soon.code].left.days == 2


def test_search_ignores_accents_and_finds_codes(d: Directory) -> None:
    """Proves: "duong hong" finds "Đường hỏng ở tổ 3"; a fragment of the code typed in lower case
    with spaces finds the item; a word absent from every title finds nothing."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    road = held(d, d.ubnd_ha_tu, due=LATER, title="Đường hỏng ở tổ 3")
    other = held(d, d.ubnd_ha_tu, due=LATER, title="Rác thải tồn đọng")
    assert codes(look(officer, search="duong hong")) == [road.code]
    assert codes(look(officer, search="ĐƯỜNG")) == [road.code]
    fragment = (other.code or "").lower().replace("-", " ")
    assert codes(look(officer, search=fragment)) == [other.code]
    assert look(officer, search="cầu treo").rows == []


def test_a_user_of_two_units_sees_both_and_may_switch(d: Directory) -> None:
    """Proves: the items of all the user's units together, one unit when chosen, and NotYourUnit
    for a unit the user does not belong to."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    officer.memberships.append(Membership(role=Role.UNIT_HEAD, unit=d.environment_dept))
    db.session.flush()
    a = held(d, d.ubnd_ha_tu, due=LATER)
    b = held(d, d.environment_dept, due=THURSDAY)
    assert codes(look(officer)) == [b.code, a.code]
    assert codes(look(officer, unit_id=d.ubnd_ha_tu.id)) == [a.code]
    assert {o.label: o.count for o in look(officer).units} == {"UBND Phường Hà Tu": 1,
                                                               "Sở Nông nghiệp và Môi trường": 1}
    with pytest.raises(workspace.NotYourUnit):
        look(officer, unit_id=d.ubnd_van_don.id)


def test_another_units_item_and_file_are_not_found(d: Directory) -> None:
    """Proves: an officer of Hà Tu gets ItemNotFound for Vân Đồn's item and for its file, as for a
    code that does not exist; the file of their own item is found."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    mine = held(d, d.ubnd_ha_tu, due=LATER)
    theirs = held(d, d.ubnd_van_don, due=LATER)
    files = [Attachment(feedback_id=item.id, storage_name=f"{item.id:032x}", original_name="anh.jpg",
                        content_type="image/jpeg", size=3, sha256="0" * 64) for item in (mine, theirs)]
    db.session.add_all(files)
    db.session.flush()
    viewer = viewer_for(officer)
    assert workspace.unit_item(str(mine.code), viewer=viewer, now=NOW).files[0].id == files[0].id
    with pytest.raises(workspace.ItemNotFound):
        workspace.unit_item(str(theirs.code), viewer=viewer, now=NOW)
    with pytest.raises(workspace.ItemNotFound):
        workspace.attachment_file(str(theirs.code), files[1].id, viewer=viewer)
    with pytest.raises(workspace.ItemNotFound):  # the right file id under the wrong item's code
        workspace.attachment_file(str(mine.code), files[1].id, viewer=viewer)
    assert workspace.attachment_file(str(mine.code), files[0].id, viewer=viewer).original_name == "anh.jpg"


def test_the_item_view_counts_time_left_per_clock(d: Directory) -> None:
    """Proves: each running clock of the item page carries its days left or late; a met one none."""
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    item = held(d, d.ubnd_ha_tu, due=FRIDAY_BEFORE)
    db.session.add(Deadline(feedback_id=item.id, unit_id=d.ubnd_ha_tu.id, clock="first_response",
                            legal_basis="Luật Tiếp công dân Điều 28", day_type="working", period_days=10,
                            starts_at=item.received_at, due_at=THURSDAY, met_at=NOW - timedelta(days=1)))
    db.session.flush()
    shown = workspace.unit_item(str(item.code), viewer=viewer_for(officer), now=NOW)
    by_clock = {clock.row.clock: clock.distance for clock in shown.clocks}
    resolution = by_clock["resolution"]
    assert resolution is not None and (resolution.late, resolution.days) == (True, 2)
    assert by_clock["first_response"] is None


def test_nothing_for_a_user_without_a_unit(d: Directory) -> None:
    """Proves: a Front monitor (no unit) has an empty inbox even for items in its territory."""
    monitor = make_user("mttq", Role.FRONT_MONITOR, territory=d.ha_tu)
    held(d, d.ubnd_ha_tu, due=LATER)
    assert look(monitor).rows == [] and look(monitor).total == 0



def test_search_over_a_cut_candidate_set_says_so(d: Directory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves: the accent-free search folds at most SEARCH_CANDIDATES titles (most recent first)
    and reports the cut, so the page can ask for narrower filters; without a cut it reports none."""
    import importlib

    # The package re-exports a function named like the module: import the module itself.
    inbox_module = importlib.import_module("feedback.services.workspace.inbox")
    officer = make_user("canbo", Role.OFFICER, unit=d.ubnd_ha_tu)
    for n in range(3):
        held(d, d.ubnd_ha_tu, due=LATER, title=f"Đường hỏng {n}")
    assert look(officer, search="duong").search_truncated is False
    monkeypatch.setattr(inbox_module, "SEARCH_CANDIDATES", 2)
    page = look(officer, search="duong")
    assert page.search_truncated is True and page.total == 2
