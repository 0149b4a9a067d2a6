"""GET requests, GET requests/<id> and tokens/<token> of the Open311 API: the public read side.

Every request is the item's public view (``intake.public_views``): the same facts as
``/t/<code>.json``, never personal data and never the resident's own text. A complaint or a
denunciation shows only its status and unit (``RestrictedItem``), and only when asked for by its
own code (``find_request``); searches (``search``) leave them out entirely, since a search by date,
topic or status would reveal what their public page hides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import load_only
from sqlalchemy.orm.attributes import set_committed_value

from feedback.domain.open311 import MAX_RESULTS, Window, statuses_for
from feedback.domain.tracking import PROTECTED_KINDS, InvalidCode, hash_token, normalise_code, token_matches
from feedback.extensions import db
from feedback.models import Assignment, Deadline, Feedback, Locality, Topic, Unit
from feedback.services import recommendations
from feedback.services.database import among
from feedback.services.intake import PublicItem, RestrictedItem, public_views

RequestView = PublicItem | RestrictedItem


@dataclass(frozen=True)
class Search:
    """The filters of GET requests. ``codes`` (``service_request_id``) overrides all the others."""

    codes: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open", "closed"; empty: both
    window: Window | None = None


def search(query: Search, *, now: datetime) -> list[RequestView]:
    """The requests matching ``query``, newest first, at most ``MAX_RESULTS``; complaints and
    denunciations are never listed. Unknown or malformed codes are simply not found. Raises
    ``ValueError`` for a status other than open or closed. Read only."""
    statement = select(Feedback).where(Feedback.code.is_not(None), Feedback.kind.not_in(list(PROTECTED_KINDS)),
                                       recommendations.resident_items())
    if query.codes:
        codes = _canonical(query.codes[:MAX_RESULTS])
        if not codes:
            return []
        statement = statement.where(Feedback.code.in_(codes))
    else:
        statuses = statuses_for(query.statuses)
        statement = statement.where(Feedback.status.in_(list(statuses)))
        if query.window is not None:
            statement = statement.where(Feedback.received_at >= query.window.start,
                                        Feedback.received_at <= query.window.end)
        if query.service_codes:
            statement = statement.join(Topic, Feedback.topic_id == Topic.id).where(
                Topic.code.in_(list(query.service_codes)))
    statement = statement.order_by(Feedback.received_at.desc(), Feedback.id.desc()).limit(MAX_RESULTS)
    return public_views(_loaded(statement), now=now)


def find_request(code: str, *, now: datetime) -> RequestView | None:
    """The request with tracking code ``code`` (as typed: any case, with or without dashes), or
    None when there is none. A complaint or a denunciation gives its ``RestrictedItem``."""
    codes = _canonical((code,))
    if not codes:
        return None
    rows = _loaded(select(Feedback).where(Feedback.code == codes[0], recommendations.resident_items()))
    return public_views(rows, now=now)[0] if rows else None


def code_for_token(token: str) -> str | None:
    """The tracking code of the item whose secret token is ``token``, or None. The digest is
    looked up by its index and compared again in constant time."""
    if not token or len(token) > 256:
        return None
    row = db.session.execute(select(Feedback.code, Feedback.token_hash)
                             .where(Feedback.token_hash == hash_token(token))).first()
    if row is None or row.code is None or not token_matches(token, row.token_hash):
        return None
    return str(row.code)


def _canonical(codes: tuple[str, ...]) -> list[str]:
    found = []
    for code in codes:
        try:
            found.append(normalise_code(code))
        except InvalidCode:
            continue
    return found


# The item's columns its public view reads (not the resident's text, name or contacts, which it
# never shows): any other column read would raise rather than load it row by row.
_VIEWED = (Feedback.code, Feedback.kind, Feedback.status, Feedback.topic_id, Feedback.locality_id,
           Feedback.current_unit_id, Feedback.received_at)


def _loaded(statement: Select[Feedback]) -> list[Feedback]:
    """The items of ``statement`` with what their public views read: their clocks and
    assignments (set as loaded collections), and the directory rows they name (localities with
    their parents, topics with theirs, units) read once into the session, where each item's
    many-to-one attribute then finds its row without a query.

    Up to 1,000 items: ``selectinload`` sent each relationship as IN lists of 500 parameters,
    which the driver parses anew every time (about a third of a 300 ms request at 1,000,000
    items); here every statement has one array parameter (``database.among``), six statements
    whatever the number of items."""
    items = list(db.session.scalars(statement.options(load_only(*_VIEWED, raiseload=True))))
    if not items:
        return items
    ids = [item.id for item in items]
    clocks: dict[int, list[Deadline]] = {item_id: [] for item_id in ids}
    for clock in db.session.scalars(select(Deadline).where(among(Deadline.feedback_id, ids))
                                    .order_by(Deadline.feedback_id, Deadline.id)):
        clocks[clock.feedback_id].append(clock)
    holders: dict[int, list[Assignment]] = {item_id: [] for item_id in ids}
    for assignment in db.session.scalars(select(Assignment).where(among(Assignment.feedback_id, ids))
                                         .order_by(Assignment.feedback_id, Assignment.id)):
        holders[assignment.feedback_id].append(assignment)
    for item in items:
        set_committed_value(item, "deadlines", clocks[item.id])
        set_committed_value(item, "assignments", holders[item.id])
    # Set on the items rather than left in the session, whose identity map keeps rows only while
    # something refers to them: left there, each item's attribute read its row again, one by one.
    units = _read_all(Unit, {item.current_unit_id for item in items} | {a.unit_id for held in holders.values() for a in held})
    topics = _read_all(Topic, {item.topic_id for item in items}, with_parents=True)
    localities = _read_all(Locality, {item.locality_id for item in items}, with_parents=True)
    for item in items:
        holder = item.current_unit_id
        set_committed_value(item, "current_unit", units[holder] if holder is not None else None)
        set_committed_value(item, "topic", topics[item.topic_id])
        set_committed_value(item, "locality", localities[item.locality_id])
        for assignment in holders[item.id]:
            set_committed_value(assignment, "unit", units[assignment.unit_id])
    return items


def _read_all[Row: (Locality, Topic, Unit)](model: type[Row], ids: set[int | None],
                                             with_parents: bool = False) -> dict[int, Row]:
    """The rows of ``model`` with ``ids`` by id; ``with_parents``: each with its parent set."""
    rows = {row.id: row for row in db.session.scalars(
        select(model).where(among(model.id, sorted(i for i in ids if i is not None))))}
    if with_parents:
        missing = {row.parent_id for row in rows.values()} - set(rows) - {None}
        parents = {**rows, **_read_all(model, missing)} if missing else rows
        for row in rows.values():
            set_committed_value(row, "parent", parents.get(row.parent_id) if row.parent_id is not None else None)
    return rows
