"""The daily hot-spot check: count items per (commune, topic), apply the domain rule, record each
surge as a ``HotSpot`` and tell the commune's Front committee once per new hot spot.

Items are counted by the time they were received (local days), at the commune level: an item of
a village counts for its commune, because the Front committee that is told is the commune's and
a surge spread over several villages is still one surge. Every item counts, whatever became of
it (a duplicate is a sign of the surge too). Province-level items have no commune and are left out,
and so are the Front's own recommendations (``residents``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from feedback.domain.calendar import local_date, start_of_local_day
from feedback.domain.hotspots import SAME_EPISODE_DAYS, is_hot_spot, weekly_average, windows
from feedback.extensions import db
from feedback.models import Feedback, HotSpot, Locality, LocalityLevel, Topic, Unit, UnitKind
from feedback.services.database import dialect_insert
from feedback.services.hotspots.residents import resident_items_only
from feedback.services.notifications import queue_notification

NOTIFICATION_KIND = "hot_spot"


@dataclass(frozen=True)
class CheckResult:
    """What one check found as of ``day``: hot spots seen, of which new, and notifications queued."""

    day: date
    found: int
    new: int
    notified: int


@dataclass(frozen=True)
class PairCount:
    commune_id: int
    topic_id: int
    recent: int
    baseline: int


def find_hot_spots(now: datetime) -> CheckResult:
    """The daily check as of the last complete local day before ``now``; commits.

    Idempotent: a second run the same day finds the same hot spots, creates none and notifies
    nobody again (the hot spot's unique pair and first day, and the notification's dedupe key).
    """
    return check_day(local_date(now) - timedelta(days=1), now=now)


def check_day(day: date, *, now: datetime) -> CheckResult:
    """Find the hot spots as of local ``day`` (the 7 days ending with it against the 8 weeks
    before), record them and queue one notification per new hot spot and committee; commits."""
    found = new = notified = 0
    for pair in count_pairs(day):
        if not is_hot_spot(pair.recent, pair.baseline):
            continue
        found += 1
        spot, created = _record(pair, day, now)
        if created:
            new += 1
            notified += _notify(spot, now)
    db.session.commit()
    return CheckResult(day, found, new, notified)


def count_pairs(day: date) -> list[PairCount]:
    """Items per (commune, topic) in the recent week and the baseline weeks as of ``day``, for
    the pairs with at least one recent item. One grouped query over the received-time index."""
    span = windows(day)
    since = start_of_local_day(span.baseline_start)
    recent_since = start_of_local_day(span.recent_start)
    until = start_of_local_day(day + timedelta(days=1))
    commune_id = case((Locality.level == LocalityLevel.VILLAGE, Locality.parent_id), else_=Locality.id)
    is_recent = Feedback.received_at >= recent_since
    recent = func.sum(case((is_recent, 1), else_=0))
    rows = db.session.execute(
        select(commune_id.label("commune_id"), Feedback.topic_id, recent.label("recent"),
               func.count().label("total"))
        .join(Locality, Feedback.locality_id == Locality.id)
        .where(Feedback.received_at >= since, Feedback.received_at < until, resident_items_only(),
               Locality.level.in_([LocalityLevel.COMMUNE, LocalityLevel.VILLAGE]))
        .group_by(commune_id, Feedback.topic_id)
        .having(recent > 0)
        .order_by(commune_id, Feedback.topic_id)
    ).all()
    return [PairCount(int(r.commune_id), int(r.topic_id), int(r.recent), int(r.total) - int(r.recent))
            for r in rows if r.commune_id is not None]


def _record(pair: PairCount, day: date, now: datetime) -> tuple[HotSpot, bool]:
    """The hot spot this surge belongs to (updated), or a new one; True when this call made it."""
    gap = timedelta(days=SAME_EPISODE_DAYS)
    existing = db.session.scalar(
        select(HotSpot).where(
            HotSpot.locality_id == pair.commune_id, HotSpot.topic_id == pair.topic_id,
            HotSpot.last_seen_on >= day - gap, HotSpot.started_on <= day + gap,
        ).order_by(HotSpot.started_on.desc()).limit(1).with_for_update()
    )
    if existing is not None:
        if day >= existing.last_seen_on:
            existing.last_seen_on = day
            existing.recent_count = pair.recent
            existing.baseline_count = pair.baseline
        existing.started_on = min(existing.started_on, day)
        existing.peak_count = max(existing.peak_count, pair.recent)
        existing.updated_at = now
        return existing, False
    inserted = db.session.execute(
        dialect_insert(HotSpot).values(
            locality_id=pair.commune_id, topic_id=pair.topic_id, started_on=day, last_seen_on=day,
            recent_count=pair.recent, baseline_count=pair.baseline, peak_count=pair.recent,
            detected_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["locality_id", "topic_id", "started_on"]).returning(HotSpot.id)
    ).scalar()
    spot = db.session.scalars(select(HotSpot).where(
        HotSpot.locality_id == pair.commune_id, HotSpot.topic_id == pair.topic_id, HotSpot.started_on == day,
    )).one()
    return spot, inserted is not None


def front_committees(commune_id: int) -> list[Unit]:
    """The active Front committees of the commune, else of its province (as escalations go)."""
    commune = db.session.get(Locality, commune_id)
    if commune is None:
        return []
    ancestors = commune.ancestor_ids() or (commune.id,)
    rows = db.session.execute(
        select(Unit, Locality.level).join(Locality, Unit.locality_id == Locality.id)
        .where(Unit.kind == UnitKind.FRONT_COMMITTEE, Unit.active.is_(True), Unit.locality_id.in_(ancestors),
               Locality.level.in_([LocalityLevel.COMMUNE, LocalityLevel.PROVINCE]))
        .order_by(Unit.id)
    ).all()
    by_level: dict[LocalityLevel, list[Unit]] = {}
    for unit, level in rows:
        by_level.setdefault(level, []).append(unit)
    return by_level.get(LocalityLevel.COMMUNE) or by_level.get(LocalityLevel.PROVINCE) or []


def dedupe_key(hot_spot_id: int, unit_id: int) -> str:
    """The unique key of the one notification of a hot spot to one committee."""
    return f"hotspot:{hot_spot_id}:unit:{unit_id}"


def _notify(spot: HotSpot, now: datetime) -> int:
    """Queue the message of a new hot spot to its committee(s): place, topic and counts, a link to
    the list of its items behind a login; never an item's text or a resident's name."""
    locality = db.session.get(Locality, spot.locality_id)
    topic = db.session.get(Topic, spot.topic_id)
    assert locality is not None and topic is not None
    span = windows(spot.last_seen_on)
    created = 0
    for committee in front_committees(spot.locality_id):
        values = {
            "recipient": committee.name,
            "topic": topic.name,
            "locality": locality.name,
            "count": spot.recent_count,
            "start": span.recent_start.strftime("%d/%m/%Y"),
            "end": span.day.strftime("%d/%m/%Y"),
            "average": f"{weekly_average(spot.baseline_count):.1f}".replace(".", ","),
            "url": f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/monitor/hotspots/{spot.id}",
        }
        subject = _("[Điểm nóng] %(topic)s tại %(locality)s: %(count)d ý kiến trong 7 ngày", **values)
        body = _("Kính gửi %(recipient)s,\n\nHệ thống ghi nhận một điểm nóng: lĩnh vực %(topic)s tại %(locality)s "
                 "có %(count)d ý kiến trong 7 ngày từ %(start)s đến %(end)s, cao hơn 3 lần mức trung bình "
                 "%(average)s ý kiến mỗi tuần của 8 tuần trước đó.\n\nĐăng nhập hệ thống để xem các ý kiến: "
                 "%(url)s\n\nThư này được gửi tự động, vui lòng không trả lời.", **values)
        if queue_notification(dedupe_key(spot.id, committee.id), NOTIFICATION_KIND, subject=subject[:255],
                              body=body, now=now, recipient_unit_id=committee.id):
            created += 1
    return created


__all__ = ["CheckResult", "PairCount", "check_day", "count_pairs", "dedupe_key", "find_hot_spots",
           "front_committees"]
