"""Hot spots as the Front reads them: the current and past ones of the viewer's territory, and
one hot spot with the items behind it (read through the one access rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import aliased

from feedback.domain.access import Viewer, visibility
from feedback.domain.calendar import start_of_local_day
from feedback.domain.hotspots import weekly_average, windows
from feedback.domain.paths import path_of
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Feedback, HotSpot, Locality, Topic, Unit
from feedback.services.access import visible_items_filter
from feedback.services.hotspots.residents import resident_items_only

# At most this many hot spots a list shows (newest first); at most this many items a hot spot.
LIST_LIMIT = 200
ITEM_LIMIT = 500


@dataclass(frozen=True)
class TopicName:
    """A topic's names, for ``local_name`` on the pages."""

    name: str
    name_en: str | None


@dataclass(frozen=True)
class HotSpotView:
    id: int
    commune_code: str
    commune_name: str
    topic_code: str
    topic_name: str
    topic_name_en: str | None
    started_on: date
    last_seen_on: date
    recent_count: int
    baseline_count: int
    peak_count: int
    current: bool

    @property
    def topic(self) -> TopicName:
        return TopicName(self.topic_name, self.topic_name_en)

    @property
    def weekly_average(self) -> float:
        return weekly_average(self.baseline_count)

    @property
    def first_day(self) -> date:
        """The first day of the first week in which the surge was seen."""
        return windows(self.started_on).recent_start


@dataclass(frozen=True)
class HotSpotItem:
    code: str
    kind: Kind
    status: Status
    received_at: datetime
    locality_name: str
    unit_name: str | None


@dataclass(frozen=True)
class HotSpotDetail:
    spot: HotSpotView
    items: tuple[HotSpotItem, ...]


def is_current(last_seen_on: date, today: date) -> bool:
    """A hot spot is current when the latest daily check (as of yesterday) still found it."""
    return last_seen_on >= today - timedelta(days=1)


def _in_territory(viewer: Viewer) -> ColumnElement[bool]:
    """Hot spots whose commune lies in a territory the viewer watches (everything for the operator)."""
    seen = visibility(viewer)
    if seen.everything:
        return true()
    if not seen.territories:
        return false()
    return or_(*(Locality.path.startswith(path_of(territory)) for territory in sorted(seen.territories)))


def _view(spot: HotSpot, commune: Locality, topic: Topic, today: date) -> HotSpotView:
    return HotSpotView(spot.id, commune.code, commune.name, topic.code, topic.name, topic.name_en,
                       spot.started_on, spot.last_seen_on, spot.recent_count, spot.baseline_count,
                       spot.peak_count, is_current(spot.last_seen_on, today))


def hot_spots(viewer: Viewer, *, today: date) -> list[HotSpotView]:
    """The hot spots the viewer may watch, current ones first, then by last sighting (newest first)."""
    return _listed(_in_territory(viewer), today=today)


def hot_spots_in(territory_id: int, *, since: date, until: date, today: date) -> list[HotSpotView]:
    """The hot spots of ``territory_id``'s subtree that were seen between ``since`` and ``until``
    (for the briefing report of that territory and month)."""
    territory = db.session.get(Locality, territory_id)
    if territory is None:
        return []
    return _listed(Locality.path.startswith(territory.path), today=today,
                   extra=(HotSpot.last_seen_on >= since, HotSpot.started_on <= until))


def _listed(where: ColumnElement[bool], *, today: date,
            extra: tuple[ColumnElement[bool], ...] = ()) -> list[HotSpotView]:
    query = (
        select(HotSpot, Locality, Topic)
        .join(Locality, HotSpot.locality_id == Locality.id)
        .join(Topic, HotSpot.topic_id == Topic.id)
        .where(where, *extra)
        .order_by(HotSpot.last_seen_on.desc(), HotSpot.id.desc())
        .limit(LIST_LIMIT)
    )
    views = [_view(spot, commune, topic, today) for spot, commune, topic in db.session.execute(query).all()]
    return sorted(views, key=lambda v: not v.current)  # stable: keeps the date order within each


def hot_spot_detail(viewer: Viewer, hot_spot_id: int, *, today: date) -> HotSpotDetail | None:
    """One hot spot and its items (received in its weeks, in its commune and topic, that the
    viewer may see); None when there is none or it lies outside the viewer's territory."""
    row = db.session.execute(
        select(HotSpot, Locality, Topic)
        .join(Locality, HotSpot.locality_id == Locality.id)
        .join(Topic, HotSpot.topic_id == Topic.id)
        .where(HotSpot.id == hot_spot_id, _in_territory(viewer))
    ).first()
    if row is None:
        return None
    spot, commune, topic = row
    view = _view(spot, commune, topic, today)
    place = aliased(Locality)
    items = db.session.execute(
        select(Feedback.code, Feedback.kind, Feedback.status, Feedback.received_at, place.name, Unit.name)
        .join(place, Feedback.locality_id == place.id)
        .outerjoin(Unit, Feedback.current_unit_id == Unit.id)
        .where(
            Feedback.topic_id == spot.topic_id,
            or_(place.id == commune.id, place.parent_id == commune.id),
            Feedback.received_at >= start_of_local_day(view.first_day),
            Feedback.received_at < start_of_local_day(spot.last_seen_on + timedelta(days=1)),
            visible_items_filter(viewer),
            resident_items_only(),
        )
        .order_by(Feedback.received_at, Feedback.id)
        .limit(ITEM_LIMIT)
    ).all()
    return HotSpotDetail(view, tuple(HotSpotItem(str(code), kind, status, received, place_name, unit_name)
                                     for code, kind, status, received, place_name, unit_name in items))
