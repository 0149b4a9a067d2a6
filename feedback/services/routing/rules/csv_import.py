"""Importing routing rules from CSV, all or nothing (format: docs/routing-rules-csv.md).

Every row is checked before anything is written: codes must exist, dates must be YYYY-MM-DD and
in order, and no row may tie with another row of the file or with a stored rule (same locality,
topic and kind, overlapping validity). One bad row means nothing is imported; each problem is
reported once with its line number so that the file can be fixed in one go.

Linear in the number of rows: codes are looked up with one query per table, stored rules are
loaded once, and ties are found in an index of validity periods per (locality, topic, kind)
(``_PeriodIndex``), not by comparing every row with every other. 100,000 rows import in seconds
(bench/rules_import.py); the insert is one batched statement.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO, cast

from flask_babel import gettext as _
from sqlalchemy import Table, insert, select

from feedback.domain.events import Actor
from feedback.domain.status import Kind
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Locality, RoutingRule, Topic, Unit
from feedback.services.csv_rows import RowError
from feedback.services.routing.rules.common import conflict_messages, describe, load_rules, lock_rules, to_domain
from feedback.services.routing.rules.csv_reading import MAX_CELL, BadRecord, clean_cell, read_records, sniff_delimiter

log = logging.getLogger(__name__)

HEADER = ("locality_code", "topic_code", "kind", "unit_code", "valid_from", "valid_to", "note")

# English enum values and Vietnamese labels, compared after fold(): "Phản ánh", "phan anh" and
# "report" all mean Kind.REPORT.
_KIND_NAMES: dict[str, Kind] = {
    **{kind.value: kind for kind in Kind},
    **{fold(label): kind for label, kind in (("góp ý", Kind.COMMENT), ("phản ánh", Kind.REPORT),
                                              ("kiến nghị", Kind.PETITION), ("khiếu nại", Kind.COMPLAINT),
                                              ("tố cáo", Kind.DENUNCIATION))},
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# NSO codes: provinces have 2 digits, communes 5.
PROVINCE_CODE_DIGITS = 2
COMMUNE_CODE_DIGITS = 5
# A file with thousands of bad rows is fixed at its source, not line by line: past this many the
# result keeps only a count (the page and the CLI say how many more there were).
MAX_REPORTED_ERRORS = 500
# How often (in rows) a long import reports its progress.
PROGRESS_EVERY = 1000
# A header that is not one (a binary file, a data row) is quoted back in the message: at most this
# many unknown names, each cut to SHOWN_NAME_CHARS, so that the message stays a line, not the file.
SHOWN_UNKNOWN_COLUMNS = 5
SHOWN_NAME_CHARS = 40

Progress = Callable[[int, int], None]  # (rows checked so far, rows in the file)


@dataclass
class ImportResult:
    """``created`` rules were stored when ``errors`` is empty; otherwise nothing was.

    ``errors`` holds the first ``MAX_REPORTED_ERRORS`` problems by line; ``error_count`` all of them.
    """

    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unreported(self) -> int:
        """Problems found but not listed in ``errors``."""
        return max(self.error_count - len(self.errors), 0)

    def add(self, line: int, message: str) -> None:
        self.error_count += 1
        self.errors.append(RowError(line, None, message))


@dataclass(frozen=True)
class _Row:
    line: int
    locality: Locality | None
    topic: Topic | None
    kind: Kind | None
    unit: Unit
    valid_from: date | None
    valid_to: date | None
    note: str

    @property
    def key(self) -> tuple[int | None, int | None, Kind | None]:
        return (self.locality.id if self.locality else None, self.topic.id if self.topic else None, self.kind)


class _PeriodIndex:
    """The accepted rows of one (locality, topic, kind), whose validity periods never overlap
    (a row overlapping another is refused, not added): sorted by start, so the row a new
    period overlaps first is found by bisection."""

    def __init__(self) -> None:
        self.starts: list[date] = []
        self.ends: list[date] = []
        self.rows: list[_Row] = []

    def first_overlap(self, start: date, end: date) -> _Row | None:
        # Periods are disjoint and sorted, so their ends are sorted too: the first period ending
        # on or after ``start`` is the only candidate for the earliest overlap.
        position = bisect.bisect_left(self.ends, start)
        if position < len(self.rows) and self.starts[position] <= end:
            return self.rows[position]
        return None

    def add(self, start: date, end: date, row: _Row) -> None:
        position = bisect.bisect_left(self.starts, start)
        self.starts.insert(position, start)
        self.ends.insert(position, end)
        self.rows.insert(position, row)


def _shown_names(names: list[str]) -> str:
    """The first SHOWN_UNKNOWN_COLUMNS distinct ``names``, each cut to SHOWN_NAME_CHARS, "…" for the rest."""
    distinct = list(dict.fromkeys(names))
    shown = [name if len(name) <= SHOWN_NAME_CHARS else name[:SHOWN_NAME_CHARS] + "…"
             for name in distinct[:SHOWN_UNKNOWN_COLUMNS]]
    return ", ".join(shown) + (", …" if len(distinct) > SHOWN_UNKNOWN_COLUMNS else "")


def import_rules(stream: TextIO, *, now: datetime, actor: Actor, progress: Progress | None = None) -> ImportResult:
    """Read rules from ``stream`` (CSV text with the header ``HEADER``, separated by commas or
    semicolons: sniffed from the header) and store them all, committed, or none of them when
    any row has a problem (then ``errors`` lists the problems, each once, by line).

    Empty locality, topic or kind means any; kind is an English value ("report") or a Vietnamese
    label ("phản ánh"); dates are YYYY-MM-DD, inclusive, empty for an open end. Cells are
    cleaned as the resident form's text (control characters removed); a cell longer than
    ``MAX_CELL``, a record the csv module cannot read and a quote left open are problems. A
    row tying with an earlier row is reported once, naming the first line it repeats.
    ``progress(done, total)`` is called every ``PROGRESS_EVERY`` rows and at the end. Not
    idempotent: importing the same file twice is refused the second time (its rows tie with
    the first import's).
    """
    text = stream.read()
    result = ImportResult()
    delimiter = sniff_delimiter(text, HEADER)
    records = read_records(text, delimiter)
    header = next(records, None)
    if header is None:
        result.add(1, _("Tệp trống: thiếu dòng tiêu đề."))
        return result
    if isinstance(header, BadRecord):
        result.add(header.line, header.message)
        return result
    columns = [clean_cell(name).lower() for name in header.values]
    missing = [name for name in HEADER if name not in columns]
    unknown = [name for name in columns if name not in HEADER]
    if missing or unknown or len(set(columns)) != len(columns):
        result.add(1, _(
            "Dòng tiêu đề phải là: %(expected)s (thiếu: %(missing)s; thừa: %(unknown)s). Các cột cách nhau bằng "
            "dấu phẩy hoặc dấu chấm phẩy.",
            expected=",".join(HEADER), missing=", ".join(missing) or "-", unknown=_shown_names(unknown) or "-"))
        return result

    raw_rows: list[tuple[int, dict[str, str]]] = []
    for record in records:
        if isinstance(record, BadRecord):
            result.add(record.line, record.message)
            continue
        if len(record.values) != len(columns):
            result.add(record.line, _("Dòng có %(count)d cột, cần %(expected)d cột.",
                                      count=len(record.values), expected=len(columns)))
            continue
        too_long = next((name for name, value in zip(columns, record.values, strict=True)
                         if len(value) > MAX_CELL), None)
        if too_long is not None:
            result.add(record.line, _("Ô ở cột %(column)s dài hơn %(max)d ký tự.", column=too_long, max=MAX_CELL))
            continue
        raw_rows.append((record.line, {name: clean_cell(value, multiline=name == "note")
                                       for name, value in zip(columns, record.values, strict=True)}))
    result.rows = len(raw_rows)

    lock_rules()
    lookups = _Lookups.load(raw_rows)
    stored_by_key: dict[tuple[int | None, int | None, Kind | None], list[RoutingRule]] = defaultdict(list)
    for rule in load_rules():
        stored_by_key[(rule.locality_id, rule.topic_id, rule.kind)].append(rule)
    indexes: dict[tuple[int | None, int | None, Kind | None], _PeriodIndex] = defaultdict(_PeriodIndex)
    accepted: list[_Row] = []
    for done, (start, raw) in enumerate(raw_rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(raw_rows))
        row = _parse(start, raw, lookups, result)
        if row is None:
            continue
        first, last = row.valid_from or date.min, row.valid_to or date.max
        index = indexes[row.key]
        twin = index.first_overlap(first, last)
        if twin is not None:
            result.add(start, _(
                "Trùng với dòng %(other)d (%(rule)s): cùng địa bàn, lĩnh vực và loại, thời gian hiệu lực chồng nhau.",
                other=twin.line, rule=describe(twin.locality, twin.topic, twin.kind, twin.unit)))
            continue
        stored = stored_by_key.get(row.key)
        if stored:
            candidate = to_domain(-start, row.locality, row.topic, row.kind, row.unit, row.valid_from, row.valid_to)
            clashes = conflict_messages(candidate, stored)
            for message in clashes:
                result.add(start, message)
            if clashes:
                continue
        index.add(first, last, row)
        accepted.append(row)
    if progress is not None:
        progress(len(raw_rows), len(raw_rows))

    if not raw_rows and not result.error_count:
        result.add(1, _("Tệp không có quy tắc nào."))
    if result.error_count:
        result.errors.sort(key=lambda error: error.line)  # stable: a line's problems keep their order
        del result.errors[MAX_REPORTED_ERRORS:]
        db.session.rollback()
        return result
    # Core insert on the table: one executemany, without the ORM's per-row bookkeeping.
    db.session.execute(insert(cast(Table, RoutingRule.__table__)), [
        {"locality_id": row.locality.id if row.locality else None, "topic_id": row.topic.id if row.topic else None,
         "kind": row.kind, "unit_id": row.unit.id, "valid_from": row.valid_from, "valid_to": row.valid_to,
         "note": row.note or None}
        for row in accepted
    ])
    db.session.commit()
    result.created = len(accepted)
    log.info("%d routing rules imported by %s at %s", result.created, actor, now.isoformat())
    return result


@dataclass(frozen=True)
class _Lookups:
    localities: dict[str, Locality]
    topics: dict[str, Topic]
    units: dict[str, Unit]

    def locality(self, code: str) -> Locality | None:
        """The locality of ``code``, also when a spreadsheet dropped the leading zero of an NSO
        code ("6652" for commune 06652, "1" for province 01)."""
        return next((self.localities[c] for c in _code_forms(code) if c in self.localities), None)

    @classmethod
    def load(cls, rows: list[tuple[int, dict[str, str]]]) -> _Lookups:
        """Only the codes the file mentions, one query per table."""

        def codes(column: str) -> set[str]:
            found = {raw[column] for _, raw in rows if raw[column]}
            return {form for code in found for form in _code_forms(code)} if column == "locality_code" else found

        return cls(
            localities={loc.code: loc for loc in db.session.execute(
                select(Locality).where(Locality.code.in_(codes("locality_code")))).scalars()},
            topics={topic.code: topic for topic in db.session.execute(
                select(Topic).where(Topic.code.in_(codes("topic_code")))).scalars()},
            units={unit.code: unit for unit in db.session.execute(
                select(Unit).where(Unit.code.in_(codes("unit_code")))).scalars()},
        )


def _parse(line: int, raw: dict[str, str], lookups: _Lookups, result: ImportResult) -> _Row | None:
    """The row's values, or None after adding one error per bad field to ``result``."""
    count = result.error_count
    locality = topic = unit = None
    kind: Kind | None = None
    if raw["locality_code"]:
        locality = lookups.locality(raw["locality_code"])
        if locality is None:
            result.add(line, _("Không có địa bàn mã \"%(code)s\".", code=raw["locality_code"]))
    if raw["topic_code"]:
        topic = lookups.topics.get(raw["topic_code"])
        if topic is None:
            result.add(line, _("Không có lĩnh vực mã \"%(code)s\".", code=raw["topic_code"]))
    if raw["kind"]:
        kind = _KIND_NAMES.get(fold(raw["kind"]))
        if kind is None:
            result.add(line, _(
                "Loại \"%(value)s\" không hợp lệ: dùng góp ý, phản ánh, kiến nghị, khiếu nại, tố cáo hoặc để trống.",
                value=raw["kind"]))
    if not raw["unit_code"]:
        result.add(line, _("Thiếu mã đơn vị (unit_code)."))
    else:
        unit = lookups.units.get(raw["unit_code"])
        if unit is None:
            result.add(line, _("Không có đơn vị mã \"%(code)s\".", code=raw["unit_code"]))
        elif not unit.active:
            result.add(line, _("Đơn vị %(name)s đã ngừng hoạt động.", name=unit.name))
    valid_from = _date(line, "valid_from", raw["valid_from"], result)
    valid_to = _date(line, "valid_to", raw["valid_to"], result)
    if valid_from and valid_to and valid_to < valid_from:
        result.add(line, _("Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực."))
    if result.error_count > count or unit is None:
        return None
    return _Row(line, locality, topic, kind, unit, valid_from, valid_to, raw["note"])


def _code_forms(code: str) -> tuple[str, ...]:
    if code.isdigit() and len(code) < COMMUNE_CODE_DIGITS:
        return (code, code.zfill(PROVINCE_CODE_DIGITS), code.zfill(COMMUNE_CODE_DIGITS))
    return (code,)


def _date(line: int, column: str, value: str, result: ImportResult) -> date | None:
    if not value:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        result.add(line, _("Ngày \"%(value)s\" ở cột %(column)s không hợp lệ: cần dạng YYYY-MM-DD.",
                                 value=value, column=column))
        return None
