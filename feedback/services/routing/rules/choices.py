"""What the rule forms offer to choose from: localities, topics and units (read only)."""

from __future__ import annotations

from sqlalchemy import select

from feedback.domain.text import name_key, place_key
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Topic, Unit


def upper_localities() -> list[Locality]:
    """Provinces then communes, by name without the kind word (``place_key``, as the resident's
    form lists them): the localities offered in a select (villages, being more than a thousand,
    are entered by code)."""
    query = select(Locality).where(Locality.level.in_([LocalityLevel.PROVINCE, LocalityLevel.COMMUNE]))
    rows = db.session.execute(query).scalars()
    return sorted(rows, key=lambda loc: (loc.level.depth, place_key(loc.name, loc.kind), loc.id))


def locality_by_code(code: str) -> Locality | None:
    """The locality with this official code (surrounding spaces ignored), or None."""
    return db.session.execute(select(Locality).where(Locality.code == code.strip())).scalar_one_or_none()


def all_topics() -> list[Topic]:
    """Every topic, each after its parent (tree order); siblings by position, then by name
    (``name_key``: "Đất đai" sorts among the D's, not after Z)."""
    topics = sorted(db.session.execute(select(Topic)).scalars(), key=lambda t: (t.position, name_key(t.name), t.id))
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    ordered: list[Topic] = []

    def walk(parent_id: int | None) -> None:
        for topic in children.get(parent_id, []):
            ordered.append(topic)
            walk(topic.id)

    walk(None)
    return ordered


def units_for_rules(include_id: int | None = None) -> list[Unit]:
    """Active units by name (``name_key``), plus the unit ``include_id`` even if inactive (a rule's
    current unit)."""
    query = select(Unit).where((Unit.active.is_(True)) | (Unit.id == include_id))
    return sorted(db.session.execute(query).scalars(), key=lambda unit: (name_key(unit.name), unit.id))
