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
from sqlalchemy.orm import selectinload

from feedback.domain.open311 import MAX_RESULTS, Window, statuses_for
from feedback.domain.tracking import PROTECTED_KINDS, InvalidCode, hash_token, normalise_code, token_matches
from feedback.extensions import db
from feedback.models import Assignment, Feedback, Locality, Topic
from feedback.services import recommendations
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


def _loaded(statement: Select[Feedback]) -> list[Feedback]:
    rows = db.session.scalars(statement.options(
        selectinload(Feedback.locality).selectinload(Locality.parent),
        selectinload(Feedback.topic).selectinload(Topic.parent),
        selectinload(Feedback.current_unit),
        selectinload(Feedback.deadlines),
        selectinload(Feedback.assignments).selectinload(Assignment.unit),
    ))
    return list(rows)
