"""``overdue_item``: overdue kept as state, not recomputed over history (issues #9 item 7, #11 d).

One row per (item, unit whose clock it is) with at least one *breached* open clock (met_at and
closed_at null, breached_at set): the earliest such clock (``deadline_id``, ``clock``,
``due_at``) and the item's current facts that the lists and the dashboard filter, order and
group by (received_at, holder, status, locality and its commune and village, topic, kind,
origin).

It is written by the database only, by triggers created in migration 0019 and remade in 0024
(PostgreSQL and SQLite): a change of a clock's breach, met, closed, due time or unit recomputes
its pair; a change of the item's facts is copied to its rows; a locality moved to another
parent or level moves its rows' commune and village. So every path that writes a clock or an item
(ORM or core UPDATE, the deadline scan, a data repair) keeps it exact, and nothing in Python has
to remember it. ``flask stats rebuild`` refills it from the clocks
(``feedback.services.deadlines.overdue_state.rebuild_overdue``).

"Overdue now" (``overdue_clause``) is these rows plus the small window of open clocks already
past due but not yet breached by the scan (read through ``ix_deadline_open_due`` at ``now``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback.domain.status import Kind, Origin, Status
from feedback.extensions import Model
from feedback.models.types import SHORT, UTCDateTime, str_enum


class OverdueItem(Model):
    """An item overdue for one unit by a breached clock (see the module doc). Trigger-maintained."""

    __tablename__ = "overdue_item"
    __table_args__ = (
        # The triggers' recompute of one pair, and the copy of an item's facts.
        Index("ix_overdue_item_pair", "feedback_id", "unit_id"),
        # The admin list "overdue", newest first; the same for one unit's held items.
        Index("ix_overdue_item_received", "received_at", "feedback_id"),
        Index("ix_overdue_item_holder", "current_unit_id", "received_at", "feedback_id"),
        # The dashboard's counts by any grouping, for a unit, a commune or a village, a topic
        # (area): every column they filter and group by, so that they read one range of one of
        # these only (migration 0024). The whole tree's are in ``overdue_tally``.
        Index("ix_overdue_item_unit", "unit_id", "origin", "commune_id", "village_id", "topic_id", "kind", "due_at"),
        Index("ix_overdue_item_counts", "commune_id", "village_id", "origin", "unit_id", "topic_id", "kind",
              "due_at"),
        Index("ix_overdue_item_topic", "topic_id", "origin", "unit_id", "commune_id", "village_id", "kind", "due_at"),
        # The overdue list over the whole tree, longest overdue first: its first rows in order
        # (migration 0030), not every overdue item sorted (55,119 at 10,000,000 items).
        Index("ix_overdue_item_due", "due_at", "deadline_id"),
    )

    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(SHORT)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_unit_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[Status] = mapped_column(str_enum(Status))
    locality_id: Mapped[int] = mapped_column(Integer)
    topic_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    origin: Mapped[Origin] = mapped_column(str_enum(Origin))
    # Where the item's locality sits, as ``statistics.facts.places`` says (its commune, itself
    # above the communes; its village or None): kept by the triggers from the locality's level
    # and parent, so that the dashboard groups and filters by them without reading the tree.
    commune_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)


class OverdueTally(Model):
    """The kept rows counted per group, for the questions over the whole tree (a province-wide
    or platform-wide page with no other filter) that would otherwise count every kept row.

    A trigger on ``overdue_item`` (migration 0024) inserts one row per change of a resident
    item's row with a unit: its unit, commune, village, topic, kind and local due month with
    ``n`` +1 when it appears, -1 when it goes, both when one of those changes. Only INSERTs, one
    per change, so writers never wait for each other on a counter. A group's count is the sum of
    ``n`` over the rows naming it (``unit_id = 7``: every row with that unit). The beat's
    ``compact_overdue_tally`` replaces the rows it sees by one row per group of each dimension
    (the other columns null), so that a read sums about 1,700 rows at 10 M items.
    """

    __tablename__ = "overdue_tally"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    commune_id: Mapped[int | None] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)
    topic_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(24))
    month: Mapped[str | None] = mapped_column(String(7))  # "YYYY-MM", Việt Nam's time
    n: Mapped[int] = mapped_column(Integer)


class UnitItemCount(Model):
    """How many items a unit holds in a status, overdue or not, per value of each facet the unit
    inbox counts (issue #11 items 1d/2): ``facet`` is ``all`` (``value`` ''), ``kind``, ``topic``,
    ``locality``, ``officer`` (``value`` '' for none) or ``origin``; ``late`` 1 for the items with
    a row in ``overdue_item``. Written by the database only: triggers on ``feedback`` (a change of
    the item's holder, status or a facet) and on ``overdue_item`` (an item's first row, its last),
    created in migration 0027, on PostgreSQL and SQLite. Rows whose count fell to 0 stay."""

    __tablename__ = "unit_item_count"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    late: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
