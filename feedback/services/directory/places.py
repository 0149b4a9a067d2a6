"""Where a village lies, for the lists that name villages of several communes.

Village names repeat from one commune to the next ("Khu phố 2", "Thôn 1"): a filter listing the
villages of a unit's items from several communes must say which commune each one is in, or an
officer cannot tell its "Khu phố 2" options apart.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import aliased

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel

__all__ = ["communes_of_villages", "place_names"]


def communes_of_villages(ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """Village id → (its commune's id, its commune's name), for those of ``ids`` that are
    villages; one query, none for no id. Read only."""
    if not ids:
        return {}
    commune = aliased(Locality)
    rows = db.session.execute(
        select(Locality.id, commune.id, commune.name)
        .join(commune, Locality.parent_id == commune.id)
        .where(Locality.id.in_(sorted(set(ids))), Locality.level == LocalityLevel.VILLAGE))
    return {village_id: (commune_id, name) for village_id, commune_id, name in rows}


def place_names(ids: Collection[int]) -> dict[int, str]:
    """Locality id → its name as lists show it: a village with its commune ("Khu phố 1, Phường
    Hà Tu"; village names repeat from commune to commune), anything else by its own name. One
    query, none for no id. Read only."""
    if not ids:
        return {}
    commune = aliased(Locality)
    rows = db.session.execute(
        select(Locality.id, Locality.name, Locality.level, commune.name)
        .outerjoin(commune, Locality.parent_id == commune.id)
        .where(Locality.id.in_(sorted(set(ids)))))
    return {place_id: f"{name}, {parent}" if level == LocalityLevel.VILLAGE and parent else name
            for place_id, name, level, parent in rows}
