"""The territory a Front monitor or an Inspection Board member watches, and what lies in it.

The territory comes from the one access rule (``feedback.domain.access.visibility``): a Front
monitor watches its membership's locality subtree (the province, or its commune), an Inspection
Board member the commune of its thôn. Every filter a dashboard URL names (a unit, a commune or
village, a drill-down key) is checked here against that territory; one outside it raises
``OutsideTerritory`` (the page answers 404, as for a row that does not exist), so a URL never
shows or confirms another commune's figures.

A unit is "in" a territory when its locality is inside it (a commune's People's Committee) or
above it (a provincial department serving it, the province's committee), or when it has no
locality; its figures are always counted only over the items located in the territory. A unit
of elsewhere (or a Front committee) that held one of the territory's items has a row in the
table by unit too, and its drill-down key is accepted (``unit_by_code``); it is not offered as a
filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Row, Select, String, bindparam, or_, select

from feedback.domain.access import Viewer, visibility
from feedback.domain.paths import path_of
from feedback.domain.text import name_key, place_key
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, StatMonthlyUnit, Topic, Unit, UnitKind

__all__ = ["Choice", "OutsideTerritory", "Territory", "commune_choices", "find_locality", "find_unit",
           "territories_of", "topic_choices", "unit_choices", "village_choices"]


class OutsideTerritory(LookupError):
    """The unit, locality or item named is not in the viewer's territory (or does not exist)."""


@dataclass(frozen=True)
class Territory:
    """A watched locality subtree: its id, code, name, level and ids from the province down."""

    id: int
    code: str
    name: str
    level: LocalityLevel
    ids: tuple[int, ...]

    @property
    def path(self) -> str:
        return path_of(self.ids)

    def holds(self, locality: Locality) -> bool:
        """Whether ``locality`` is this territory or lies inside it."""
        return locality.path.startswith(self.path)


@dataclass(frozen=True)
class Choice:
    """One option of a filter: the id sent in the URL, the code and the name shown."""

    id: int
    code: str
    name: str


# The statements every dashboard page sends (its territory, its filters' choices), built once: building
# them cost about as much CPU as the database spent answering them. The values are bound parameters.
_TERRITORIES = select(Locality).where(Locality.id.in_(bindparam("ids", expanding=True)))
_UNIT_CHOICES = select(Unit.id, Unit.code, Unit.name).where(
    Unit.kind != UnitKind.FRONT_COMMITTEE,
    or_(Unit.locality_id.is_(None), Unit.locality_id.in_(bindparam("above", expanding=True)),
        Unit.locality_id.in_(select(Locality.id).where(Locality.path.startswith(bindparam("path", type_=String))))))
_PLACE_COLUMNS = select(Locality.id, Locality.code, Locality.name, Locality.kind)
_COMMUNE_CHOICES = _PLACE_COLUMNS.where(Locality.level == LocalityLevel.COMMUNE,
                                        Locality.path.startswith(bindparam("path", type_=String)))
_VILLAGE_CHOICES = _PLACE_COLUMNS.where(Locality.parent_id == bindparam("parent_id", type_=Integer))
_TOPIC_CHOICES = select(Topic.id, Topic.parent_id, Topic.code, Topic.name, Topic.position)


def territories_of(viewer: Viewer) -> list[Territory]:
    """The territories ``viewer`` watches as a Front monitor or Inspection Board member, widest
    first, then by name; empty for anyone else. Read only."""
    ids = [scope[-1] for scope in visibility(viewer).territories if scope]
    if not ids:
        return []
    rows = db.session.scalars(_TERRITORIES, {"ids": ids}).all()
    found = [Territory(row.id, row.code, row.name, row.level, row.ancestor_ids()) for row in rows]
    return sorted(found, key=lambda t: (len(t.ids), name_key(t.name), t.id))


def find_locality(territory: Territory, locality_id: int) -> Locality:
    """The locality ``locality_id`` when it lies in ``territory``; OutsideTerritory otherwise."""
    locality = db.session.get(Locality, locality_id)
    if locality is None or not territory.holds(locality):
        raise OutsideTerritory(locality_id)
    return locality


def _unit_serves(territory: Territory, unit: Unit) -> bool:
    if unit.kind is UnitKind.FRONT_COMMITTEE:
        return False  # the Front watches; it is not a unit that answers residents
    if unit.locality is None:
        return True
    ids = unit.locality.ancestor_ids()
    return ids[: len(territory.ids)] == territory.ids or territory.ids[: len(ids)] == ids


def find_unit(territory: Territory, unit_id: int) -> Unit:
    """The unit ``unit_id`` when it serves ``territory`` (see the module docstring);
    OutsideTerritory otherwise (another commune's unit, a Front committee, no such unit)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not _unit_serves(territory, unit):
        raise OutsideTerritory(unit_id)
    return unit


def unit_by_code(territory: Territory, code: str) -> Unit:
    """The unit whose code is the key of a figure grouped by unit: one serving ``territory`` (as
    ``find_unit``), or any other that held an item located in it (a neighbouring commune's
    committee the item was sent to, then returned; a Front committee given it after too many
    returns): the table by unit has such a unit's row, counted over the territory's items, so its
    drill-down lists them. OutsideTerritory otherwise (no such unit, or one that never held an
    item here). Read only."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is not None and (_unit_serves(territory, unit) or _held_here(territory, unit)):
        return unit
    raise OutsideTerritory(code)


def _held_here(territory: Territory, unit: Unit) -> bool:
    """Whether ``unit`` has figures over an item located in ``territory``: every unit that held
    one has its "received" there, in the smallest rollup (its key starts with the unit)."""
    inside = select(Locality.id).where(Locality.path.startswith(territory.path, autoescape=True))
    found = db.session.scalar(select(StatMonthlyUnit.unit_id).where(
        StatMonthlyUnit.unit_id == unit.id, StatMonthlyUnit.commune_id.in_(inside)).limit(1))
    return found is not None


def locality_by_code(territory: Territory, code: str) -> Locality:
    """As ``find_locality``, by the locality's code (the key of a figure grouped by place)."""
    locality = db.session.scalar(select(Locality).where(Locality.code == code))
    if locality is None or not territory.holds(locality):
        raise OutsideTerritory(code)
    return locality


def unit_choices(territory: Territory) -> list[Choice]:
    """The units serving ``territory``, by name (``name_key``, for the unit filter). Read only."""
    units = db.session.execute(_UNIT_CHOICES, {"above": list(territory.ids), "path": territory.path})
    return sorted((Choice(unit.id, unit.code, unit.name) for unit in units), key=lambda c: (name_key(c.name), c.id))


def commune_choices(territory: Territory) -> list[Choice]:
    """The communes of ``territory`` (itself when it is a commune), by name without the kind word
    (``place_key``, as the resident's form lists them). Read only."""
    return _places(_COMMUNE_CHOICES, {"path": territory.path})


def _places(statement: Select[*tuple[Any, ...]], params: dict[str, Any]) -> list[Choice]:
    """The localities ``statement`` selects as choices, by name without the kind word (``place_key``);
    read as columns, not as ``Locality`` objects (a province page reads 54 communes, a commune's
    villages up to 60: the objects cost more than the sort)."""
    rows = db.session.execute(statement, params)
    ordered = sorted(rows, key=lambda row: (place_key(row.name, row.kind), row.id))
    return [Choice(row.id, row.code, row.name) for row in ordered]


def village_choices(territory: Territory, locality_id: int | None) -> tuple[Choice | None, list[Choice]]:
    """The commune whose villages the filter offers, and those villages by name: of the chosen
    locality's commune (the commune itself, or the chosen village's, so that the list still
    holds the village chosen), or of the territory when it is a commune and nothing is chosen.
    No commune and no village when no commune is chosen in a province, so that a list of a
    thousand villages is never sent to a phone. The page names the commune over its villages:
    village names repeat from one commune to the next ("Khu phố 2"). Read only."""
    if locality_id is None:
        if territory.level is not LocalityLevel.COMMUNE:
            return None, []
        locality_id = territory.id
    commune = find_locality(territory, locality_id)
    if commune.level is LocalityLevel.VILLAGE:
        parent = commune.parent
        if parent is None or not territory.holds(parent):  # an Inspection Board member's own thôn
            return None, [Choice(commune.id, commune.code, commune.name)]
        commune = parent
    if commune.level is not LocalityLevel.COMMUNE:
        return None, []
    return Choice(commune.id, commune.code, commune.name), _places(_VILLAGE_CHOICES, {"parent_id": commune.id})


def topic_choices() -> list[Choice]:
    """Every topic, parents before their children, siblings by position then name (``name_key``),
    as the resident's form orders them. Read only."""
    children: dict[int | None, list[Row[int, int | None, str, str, int]]] = {}
    for topic in db.session.execute(_TOPIC_CHOICES):
        children.setdefault(topic.parent_id, []).append(topic)
    ordered: list[Choice] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda t: (t.position, name_key(t.name), t.id)):
            ordered.append(Choice(row.id, row.code, ("— " * (depth - 1)) + row.name))
            walk(row.id, depth + 1)

    walk(None, 1)
    return ordered
