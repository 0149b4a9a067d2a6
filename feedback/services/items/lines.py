"""What every staff list shows of one item, said once: the admin list (``admin_view.ItemRow``)
and the unit inbox (``workspace.InboxRow``) each add their own deadline columns to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.domain.status import Kind, Status


@dataclass(frozen=True)
class ItemLine:
    """One item in a staff list: ``unit`` is the unit handling it (None: not yet routed);
    ``topic`` and ``locality`` are names; ``next_due_at`` is the nearest due time of a running
    clock (None: no clock running)."""

    code: str
    title: str
    kind: Kind
    status: Status
    unit: str | None
    topic: str
    locality: str
    received_at: datetime
    next_due_at: datetime | None
