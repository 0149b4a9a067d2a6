"""The routing-rules CSV import against real files (issue #6, item 12): linear and batched, each
problem once with its line, Excel's semicolons and code page, control characters, cells and
quotes the csv module chokes on, and large imports run as a job by the worker."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

import feedback.jobs
from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.models import ImportJob, ImportStatus, RoutingRule
from feedback.services.routing import rules
from tests.conftest import Enqueued
from tests.factories import make_directory
from tests.times import TUESDAY_MORNING

ADMIN = Actor.cli("quantri")
HEADER = "locality_code,topic_code,kind,unit_code,valid_from,valid_to,note\n"
ROW = "06652,moi-truong,,UBND-06652,,,\n"


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingRule)) or 0


def one_day_rows(count: int, start: date = date(2000, 1, 1)) -> str:
    """``count`` rows that never tie: the same condition, each valid on its own day."""
    return "".join(f"06652,moi-truong,,UBND-06652,{start + timedelta(days=i)},{start + timedelta(days=i)},\n"
                   for i in range(count))


# Windows-1258 writes the five tone marks as combining characters after a (possibly precomposed)
# base letter: "ả" is "a" + U+0309, "ệ" is "ê" + U+0323.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """``text`` as Excel saves it on a Vietnamese Windows ("CSV" in the ANSI code page)."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        out.append(base + "".join(c for c in parts if c in _TONE_MARKS))
    return "".join(out).encode("cp1258")


def run(text: str) -> rules.ImportResult:
    return rules.import_rules(io.StringIO(text, newline=""), now=TUESDAY_MORNING, actor=ADMIN)


@pytest.fixture
def statements(db_session: Session) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the test runs (an executemany counts once)."""
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_20000_rows_import_with_a_bounded_number_of_statements(statements: list[str]) -> None:
    """Proves: the import does a fixed number of queries whatever the size (lookups per table,
    stored rules once, one batched insert), not one or more per row. The quadratic tie check
    it replaces is measured by bench/rules_import.py (a timed test would be flaky here)."""
    make_directory()
    statements.clear()

    result = run(HEADER + one_day_rows(20_000))

    assert (result.ok, result.created, result.rows) == (True, 20_000, 20_000)
    assert rule_count() == 20_000
    assert len(statements) <= 40, len(statements)


def test_identical_rows_are_reported_once_each_naming_the_first(db_session: Session) -> None:
    """Proves: 200 identical rows give 199 problems (not 19,900), each naming line 2."""
    make_directory()
    result = run(HEADER + ROW * 200)

    assert result.error_count == 199 and len(result.errors) == 199
    assert [error.line for error in result.errors] == list(range(3, 202))
    assert all(error.message.startswith("Trùng với dòng 2 ") for error in result.errors)
    assert rule_count() == 0


def test_an_overlap_names_the_row_it_overlaps(db_session: Session) -> None:
    make_directory()
    text = HEADER + (
        "06652,moi-truong,,UBND-06652,2026-01-01,2026-01-31,\n"
        "06652,moi-truong,,UBND-06652,2026-02-01,2026-02-28,\n"
        "06652,moi-truong,,UBND-06652,2026-02-15,2026-03-15,\n"
        "06652,moi-truong,,UBND-06652,2026-03-16,,\n"
    )
    result = run(text)
    assert [(e.line, e.message.split(" (")[0]) for e in result.errors] == [(4, "Trùng với dòng 3")]


def test_excel_on_vietnamese_windows_semicolons_and_code_page_1258(db_session: Session) -> None:
    """Proves: a file with semicolons, in Windows-1258 or in UTF-8 with a BOM, imports with its
    Vietnamese text intact (it was refused with a baffling "missing columns" message)."""
    make_directory()
    semicolons = (HEADER.replace(",", ";") + "06652;moi-truong;phản ánh;UBND-06652;;;Ghi chú tiếng Việt\n")

    for raw in (to_cp1258(semicolons), b"\xef\xbb\xbf" + semicolons.encode("utf-8")):
        result = run(rules.decode(raw))
        assert (result.ok, result.created) == (True, 1), result.errors
        rule = db.session.scalars(select(RoutingRule).order_by(RoutingRule.id.desc())).first()
        assert rule is not None and rule.note == "Ghi chú tiếng Việt"
        db.session.delete(rule)
        db.session.flush()


def test_control_characters_are_stripped_as_the_resident_form_does(db_session: Session) -> None:
    """Proves: NUL and other control characters never reach the database (PostgreSQL refuses NUL
    in text): codes still match, the note keeps only its line breaks."""
    make_directory()
    result = run(HEADER + '06652\x00,moi-truong\x07,,UBND-06652,,,"a\x00b\x1b c\nd"\n')
    assert result.ok, result.errors
    assert db.session.scalars(select(RoutingRule.note)).one() == "ab c\nd"


def test_an_unterminated_quote_is_an_error_not_a_silent_import(db_session: Session) -> None:
    make_directory()
    text = HEADER + '06652,moi-truong,,UBND-06652,,,"ghi chú chưa đóng\n06994,,,UBND-06994,,,\n'
    result = run(text)
    assert [error.line for error in result.errors] == [2]
    assert "ngoặc kép" in result.errors[0].message and rule_count() == 0


def test_a_cell_beyond_the_csv_modules_limit_is_one_problem(db_session: Session) -> None:
    """Proves: a cell over 131,072 characters (Python's csv field_size_limit) is reported at its
    line and the rest of the file is still checked; a long but readable cell too."""
    make_directory()
    text = HEADER + f'06652,moi-truong,,UBND-06652,,,{"x" * 140_000}\n' + f"06994,,,UBND-06994,,,{'y' * 2000}\n"
    result = run(text)
    assert [error.line for error in result.errors] == [2, 3]
    assert "131072" in result.errors[0].message and "1000" in result.errors[1].message


def test_a_header_cell_beyond_the_csv_modules_limit_is_a_problem_not_a_crash(app: Flask, db_session: Session,
                                                                          tmp_path: Path) -> None:
    """Proves: a first line with a cell over 131,072 characters is reported at line 1 (found by
    probing: the delimiter sniffing raised csv.Error, a 500 on the upload page and a traceback
    from ``flask rules import``)."""
    make_directory()
    result = run("x" * 140_000 + "\n" + ROW)
    assert [error.line for error in result.errors] == [1] and "131072" in result.errors[0].message
    assert rule_count() == 0
    path = tmp_path / "long-header.csv"
    path.write_text("x" * 140_000 + "\n" + ROW, encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["rules", "import", str(path)])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    assert outcome.exit_code == 1 and "131072" in outcome.output


def test_a_header_that_is_not_one_is_quoted_back_briefly(db_session: Session) -> None:
    """Proves: a binary file or a header of thousands of names gives a one-line message (found by
    probing: 15 KB of garbage came back as a 15 KB message, a 5 MB header line as a 5 MB page)."""
    make_directory()
    garbage = "\ufffd\u2030PNG garbage" * 1000
    result = run(garbage + "\n" + ",".join(f"col{i}" for i in range(100_000)) + "\n")
    assert [error.line for error in result.errors] == [1]
    assert len(result.errors[0].message) < 600, len(result.errors[0].message)
    assert "png garbage" in result.errors[0].message and "locality_code" in result.errors[0].message
    wide = run(",".join(f"col{i}" for i in range(100_000)) + "\n")
    assert len(wide.errors[0].message) < 600 and "col0, col1" in wide.errors[0].message
    assert wide.errors[0].message.count("col") == 5 and ", …" in wide.errors[0].message


def test_thousands_of_problems_are_counted_and_the_first_listed(db_session: Session) -> None:
    make_directory()
    result = run(HEADER + "06652,moi-truong,,KHONG-CO,,,\n" * 600)
    assert result.error_count == 600 and len(result.errors) == rules.csv_import.MAX_REPORTED_ERRORS
    assert result.unreported == 100 and result.errors[0].line == 2


def test_progress_is_reported_while_checking(db_session: Session) -> None:
    make_directory()
    seen: list[tuple[int, int]] = []
    rules.import_rules(io.StringIO(HEADER + one_day_rows(2500), newline=""), now=TUESDAY_MORNING, actor=ADMIN,
                       progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_the_cli_reports_an_oversized_cell_without_a_traceback(app: Flask, db_session: Session,
                                                               tmp_path: Path) -> None:
    make_directory()
    path = tmp_path / "rules.csv"
    path.write_text(HEADER + f'06652,moi-truong,,UBND-06652,,,{"x" * 140_000}\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["rules", "import", str(path)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Dòng 2:" in result.output and "Traceback" not in result.output
    assert rule_count() == 0


# --- import jobs (the worker) ----------------------------------------------------------------


def make_job(text: str) -> int:
    """A stored import job for ``text`` (the ``enqueued`` fixture records its message)."""
    job_id, accepted = rules.start_import(text, filename="quy-tac.csv", actor=ADMIN, now=TUESDAY_MORNING)
    assert accepted
    return job_id


def test_a_job_is_stored_then_sent_by_name_and_runs_once(db_session: Session, enqueued: Enqueued) -> None:
    """Proves: the upload is stored as a pending job and IMPORT_ROUTING_RULES is sent with its id;
    running the job imports every rule and records the outcome; a second run does nothing."""
    make_directory()
    job_id = make_job(HEADER + one_day_rows(3000))
    job = db.session.get(ImportJob, job_id)
    assert job is not None and job.status is ImportStatus.PENDING and job.rows_total == 3000
    assert enqueued == [(feedback.jobs.IMPORT_ROUTING_RULES, job_id)]

    assert rules.run_import_job(job_id, now=TUESDAY_MORNING) is ImportStatus.DONE
    assert rules.run_import_job(job_id, now=TUESDAY_MORNING) is None

    db.session.refresh(job)
    assert (job.status, job.created, job.rows_done, job.rows_total, job.error_count) == (
        ImportStatus.DONE, 3000, 3000, 3000, 0)
    assert job.started_at == TUESDAY_MORNING and job.finished_at == TUESDAY_MORNING
    assert rule_count() == 3000


def test_a_job_with_problems_keeps_nothing_and_lists_them(db_session: Session, enqueued: Enqueued) -> None:
    make_directory()
    twin = "06994,,,UBND-06994,,,\n"
    job_id = make_job(HEADER + one_day_rows(2500) + twin + twin)

    assert rules.run_import_job(job_id, now=TUESDAY_MORNING) is ImportStatus.FAILED

    job = db.session.get(ImportJob, job_id)
    assert job is not None and job.error_count == 1 and job.errors == [
        "Dòng 2503: Trùng với dòng 2502 (Đặc khu Vân Đồn × Mọi lĩnh vực → UBND Đặc khu Vân Đồn): cùng địa bàn, "
        "lĩnh vực và loại, thời gian hiệu lực chồng nhau."]
    assert rule_count() == 0


def test_a_stale_running_job_is_claimed_again(db_session: Session, enqueued: Enqueued) -> None:
    """Proves: a job left running by a worker that died is taken again once stale, not before."""
    make_directory()
    job_id = make_job(HEADER + ROW)
    job = db.session.get(ImportJob, job_id)
    assert job is not None
    job.status, job.started_at = ImportStatus.RUNNING, TUESDAY_MORNING
    db.session.commit()

    assert rules.run_import_job(job_id, now=TUESDAY_MORNING + timedelta(minutes=5)) is None
    assert rules.run_import_job(job_id, now=TUESDAY_MORNING + timedelta(minutes=20)) is ImportStatus.DONE
