"""Reading a routing-rules CSV file as people really save it, before any row is checked.

Excel on a Vietnamese Windows saves "CSV" with the list separator of the region (a semicolon)
and in the ANSI code page 1258 unless "CSV UTF-8" is chosen (which adds a byte-order mark);
LibreOffice and scripts write commas and UTF-8. ``decode`` and the delimiter sniffing of
``read_records`` accept all of these. Every cell is cleaned as the resident form cleans its
text (``feedback.services.intake.submission``): NFC, no control characters (PostgreSQL refuses NUL),
whitespace collapsed; only the note keeps its line breaks.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

# Delimiters tried, most likely first: a comma (the standard), a semicolon (Excel where the
# decimal separator is a comma, as in Vietnam), a tab (Excel's "Unicode text").
DELIMITERS = (",", ";", "\t")
# Longer than any code (64), date or note (the form allows 1,000 characters): a longer cell is a
# mistake (a pasted document, a quote left open), reported instead of stored.
MAX_CELL = 1000


class UndecodableFile(ValueError):
    """The bytes are neither UTF-8 (with or without BOM), UTF-16 with BOM, nor Windows-1258."""


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (a BOM dropped), UTF-16 with its BOM, or else
    Windows-1258 (Excel's "CSV" on a Vietnamese Windows; its combining tone marks are composed
    later by NFC). Raises UndecodableFile when none fits."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UndecodableFile(str(error)) from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1258")
    except UnicodeDecodeError as error:
        raise UndecodableFile(str(error)) from error


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; a regular expression removes
# them much faster than testing each character's category (100,000 rows have 700,000 cells).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_cell(value: str, *, multiline: bool = False) -> str:
    """``value`` as the resident form stores text (``feedback.services.intake.submission``): NFC,
    control characters removed (a line break and a tab kept only when ``multiline``),
    whitespace collapsed on one line."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = (_CONTROL_EXCEPT_LINES if multiline else _CONTROL).sub("", text)
    return text.strip() if multiline else " ".join(text.split())


@dataclass(frozen=True)
class Record:
    """One record of the file: ``line`` where it starts (1 is the header) and its raw cells."""

    line: int
    values: list[str]


@dataclass(frozen=True)
class BadRecord:
    """A record the csv module could not read (a cell over its limit, a quote never closed)."""

    line: int
    message: str
    fatal: bool  # nothing after it can be trusted: stop reading


def sniff_delimiter(text: str, expected: tuple[str, ...]) -> str:
    """The delimiter of ``text``'s first line: the first of ``DELIMITERS`` that splits it into
    the ``expected`` column names, else the one that splits it into the most cells (the first
    when none can read it)."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    best, best_count = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue  # a cell beyond the csv module's limit: read_records reports it at line 1
        names = {cell.strip().lower() for cell in cells}
        if set(expected) <= names:
            return delimiter
        if len(cells) > best_count:
            best, best_count = delimiter, len(cells)
    return best


def read_records(text: str, delimiter: str) -> Iterator[Record | BadRecord]:
    """Every record of ``text`` with the line it starts on, blank records skipped. A record the
    csv module refuses is yielded as a BadRecord, once; an unterminated quote is fatal (the rest
    of the file was swallowed into one cell) and ends the iteration."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = reader.line_num
            if "field larger than field limit" in str(error):
                yield BadRecord(start, _("Có ô dài quá giới hạn (hơn %(max)d ký tự); dòng này bị bỏ qua.",
                                         max=csv.field_size_limit()), fatal=False)
                continue
            if "unexpected end of data" in str(error) or "EOF" in str(error):
                yield BadRecord(start, _("Dấu ngoặc kép mở ở dòng này không được đóng: phần còn lại của tệp "
                                         "không đọc được."), fatal=True)
                return
            yield BadRecord(start, _("Dòng không đúng định dạng CSV (dấu ngoặc kép đặt sai chỗ)."), fatal=False)
            continue
        line = reader.line_num
        if any(value.strip() for value in values):
            yield Record(start, values)
