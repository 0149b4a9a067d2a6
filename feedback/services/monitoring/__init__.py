"""The Front's watch (issue #9 item 2): what Front monitors and Inspection Board members see under
/monitor/, always within their territory. The figures themselves come from
``feedback.services.statistics``; this package asks for them (``dashboard``), checks every
filter against the viewer's territory (``territory``), shapes the tables the page and its CSV and
XLSX exports share (``tables``, ``exports``), and shows one item read only (``item_view``).

Shells import from here, not from the inner modules.
"""

from feedback.services.monitoring.dashboard import (
    CUSTOM,
    PERIOD_NAMES,
    TABLE_GROUPINGS,
    Dashboard,
    Drill,
    DrillPage,
    DrillRow,
    Question,
    all_drill_items,
    ask,
    check_drill,
    dashboard,
    drill_items,
    drill_pages,
    drill_period,
    overdue_list,
    overdue_page,
    overdue_per_unit,
    period_for,
    today_of,
    trend_figures,
    trend_period,
    unit_figures,
)
from feedback.services.monitoring.exports import Rate, Table, to_csv, to_xlsx
from feedback.services.monitoring.item_view import (
    AttachmentFile,
    ItemNotFound,
    MonitorItem,
    PublishedAnswer,
    monitor_file,
    monitor_item,
    record_view,
)
from feedback.services.monitoring.recommendations import (
    RecommendationFigures,
    RecommendationTable,
    recommendation_figures,
)
from feedback.services.monitoring.tables import (
    FIGURE_COLUMNS,
    FIGURE_DEFINITIONS,
    Column,
    figures_table,
    items_table,
    overdue_table,
    ranking_table,
    recommendations_table,
    trend_table,
)
from feedback.services.monitoring.territory import (
    Choice,
    OutsideTerritory,
    Territory,
    commune_choices,
    territories_of,
    topic_choices,
    unit_choices,
    village_choices,
)

__all__ = [
    "AttachmentFile", "CUSTOM", "FIGURE_COLUMNS", "FIGURE_DEFINITIONS", "PERIOD_NAMES", "TABLE_GROUPINGS", "Choice", "Column", "Dashboard", "Drill",
    "DrillPage", "DrillRow", "ItemNotFound", "MonitorItem", "OutsideTerritory", "PublishedAnswer", "Question", "Rate",
    "RecommendationFigures", "RecommendationTable",
    "Table", "Territory", "all_drill_items", "ask", "check_drill", "commune_choices", "dashboard", "drill_items", "drill_pages",
    "drill_period", "figures_table", "items_table", "monitor_file", "monitor_item", "overdue_list", "overdue_page", "overdue_per_unit", "overdue_table", "period_for",
    "ranking_table", "recommendation_figures", "recommendations_table", "record_view", "territories_of", "to_csv",
    "to_xlsx", "today_of", "topic_choices",
    "trend_figures", "trend_period", "trend_table", "unit_choices", "unit_figures", "village_choices",
]
