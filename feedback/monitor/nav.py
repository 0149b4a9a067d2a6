"""The Front's other pages, linked from the dashboard's navigation once they exist.

Hot spots (issue #9 item 3), supervision recommendations (item 4) and the monthly briefing report
(item 5) are built beside the dashboard; each link shows only when its endpoint is registered
(``optional_url`` in the template), so this list may name pages that arrive later. Whoever
builds one of them puts its real endpoint here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

MONITOR_LINKS: tuple[tuple[str, LazyString], ...] = (
    ("watch.hot_spot_list", _l("Điểm nóng")),
    ("monitor_recs.index", _l("Kiến nghị")),
    ("watch.report_list", _l("Báo cáo giao ban")),
)
