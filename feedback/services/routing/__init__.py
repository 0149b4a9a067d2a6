"""Routing: which unit holds an item. Owns the routing decision and the sweep of stranded items
(``route``), the routing rules as administrators manage them (``rules``), assignments, and
transfers between units. Room beside it: ``handling/`` (accept, answer, approve, extend).

Shells import from here, not from the inner modules.
"""

from feedback.services.routing.route import RouteOutcome, RouteResult, route_item, sweep_received
from feedback.services.routing.rules import (
    HEADER,
    KIND_LABELS,
    SYNC_LIMIT,
    Removal,
    RowError,
    RuleData,
    RuleNotFound,
    RuleRefused,
    UndecodableFile,
    all_topics,
    create_rule,
    data_rows,
    decode,
    describe_rule,
    get_job,
    get_rule,
    import_rules,
    is_ended,
    kind_label,
    list_rules,
    locality_by_code,
    remove_rule,
    run_import_job,
    start_import,
    units_for_rules,
    update_rule,
    upper_localities,
    usage_counts,
)
from feedback.services.routing.transfer import TransferOutcome, TransferRefused, return_item

__all__ = [
    "RouteOutcome", "RouteResult", "TransferOutcome", "TransferRefused", "return_item", "route_item",
    "sweep_received",
    # routing rules (rules/): editing, CSV import, the lists their forms choose from
    "HEADER", "KIND_LABELS", "SYNC_LIMIT", "Removal", "RowError", "RuleData", "RuleNotFound", "RuleRefused",
    "UndecodableFile", "all_topics", "create_rule", "data_rows", "decode", "describe_rule", "get_job", "get_rule",
    "import_rules", "is_ended", "kind_label", "list_rules", "locality_by_code", "remove_rule", "run_import_job",
    "start_import", "units_for_rules", "update_rule", "upper_localities", "usage_counts",
]
