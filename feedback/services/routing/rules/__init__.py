"""Routing rules as administrators manage them: one at a time (editing), from CSV (csv_import),
and the lists their forms choose from (choices). Import from here, not from the modules."""

from feedback.services.csv_rows import RowError
from feedback.services.kinds import KIND_LABELS
from feedback.services.routing.rules.choices import all_topics, locality_by_code, units_for_rules, upper_localities
from feedback.services.routing.rules.common import (
    Problem,
    RuleData,
    RuleNotFound,
    RuleRefused,
    describe_rule,
    kind_label,
)
from feedback.services.routing.rules.csv_import import HEADER, ImportResult, import_rules
from feedback.services.routing.rules.csv_reading import UndecodableFile, decode
from feedback.services.routing.rules.import_jobs import SYNC_LIMIT, data_rows, get_job, run_import_job, start_import
from feedback.services.routing.rules.editing import (
    Removal,
    RulePage,
    create_rule,
    get_rule,
    is_ended,
    list_rules,
    remove_rule,
    update_rule,
    usage_counts,
)

__all__ = [
    "HEADER",
    "SYNC_LIMIT",
    "KIND_LABELS",
    "ImportResult",
    "Problem",
    "Removal",
    "RowError",
    "RuleData",
    "RuleNotFound",
    "RulePage",
    "RuleRefused",
    "UndecodableFile",
    "all_topics",
    "create_rule",
    "data_rows",
    "decode",
    "describe_rule",
    "get_job",
    "get_rule",
    "import_rules",
    "is_ended",
    "kind_label",
    "list_rules",
    "locality_by_code",
    "remove_rule",
    "run_import_job",
    "start_import",
    "units_for_rules",
    "update_rule",
    "upper_localities",
    "usage_counts",
]
