"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) in the platform's terms: pure rules.

- A service is a topic; a service request is an item; ``service_request_id`` is its tracking code.
- ``status`` has two values: ``open`` while a unit still owes an answer, ``closed`` once it has
  answered (the resident may still rate or reopen: a reopened item is open again), closed it or
  refused it (``CLOSED_STATUSES``; the SQL filter uses the same set).
- GET requests looks at a window of at most 90 days of ``requested_datetime`` and returns at most
  1,000 requests (the specification's "Response Volume"); without dates, the last 90 days.
- Dates are W3C/ISO 8601 (``2010-01-01T00:00:00Z``, ``…+07:00``, or a bare date); a time without
  an offset is read in the deployment's time zone.
- API keys are 256 random bits; only their SHA-256 digest is stored (``hash_api_key``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from feedback.domain.status import Status

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
# The specification limits a description to 4,000 characters.
MAX_DESCRIPTION = 4000
MAX_MEDIA_URL = 2048
FORMATS = ("json", "xml")

OPEN, CLOSED = "open", "closed"
# Defined once, for the code and for the SQL filter of GET requests.
CLOSED_STATUSES = frozenset({Status.ANSWERED, Status.CLOSED, Status.REJECTED})
OPEN_STATUSES = frozenset(Status) - CLOSED_STATUSES

_KEY_PREFIX = "o311_"


def open311_status(status: Status) -> str:
    """``open`` or ``closed`` for an item's status (see the module docstring). Never raises."""
    return CLOSED if status in CLOSED_STATUSES else OPEN


def statuses_for(names: tuple[str, ...]) -> frozenset[Status]:
    """The item statuses that the Open311 ``status`` values ``names`` stand for (every status
    when ``names`` is empty). Raises ``ValueError`` naming a value that is neither open nor closed."""
    if not names:
        return frozenset(Status)
    chosen: set[Status] = set()
    for name in names:
        if name == OPEN:
            chosen |= OPEN_STATUSES
        elif name == CLOSED:
            chosen |= CLOSED_STATUSES
        else:
            raise ValueError(name)
    return frozenset(chosen)


def comma_list(text: str | None) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")``: the specification's comma-delimited arguments,
    blanks dropped, order kept, repeats removed. ``None`` or blank gives ``()``."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def parse_datetime(text: str, zone: tzinfo) -> datetime:
    """An aware datetime from a W3C/ISO 8601 text: a full date and time with ``Z`` or an offset,
    or without one (then in ``zone``), or a bare date (its midnight in ``zone``). Raises
    ``ValueError`` for anything else (including a year outside 1900-2999)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", text):
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    else:
        raise ValueError(text)
    if not 1900 <= moment.year <= 2999:
        raise ValueError(text)
    return moment


class WindowTooLong(ValueError):
    """start_date and end_date more than 90 days apart, or end before start."""


@dataclass(frozen=True)
class Window:
    """Requests made at or after ``start`` and at or before ``end``."""

    start: datetime
    end: datetime


def request_window(start: datetime | None, end: datetime | None, *, now: datetime) -> Window:
    """The window of GET requests: both dates as given; one date and 90 days from (or to) it;
    neither, the last 90 days up to ``now``. Raises ``WindowTooLong`` when the dates are more than
    90 days apart or ``end`` is before ``start``."""
    if start is None and end is None:
        return Window(now - DEFAULT_WINDOW, now)
    if start is None:
        assert end is not None
        return Window(end - DEFAULT_WINDOW, end)
    if end is None:
        return Window(start, start + DEFAULT_WINDOW)
    if end < start or end - start > MAX_WINDOW:
        raise WindowTooLong(f"{start.isoformat()} .. {end.isoformat()}")
    return Window(start, end)


def full_name(first_name: str | None, last_name: str | None) -> str:
    """The sender's name in Vietnamese order: family name (``last_name``) first, then the given
    name (``first_name``): ``full_name("Văn An", "Nguyễn")`` is ``"Nguyễn Văn An"``. Blank parts
    are left out; both blank gives ``""``."""
    parts = [" ".join((part or "").split()) for part in (last_name, first_name)]
    return " ".join(part for part in parts if part)


def title_from(description: str, limit: int) -> str:
    """A title for an item sent without one: the first non-blank line of ``description``, cut at
    a word boundary to at most ``limit`` characters (with "…" when cut). ``""`` when blank."""
    line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def is_media_url(text: str) -> bool:
    """Tell whether ``text`` is an absolute http(s) URL without spaces, at most 2,048 characters."""
    return len(text) <= MAX_MEDIA_URL and _URL.fullmatch(text) is not None


def new_api_key() -> str:
    """A fresh key (``o311_`` and 256 random bits, URL-safe). Show it once; store ``hash_api_key``."""
    return _KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 of the key as 64 hex digits; a key that is not valid text gives a digest no key has."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
