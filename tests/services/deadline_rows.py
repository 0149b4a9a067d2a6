"""Deadline rows inserted directly (routing and deadline creation are another service's job)."""

from __future__ import annotations

from datetime import UTC, datetime

from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Deadline, Feedback, Locality, Unit
from tests.factories import Directory, make_feedback
from tests.times import DUE_AFTER_TET, RECEIVED_BEFORE_TET

# Named frozen times around Tết 2026 (16–20/02 are days off, 14–15 and 21–22 weekends).
# A 15-working-day resolution clock of an item received on Monday 26/01/2026 falls due on
# Monday 23/02/2026, the first working day after Tết.
FRI_13_FEB_0900 = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
MON_23_FEB_0800 = datetime(2026, 2, 23, 1, 0, tzinfo=UTC)  # the due day


def add_deadline(item: Feedback, unit: Unit | None, due_at: datetime = DUE_AFTER_TET, *,
                 starts_at: datetime = RECEIVED_BEFORE_TET, clock: str = "resolution", sequence: int = 1,
                 **extra: object) -> Deadline:
    deadline = Deadline(
        feedback=item,
        unit=unit,
        clock=clock,
        sequence=sequence,
        legal_basis="Luật Tiếp công dân 2013, Điều 28; quy chế địa phương (15 ngày làm việc)",
        day_type="working",
        period_days=15,
        starts_at=starts_at,
        due_at=due_at,
        **extra,
    )
    db.session.add(deadline)
    db.session.flush()
    return deadline


def assigned_item(directory: Directory, unit: Unit, locality: Locality | None = None,
                  title: str = "Rác thải tồn đọng") -> Feedback:
    return make_feedback(directory, status=Status.ASSIGNED, current_unit=unit, locality=locality,
                         received_at=RECEIVED_BEFORE_TET, title=title)
