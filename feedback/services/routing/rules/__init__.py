"""Routing rules as administrators manage them: one at a time (editing), from CSV (csv_import),
and the lists their forms choose from (choices). Import from here, not from the modules."""

from feedback.services.routing.rules.choices import all_topics, locality_by_code, units_for_rules, upper_localities
from feedback.services.routing.rules.common import (
    KIND_LABELS,
    Problem,
    RuleData,
    RuleNotFound,
    RuleRefused,
    describe_rule,
    kind_label,
)
from feedback.services.routing.rules.csv_import import HEADER, ImportResult, RowError, import_rules
from feedback.services.routing.rules.editing import (
    Removal,
    RulePage,
    create_rule,
    get_rule,
    list_rules,
    remove_rule,
    update_rule,
    usage_counts,
)

__all__ = [
    "HEADER",
    "KIND_LABELS",
    "ImportResult",
    "Problem",
    "Removal",
    "RowError",
    "RuleData",
    "RuleNotFound",
    "RulePage",
    "RuleRefused",
    "all_topics",
    "create_rule",
    "describe_rule",
    "get_rule",
    "import_rules",
    "kind_label",
    "list_rules",
    "locality_by_code",
    "remove_rule",
    "units_for_rules",
    "update_rule",
    "upper_localities",
    "usage_counts",
]
