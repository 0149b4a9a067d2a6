"""What the Open311 API offers as services: the active topics, and what a request may carry.

Services are the topics the resident's form offers (``intake.topic_options``, in the same tree
order); a service's group is its top-level topic. Every service has two attributes: the case kind
(required only when the topic has no default kind) and the village, whose allowed values are the
villages of the deployment. Read only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import aliased

from feedback.domain.paths import ids_of
from feedback.domain.status import Kind
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Topic
from feedback.services.database import execute_kept
from feedback.services.intake import topic_options

KIND_ATTRIBUTE = "kind"
# Deeper than any topic tree (they have two or three levels): ends the walk up a broken tree.
_MAX_DEPTH = 32
VILLAGE_ATTRIBUTE = "village"


@dataclass(frozen=True)
class Named:
    name: str
    name_en: str | None = None


@dataclass(frozen=True)
class Service:
    """One topic as a service: ``group`` is its top-level topic (itself for a top-level one)."""

    code: str
    name: str
    name_en: str | None
    group: Named
    default_kind: Kind | None

    @property
    def keywords(self) -> tuple[str, ...]:
        """Its names as typed without diacritics, and its English name: help to find it."""
        words = [fold(self.name)]
        if self.name_en:
            words.append(self.name_en)
        if self.group.name != self.name:
            words.append(fold(self.group.name))
        return tuple(dict.fromkeys(words))


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    commune_code: str
    commune_name: str


@dataclass(frozen=True)
class ServiceDefinition:
    """A service and the values its attributes may take: every kind, and every village."""

    service: Service
    kinds: tuple[Kind, ...]
    villages: tuple[Village, ...]

    @property
    def kind_required(self) -> bool:
        """A topic without a default kind needs the sender to say which kind of case it is."""
        return self.service.default_kind is None


def services() -> list[Service]:
    """Every active topic the form offers, in the form's order."""
    offered = [option.code for option in topic_options()]
    rows = {t.code: t for t in db.session.scalars(select(Topic).where(Topic.code.in_(offered)))} if offered else {}
    roots = _roots(rows.values())
    return [_service(rows[code], roots) for code in offered if code in rows]


def service(code: str) -> Service | None:
    """The service ``code``, or None when no active topic the form offers has that code.

    One statement (the topic and its ancestors, walked up by ``parent_id``), not the whole
    catalogue: the Open311 POST asks this on every request. A topic is offered when it and every
    topic above it are active (as ``topic_options`` walks the tree); its group is the topmost.
    """
    # Driver SQL compiled once (``execute_kept``): the default kind comes as its text on PostgreSQL.
    rows = execute_kept(_service_statement(), {"code": code}).all()
    if not rows or not all(row.active_1 for row in rows) or rows[-1].parent_id_1 is not None:
        return None  # unknown, inactive, under an inactive topic, or deeper than any tree
    topic, root = rows[0], rows[-1]
    group = Named(root.name, root.name_en or None)
    return Service(topic.code, topic.name, topic.name_en or None, group,
                   Kind(topic.default_kind) if topic.default_kind is not None else None)


@lru_cache(maxsize=1)
def _service_statement() -> Any:
    """The statement of ``service`` (parameter ``code``), built once and kept: building its
    recursive WITH query anew for every POST cost more CPU than running it (issue #11)."""
    start = select(Topic.id, Topic.parent_id, Topic.active, literal(0).label("height")) \
        .where(Topic.code == bindparam("code")).cte("chain", recursive=True)
    above = aliased(Topic)
    chain = start.union_all(
        select(above.id, above.parent_id, above.active, (start.c.height + 1).label("height"))
        .join(start, above.id == start.c.parent_id)
        .where(start.c.height < _MAX_DEPTH)
    )
    return select(Topic.code, Topic.name, Topic.name_en, Topic.default_kind, chain.c.active.label("active_1"),
                  chain.c.parent_id.label("parent_id_1")).join(chain, Topic.id == chain.c.id).order_by(chain.c.height)


def service_definition(code: str) -> ServiceDefinition | None:
    """The definition of the service ``code`` (None when unknown): kinds and villages."""
    found = service(code)
    if found is None:
        return None
    return ServiceDefinition(found, tuple(Kind), tuple(villages()))


def villages() -> list[Village]:
    """Every village of the deployment with its commune, by commune then village code."""
    commune = aliased(Locality)
    rows = db.session.execute(
        select(Locality, commune).join(commune, Locality.parent_id == commune.id)
        .where(Locality.level == LocalityLevel.VILLAGE).order_by(commune.code, Locality.code)
    ).all()
    return [Village(v.code, v.name, c.code, c.name) for v, c in rows]


def _roots(topics: Iterable[Topic]) -> dict[int, Topic]:
    """The top-level topic of each topic's tree, read once for all of them."""
    root_ids = {ids_of(t.path)[0] if ids_of(t.path) else t.id for t in topics}
    if not root_ids:
        return {}
    return {t.id: t for t in db.session.scalars(select(Topic).where(Topic.id.in_(root_ids)))}


def _service(topic: Topic, roots: dict[int, Topic]) -> Service:
    path = ids_of(topic.path)
    root = roots.get(path[0]) if path else None
    group = Named(root.name, root.name_en or None) if root is not None else Named(topic.name, topic.name_en or None)
    return Service(topic.code, topic.name, topic.name_en or None, group, topic.default_kind)
