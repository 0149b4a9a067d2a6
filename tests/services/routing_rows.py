"""Routing rules and extra units for the routing, transfer and worker tests."""

from __future__ import annotations

from datetime import date

from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Locality, RoutingRule, Topic, Unit, UnitKind
from tests.factories import add_unit


def add_rule(unit: Unit, *, locality: Locality | None = None, topic: Topic | None = None, kind: Kind | None = None,
             valid_from: date | None = None, valid_to: date | None = None) -> RoutingRule:
    rule = RoutingRule(locality=locality, topic=topic, kind=kind, unit=unit, valid_from=valid_from,
                       valid_to=valid_to)
    db.session.add(rule)
    db.session.flush()
    return rule


def extra_unit(code: str, name: str, kind: UnitKind = UnitKind.DEPARTMENT, locality: Locality | None = None) -> Unit:
    return add_unit(code, name, kind, locality)
