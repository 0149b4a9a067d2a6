"""Villages (thôn, bản, khu phố, tổ dân phố, ấp, ...) imported from a CSV file.

The format is documented for administrators in docs/villages-csv.md: a header
``code,name,kind,commune_code,remote`` and one village a row, UTF-8 with or without BOM (Excel
writes one). A file is checked completely before anything is written, every problem is
reported with its line number, and a file with any problem writes nothing: a half-imported
list of villages would be worse than none, since residents would not find their village.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from flask_babel import gettext as _

from feedback.domain.paths import child_path
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel
from feedback.services.csv_rows import RowError
from feedback.services.directory.provinces import (
    COMMUNE_CODE_DIGITS,
    ImportCounts,
    LevelCounts,
    Progress,
    assign_changed,
    localities_by_code,
)

COLUMNS = ("code", "name", "kind", "commune_code", "remote")
# Column sizes of models.directory.Locality.
MAX_LENGTH = {"code": 32, "name": 255, "kind": 64}
TRUE_WORDS = frozenset({"1", "true", "co"})  # folded: "Có", "có", "co"
FALSE_WORDS = frozenset({"", "0", "false", "khong"})  # folded: "Không", "không"


class CsvImportError(Exception):
    """A file was refused; ``errors`` lists every problem found, by line. Nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class VillageRow:
    """One village to create or update; ``line`` is where it came from (0 when not from a file)."""

    code: str
    name: str
    kind: str
    commune_code: str
    remote: bool = False
    line: int = 0


def import_villages(stream: TextIO, *, progress: Progress | None = None) -> ImportCounts:
    """Read the village CSV ``stream``, then create or update every village in one transaction.

    A village is found by its code: an existing one gets the file's name, kind, commune and
    remote flag (idempotent: importing a file twice counts every row unchanged the second
    time). Villages absent from the file are kept. Raises ``CsvImportError`` listing every bad
    row (missing or unknown column, empty field, unknown commune code, code repeated in the
    file or already used by a province or commune, remote not a yes/no value, text too long);
    then nothing of the file is written. ``progress`` receives the number of rows written.
    """
    rows, errors = parse_village_csv(stream)
    try:
        counts = ImportCounts()
        counts.levels[LocalityLevel.VILLAGE] = save_villages(rows, progress=progress, known_errors=errors)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def parse_village_csv(stream: TextIO) -> tuple[list[VillageRow], list[RowError]]:
    """Check the form of every row (not the database); return the good rows and the problems.

    Raises ``CsvImportError`` at once when the header is wrong, since no row can be read then.
    Blank lines, and rows whose fields are all empty (spreadsheets leave them), are skipped.
    """
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CsvImportError([_unreadable(1, error)]) from error
    if header is None:
        raise CsvImportError([RowError(1, None, _("Tệp trống: thiếu dòng tiêu đề %(columns)s.",
                                                   columns=",".join(COLUMNS)))])
    columns = [name.replace("\ufeff", "").strip().lower() for name in header]
    _check_header(columns)
    rows: list[VillageRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # the reader cannot go on past a record it refused: report what was found so far
            raise CsvImportError([*errors, _unreadable(line + 1, error)]) from error
        # a quoted field may span lines: a row starts on the line after the previous row ended
        line, end = line + 1, reader.line_num
        if not any(field.strip() for field in fields):
            line = end
            continue
        if len(fields) != len(columns):
            errors.append(RowError(line, None, _("Dòng có %(found)d cột, tiêu đề có %(expected)d cột.",
                                                 found=len(fields), expected=len(columns))))
        else:
            values = dict(zip(columns, (_clean(f) for f in fields), strict=True))
            code = values["code"]
            repeated = code in first_line
            if repeated:
                errors.append(RowError(line, "code", _("Mã %(code)s đã có ở dòng %(first)d.",
                                                       code=code, first=first_line[code])))
            elif code:
                first_line[code] = line
            row, row_errors = _parse_row(line, values)
            errors += row_errors
            if row is not None and not repeated:
                rows.append(row)
        line = end
    return rows, errors


def save_villages(rows: Sequence[VillageRow], *, progress: Progress | None = None,
                  known_errors: Iterable[RowError] = ()) -> LevelCounts:
    """Create or update ``rows`` in the caller's transaction (no commit); codes must be unique.

    Two queries load the communes and the existing codes. Raises ``CsvImportError`` with
    ``known_errors`` plus every row whose commune does not exist or whose code belongs to a
    province or commune; nothing is written then.
    """
    communes = {
        code: loc for code, loc in localities_by_code(r.commune_code for r in rows).items()
        if loc.level == LocalityLevel.COMMUNE
    }
    existing = localities_by_code(r.code for r in rows)
    errors = list(known_errors)
    for row in rows:
        if row.commune_code not in communes:
            errors.append(RowError(row.line, "commune_code", _(
                "Không có xã, phường hoặc đặc khu mã %(code)s (nhập tỉnh, thành phố trước).", code=row.commune_code)))
        taken = existing.get(row.code)
        if taken is not None and taken.level != LocalityLevel.VILLAGE:
            errors.append(RowError(row.line, "code", _("Mã %(code)s đã là mã của %(name)s.",
                                                       code=row.code, name=taken.name)))
    if errors:
        raise CsvImportError(errors)

    counts = LevelCounts()
    pending: list[tuple[Locality, Locality]] = []
    for row in rows:
        commune = communes[row.commune_code]
        values: dict[str, object] = {"name": row.name, "kind": row.kind, "remote": row.remote,
                                     "search_name": fold(row.name), "parent_id": commune.id}
        village = existing.get(row.code)
        if village is None:
            village = Locality(code=row.code, level=LocalityLevel.VILLAGE, path="", **values)
            db.session.add(village)
            counts.created += 1
        else:
            counts.add("updated" if assign_changed(village, values) else "unchanged")
        pending.append((village, commune))
    db.session.flush()  # ids of the new villages, which their paths end with
    for done, (village, commune) in enumerate(pending, start=1):
        village.path = child_path(commune.path, village.id)
        if progress is not None and (done % 100 == 0 or done == len(pending)):
            progress(done % 100 or 100)
    db.session.flush()
    return counts


def _unreadable(line: int, error: csv.Error) -> RowError:
    """The problem of a record the csv module refused, starting at ``line``."""
    if "field larger than field limit" in str(error):
        return RowError(line, None, _("Có ô dài quá giới hạn (hơn %(max)d ký tự); dòng này bị bỏ qua.",
                                      max=csv.field_size_limit()))
    return RowError(line, None, _("Dòng không đúng định dạng CSV (dấu ngoặc kép đặt sai chỗ)."))


def _clean(field: str) -> str:
    """Trimmed and in NFC: some Vietnamese keyboards type decomposed ("tổ hợp") characters, which
    would otherwise make "Thôn" and "Thôn" two different names."""
    return unicodedata.normalize("NFC", field.strip())


def _check_header(columns: list[str]) -> None:
    errors = [RowError(1, name or None, _("Cột không được hỗ trợ; các cột là %(columns)s.",
                                          columns=",".join(COLUMNS)))
              for name in columns if name not in COLUMNS]
    errors += [RowError(1, name, _("Cột xuất hiện hai lần."))
               for name in sorted(set(columns)) if name in COLUMNS and columns.count(name) > 1]
    errors += [RowError(1, name, _("Thiếu cột.")) for name in COLUMNS if name not in columns]
    if errors:
        raise CsvImportError(errors)


def _parse_row(line: int, fields: dict[str, str]) -> tuple[VillageRow | None, list[RowError]]:
    # A line break or tab inside a quoted name is a wrapped cell: one space, as the form does.
    fields = {**fields, "name": " ".join(fields["name"].split()), "kind": " ".join(fields["kind"].split())}
    errors = [RowError(line, name, _("Không được để trống."))
              for name in ("code", "name", "kind", "commune_code") if not fields[name]]
    errors += [RowError(line, name, _("Dài quá %(max)d ký tự.", max=limit))
               for name, limit in MAX_LENGTH.items() if len(fields[name]) > limit]
    # Any other control character (a NUL, a line break in a code) is a broken export, never meant:
    # refused (PostgreSQL would refuse a NUL anyway, with an error instead of this list; tests/fuzz).
    errors += [RowError(line, name, _("Có ký tự điều khiển (xuống dòng, tab, NUL…); hãy xoá ký tự đó."))
               for name in COLUMNS if any(unicodedata.category(c) == "Cc" for c in fields[name])]
    commune_code = fields["commune_code"]
    if commune_code.isdigit():
        # spreadsheets drop the leading zero of "06652"
        commune_code = commune_code.zfill(COMMUNE_CODE_DIGITS)
    remote = fold(fields["remote"])
    if remote not in TRUE_WORDS | FALSE_WORDS:
        errors.append(RowError(line, "remote", _(
            "Giá trị \u201c%(value)s\u201d không hợp lệ; dùng 1 hoặc 0, có hoặc không, true hoặc false.",
            value=fields["remote"])))
    if errors:
        return None, errors
    return VillageRow(code=fields["code"], name=fields["name"], kind=fields["kind"].lower(), commune_code=commune_code,
                      remote=remote in TRUE_WORDS, line=line), []
