"""What the resident's form offers: communes, villages of a commune, active topics, locality search.

Read-only queries. Names are data (never constants); search is accent-insensitive through
``Locality.search_name`` (``feedback.domain.text.fold`` of the name), so "ha long" finds "Hạ Long".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from feedback.domain.text import NameKey, fold, name_key, place_key
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Topic

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Place:
    """A locality as offered in a list: ``commune_*`` are set for villages."""

    code: str
    name: str
    level: str
    folded: str
    commune_code: str | None = None
    commune_name: str | None = None


@dataclass(frozen=True)
class TopicOption:
    code: str
    name: str
    depth: int
    name_en: str | None = None

    @property
    def label(self) -> str:
        """The name indented by its depth in the tree, e.g. "— Rác thải"."""
        return self.label_in("vi")

    def label_in(self, language: str) -> str:
        """``label`` in ``language``: "en" uses the English name when there is one ("— Waste")."""
        name = self.name_en if language == "en" and self.name_en else self.name
        return "— " * (self.depth - 1) + name


def _sort_key(locality: Locality) -> NameKey:
    # Sort "Phường Hà Tu" under H, not under P: the kind word is not what people look for.
    return place_key(locality.name, locality.kind)


def communes() -> list[Place]:
    """Every commune-level unit of the deployment (xã, phường, đặc khu), sorted by name."""
    rows = db.session.scalars(select(Locality).where(Locality.level == LocalityLevel.COMMUNE)).all()
    return [Place(r.code, r.name, r.level.value, r.search_name or fold(r.name)) for r in sorted(rows, key=_sort_key)]


def storable_code(code: str) -> bool:
    """Whether a code typed or posted could be in the directory: not empty, no NUL (PostgreSQL
    stores none and refuses one even in a comparison, with an error). Any other code is simply
    looked up and not found."""
    return bool(code) and "\x00" not in code


def villages(commune_code: str) -> list[Place] | None:
    """The villages of the commune ``commune_code`` sorted by name, or None for an unknown commune."""
    if not storable_code(commune_code):
        return None
    commune = db.session.scalar(
        select(Locality).where(Locality.code == commune_code, Locality.level == LocalityLevel.COMMUNE)
    )
    if commune is None:
        return None
    rows = db.session.scalars(select(Locality).where(Locality.parent_id == commune.id)).all()
    return [
        Place(r.code, r.name, r.level.value, r.search_name or fold(r.name), commune.code, commune.name)
        for r in sorted(rows, key=_sort_key)
    ]


# A word of a search: letters and digits; commas and other punctuation only separate words.
_WORD = re.compile(r"\w+")


def search_localities(query: str, limit: int = SEARCH_LIMIT) -> list[Place]:
    """Communes and villages whose name contains every word of ``query``, ignoring diacritics
    and punctuation; a village's words may also be in its commune's name, as places are written
    ("Tổ dân phố 1, Phường Hà Tu" finds that village), but at least one must be in its own (the
    commune's name alone does not list its villages).

    Communes come first. An empty query gives an empty list (the form shows the full list).
    """
    words = _WORD.findall(fold(query))
    if not words:
        return []
    parent = aliased(Locality)
    statement = (
        select(Locality, parent)
        .outerjoin(parent, Locality.parent_id == parent.id)
        .where(Locality.level.in_([LocalityLevel.COMMUNE, LocalityLevel.VILLAGE]))
    )
    own = [Locality.search_name.contains(word, autoescape=True) for word in words]
    statement = statement.where(or_(*own))
    for word, in_own in zip(words, own, strict=True):
        statement = statement.where(or_(in_own, and_(Locality.level == LocalityLevel.VILLAGE,
                                                     parent.search_name.contains(word, autoescape=True))))
    statement = statement.order_by(Locality.level, Locality.search_name).limit(limit * 4)
    rows = db.session.execute(statement).all()
    # "commune" sorts before "village" alphabetically; keep that, then by name without the kind word.
    rows = sorted(rows, key=lambda row: (row[0].level != LocalityLevel.COMMUNE, _sort_key(row[0])))[:limit]
    places = []
    for locality, commune in rows:
        is_village = locality.level == LocalityLevel.VILLAGE
        places.append(Place(
            locality.code, locality.name, locality.level.value, locality.search_name or fold(locality.name),
            commune.code if is_village and commune else None, commune.name if is_village and commune else None,
        ))
    return places


def topic_options() -> list[TopicOption]:
    """Active topics in tree order (parents before children, siblings by position then name).

    A topic under an inactive parent is left out with it.
    """
    topics = db.session.scalars(select(Topic).where(Topic.active.is_(True))).all()
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    ordered: list[TopicOption] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for topic in sorted(children.get(parent_id, []), key=lambda t: (t.position, name_key(t.name))):
            ordered.append(TopicOption(topic.code, topic.name, depth, topic.name_en or None))
            walk(topic.id, depth + 1)

    walk(None, 1)
    return ordered
