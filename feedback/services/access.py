"""The access rule of ``feedback.domain.access`` applied to rows: the viewer behind a login, the
facts of a loaded item, and the one query filter of the items a viewer may see.

Every staff list and item page adds ``visible_items_filter(viewer)`` to its query (today the
administrator's pages; the unit workspace, the Front dashboard and the API read through it
too), so a list never shows what ``may_see`` refuses and never hides what it allows; the two are
held to the same answers on PostgreSQL by tests/services/test_access.py.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from feedback.domain.access import ANONYMOUS, Grant, ItemFacts, Viewer, visibility
from feedback.domain.paths import path_of
from feedback.models import Assignment, Feedback, Locality, User

__all__ = ["item_facts", "viewer_for", "visible_items_filter"]


def viewer_for(user: object) -> Viewer:
    """The Viewer of a logged-in ``User``: one Grant per membership, territories as locality id
    paths. ANONYMOUS for anything else (flask_login's anonymous user, None) and for an inactive
    account. Reads the memberships and their territories (lazy loads); writes nothing."""
    if not isinstance(user, User) or not user.is_active:
        return ANONYMOUS
    grants = tuple(
        Grant(m.role, m.unit_id, m.territory.ancestor_ids() if m.territory is not None else ())
        for m in user.memberships
    )
    return Viewer(grants, user.id)


def item_facts(item: Feedback) -> ItemFacts:
    """What the access rule needs to know about a loaded item (reads its locality and assignments).

    ``accused_unit_id`` is None: no column records yet which unit a complaint is about; when
    intake or the accepting officer records it, it goes here. The locality path is read from
    ``Locality.path`` exactly as the query filter reads it.
    """
    return ItemFacts(
        locality_path=item.locality.ancestor_ids(),
        current_unit_id=item.current_unit_id,
        held_by=frozenset(assignment.unit_id for assignment in item.assignments),
        consent_share_contact=item.consent_share_contact,
        accused_unit_id=None,
    )


def visible_items_filter(viewer: Viewer) -> ColumnElement[bool]:
    """A WHERE clause over ``feedback`` true exactly for the items ``may_see(viewer, item)``
    allows: built from the domain's ``visibility(viewer)``, nothing decided here. ``false()``
    for a viewer who may see nothing (anonymous included), ``true()`` for the administrator."""
    seen = visibility(viewer)
    if seen.everything:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if seen.unit_ids:
        unit_ids = sorted(seen.unit_ids)
        clauses.append(Feedback.current_unit_id.in_(unit_ids))
        clauses.append(exists().where(Assignment.feedback_id == Feedback.id, Assignment.unit_id.in_(unit_ids)))
    if seen.territories:
        in_territory = or_(*(Locality.path.startswith(path_of(territory))
                             for territory in sorted(seen.territories)))
        clauses.append(Feedback.locality_id.in_(select(Locality.id).where(in_territory)))
    return or_(*clauses) if clauses else false()
