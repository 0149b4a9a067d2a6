"""The rows of the overdue list, written in Python rather than by the template's loop: the page
shows up to OVERDUE_PAGE_ROWS (500) rows, and the loop's per-row filters (a translated kind and
clock, a "Quá hạn n ngày", the item's URL, the local time) cost several times the statistics
behind them. The HTML is the loop's, cell for cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup, escape

from feedback.services.statistics import OverdueRow
from feedback.web.labels import clock_label, kind_label

OverdueRows = Callable[[Iterable[OverdueRow]], Markup]
# What werkzeug's path converter leaves unquoted in a URL's segment (BaseConverter.to_url).
_PATH_SAFE = "!$&'()*+,/:;=@"
_PLACEHOLDER = "CODE"


def overdue_rows_writer(late_text: Callable[[timedelta], str]) -> OverdueRows:
    """``overdue_rows(rows)``: the ``<tr>`` of each row: its code linked to the item's page, its
    kind, topic, place, clock, due time (local) and how late (``late_text``). Each kind, clock and
    lateness is translated once a page, the item URL built once and completed per code."""
    item_url = url_for("monitor.item", code=_PLACEHOLDER)
    cut = item_url.rindex(_PLACEHOLDER)
    before, after = item_url[:cut], item_url[cut + len(_PLACEHOLDER):]
    zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    labels: dict[tuple[str, object], str] = {}
    lateness: dict[tuple[int, int], str] = {}

    def label(table: str, value: object) -> str:
        found = labels.get((table, value))
        if found is None:
            found = labels[(table, value)] = str(escape(kind_label(value) if table == "kind" else clock_label(value)))
        return found

    def late(row: OverdueRow) -> str:
        # late_text reads whole days, else whole hours: one translation per such value a page.
        key = (row.late.days, int(row.late.total_seconds() // 3600) if row.late.days < 1 else 0)
        found = lateness.get(key)
        if found is None:
            found = lateness[key] = str(escape(late_text(row.late)))
        return found

    def overdue_rows(rows: Iterable[OverdueRow]) -> Markup:
        written = []
        for row in rows:
            code = escape(row.code)
            href = escape(before + quote(row.code, safe=_PATH_SAFE) + after)
            written.append(
                f'<tr><td class="nowrap"><a href="{href}">{code}</a></td>'
                f'<td class="nowrap">{label("kind", row.kind)}</td>'
                f'<td class="text-cell">{escape(row.topic_name)}</td>'
                f'<td class="text-cell">{escape(row.locality_name)}</td>'
                f'<td class="text-cell">{label("clock", row.clock)}</td>'
                f'<td class="due-cell"><time datetime="{escape(row.due_at.isoformat())}">'
                f'{row.due_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")}</time></td>'
                f'<td class="late">{late(row)}</td></tr>')
        return Markup("\n".join(written))

    return overdue_rows
