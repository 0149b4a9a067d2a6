"""Importing routing rules from CSV, all or nothing (format: docs/routing-rules-csv.md).

Every row is checked before anything is written: codes must exist, dates must be YYYY-MM-DD and
in order, and no row may tie with another row of the file or with a stored rule (same locality,
topic and kind, overlapping validity). One bad row means nothing is imported; every problem is
reported with its line number so that the file can be fixed in one go.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

from flask_babel import gettext as _
from sqlalchemy import select

from feedback.domain import routing
from feedback.domain.events import Actor
from feedback.domain.status import Kind
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Locality, RoutingRule, Topic, Unit
from feedback.services.routing.rules.common import conflict_messages, describe, load_rules, lock_rules, to_domain

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


@dataclass(frozen=True)
class RowError:
    """A problem at ``line`` of the file (1 is the header), in Vietnamese."""

    line: int
    message: str

    def __str__(self) -> str:
        return str(_("Dòng %(line)d: %(message)s", line=self.line, message=self.message))


@dataclass
class ImportResult:
    """``created`` rules were stored when ``errors`` is empty; otherwise nothing was."""

    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


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

    def to_domain(self) -> routing.Rule:
        # Rows have no id yet: minus the line number keeps them apart from stored rules.
        return to_domain(-self.line, self.locality, self.topic, self.kind, self.unit, self.valid_from, self.valid_to)


def import_rules(stream: TextIO, *, now: datetime, actor: Actor) -> ImportResult:
    """Read rules from ``stream`` (CSV, UTF-8 text, header ``HEADER``) and store them all, committed,
    or none of them when any row has a problem (then ``errors`` lists every problem found).

    Empty locality, topic or kind means any; kind is an English value ("report") or a Vietnamese
    label ("phản ánh"); dates are YYYY-MM-DD, inclusive, empty for an open end. Not idempotent:
    importing the same file twice is refused the second time, its rows conflicting with the first.
    """
    reader = csv.reader(stream)
    header = next(reader, None)
    result = ImportResult()
    if header is None:
        result.errors.append(RowError(1, _("Tệp trống: thiếu dòng tiêu đề.")))
        return result
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in HEADER if name not in columns]
    unknown = [name for name in columns if name not in HEADER]
    if missing or unknown or len(set(columns)) != len(columns):
        result.errors.append(RowError(1, _(
            "Dòng tiêu đề phải là: %(expected)s (thiếu: %(missing)s; thừa: %(unknown)s).",
            expected=",".join(HEADER), missing=", ".join(missing) or "-", unknown=", ".join(unknown) or "-")))
        return result

    lock_rules()
    raw_rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(columns):
            result.errors.append(RowError(start, _("Dòng có %(count)d cột, cần %(expected)d cột.",
                                                   count=len(values), expected=len(columns))))
            continue
        # NFC: text typed with a decomposed ("tổ hợp") Vietnamese keyboard is stored composed.
        raw_rows.append((start, {name: unicodedata.normalize("NFC", value.strip())
                                 for name, value in zip(columns, values, strict=True)}))

    lookups = _Lookups.load(raw_rows)
    accepted: list[_Row] = []
    stored = load_rules()
    for start, raw in raw_rows:
        row = _parse(start, raw, lookups, result.errors)
        if row is None:
            continue
        candidate = row.to_domain()
        by_line = {other.line: other for other in accepted}
        for earlier in routing.conflicts(candidate, [other.to_domain() for other in accepted]):
            twin = by_line[-earlier.id]
            result.errors.append(RowError(start, _(
                "Trùng với dòng %(other)d (%(rule)s): cùng địa bàn, lĩnh vực và loại, thời gian hiệu lực chồng nhau.",
                other=twin.line, rule=describe(twin.locality, twin.topic, twin.kind, twin.unit))))
        for message in conflict_messages(candidate, stored):
            result.errors.append(RowError(start, message))
        accepted.append(row)

    if not raw_rows and not result.errors:
        result.errors.append(RowError(1, _("Tệp không có quy tắc nào.")))
    if result.errors:
        result.errors.sort(key=lambda error: error.line)  # stable: a line's problems keep their order
        db.session.rollback()
        return result
    for row in accepted:
        db.session.add(RoutingRule(locality=row.locality, topic=row.topic, kind=row.kind, unit=row.unit,
                                   valid_from=row.valid_from, valid_to=row.valid_to, note=row.note or None))
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


def _parse(line: int, raw: dict[str, str], lookups: _Lookups, errors: list[RowError]) -> _Row | None:
    """The row's values, or None after appending one error per bad field to ``errors``."""
    count = len(errors)
    locality = topic = unit = None
    kind: Kind | None = None
    if raw["locality_code"]:
        locality = lookups.locality(raw["locality_code"])
        if locality is None:
            errors.append(RowError(line, _("Không có địa bàn mã \"%(code)s\".", code=raw["locality_code"])))
    if raw["topic_code"]:
        topic = lookups.topics.get(raw["topic_code"])
        if topic is None:
            errors.append(RowError(line, _("Không có lĩnh vực mã \"%(code)s\".", code=raw["topic_code"])))
    if raw["kind"]:
        kind = _KIND_NAMES.get(fold(raw["kind"]))
        if kind is None:
            errors.append(RowError(line, _(
                "Loại \"%(value)s\" không hợp lệ: dùng góp ý, phản ánh, kiến nghị, khiếu nại, tố cáo hoặc để trống.",
                value=raw["kind"])))
    if not raw["unit_code"]:
        errors.append(RowError(line, _("Thiếu mã đơn vị (unit_code).")))
    else:
        unit = lookups.units.get(raw["unit_code"])
        if unit is None:
            errors.append(RowError(line, _("Không có đơn vị mã \"%(code)s\".", code=raw["unit_code"])))
        elif not unit.active:
            errors.append(RowError(line, _("Đơn vị %(name)s đã ngừng hoạt động.", name=unit.name)))
    valid_from = _date(line, "valid_from", raw["valid_from"], errors)
    valid_to = _date(line, "valid_to", raw["valid_to"], errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(RowError(line, _("Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.")))
    if len(errors) > count or unit is None:
        return None
    return _Row(line, locality, topic, kind, unit, valid_from, valid_to, raw["note"])


def _code_forms(code: str) -> tuple[str, ...]:
    if code.isdigit() and len(code) < COMMUNE_CODE_DIGITS:
        return (code, code.zfill(PROVINCE_CODE_DIGITS), code.zfill(COMMUNE_CODE_DIGITS))
    return (code,)


def _date(line: int, column: str, value: str, errors: list[RowError]) -> date | None:
    if not value:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, _("Ngày \"%(value)s\" ở cột %(column)s không hợp lệ: cần dạng YYYY-MM-DD.",
                                       value=value, column=column)))
        return None
