"""Items as staff see them: the administrator's filtered list, one item in full (routing
explanation, clocks, assignments, audit chain), a manual nudge to routing, and dashboard counts.
Room beside it: ``ratings/`` and ``statistics/``.

Shells import from here, not from the inner modules.
"""

from feedback.services.items.admin_view import (
    SHORT_SEARCH,
    HandoverRefused,
    ItemDetail,
    ItemNotFound,
    ItemPage,
    RoutingRequestRefused,
    find_unit,
    hand_over,
    item_detail,
    item_exists,
    list_items,
    may_hand_over,
    record_personal_data_view,
    resend_for_routing,
    units_for_filter,
    units_for_handover,
)
from feedback.services.items.overview import code_directory, count_directory

__all__ = [
    "SHORT_SEARCH", "HandoverRefused", "ItemDetail", "ItemNotFound", "ItemPage", "RoutingRequestRefused", "code_directory",
    "count_directory", "find_unit", "hand_over", "item_detail", "item_exists", "list_items", "may_hand_over",
    "record_personal_data_view", "resend_for_routing", "units_for_filter", "units_for_handover",
]
