"""Reading numbers from staff URLs (admin, unit workspace) without letting a huge one reach the database.

PostgreSQL's ``integer`` holds up to 2**31 - 1: a larger id (``?unit=99999999999999999999``)
or a page whose offset overflows made the query itself fail with a 500. Every id and page of the
staff pages is read here, checked against these bounds, and answered 404 (a path or a page
that cannot exist) or 400 (a filter that cannot be right) before any query runs. A page number
within the bounds but past the list's end (a bookmark kept while items were closed) is sent to
the last page (``past_the_end``), on every paged list, public or staff.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

# The largest value of a PostgreSQL ``integer`` primary key.
MAX_ID = 2**31 - 1
# The longest typed value quoted back in a filter's error message.
QUOTED = 60
# Far beyond any real list (25 per page: 250 million rows) and far below an overflowing offset.
MAX_PAGE = 10_000_000


class ExplainedBadRequest(BadRequest):
    """A 400 whose page says why (``explanation``, already in the visitor's language) instead of
    the generic "the browser sent a request the system does not understand"."""

    def __init__(self, explanation: str) -> None:
        self.explanation = explanation
        super().__init__(description=explanation)


class BadFilter(ExplainedBadRequest):
    """A 400 for a filter value in the URL that names nothing, whose page says which value: such
    URLs come from edited bookmarks and links, not from the pages' forms."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Giá trị “%(text)s” của bộ lọc không hợp lệ. Hãy chọn lại bộ lọc trong danh sách "
                           "của trang rồi xem lại.", text=text[:QUOTED]))


def refuse_nul_in_url() -> None:
    """Before every request: a NUL character in the path or in a query-string name or value
    answers 400 with the reason, before any view reads it. PostgreSQL refuses NUL in any text it
    is sent, even in a comparison (psycopg's DataError): such a URL, which no page links to,
    answered 500 wherever a typed value reached a query (the locality search, the answers'
    unit, the admin and unit item searches, the drill-down keys, Open311's service code)."""
    if "\x00" in request.path or any("\x00" in name or "\x00" in value
                                      for name, value in request.args.items(multi=True)):
        raise ExplainedBadRequest(_("Địa chỉ trang có ký tự không hợp lệ (NUL). Hãy kiểm tra lại đường dẫn."))


def id_or_none(value: str | None) -> int | None:
    """An id typed in a query string: None when empty, the number when it is 1..MAX_ID.

    Raises ``BadFilter`` (400) for anything else (letters, zero, a number beyond ``MAX_ID``): a filter that
    cannot name a row is a bad request, never a silent "all".
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_ID)) or not 1 <= int(value) <= MAX_ID:
        raise BadFilter(value)
    return int(value)


def path_id(value: int) -> int:
    """An id from an ``<int:...>`` path segment; aborts with 404 beyond ``MAX_ID`` (no such row)."""
    if not 1 <= value <= MAX_ID:
        abort(404)
    return value


def page_number(name: str = "page") -> int:
    """The page asked for in the query string: 1 when absent or not a number, 404 when out of range
    (zero and negative numbers as well as huge ones: ``page=0`` answered 404 while ``page=-3``
    showed the first page)."""
    raw = request.args.get(name, "").strip()
    digits = raw.removeprefix("-").removeprefix("+") if raw[:1] in "-+" else raw
    if not digits or not digits.isascii() or not digits.isdigit():
        return 1
    if raw.startswith("-") or len(digits) > len(str(MAX_PAGE)) or not 1 <= int(digits) <= MAX_PAGE:
        abort(404)
    return int(digits)


def past_the_end(page: int, pages: int) -> Response | None:
    """A redirect to the list's last page when ``page`` is past it (to page 1 when the list is
    empty), keeping every other query value; None when ``page`` is on the list.

    Called by each paged list after its query, with the page it was asked for and the number
    of pages it found: the page past the end used to answer 200 with "Trang 5 / 4" and no row,
    which reads as "the items are gone". The redirect shows the last rows under a URL that
    names them.
    """
    last = max(pages, 1)
    if page <= last:
        return None
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    if last > 1:
        kept.append(("page", str(last)))
    query = urlencode(kept)
    # The path is built from the route, never copied from the request; the language is in the
    # kept query already (lang=None: no second one from ``keep_language``).
    path = url_for(request.endpoint or "", **(request.view_args or {}), lang=None)
    return redirect(path + (f"?{query}" if query else ""))
