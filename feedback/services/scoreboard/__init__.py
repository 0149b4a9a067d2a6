"""Public figures: the /units scoreboard, the public answered items and the open data, all from
the statistics (DESIGN.md §6) and without personal data. Tables show the dashboard's columns
(``feedback.services.monitoring.FIGURE_COLUMNS``), re-offered here as ``FIGURE_COLUMNS``.

Shells import from here, not from the inner modules.
"""

from feedback.services.scoreboard.answers import AnswerPage, PublicAnswer, answer_pages, answered_items
from feedback.services.scoreboard.opendata import (
    OPEN_DATA_COLUMNS, BadPeriod, OpenDataTable, open_data, period_from_args, to_csv, to_json,
)
from feedback.services.monitoring import FIGURE_COLUMNS, FIGURE_DEFINITIONS
from feedback.services.scoreboard.public import NAMED_PERIODS, Scoreboard, named_period, scoreboard

__all__ = ["FIGURE_COLUMNS", "FIGURE_DEFINITIONS", "NAMED_PERIODS", "OPEN_DATA_COLUMNS", "AnswerPage", "BadPeriod", "OpenDataTable",
           "PublicAnswer", "Scoreboard", "answer_pages", "answered_items", "named_period",
           "open_data", "period_from_args", "scoreboard", "to_csv", "to_json"]
