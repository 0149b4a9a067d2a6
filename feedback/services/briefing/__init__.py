"""The monthly briefing report (giao ban) of each Front committee's territory: made by beat on
the first working day of the month or by hand, kept as generated, read as a page or an XLSX file,
and emailed to the committee.

Shells import from here, not from the inner modules.
"""

from feedback.domain.briefing import BadMonth, parse_month
from feedback.services.briefing.generation import (
    Generated, UnknownTerritory, generate_due_reports, generate_report,
)
from feedback.services.briefing.reading import ReportSummary, ReportView, report_for, report_xlsx, reports_for

__all__ = ["BadMonth", "Generated", "ReportSummary", "ReportView", "UnknownTerritory", "generate_due_reports",
           "generate_report", "parse_month", "report_for", "report_xlsx", "reports_for"]
