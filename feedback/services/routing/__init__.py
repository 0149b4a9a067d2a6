"""Routing: which unit holds an item. Owns the routing decision and the sweep of stranded items
(``route``), the routing rules as administrators manage them (``rules``), assignments, and
transfers between units. Room beside it: ``handling/`` (accept, answer, approve, extend).

Shells import from here, not from the inner modules.
"""

from feedback.services.routing import rules
from feedback.services.routing.route import RouteOutcome, route_item, sweep_received
from feedback.services.routing.transfer import TransferOutcome, TransferRefused, return_item

__all__ = [
    "RouteOutcome", "TransferOutcome", "TransferRefused", "return_item", "route_item", "rules",
    "sweep_received",
]
