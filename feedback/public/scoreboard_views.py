"""Public figures: the /units scoreboard, the public answered items (/answers) and the open data
(/open-data/units.csv, /open-data/units.json). Anyone may read them; none holds personal data.

A bad period answers 400 with the reason (a page, or for the open data the same message as
plain text or JSON), never a 500 and never a silent default.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from feedback.domain.calendar import local_date
from feedback.public.errors import readable_json
from feedback.services import scoreboard
from feedback.web.args import QUOTED, page_number, past_the_end

# Open data may be cached by proxies for a while: it changes as items are answered, not by the second.
OPEN_DATA_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
ANSWERS_PER_PAGE = 20
# A unit code in the URL is at most this long (Unit.code is String(64)).
MAX_CODE = 64


def add_scoreboard_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/units", "units", units, methods=["GET"])
    bp.add_url_rule("/answers", "answers", answers, methods=["GET"])
    bp.add_url_rule("/open-data/units.csv", "open_data_csv", open_data_csv, methods=["GET"])
    bp.add_url_rule("/open-data/units.json", "open_data_json", open_data_json, methods=["GET"])


def units() -> ResponseReturnValue:
    """Every unit's figures for a named period (``?period=``) or a range (``?from=&to=``)."""
    now = datetime.now(UTC)
    today = local_date(now)
    start, end = request.args.get("from"), request.args.get("to")
    error = None
    if (start or "").strip() or (end or "").strip():
        chosen = "custom"
        try:
            period = scoreboard.period_from_args(start, end, today=today)
        except scoreboard.BadPeriod as bad:
            error = bad.message
            chosen, period = scoreboard.named_period(None, today)
    else:
        asked = (request.args.get("period") or "").strip()
        if asked and asked not in scoreboard.NAMED_PERIODS:
            # An edited link: said, not silently replaced by the default (which is shown).
            error = _("Không có khoảng thời gian “%(name)s”. Hãy chọn một khoảng trong danh sách rồi bấm “Xem”.",
                      name=asked[:QUOTED])
        chosen, period = scoreboard.named_period(asked or None, today)
    board = scoreboard.scoreboard(period, now=now)
    body = render_template("public/units.html", board=board, chosen=chosen, error=error,
                           periods=scoreboard.NAMED_PERIODS, columns=scoreboard.FIGURE_COLUMNS,
                           figure_definitions=scoreboard.FIGURE_DEFINITIONS,
                           typed_from=(start or "")[:20], typed_to=(end or "")[:20])
    return body, 400 if error else 200


def answers() -> ResponseReturnValue:
    """The latest public answers, newest first; ``?unit=CODE`` for one unit's."""
    unit = (request.args.get("unit") or "").strip()[:MAX_CODE] or None
    page_asked = page_number()
    # The service clamps the page itself; the redirect makes the URL name the page shown.
    page = scoreboard.answered_items(page=page_asked, per_page=ANSWERS_PER_PAGE, unit_code=unit)
    if not page.answers and page_asked > 1:  # past the end: to the last page (the one request that counts)
        pages = scoreboard.answer_pages(per_page=ANSWERS_PER_PAGE, unit_code=unit)
        if (last := past_the_end(page_asked, pages)) is not None:
            return last
    return render_template("public/answers.html", page=page, unit=unit)


def _open_data() -> scoreboard.OpenDataTable | str:
    now = datetime.now(UTC)
    try:
        period = scoreboard.period_from_args(request.args.get("from"), request.args.get("to"),
                                             today=local_date(now))
    except scoreboard.BadPeriod as bad:
        return bad.message
    return scoreboard.open_data(period, now=now)


def open_data_csv() -> ResponseReturnValue:
    """The units' figures as CSV (UTF-8, a header line, CRLF); 400 with the reason as text."""
    table = _open_data()
    if isinstance(table, str):
        return table + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    name = f"units-{table.period.start.isoformat()}-{table.period.end.isoformat()}.csv"
    return scoreboard.to_csv(table), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'inline; filename="{name}"',
        **OPEN_DATA_HEADERS,
    }


def open_data_json() -> ResponseReturnValue:
    """The units' figures as JSON; 400 with ``error.message`` for a bad period. Both in readable
    UTF-8 (``readable_json``)."""
    table = _open_data()
    if isinstance(table, str):
        return readable_json({"error": {"code": 400, "title": _("Yêu cầu không hợp lệ"), "message": table}}), 400
    # Not jsonify: it sorts the keys, and the columns' order is part of the contract.
    return readable_json(scoreboard.to_json(table)), 200, OPEN_DATA_HEADERS
