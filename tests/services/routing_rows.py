"""Routing rules and extra units for the routing, transfer and worker tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Locality, RoutingRule, Topic, Unit, UnitKind
from tests.factories import TUESDAY_MORNING, add_unit

# The item is received on Tuesday 03/03/2026 09:00 local and routed a minute later.
ROUTED_AT = TUESDAY_MORNING + timedelta(minutes=1)
# Three minutes after receipt: past the 2-minute stranded threshold.
SWEEP_AT = TUESDAY_MORNING + timedelta(minutes=3)
# Local date of routing, for rule validity.
ROUTING_DAY = date(2026, 3, 3)
WED_0900 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
THU_0900 = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
FRI_0900 = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


def add_rule(unit: Unit, *, locality: Locality | None = None, topic: Topic | None = None, kind: Kind | None = None,
             valid_from: date | None = None, valid_to: date | None = None) -> RoutingRule:
    rule = RoutingRule(locality=locality, topic=topic, kind=kind, unit=unit, valid_from=valid_from,
                       valid_to=valid_to)
    db.session.add(rule)
    db.session.flush()
    return rule


def extra_unit(code: str, name: str, kind: UnitKind = UnitKind.DEPARTMENT, locality: Locality | None = None) -> Unit:
    return add_unit(code, name, kind, locality)
