"""Supervision recommendations (kiến nghị sau giám sát, BTTND kiến nghị): who may address which
unit, and the limits of their text. Pure.

A Front monitor recommends to any active unit based in its territory (a Front committee is never
the addressee: it is the supervisor). An Inspection Board member (elected per thôn, watching its
commune) addresses the People's Committee of its own commune: that is the body Luật Thực hiện
dân chủ ở cơ sở 2022 Art. 40(1)(c) obliges to answer within 15 days (the period is in
``law.supervision_period``). Anything else fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from feedback.domain.access import COMMUNE_DEPTH, Grant, Role, Viewer

# The recommendation's own text may be as long as an answer; its title as an item's.
TEXT_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 200


class RecommendationSource(StrEnum):
    """Who issued it; the values are the sources ``law.supervision_period`` reads."""

    FRONT = "front"  # Ủy ban MTTQ: kiến nghị sau giám sát, configurable period
    BTTND = "bttnd"  # Ban Thanh tra nhân dân: 15 days (Luật 10/2022 Art. 40(1)(c))


_SOURCE_OF_ROLE = {Role.FRONT_MONITOR: RecommendationSource.FRONT, Role.INSPECTION_BOARD: RecommendationSource.BTTND}


def source_of(role: Role) -> RecommendationSource | None:
    """The source a member of ``role`` issues as; None for a role that issues none."""
    return _SOURCE_OF_ROLE.get(role)


@dataclass(frozen=True)
class Addressee:
    """What the rule needs to know about a unit: the ids of its locality from the province down
    (empty when it has none), whether it is a commune People's Committee or a Front committee,
    and whether it is active."""

    locality_path: tuple[int, ...]
    commune_committee: bool = False
    front_committee: bool = False
    active: bool = True


def may_address(grant: Grant, unit: Addressee) -> bool:
    """Whether the membership ``grant`` may send a recommendation to ``unit`` (see the module)."""
    if not unit.active or unit.front_committee or not unit.locality_path:
        return False
    if grant.role is Role.FRONT_MONITOR:
        territory = grant.territory
        return bool(territory) and unit.locality_path[: len(territory)] == territory
    if grant.role is Role.INSPECTION_BOARD and len(grant.territory) >= COMMUNE_DEPTH:
        return unit.commune_committee and unit.locality_path == grant.territory[:COMMUNE_DEPTH]
    return False


def sources(viewer: Viewer) -> tuple[RecommendationSource, ...]:
    """The sources ``viewer`` may issue as, in a stable order (Front first)."""
    held = {source_of(grant.role) for grant in viewer.grants}
    return tuple(source for source in RecommendationSource if source in held)


def may_issue(viewer: Viewer, source: RecommendationSource, unit: Addressee) -> bool:
    """Whether ``viewer`` may send ``unit`` a recommendation as ``source`` (through one of its
    memberships of the matching role)."""
    return any(source_of(grant.role) is source and may_address(grant, unit) for grant in viewer.grants)
