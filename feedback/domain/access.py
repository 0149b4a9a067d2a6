"""Who may see what (DESIGN.md §1): which items a staff user may see, what they may do with
them, and whether they may see the resident's name and contact. The one access rule.

Plain values in (a `Viewer` made of the user's memberships as `Grant`s; an `ItemFacts`),
booleans and enums out. Every staff list and item page reads through the query filter built
from `visibility` (`feedback.services.access.visible_items_filter`), so what a list shows and
what `may_see` allows are the same set; tests hold the two together on PostgreSQL.

By role, for one membership (a user with several gets the union): sees / may / personal data.

- administrator: every item / ADMINISTER / always (the platform operator).
- officer of unit U: items U holds or has held / HANDLE those U holds now / when U holds it,
  the resident agreed, and the item is not about U.
- unit head of U: as the officer / HANDLE and APPROVE those U holds now / as the officer.
- Front monitor with territory T: items located in T's subtree / RECOMMEND there / there,
  unless the item is about the monitor's own Front committee.
- Inspection Board member: items of its commune (the commune of the thôn it is elected in) /
  RECOMMEND and FLAG there / never (it is not the Front).
- anyone else, anonymous included: nothing / nothing / never.

A membership that lacks what its role needs (an officer without a unit, a monitor without a
territory, an Inspection Board member placed above a commune) grants nothing: the rule fails
closed. Status plays no part here: which handling steps an item's state allows is the state
machine's business (`status.py`), this module only says who may take them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles of DESIGN.md §1 (residents need no account)."""

    ADMIN = "admin"
    OFFICER = "officer"  # cán bộ xử lý
    UNIT_HEAD = "unit_head"  # lãnh đạo đơn vị
    FRONT_MONITOR = "front_monitor"  # cán bộ MTTQ
    INSPECTION_BOARD = "inspection_board"  # Ban Thanh tra nhân dân


class Action(StrEnum):
    """What a staff user may do with an item they see."""

    HANDLE = "handle"  # accept, answer, ask for more time, return as not competent
    APPROVE = "approve"  # approve the unit's answers and extensions
    RECOMMEND = "recommend"  # kiến nghị: Front supervision recommendation or BTTND petition
    FLAG = "flag"  # an Inspection Board member flags the item for the Front
    ADMINISTER = "administer"  # the operator's actions, e.g. send the item to routing again


class PersonalDataBasis(StrEnum):
    """Why a viewer may see the resident's name and contact (logged with every display)."""

    OPERATOR = "operator"  # the platform operator
    FRONT = "front"  # the Front, in its territory
    CONSENT = "consent"  # the handling unit, because the resident agreed


# Locality paths run province → commune → village: the commune is the second id.
COMMUNE_DEPTH = 2

_UNIT_ROLES = frozenset({Role.OFFICER, Role.UNIT_HEAD})


@dataclass(frozen=True)
class Grant:
    """One membership: a role, the unit it belongs to, and its territory as locality ids from the
    province down to the territory itself (empty when it has none)."""

    role: Role
    unit_id: int | None = None
    territory: tuple[int, ...] = ()


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the user's grants (none for an anonymous visitor or an inactive account)."""

    grants: tuple[Grant, ...] = ()
    user_id: int | None = None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)


ANONYMOUS = Viewer()


@dataclass(frozen=True)
class ItemFacts:
    """What the access rule needs to know about an item.

    `locality_path` holds locality ids from the province down to the item's own locality.
    `held_by` names every unit that was ever assigned the item (the current one included).
    `accused_unit_id` is the unit the complaint or denunciation is about, when known: nothing
    records it yet (None), until intake or the accepting officer names that unit.
    """

    locality_path: tuple[int, ...]
    current_unit_id: int | None = None
    held_by: frozenset[int] = frozenset()
    consent_share_contact: bool = False
    accused_unit_id: int | None = None


@dataclass(frozen=True)
class Visibility:
    """The items a viewer may see, as data both Python and SQL can read: everything, or items
    held now or before by one of `unit_ids`, or located in the subtree of one of `territories`."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    territories: frozenset[tuple[int, ...]] = frozenset()

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.unit_ids or self.territories)

    def covers(self, item: ItemFacts) -> bool:
        """Whether `item` is among the items this visibility lets the viewer see."""
        if self.everything:
            return True
        held = item.held_by | ({item.current_unit_id} if item.current_unit_id is not None else set())
        if held & self.unit_ids:
            return True
        return any(_within(item.locality_path, territory) for territory in self.territories)


def _within(path: tuple[int, ...], territory: tuple[int, ...]) -> bool:
    return bool(territory) and path[: len(territory)] == territory


def _scope(grant: Grant) -> tuple[int, ...]:
    """The territory a Front or Inspection Board grant watches; () when it watches nothing."""
    if grant.role is Role.FRONT_MONITOR:
        return grant.territory
    if grant.role is Role.INSPECTION_BOARD and len(grant.territory) >= COMMUNE_DEPTH:
        return grant.territory[:COMMUNE_DEPTH]  # elected per thôn, it sees its whole commune
    return ()


def visibility(viewer: Viewer) -> Visibility:
    """The items `viewer` may see (see the module's table). Pure."""
    if any(grant.role is Role.ADMIN for grant in viewer.grants):
        return Visibility(everything=True)
    unit_ids = frozenset(
        grant.unit_id for grant in viewer.grants if grant.role in _UNIT_ROLES and grant.unit_id is not None
    )
    territories = frozenset(scope for scope in map(_scope, viewer.grants) if scope)
    return Visibility(unit_ids=unit_ids, territories=territories)


def may_see(viewer: Viewer, item: ItemFacts) -> bool:
    """Whether `viewer` may see `item` at all (the page, its clocks and history). Pure."""
    return visibility(viewer).covers(item)


def _holds(grant: Grant, item: ItemFacts) -> bool:
    return grant.role in _UNIT_ROLES and grant.unit_id is not None and grant.unit_id == item.current_unit_id


def allowed_actions(viewer: Viewer, item: ItemFacts) -> frozenset[Action]:
    """What `viewer` may do with `item`; empty when nothing (always empty for an item it may not
    see). Only the unit holding the item now handles it; only its head approves. Pure."""
    actions: set[Action] = set()
    for grant in viewer.grants:
        if grant.role is Role.ADMIN:
            actions.add(Action.ADMINISTER)
        elif _holds(grant, item):
            actions.add(Action.HANDLE)
            if grant.role is Role.UNIT_HEAD:
                actions.add(Action.APPROVE)
        elif _within(item.locality_path, _scope(grant)):
            actions.add(Action.RECOMMEND)
            if grant.role is Role.INSPECTION_BOARD:
                actions.add(Action.FLAG)
    return frozenset(actions)


def may(viewer: Viewer, action: Action, item: ItemFacts) -> bool:
    """Whether `viewer` may take `action` on `item`. Pure."""
    return action in allowed_actions(viewer, item)


def personal_data_basis(viewer: Viewer, item: ItemFacts) -> PersonalDataBasis | None:
    """Why `viewer` may see the resident's name and contact on `item`, or None when it may not.

    DESIGN.md §1: only the platform operator and the Front (in its territory) see them; the
    handling unit sees them only when the resident agreed (`consent_share_contact`) and never
    when the item is about that unit (`accused_unit_id`); the same exclusion holds for a Front
    monitor whose own committee is the unit complained about. The Inspection Board never does.
    The strongest basis wins (operator, then Front, then consent). Pure.
    """
    bases: set[PersonalDataBasis] = set()
    for grant in viewer.grants:
        if grant.role is Role.ADMIN:
            bases.add(PersonalDataBasis.OPERATOR)
        elif grant.unit_id is not None and grant.unit_id == item.accused_unit_id:
            continue
        elif grant.role is Role.FRONT_MONITOR and _within(item.locality_path, grant.territory):
            bases.add(PersonalDataBasis.FRONT)
        elif _holds(grant, item) and item.consent_share_contact:
            bases.add(PersonalDataBasis.CONSENT)
    return next((basis for basis in PersonalDataBasis if basis in bases), None)


def may_see_personal_data(viewer: Viewer, item: ItemFacts) -> bool:
    """Whether `viewer` may see the resident's name and contact on `item` (see
    `personal_data_basis`); every such display must be logged by the caller. Pure."""
    return personal_data_basis(viewer, item) is not None
