"""Database models, one module per aggregate. Importing this package registers every table."""

from feedback.models.api_keys import ApiKey
from feedback.models.audit import Event
from feedback.models.calendar import CalendarOverride
from feedback.models.directory import Locality, LocalityLevel, RoutingRule, Topic, Unit, UnitKind
from feedback.models.feedback import Assignment, Attachment, Deadline, Feedback
from feedback.models.handling import Answer, ExtensionRequest, InfoRequest, Note
from feedback.models.health import WorkerHeartbeat
from feedback.models.imports import ImportJob, ImportStatus
from feedback.models.notifications import Notification
from feedback.models.overdue import OverdueItem, OverdueTally, UnitItemCount
from feedback.models.ratings import Rating, Reopening
from feedback.models.recommendations import Recommendation
from feedback.models.statistics import (
    StatAnswerHist, StatDaily, StatDailyCommuneKind, StatDailyTopicKind, StatDailyUnit, StatDailyUnitKind, StatFact,
    StatMedian, StatMonthly, StatMonthlyCommuneKind, StatMonthlyLocalityKind, StatMonthlyPlace, StatMonthlyTopicKind,
    StatMonthlyUnit, StatMonthlyUnitKind, StatUnitName,
)
from feedback.models.users import Membership, Role, User
from feedback.models.watch import BriefingReport, HotSpot

__all__ = [
    "Answer",
    "ApiKey",
    "Assignment",
    "Attachment",
    "BriefingReport",
    "CalendarOverride",
    "Deadline",
    "Event",
    "ExtensionRequest",
    "Feedback",
    "HotSpot",
    "ImportJob",
    "ImportStatus",
    "InfoRequest",
    "Locality",
    "LocalityLevel",
    "Membership",
    "Note",
    "Notification",
    "OverdueItem",
    "OverdueTally",
    "Rating",
    "Recommendation",
    "Reopening",
    "Role",
    "StatAnswerHist",
    "StatDaily",
    "StatDailyCommuneKind",
    "StatDailyTopicKind",
    "StatDailyUnit",
    "StatDailyUnitKind",
    "StatFact",
    "StatMonthly",
    "StatMonthlyCommuneKind",
    "StatMonthlyLocalityKind",
    "StatMonthlyPlace",
    "StatMonthlyTopicKind",
    "StatMonthlyUnit",
    "StatMonthlyUnitKind",
    "StatMedian",
    "StatUnitName",
    "RoutingRule",
    "Topic",
    "Unit",
    "UnitItemCount",
    "UnitKind",
    "User",
    "WorkerHeartbeat",
]
