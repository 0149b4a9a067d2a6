"""The Front dashboard (/monitor/) for Front monitors and Inspection Board members, read only.

Every page is limited to the viewer's territory (``monitoring.territories_of``: a province
monitor the province, a commune monitor or Inspection Board member the commune). A URL naming a
unit, locality, item or drill-down key outside it answers 404, as one that does not exist; a
query value that cannot be right (letters for an id, an unknown grouping) answers 400; a custom
range that cannot be right shows the form again with the reason (400). Pages are never cached.

Routes: ``index`` (figures, ranking, charts, recommendations per unit), ``items`` (the items
behind a figure), ``item`` (one item), ``overdue`` (the overdue list now, by unit) and ``export``
(each table as CSV or XLSX, the same figures as the page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.auth.permissions import role_required
from feedback.domain.charts import interval_chart, trend_chart
from feedback.domain.date_range import BadRange, RangeProblem
from feedback.domain.status import Kind
from feedback.domain.text import name_key
from feedback.domain.tracking import InvalidCode, normalise_code
from feedback.models import Role
from feedback.monitor.cells import figure_cell_writer, figure_row_writer
from feedback.monitor.chart_rows import satisfaction_rows_writer
from feedback.monitor.options import choice_options, ranking_rows_writer
from feedback.monitor.overdue_rows import overdue_rows_writer
from feedback.services import monitoring
from feedback.services.access import viewer_for
from feedback.services.statistics import Figures
from feedback.web.args import ExplainedBadRequest, id_or_none, page_number, past_the_end, path_id
from feedback.web.files import file_response
from feedback.web.labels import clock_label, status_label
from feedback.web.numbers import percent_writer

bp = Blueprint("monitor", __name__)


MONITOR_ROLES = (Role.FRONT_MONITOR, Role.INSPECTION_BOARD)
PER_PAGE = 25
# The dashboard's figures table shows this many rows a page (by village, a province has 1,452:
# 3 MB of HTML on one page); the totals, the ranking, the charts and the exports keep every row.
TABLE_ROWS_PER_PAGE = 100
EXPORT_TABLES = ("figures", "ranking", "trend", "overdue", "recommendations", "items", "dashboard")
FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The names of the periods and groupings, translated when shown: a page names them a dozen times
# (the form's choices, the headings), and translating every name at each call cost 70 lookups.
_PERIOD_LABELS = {"this_month": _l("Tháng này"), "last_month": _l("Tháng trước"), "this_quarter": _l("Quý này"),
                  "this_year": _l("Năm nay"), "custom": _l("Tùy chọn")}
_GROUP_LABELS = {"unit": _l("Đơn vị"), "commune": _l("Xã, phường"), "village": _l("Thôn, tổ dân phố"),
                 "topic": _l("Lĩnh vực"), "kind": _l("Loại ý kiến"), "month": _l("Tháng")}


def period_label(name: str) -> str:
    label = _PERIOD_LABELS.get(name)
    return name if label is None else str(label)


def group_label(name: str) -> str:
    label = _GROUP_LABELS.get(name)
    return name if label is None else str(label)


def range_message(problem: RangeProblem) -> str:
    """What the viewer reads when the typed range is refused."""
    return {
        RangeProblem.MISSING: _("Hãy nhập cả ngày bắt đầu và ngày kết thúc."),
        RangeProblem.NOT_A_DATE: _("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 31/01/2026."),
        RangeProblem.REVERSED: _("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."),
        RangeProblem.TOO_EARLY: _("Chỉ xem được số liệu từ năm 2000 trở đi."),
        RangeProblem.TOO_LONG: _("Khoảng thời gian quá dài: tối đa 20 năm."),
        RangeProblem.FUTURE: _("Ngày bắt đầu không được sau ngày hôm nay."),
    }[problem]


def now_utc() -> datetime:
    """The time the pages are computed at (one place, so that tests can fix it)."""
    return datetime.now(UTC)


def late_text(late: timedelta) -> str:
    """How late an item is: whole calendar days, or hours when less than a day."""
    if late.days >= 1:
        return ngettext("Quá hạn %(num)d ngày", "Quá hạn %(num)d ngày", late.days)
    hours = max(int(late.total_seconds() // 3600), 1)
    return ngettext("Quá hạn %(num)d giờ", "Quá hạn %(num)d giờ", hours)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _territory() -> tuple[monitoring.Territory, list[monitoring.Territory]]:
    """The territory asked for (``?territory=<id>``, one of the viewer's) or the viewer's first,
    and every territory the viewer watches; 403 for a monitor whose membership has no
    territory, 404 for a territory not theirs."""
    watched = monitoring.territories_of(viewer_for(current_user))
    if not watched:
        abort(403)
    asked = id_or_none(request.args.get("territory"))
    if asked is None:
        return watched[0], watched
    for territory in watched:
        if territory.id == asked:
            return territory, watched
    abort(404)


def _kind(value: str | None) -> Kind | None:
    if not value:
        return None
    try:
        return Kind(value)
    except ValueError:
        abort(400)


@dataclass(frozen=True)
class Asked:
    """The question read from the query string, or the refusal of its typed range."""

    question: monitoring.Question | None
    territory: monitoring.Territory
    period_name: str
    start_text: str
    end_text: str
    error: str | None
    # Why the typed dates were read although a named period was ticked (None: they were not).
    note: str | None = None
    # Every territory the viewer watches (the territory filter's choices), read with ``territory``.
    territories: tuple[monitoring.Territory, ...] = ()


def _asked(now: datetime, *, dated: bool = True) -> Asked:
    """The question of the query string. 400 for values that cannot be right, 404 for filters
    outside the territory; a refused custom range is returned with its message (no question).
    ``dated=False`` for the lists of "now" (the overdue list): the period and the typed dates
    are not read at all (the question keeps the default period, which they do not use)."""
    args = request.args
    territory, watched = _territory()
    period_name = (args.get("period") or "this_month") if dated else "this_month"
    if period_name not in (*monitoring.PERIOD_NAMES, monitoring.CUSTOM):
        abort(400)
    group = args.get("group") or "unit"
    if group not in monitoring.TABLE_GROUPINGS:
        abort(400)
    start_text, end_text = (args.get("from") or "").strip()[:20], (args.get("to") or "").strip()[:20]
    if not dated:
        start_text = end_text = ""
    note = None
    if period_name != monitoring.CUSTOM and (start_text or end_text):
        # Dates typed while a named period stayed ticked (the form ticks "Tháng này" until told
        # otherwise): the dates are what the viewer asked for, and were silently dropped. They
        # are read as the custom range (a bad one refused with its reason, as when ticked), and
        # the page says how to go back to the named period.
        note = _("Đang xem theo hai ngày đã nhập (kỳ “Tùy chọn”). Muốn xem “%(named)s” thì xóa hai ô ngày rồi "
                 "bấm “Xem”.", named=period_label(period_name))
        period_name = monitoring.CUSTOM
    unit_id, locality_id = id_or_none(args.get("unit")), id_or_none(args.get("locality"))
    topic_id, kind = id_or_none(args.get("topic")), _kind(args.get("kind"))
    try:
        period = monitoring.period_for(period_name, start_text, end_text, today=monitoring.today_of(now))
    except BadRange as refused:
        return Asked(None, territory, period_name, start_text, end_text, range_message(refused.problem), note,
                     tuple(watched))
    try:
        question = monitoring.ask(territory, period=period, period_name=period_name, group=group,
                                  unit_id=unit_id, locality_id=locality_id, topic_id=topic_id, kind=kind)
    except monitoring.OutsideTerritory:
        abort(404)
    return Asked(question, territory, period_name, start_text, end_text, None, note, tuple(watched))


# The query-string keys of a question and of a drill-down: links carry these and nothing else
# (a stray "?name=" must never reach url_for as a keyword).
QUESTION_KEYS = ("territory", "period", "from", "to", "group", "unit", "locality", "topic", "kind", "figure", "by",
                 "key")


def _query_args(**changes: object) -> dict[str, object]:
    """The question of the current query string (``QUESTION_KEYS``) with ``changes`` (None removes a key).
    Typed dates carry ``period=custom``, as ``_asked`` read them."""
    args: dict[str, object] = {key: value for key, value in request.args.items()
                               if key in QUESTION_KEYS and value}
    if str(args.get("from") or "").strip() or str(args.get("to") or "").strip():
        args["period"] = monitoring.CUSTOM
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return args


# What werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode, which url_for uses).
_QUERY_SAFE = "!$'()*,/:;?@"


def _drill_url() -> Callable[[str, str | None, str | None], str]:
    """``drill_url(figure, by, key)``: the link of one figure to its items, the URL
    ``url_for("monitor.items", **_query_args(figure=figure, by=by, key=key))`` gives, with the
    question's part encoded once per page. A table links each figure of each row (about 900 links
    on the province's page by unit, 12,000 by village): one url_for each took two thirds of the
    page's time."""
    question = url_for("monitor.items", **_query_args(figure=None, by=None, key=None))  # type: ignore[arg-type]
    joiner = "&" if "?" in question else "?"
    encoded: dict[tuple[str, object], str] = {}  # each name=value once (a key recurs in every cell of its row)

    def pair(name: str, value: object) -> str:
        found = encoded.get((name, value))
        if found is None:
            found = encoded[(name, value)] = urlencode([(name, str(value))], safe=_QUERY_SAFE)
        return found

    def drill_url(figure: str, by: str | None = None, key: str | None = None) -> str:
        chosen = [pair(name, value) for name, value in (("figure", figure), ("by", by), ("key", key))
                  if value is not None and value != ""]
        return question + joiner + "&".join(chosen) if chosen else question

    return drill_url


def _filter_choices(asked: Asked) -> dict[str, object]:
    territory = asked.territory
    question = asked.question
    commune = None
    if question is not None and question.locality_id is not None:
        commune = question.locality_id
    try:
        village_commune, villages = monitoring.village_choices(territory, commune)
    except monitoring.OutsideTerritory:
        village_commune, villages = None, []
    return {
        "territories": list(asked.territories),
        "units": monitoring.unit_choices(territory),
        "communes": monitoring.commune_choices(territory),
        "villages": villages,
        "village_commune": village_commune,
        "topics": monitoring.topic_choices(),
        "kinds": list(Kind),
    }


def _page(template: str, status: int = 200, **context: object) -> Response:
    context.setdefault("period_label", period_label)
    context.setdefault("group_label", group_label)
    context.setdefault("query_args", _query_args)
    drill_url = _drill_url()
    context.setdefault("drill_url", drill_url)
    context.setdefault("figure_cell", figure_cell_writer(drill_url))
    context.setdefault("figure_row", figure_row_writer(drill_url))
    percent = percent_writer()
    context.setdefault("percent", percent)
    context.setdefault("satisfaction_rows", satisfaction_rows_writer(percent))
    context.setdefault("ranking_rows", ranking_rows_writer(percent))
    context.setdefault("choice_options", choice_options)
    return _no_store(make_response(render_template(template, **context), status))


@bp.get("/")
@role_required(*MONITOR_ROLES)
def index() -> ResponseReturnValue:
    """The dashboard: totals, the figures per group (``TABLE_ROWS_PER_PAGE`` rows a page,
    ``?page=``), the ranking, the two charts, export links."""
    now = now_utc()
    asked = _asked(now)
    page_asked = page_number()
    choices = _filter_choices(asked)
    if asked.question is None:
        return _page("monitor/index.html", 400, asked=asked, board=None, choices=choices,
                     columns=monitoring.FIGURE_COLUMNS)
    board = monitoring.dashboard(asked.question, now=now,
                                 rows=((page_asked - 1) * TABLE_ROWS_PER_PAGE, TABLE_ROWS_PER_PAGE))
    rows = TablePage.of(board, TABLE_ROWS_PER_PAGE)
    if (last := past_the_end(page_asked, rows.pages)) is not None:
        return _no_store(last)
    satisfaction = interval_chart([(row.label, row.satisfaction_rate, row.satisfaction_ci, row.ratings)
                                   for row in [*board.ranked, *board.too_few]])
    trend = trend_chart([(_month_label(row.key), row.received, row.answered_on_time) for row in board.trend])
    return _page("monitor/index.html", asked=asked, board=board, rows=rows, choices=choices,
                 columns=monitoring.FIGURE_COLUMNS, figure_definitions=monitoring.FIGURE_DEFINITIONS,
                 satisfaction_chart=satisfaction, trend_chart=trend,
                 month_label=_month_label, recs=monitoring.recommendation_figures(asked.question, now=now))


@dataclass(frozen=True)
class TablePage:
    """One page of the figures table: its ``rows``, the page's number, how many pages, and the
    1-based position of its first and last row among ``total``."""

    rows: list[Figures]
    page: int
    pages: int
    first: int
    last: int
    total: int

    @classmethod
    def of(cls, board: monitoring.Dashboard, per_page: int) -> TablePage:
        """The page of ``per_page`` rows that ``board`` holds (``rows_first`` on; empty past the
        end: the caller redirects)."""
        shown, start, total = board.rows, board.rows_first, board.row_count
        pages = max(-(-total // per_page), 1)
        return cls(shown, start // per_page + 1, pages, start + 1 if shown else 0, start + len(shown), total)


def _month_label(key: str) -> str:
    """"2026-03" → "03/2026" as months are written in Vietnam."""
    return f"{key[5:7]}/{key[:4]}" if len(key) == 7 else key


def _drill(question: monitoring.Question) -> monitoring.Drill:
    args = request.args
    try:
        return monitoring.check_drill(question, args.get("figure") or "", args.get("by") or None,
                                      (args.get("key") or "")[:64] or None)
    except monitoring.OutsideTerritory:
        abort(404)
    except ValueError:
        abort(400)


def _question_or_400(now: datetime, *, dated: bool = True) -> tuple[Asked, monitoring.Question]:
    """The page's question, or a 400 that says why the typed range was refused (a download or
    a drill-down has no form to show the message beside, as the dashboard does); ``dated`` as
    for ``_asked``."""
    asked = _asked(now, dated=dated)
    if asked.question is None:
        raise ExplainedBadRequest(asked.error or "")
    return asked, asked.question


@bp.get("/items")
@role_required(*MONITOR_ROLES)
def items() -> ResponseReturnValue:
    """The items behind one figure (``figure``, and ``by``/``key`` for one group's), read only."""
    now = now_utc()
    asked, question = _question_or_400(now)
    drill = _drill(question)
    page_asked = page_number()
    viewer = viewer_for(current_user)
    page = monitoring.drill_items(question, drill, viewer=viewer, now=now, page=page_asked, per_page=PER_PAGE)
    if not page.items and page_asked > 1:  # past the end: to the last page (the one request that counts)
        pages = monitoring.drill_pages(question, drill, viewer=viewer, now=now, per_page=PER_PAGE)
        if (last := past_the_end(page_asked, pages)) is not None:
            return _no_store(last)
    heading = next((c.heading for c in monitoring.FIGURE_COLUMNS if c.drill == drill.figure), drill.figure)
    return _page("monitor/items.html", asked=asked, question=question, page=page, heading=heading,
                 period=monitoring.drill_period(question, drill), month_label=_month_label)


def _canonical_code(code: str) -> str:
    try:
        return normalise_code(code)
    except InvalidCode:
        return code.strip().upper()


@bp.get("/items/<code>")
@role_required(*MONITOR_ROLES)
def item(code: str) -> ResponseReturnValue:
    """One item, read only; the resident only under the identity rule, every display logged
    (committed) before the page is rendered. Outside the territory: 404."""
    canonical = _canonical_code(code)
    if canonical != code:
        return redirect(url_for("monitor.item", code=canonical), 301)
    now = now_utc()
    try:
        shown = monitoring.monitor_item(code, viewer=viewer_for(current_user), now=now)
    except monitoring.ItemNotFound:
        abort(404)
    monitoring.record_view(shown, current_user, now)
    return _page("monitor/item.html", shown=shown.shown, item=shown.shown.detail, answers=shown.answers)


@bp.get("/items/<code>/attachments/<int:attachment_id>")
@role_required(*MONITOR_ROLES)
def attachment(code: str, attachment_id: int) -> ResponseReturnValue:
    """A file of an item in the territory (the resident's, or a published answer's), always as a
    download (``Content-Disposition: attachment``, ``nosniff``), as the unit's page sends it."""
    try:
        found = monitoring.monitor_file(_canonical_code(code), path_id(attachment_id),
                                        viewer=viewer_for(current_user))
    except monitoring.ItemNotFound:
        abort(404)
    return file_response(Path(current_app.config["UPLOAD_DIR"]) / found.storage_name,
                         original_name=found.original_name, content_type=found.content_type, inline=False)


# The overdue page lists at most this many rows (the longest overdue); its counts stay exact.
OVERDUE_PAGE_ROWS = 500


@bp.get("/overdue")
@role_required(*MONITOR_ROLES)
def overdue() -> ResponseReturnValue:
    """The items past a deadline now, grouped by unit, the latest first within each. The list is
    of now: no period is offered, and one in the URL is ignored (as by its exports)."""
    now = now_utc()
    asked, question = _question_or_400(now, dated=False)
    # Bounded: the OVERDUE_PAGE_ROWS longest overdue; the counts per unit and the total are
    # exact (the exports list every row).
    rows, per_unit = monitoring.overdue_page(question, now=now, limit=OVERDUE_PAGE_ROWS)
    ordered = sorted(rows, key=lambda row: (row.unit_id, row.unit_code, row.unit_name, -row.late.total_seconds()))
    grouped = [(key, list(group)) for key, group in
               groupby(ordered, key=lambda row: (row.unit_id, row.unit_code, row.unit_name))]
    by_unit = [((code, name), group, per_unit.get(unit_id, len(group))) for (unit_id, code, name), group in grouped]
    by_unit.sort(key=lambda triple: (-triple[2], name_key(triple[0][1]), triple[0][0]))
    total = sum(per_unit.values())
    return _page("monitor/overdue.html", asked=asked, question=question, by_unit=by_unit, total=total,
                 shown=len(rows), choices=_filter_choices(asked), overdue_rows=overdue_rows_writer(late_text))


def _tables(name: str, question: monitoring.Question, now: datetime) -> list[monitoring.Table]:
    if name == "items":
        drill = _drill(question)
        rows = monitoring.all_drill_items(question, drill, viewer=viewer_for(current_user), now=now)
        return [monitoring.items_table(rows, status_label)]
    if name == "overdue":
        return [monitoring.overdue_table(monitoring.overdue_list(question, now=now), clock_label)]
    if name == "recommendations":
        return [_recommendations_table(question, now)]
    board = monitoring.dashboard(question, now=now)
    figures = monitoring.figures_table(_("Số liệu"), group_label(question.group), board.rows, board.totals)
    ranking = monitoring.ranking_table(board.ranked, board.too_few, board.min_ratings)
    trend = monitoring.trend_table(board.trend)
    if name == "figures":
        return [figures]
    if name == "ranking":
        return [ranking]
    if name == "trend":
        return [trend]
    return [figures, ranking, trend, monitoring.overdue_table(monitoring.overdue_list(question, now=now), clock_label),
            _recommendations_table(question, now)]


def _recommendations_table(question: monitoring.Question, now: datetime) -> monitoring.Table:
    recs = monitoring.recommendation_figures(question, now=now)
    return monitoring.recommendations_table(recs.rows, recs.totals)


@bp.get("/export/<name>.<fmt>")
@role_required(*MONITOR_ROLES)
def export(name: str, fmt: str) -> ResponseReturnValue:
    """One table (``figures``, ``ranking``, ``trend``, ``overdue``, ``recommendations``, ``items``)
    as CSV or XLSX, or every table of the page in one XLSX (``dashboard.xlsx``); the same question
    as the page. The file is built whole before the answer starts, not streamed: its rows are read
    first anyway (the overdue list is sorted by how late), and a database error while streaming
    would leave the visitor a file cut short under a 200 rather than an error page."""
    if name not in EXPORT_TABLES or fmt not in FORMATS or (name == "dashboard" and fmt == "csv"):
        abort(404)
    now = now_utc()
    # The overdue list is of now: its file ignores any period and is stamped with today's date.
    asked, question = _question_or_400(now, dated=name != "overdue")
    tables = _tables(name, question, now)
    place = re.sub(r"[^A-Za-z0-9-]", "", asked.territory.code) or str(asked.territory.id)
    stamp = (f"{place}-{monitoring.today_of(now):%Y%m%d}" if name == "overdue"
             else f"{place}-{question.period.start:%Y%m%d}-{question.period.end:%Y%m%d}")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "csv":
        response = make_response(monitoring.to_csv(tables[0]))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        response = make_response(monitoring.to_xlsx(tables))
        response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)
