"""Deadlines: the legal clocks of items. Owns the working calendar in force (holidays plus
administrator overrides), the clocks as rows (start, pause, resume, extend, meet, replay), "overdue
now" for rows and queries, and the beat scan that reminds and escalates, with the texts of its
messages.

Shells import from here, not from the inner modules.
"""

from feedback.services.deadlines.calendar_overview import FIRST_YEAR, LAST_YEAR, year_overview
from feedback.services.deadlines.overdue import deadline_is_overdue, overdue_clause
from feedback.services.deadlines.overdue_state import (
    TALLIED,
    compact_overdue_tally,
    kept_late_count,
    kept_rows,
    kept_rows_recounted,
    late_condition,
    late_ids,
    late_page,
    rebuild_overdue,
    tally_kept,
    tally_recounted,
    window_clause,
    window_rows,
)
from feedback.services.deadlines.overrides import add_override, remove_override
from feedback.services.deadlines.reminders import ScanResult, scan_deadlines

__all__ = ["FIRST_YEAR", "LAST_YEAR", "TALLIED", "ScanResult", "add_override", "compact_overdue_tally", "deadline_is_overdue",
           "kept_late_count", "kept_rows", "kept_rows_recounted", "late_condition", "late_ids", "late_page", "overdue_clause",
           "rebuild_overdue", "remove_override", "scan_deadlines", "tally_kept", "tally_recounted", "window_clause",
           "window_rows", "year_overview"]
