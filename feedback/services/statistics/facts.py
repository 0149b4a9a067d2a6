"""The facts of items, derived from the raw rows (assignments, published answers, their
clocks, requests for information, ratings, reopenings) and the audit log (the kind an item had
at each moment, the unit's name when it was given the item).

This is the one derivation of DESIGN.md §6: the live rollups store its output as it happens,
``flask stats rebuild`` stores it from scratch, and the recount (the rollups' oracle) counts it
directly. Read only.

- received: the first assignment of the item to each unit that held it (by its time);
- transfer: an assignment the unit ended as not its competence (by the time it ended);
- answered: each published answer, attributed to the unit frozen on it; on time when a
  RESOLUTION clock stopped at the publication was not breached and was due at or after it; time
  to answer from the later of the unit's assignment and the reopening that opened the cycle, to
  the publication, less the time spent waiting for the resident (requests for information);
- rating: each rating, by when it was first given, to the unit frozen on it; satisfied at 4-5
  (its current score: a change within 7 days changes the verdict, not the day);
- reopened: each reopening, by its time, to the unit frozen on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.domain.assignments import EndReason
from feedback.domain.calendar import local_date
from feedback.domain.deadlines import Clock
from feedback.domain.events import EventAction
from feedback.domain.handling import DraftStatus
from feedback.domain.paths import ids_of
from feedback.domain.satisfaction import is_satisfied
from feedback.domain.status import Kind, Origin
from feedback.models import Answer, Assignment, Deadline, Event, Feedback, InfoRequest, Locality, Rating, Reopening, Unit
from feedback.models.directory import LocalityLevel
from feedback.services.statistics.values import Fact, FactKind


@dataclass(frozen=True)
class Place:
    """Where a locality sits: its commune and village (None above those levels)."""

    commune_id: int
    village_id: int | None


def places(session: Session, locality_ids: Iterable[int] | None = None) -> dict[int, Place]:
    """The commune and village of every locality (of ``locality_ids`` only, when given), from
    the tree's paths. A locality above the communes (a province) stands for its own commune."""
    query = select(Locality.id, Locality.path, Locality.level)
    if locality_ids is not None:
        query = query.where(Locality.id.in_(list(locality_ids)))
    return places_of_rows(session, session.execute(query).all())


def places_of_rows(session: Session, rows: Sequence[Any]) -> dict[int, Place]:
    """``places`` of localities already read (rows with ``id``, ``path`` and ``level``): a
    second read only for the levels of ancestors that the paths do not name by position."""
    chains = {row.id: ids_of(row.path) or (row.id,) for row in rows}
    level_of = {row.id: row.level for row in rows}
    for row in rows:  # a full path (province first) names its levels by position: no second read
        if len(chains[row.id]) == row.level.depth:
            level_of.update({node: level for node, level in zip(chains[row.id], LocalityLevel)})
    missing = {i for chain in chains.values() for i in chain} - set(level_of)
    if missing:
        level_of.update({r.id: r.level for r in session.execute(
            select(Locality.id, Locality.level).where(Locality.id.in_(missing)))})
    result: dict[int, Place] = {}
    for locality_id, chain in chains.items():
        commune = next((i for i in chain if level_of.get(i) is LocalityLevel.COMMUNE), locality_id)
        village = next((i for i in chain if level_of.get(i) is LocalityLevel.VILLAGE), None)
        result[locality_id] = Place(commune, village)
    return result


class _LocalityRow(NamedTuple):
    id: int
    path: str | None
    level: LocalityLevel


def _kind_at(current: Kind, changes: Sequence[tuple[datetime, Kind]], at: datetime) -> Kind:
    """The kind the item had at ``at``: the kind before the first change made after ``at``."""
    for changed_at, before in changes:  # oldest first
        if changed_at > at:
            return before
    return current


def _overlap(start: datetime, end: datetime, spans: Iterable[tuple[datetime, datetime | None]]) -> float:
    total = 0.0
    for span_start, span_end in spans:
        low, high = max(start, span_start), min(end, span_end or end)
        if high > low:
            total += (high - low).total_seconds()
    return total


class _Counted(NamedTuple):
    """What a fact of an item is counted under, besides its unit and time: the item, its place
    and topic, and its kind at the fact's time."""

    feedback_id: int
    locality_id: int
    topic_id: int
    kind: Kind


def _fact(measure: FactKind, item: _Counted, place: Place, ref: int, unit_id: int, code: str, name: str,
          at: datetime, **measures: object) -> Fact:
    """One fact of ``item`` (every derivation here builds its facts through this one)."""
    return Fact(measure=measure, feedback_id=item.feedback_id, ref=ref, unit_id=unit_id, unit_code=code,
                unit_name=name, locality_id=item.locality_id, commune_id=place.commune_id,
                village_id=place.village_id, topic_id=item.topic_id, kind=item.kind, at=at, day=local_date(at),
                **measures)  # type: ignore[arg-type]


def first_assignment_facts(session: Session, item: Feedback, unit: Unit, at: datetime) -> list[Fact]:
    """The facts of ``item`` once it is given to ``unit`` at ``at``, when no unit ever held it
    before: what ``facts_of`` derives from the raw rows after that assignment (one RECEIVED fact
    under the unit's current code and name for a resident's item, none for the Front's), from
    what the caller has loaded (the item with its locality) instead of reading the rows.

    Exact because an item no unit ever held has no other fact and no kind change (a kind is
    changed only while a unit handles the item: ``handling.keep_as_report``), so its kind at
    ``at`` is its kind now. Reads nothing unless the locality's path leaves a level unnamed
    (``places_of_rows``)."""
    if item.origin is not Origin.RESIDENT:
        return []
    locality = item.locality
    where = places_of_rows(session, [_LocalityRow(locality.id, locality.path, locality.level)])
    counted = _Counted(item.id, item.locality_id, item.topic_id, item.kind)
    return [_fact(FactKind.RECEIVED, counted, where[locality.id], unit.id, unit.id, unit.code, unit.name, at)]


def facts_of(session: Session, feedback_ids: Sequence[int], where: dict[int, Place] | None = None) -> list[Fact]:
    """All facts of the items ``feedback_ids``, in a stable order. Read only."""
    if not feedback_ids:
        return []
    ids = list(feedback_ids)
    # The items with their localities' paths and levels (their places, without a read of their own).
    items = {row.id: row for row in session.execute(
        select(Feedback.id, Feedback.locality_id, Feedback.topic_id, Feedback.kind, Feedback.answered_at,
               Locality.path.label("locality_path"), Locality.level.label("locality_level"))
        .join(Locality, Locality.id == Feedback.locality_id)
        .where(Feedback.id.in_(ids), Feedback.origin == Origin.RESIDENT))}
    # Residents' items only: the Front's recommendations have figures of their own.
    ids = [i for i in ids if i in items]
    if not ids:
        return []
    # Answers, their clocks and pauses, ratings and reopenings exist only once an answer was
    # published (``answered_at`` is set then and kept): a routing's refresh skips those reads.
    answered = [i for i, row in items.items() if row.answered_at is not None]
    if where is None:
        where = places_of_rows(session, list({row.locality_id: _LocalityRow(
            row.locality_id, row.locality_path, row.locality_level) for row in items.values()}.values()))

    changes: dict[int, list[tuple[datetime, Kind]]] = defaultdict(list)
    assigned_names: dict[tuple[int, int, datetime], str] = {}
    returned_names: dict[tuple[int, int, datetime], str] = {}
    for event in session.execute(
        select(Event.feedback_id, Event.action, Event.at, Event.before, Event.after).where(
            Event.feedback_id.in_(ids),
            Event.action.in_([EventAction.KIND_CHANGED.value, EventAction.ASSIGNED.value,
                              EventAction.RETURNED.value]),
        ).order_by(Event.feedback_id, Event.seq)
    ):
        assert event.feedback_id is not None
        if event.action == EventAction.KIND_CHANGED.value and event.before and "kind" in event.before:
            changes[event.feedback_id].append((event.at, Kind(event.before["kind"])))
        elif event.after and "unit_id" in event.after and "unit" in event.after:
            names = assigned_names if event.action == EventAction.ASSIGNED.value else returned_names
            names[(event.feedback_id, int(event.after["unit_id"]), event.at)] = str(event.after["unit"])

    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for request in session.execute(
        select(InfoRequest.feedback_id, InfoRequest.asked_at, InfoRequest.answered_at).where(
            InfoRequest.feedback_id.in_(answered))
    ) if answered else ():
        pauses[request.feedback_id].append((request.asked_at, request.answered_at))

    # RESOLUTION clocks stopped by a publication: (item, met_at) → on time?
    stopped: dict[tuple[int, datetime], bool] = {}
    for clock in session.execute(
        select(Deadline.feedback_id, Deadline.met_at, Deadline.due_at, Deadline.breached_at).where(
            Deadline.feedback_id.in_(answered), Deadline.clock == Clock.RESOLUTION.value, Deadline.met_at.is_not(None))
    ) if answered else ():
        assert clock.met_at is not None
        on_time = clock.breached_at is None and clock.met_at <= clock.due_at
        key = (clock.feedback_id, clock.met_at)
        stopped[key] = stopped.get(key, False) or on_time

    assignments: dict[int, list[Assignment]] = defaultdict(list)
    units: dict[int, tuple[str, str]] = {}
    for assignment, unit_code, unit_name in session.execute(
        select(Assignment, Unit.code, Unit.name).join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.feedback_id.in_(ids)).order_by(Assignment.assigned_at, Assignment.id)
    ):
        assignments[assignment.feedback_id].append(assignment)
        units[assignment.unit_id] = (unit_code, unit_name)
    reopened_at: dict[tuple[int, int], datetime] = {}
    reopenings = list(session.scalars(select(Reopening).where(Reopening.feedback_id.in_(answered)))) \
        if answered else []
    for reopening in reopenings:
        reopened_at[(reopening.feedback_id, reopening.cycle)] = reopening.reopened_at

    facts: list[Fact] = []

    def fact(measure: FactKind, feedback_id: int, ref: int, unit_id: int, code: str, name: str, at: datetime,
             **measures: object) -> Fact:
        item = items[feedback_id]
        return _fact(measure, _Counted(feedback_id, item.locality_id, item.topic_id,
                                       _kind_at(item.kind, changes[feedback_id], at)),
                     where.get(item.locality_id, Place(item.locality_id, None)), ref, unit_id, code, name, at,
                     **measures)

    for feedback_id in sorted(items):
        seen_units: set[int] = set()
        for assignment in assignments[feedback_id]:
            unit_code, unit_name = units[assignment.unit_id]
            if assignment.unit_id not in seen_units:
                seen_units.add(assignment.unit_id)
                name = assigned_names.get((feedback_id, assignment.unit_id, assignment.assigned_at), unit_name)
                facts.append(fact(FactKind.RECEIVED, feedback_id, assignment.unit_id, assignment.unit_id, unit_code,
                                  name, assignment.assigned_at))
            if assignment.end_reason is EndReason.NOT_COMPETENT and assignment.ended_at is not None:
                name = returned_names.get((feedback_id, assignment.unit_id, assignment.ended_at), unit_name)
                facts.append(fact(FactKind.TRANSFER, feedback_id, assignment.id, assignment.unit_id, unit_code, name,
                                  assignment.ended_at))

    for answer in session.scalars(
        select(Answer).where(Answer.feedback_id.in_(answered), Answer.status == DraftStatus.PUBLISHED,
                             Answer.published_at.is_not(None)).order_by(Answer.feedback_id, Answer.cycle)
    ) if answered else ():
        published = answer.published_at
        assert published is not None
        held = [a.assigned_at for a in assignments[answer.feedback_id]
                if a.unit_id == answer.unit_id and a.assigned_at <= published]
        start = max(held) if held else published
        cycle_opened = reopened_at.get((answer.feedback_id, answer.cycle - 1))
        if cycle_opened is not None and cycle_opened > start:
            start = cycle_opened
        paused = _overlap(start, published, pauses[answer.feedback_id])
        seconds = max(0, round((published - start).total_seconds() - paused))
        facts.append(fact(FactKind.ANSWERED, answer.feedback_id, answer.id, answer.unit_id, answer.unit_code,
                          answer.unit_name, published, on_time=stopped.get((answer.feedback_id, published), False),
                          seconds=seconds))

    ratings = session.scalars(select(Rating).where(Rating.feedback_id.in_(answered)).order_by(Rating.id)) \
        if answered else ()
    for rating in ratings:
        facts.append(fact(FactKind.RATING, rating.feedback_id, rating.id, rating.unit_id, rating.unit_code,
                          rating.unit_name, rating.rated_at, satisfied=is_satisfied(rating.score)))
    for reopening in sorted(reopenings, key=lambda r: r.id):
        facts.append(fact(FactKind.REOPENED, reopening.feedback_id, reopening.id, reopening.unit_id,
                          reopening.unit_code, reopening.unit_name, reopening.reopened_at))
    return facts


def all_facts(session: Session, *, batch: int = 2000) -> Iterator[tuple[list[Fact], int]]:
    """The facts of every item, a batch of items at a time (by id), with the batch's item
    count. Read only."""
    where = places(session)
    last = 0
    while True:
        ids = list(session.scalars(select(Feedback.id).where(Feedback.id > last).order_by(Feedback.id).limit(batch)))
        if not ids:
            return
        yield facts_of(session, ids, where), len(ids)
        last = ids[-1]
