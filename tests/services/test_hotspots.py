"""Hot spots (issue #9 item 3): the rule at its boundaries, the daily check on PostgreSQL with the
clock passed in, one notification per new hot spot across runs, and the Front's lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.calendar import start_of_local_day
from feedback.domain.hotspots import is_hot_spot, windows
from feedback.extensions import db
from feedback.models import HotSpot, Notification, Role
from feedback.services.access import viewer_for
from feedback.services.hotspots import check_day, find_hot_spots, hot_spot_detail, hot_spots
from tests.factories import Directory, make_directory, make_feedback, make_user

# The check as of Monday 16 March 2026: recent week 10–16 March, baseline 13 January – 9 March.
DAY = date(2026, 3, 16)
# The beat run on the morning of the next day (09:00 local) checks as of DAY.
NEXT_MORNING = datetime.combine(DAY + timedelta(days=1), datetime.min.time()).replace(
    tzinfo=start_of_local_day(DAY).tzinfo) + timedelta(hours=2)


@pytest.mark.parametrize(("recent", "baseline", "hot"), [
    (6, 16, False),  # exactly 3 times the weekly average of 2: not more than 3 times
    (7, 16, True),
    (4, 0, False),  # a surge from nothing, but fewer than 5 items
    (5, 0, True),
    (5, 13, True),  # 5 > 3 × 13/8 = 4.875
    (5, 14, False),  # 5 < 3 × 14/8 = 5.25
])
def test_the_rule_at_its_boundaries(recent: int, baseline: int, hot: bool) -> None:
    """Proves: more than 3 times the weekly average of the 8 weeks before, and at least 5 items."""
    assert is_hot_spot(recent, baseline) is hot


def test_windows_are_seven_days_and_the_eight_weeks_before() -> None:
    span = windows(DAY)
    assert (span.recent_start, span.baseline_end, span.baseline_start) == (
        date(2026, 3, 10), date(2026, 3, 9), date(2026, 1, 13))
    assert (span.day - span.recent_start).days == 6
    assert (span.baseline_end - span.baseline_start).days == 55


def _items(directory: Directory, count: int, first_day: date, *, spread_days: int = 1, village: bool = True,
           topic: object = None) -> None:
    """``count`` items about waste in Hà Tu, received at 10:00 local on days from ``first_day``."""
    for n in range(count):
        day = first_day + timedelta(days=n % spread_days)
        make_feedback(directory, locality=directory.village if village else directory.ha_tu,
                      topic=topic or directory.waste, received_at=start_of_local_day(day) + timedelta(hours=10))


def _surge(directory: Directory, *, recent: int, baseline: int) -> None:
    """``baseline`` items spread over the 8 weeks before DAY's week and ``recent`` items in it,
    half in the village, half at the commune itself (both count for the commune)."""
    span = windows(DAY)
    _items(directory, baseline, span.baseline_start, spread_days=56)
    _items(directory, recent // 2, span.recent_start, spread_days=7)
    _items(directory, recent - recent // 2, span.recent_start, spread_days=7, village=False)


def _spots() -> list[HotSpot]:
    return list(db.session.scalars(sa.select(HotSpot).order_by(HotSpot.id)))


def _hot_spot_mail() -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == "hot_spot")))


def test_exactly_three_times_is_not_a_hot_spot_and_one_more_item_is(db_session: Session) -> None:
    """Proves: 6 items against 16 in the 8 weeks before (3×) make no hot spot; a 7th does."""
    directory = make_directory()
    _surge(directory, recent=6, baseline=16)
    assert check_day(DAY, now=NEXT_MORNING).found == 0
    assert _spots() == []
    _items(directory, 1, DAY)
    result = check_day(DAY, now=NEXT_MORNING)
    assert (result.found, result.new) == (1, 1)
    (spot,) = _spots()
    assert (spot.locality_id, spot.topic_id) == (directory.ha_tu.id, directory.waste.id)
    assert (spot.recent_count, spot.baseline_count, spot.started_on, spot.last_seen_on) == (7, 16, DAY, DAY)


def test_four_items_from_nothing_are_not_a_hot_spot_and_five_are(db_session: Session) -> None:
    directory = make_directory()
    _surge(directory, recent=4, baseline=0)
    assert check_day(DAY, now=NEXT_MORNING).found == 0
    _items(directory, 1, DAY - timedelta(days=6))  # the first day of the recent week
    assert check_day(DAY, now=NEXT_MORNING).found == 1


def test_the_week_starts_at_local_midnight_and_ends_with_the_day(db_session: Session) -> None:
    """Proves: an item one second before 00:00 local of the week's first day counts in the
    baseline, one at 00:00 in the week; an item of the next day does not count yet."""
    directory = make_directory()
    span = windows(DAY)
    _items(directory, 4, span.recent_start, spread_days=7)
    edge = start_of_local_day(span.recent_start)
    make_feedback(directory, received_at=edge - timedelta(seconds=1))
    make_feedback(directory, received_at=start_of_local_day(DAY + timedelta(days=1)))
    assert check_day(DAY, now=NEXT_MORNING).found == 0  # 4 recent, 1 in the baseline
    make_feedback(directory, received_at=edge)
    check_day(DAY, now=NEXT_MORNING)
    (spot,) = _spots()
    assert (spot.recent_count, spot.baseline_count) == (5, 1)


def test_another_topic_or_commune_is_another_pair(db_session: Session) -> None:
    directory = make_directory()
    _items(directory, 3, DAY)
    _items(directory, 3, DAY, topic=directory.land)
    for _ in range(3):
        make_feedback(directory, locality=directory.remote_village, received_at=start_of_local_day(DAY))
    assert check_day(DAY, now=NEXT_MORNING).found == 0


def test_a_new_hot_spot_notifies_the_commune_front_once_across_two_runs(db_session: Session) -> None:
    """Proves: the beat run makes one hot spot and one notification to the commune's Front
    committee (not the province's); a second run, and the next day's run while the surge lasts,
    make neither again. The message names the place, the topic and the counts, never an item's
    text or a resident's name."""
    directory = make_directory()
    _surge(directory, recent=8, baseline=8)
    first = find_hot_spots(NEXT_MORNING)
    second = find_hot_spots(NEXT_MORNING + timedelta(hours=6))
    assert (first.day, first.found, first.new, first.notified) == (DAY, 1, 1, 1)
    assert (second.found, second.new, second.notified) == (1, 0, 0)
    _items(directory, 1, DAY + timedelta(days=1))
    third = find_hot_spots(NEXT_MORNING + timedelta(days=1))
    assert (third.day, third.found, third.new, third.notified) == (DAY + timedelta(days=1), 1, 0, 0)
    (spot,) = _spots()
    # As of 17 March the two items of 10 March have left the week: 8 - 2 + 1.
    assert (spot.started_on, spot.last_seen_on, spot.recent_count, spot.peak_count) == (
        DAY, DAY + timedelta(days=1), 7, 8)
    (mail,) = _hot_spot_mail()
    assert mail.recipient_unit_id == directory.front_ha_tu.id
    assert mail.dedupe_key == f"hotspot:{spot.id}:unit:{directory.front_ha_tu.id}"
    assert "Rác thải" in mail.subject and "Phường Hà Tu" in mail.subject
    assert f"/monitor/hotspots/{spot.id}" in mail.body
    for private in ("Rác thải tồn đọng", "Rác không được thu gom", "Nguyễn Văn A", "0912345678"):
        assert private not in mail.body and private not in mail.subject


def test_a_surge_after_a_quiet_week_is_a_new_hot_spot(db_session: Session) -> None:
    directory = make_directory()
    _items(directory, 5, DAY)
    check_day(DAY, now=NEXT_MORNING)
    later = DAY + timedelta(days=20)
    _items(directory, 6, later)
    result = check_day(later, now=NEXT_MORNING + timedelta(days=20))
    assert (result.found, result.new, result.notified) == (1, 1, 1)
    assert [s.started_on for s in _spots()] == [DAY, later]
    assert len(_hot_spot_mail()) == 2


def test_without_a_commune_front_committee_the_province_front_is_told(db_session: Session) -> None:
    directory = make_directory()
    for _ in range(5):
        make_feedback(directory, locality=directory.remote_village, received_at=start_of_local_day(DAY))
    check_day(DAY, now=NEXT_MORNING)
    (mail,) = _hot_spot_mail()
    assert mail.recipient_unit_id == directory.front_province.id


def test_the_front_sees_the_hot_spots_of_its_territory_with_their_items(db_session: Session) -> None:
    """Proves: the commune's monitor and the province's see the hot spot, current on the next
    day and past a week later, with its items; Vân Đồn's monitor sees neither the list entry
    nor the page."""
    directory = make_directory()
    _surge(directory, recent=5, baseline=0)
    _items(directory, 2, DAY - timedelta(days=30))  # before the hot spot's weeks: not its items
    check_day(DAY, now=NEXT_MORNING)
    ha_tu = viewer_for(make_user("mttq-ha-tu", Role.FRONT_MONITOR, unit=directory.front_ha_tu,
                                 territory=directory.ha_tu))
    province = viewer_for(make_user("mttq-tinh", Role.FRONT_MONITOR, unit=directory.front_province,
                                    territory=directory.province))
    van_don = viewer_for(make_user("mttq-van-don", Role.FRONT_MONITOR, territory=directory.van_don))
    (seen,) = hot_spots(ha_tu, today=DAY + timedelta(days=1))
    assert (seen.commune_name, seen.topic_name, seen.recent_count, seen.current) == (
        "Phường Hà Tu", "Rác thải", 5, True)
    (later,) = hot_spots(province, today=DAY + timedelta(days=8))
    assert later.current is False
    assert hot_spots(van_don, today=DAY + timedelta(days=1)) == []
    assert hot_spot_detail(van_don, seen.id, today=DAY) is None
    detail = hot_spot_detail(ha_tu, seen.id, today=DAY)
    assert detail is not None
    assert len(detail.items) == 5
    assert {item.locality_name for item in detail.items} == {"Tổ dân phố 1", "Phường Hà Tu"}
