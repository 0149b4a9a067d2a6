"""Routing-rule administration (feedback.services.routing.rules): validation, conflicts, ending instead
of deleting what was used, listing, and the all-or-nothing CSV import."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.domain.events import Actor
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import RoutingRule
from feedback.services.routing import rules
from feedback.services.routing.rules import RuleData, RuleRefused
from tests.factories import Directory, make_directory, make_feedback
from tests.times import TUESDAY, TUESDAY_MORNING

OVERLAP = "cùng địa bàn, lĩnh vực và loại, thời gian hiệu lực chồng nhau."
HEADER = "locality_code,topic_code,kind,unit_code,valid_from,valid_to,note\n"

# An administrator at the command line (only the log names who changed a rule).
ADMIN = Actor.cli("quantri")


@pytest.fixture
def rule_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog for the rule services at INFO. The migrations' fileConfig (run by the app fixture)
    disables loggers that existed before it: these are switched back on."""
    for name in ("feedback.services.routing.rules.editing", "feedback.services.routing.rules.csv_import"):
        logging.getLogger(name).disabled = False
    caplog.set_level(logging.INFO, logger="feedback.services.routing.rules")
    return caplog


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingRule)) or 0


def ha_tu_environment(d: Directory, **changes: object) -> RuleData:
    values: dict[str, object] = {"locality_id": d.ha_tu.id, "topic_id": d.environment.id, "kind": None,
                                 "unit_id": d.ubnd_ha_tu.id}
    values.update(changes)
    return RuleData(**values)  # type: ignore[arg-type]


# --- create, update --------------------------------------------------------------------------


def test_a_rule_is_created_and_logged_with_the_admins_name(db_session: Session,
                                                            rule_logs: pytest.LogCaptureFixture) -> None:
    """Proves: create_rule stores the rule as entered and logs the change at INFO with the actor."""
    d = make_directory()

    rule = rules.create_rule(ha_tu_environment(d, kind=Kind.COMPLAINT, valid_from=date(2026, 1, 1),
                                               note=" ghi chú "), actor=ADMIN, now=TUESDAY_MORNING)

    assert (rule.locality, rule.topic, rule.kind, rule.unit) == (d.ha_tu, d.environment, Kind.COMPLAINT, d.ubnd_ha_tu)
    assert (rule.valid_from, rule.valid_to, rule.note) == (date(2026, 1, 1), None, "ghi chú")
    assert any("quantri" in r.getMessage() and f"#{rule.id}" in r.getMessage() and r.levelno == logging.INFO
               for r in rule_logs.records)


def test_an_end_before_the_start_is_refused(db_session: Session) -> None:
    """Proves: valid_to before valid_from is refused on the valid_to field and nothing is stored."""
    d = make_directory()

    with pytest.raises(RuleRefused) as refused:
        rules.create_rule(ha_tu_environment(d, valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 30)),
                          actor=ADMIN, now=TUESDAY_MORNING)

    assert [p.field for p in refused.value.problems] == ["valid_to"]
    assert "trước ngày bắt đầu" in refused.value.problems[0].message
    assert rule_count() == 0


def test_an_equally_specific_overlapping_rule_is_refused_naming_the_other(db_session: Session) -> None:
    """Proves: same locality, topic and kind with overlapping dates is refused with the message
    that names the stored rule and describes it."""
    d = make_directory()
    first = rules.create_rule(ha_tu_environment(d, valid_from=date(2026, 1, 1)), actor=ADMIN, now=TUESDAY_MORNING)

    with pytest.raises(RuleRefused) as refused:
        rules.create_rule(ha_tu_environment(d, unit_id=d.environment_dept.id, valid_to=date(2026, 1, 1)),
                          actor=ADMIN, now=TUESDAY_MORNING)

    assert str(refused.value) == (f"Quy tắc trùng với quy tắc #{first.id} (Phường Hà Tu × Môi trường → "
                                  f"UBND Phường Hà Tu): {OVERLAP}")
    assert rule_count() == 1


@pytest.mark.parametrize("change", [
    {"kind": Kind.COMPLAINT},  # more specific: a kind
    {"topic_id": None},  # less specific: any topic
    {"valid_from": date(2027, 1, 1)},  # after the first one ends
])
def test_rules_that_do_not_tie_are_accepted(db_session: Session, change: dict[str, object]) -> None:
    """Proves: a different kind, topic or a validity that does not overlap is not a conflict."""
    d = make_directory()
    rules.create_rule(ha_tu_environment(d, valid_to=date(2026, 12, 31)), actor=ADMIN, now=TUESDAY_MORNING)

    rules.create_rule(ha_tu_environment(d, unit_id=d.environment_dept.id, **change), actor=ADMIN, now=TUESDAY_MORNING)

    assert rule_count() == 2


def test_an_update_that_creates_a_tie_names_both_rules(db_session: Session) -> None:
    """Proves: changing rule B into the same case as rule A is refused, naming #B and #A."""
    d = make_directory()
    a = rules.create_rule(ha_tu_environment(d), actor=ADMIN, now=TUESDAY_MORNING)
    b = rules.create_rule(ha_tu_environment(d, topic_id=d.land.id), actor=ADMIN, now=TUESDAY_MORNING)

    with pytest.raises(RuleRefused) as refused:
        rules.update_rule(b.id, ha_tu_environment(d, unit_id=d.environment_dept.id), actor=ADMIN, now=TUESDAY_MORNING)

    message = str(refused.value)
    assert message.startswith(f"Quy tắc #{b.id} trùng với quy tắc #{a.id} (Phường Hà Tu × Môi trường")
    assert message.endswith(OVERLAP)
    assert db.session.get(RoutingRule, b.id).topic_id == d.land.id  # type: ignore[union-attr]


def test_an_unused_rule_can_change_everything(db_session: Session) -> None:
    d = make_directory()
    rule = rules.create_rule(ha_tu_environment(d), actor=ADMIN, now=TUESDAY_MORNING)

    rules.update_rule(rule.id, ha_tu_environment(d, locality_id=d.village.id, unit_id=d.environment_dept.id),
                      actor=ADMIN, now=TUESDAY_MORNING)

    assert (rule.locality, rule.unit) == (d.village, d.environment_dept)


def test_a_used_rule_keeps_its_condition_and_unit(db_session: Session) -> None:
    """Proves: once a rule routed an item, only its end date and note may change."""
    d = make_directory()
    rule = rules.create_rule(ha_tu_environment(d), actor=ADMIN, now=TUESDAY_MORNING)
    make_feedback(d, routing_rule_id=rule.id)

    with pytest.raises(RuleRefused, match="chỉ được sửa ngày hết hiệu lực"):
        rules.update_rule(rule.id, ha_tu_environment(d, unit_id=d.environment_dept.id), actor=ADMIN, now=TUESDAY_MORNING)
    rules.update_rule(rule.id, ha_tu_environment(d, valid_to=date(2026, 6, 30), note="hết"), actor=ADMIN,
                      now=TUESDAY_MORNING)

    assert (rule.unit, rule.valid_to, rule.note) == (d.ubnd_ha_tu, date(2026, 6, 30), "hết")


def test_an_unknown_rule_is_reported(db_session: Session) -> None:
    make_directory()
    with pytest.raises(rules.RuleNotFound):
        rules.remove_rule(999_999, actor=ADMIN, now=TUESDAY_MORNING)


# --- removal ---------------------------------------------------------------------------------


def test_an_unused_rule_is_deleted(db_session: Session) -> None:
    d = make_directory()
    rule = rules.create_rule(ha_tu_environment(d), actor=ADMIN, now=TUESDAY_MORNING)

    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING) is rules.Removal.DELETED
    assert rule_count() == 0


@pytest.mark.parametrize("used_by", ["feedback", "assignment"])
def test_a_used_rule_is_ended_today_instead_of_deleted(db_session: Session, used_by: str) -> None:
    """Proves: a rule referenced by an item or an assignment stays, valid until the end of today
    (local date: the items it routed today stay true to it); a second removal changes nothing
    (it is ended, ``is_ended``), also the next day."""
    from feedback.models import Assignment

    d = make_directory()
    rule = rules.create_rule(ha_tu_environment(d, valid_from=date(2026, 1, 1)), actor=ADMIN, now=TUESDAY_MORNING)
    item = make_feedback(d, routing_rule_id=rule.id if used_by == "feedback" else None)
    if used_by == "assignment":
        db.session.add(Assignment(feedback_id=item.id, unit_id=d.ubnd_ha_tu.id, rule_id=rule.id, assigned_at=TUESDAY_MORNING))
        db.session.flush()

    assert not rules.is_ended(rule, TUESDAY)
    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING) is rules.Removal.ENDED
    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING) is rules.Removal.ALREADY_ENDED
    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING + timedelta(days=1)) is rules.Removal.ALREADY_ENDED
    assert rule_count() == 1 and rule.valid_to == TUESDAY and rules.is_ended(rule, TUESDAY)
    assert rules.usage_counts([rule.id]) == {rule.id: 1}


def test_a_used_rule_that_started_today_ends_today(db_session: Session) -> None:
    """Proves: a rule created and used today can be ended today, once: ending never makes
    valid_to earlier than valid_from, and the ended rule is not ended again (it was, before
    the fix, every time: valid_to today never counted as ended)."""
    d = make_directory()
    rule = rules.create_rule(ha_tu_environment(d, valid_from=TUESDAY), actor=ADMIN, now=TUESDAY_MORNING)
    make_feedback(d, routing_rule_id=rule.id)

    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING) is rules.Removal.ENDED
    assert rules.remove_rule(rule.id, actor=ADMIN, now=TUESDAY_MORNING) is rules.Removal.ALREADY_ENDED

    assert rule.valid_to == TUESDAY


# --- listing ---------------------------------------------------------------------------------


def test_the_list_filters_by_locality_subtree_topic_subtree_and_unit(db_session: Session) -> None:
    d = make_directory()
    commune = rules.create_rule(ha_tu_environment(d), actor=ADMIN, now=TUESDAY_MORNING)
    village = rules.create_rule(ha_tu_environment(d, locality_id=d.village.id, topic_id=d.waste.id), actor=ADMIN,
                                now=TUESDAY_MORNING)
    van_don = rules.create_rule(ha_tu_environment(d, locality_id=d.van_don.id, unit_id=d.ubnd_van_don.id),
                                actor=ADMIN, now=TUESDAY_MORNING)
    anywhere = rules.create_rule(ha_tu_environment(d, locality_id=None, topic_id=d.land.id,
                                                   unit_id=d.province_committee.id), actor=ADMIN, now=TUESDAY_MORNING)

    def ids(**filters: object) -> list[int]:
        return [rule.id for rule in rules.list_rules(**filters).rules]  # type: ignore[arg-type]

    assert ids() == [anywhere.id, commune.id, village.id, van_don.id]
    assert ids(locality_id=d.ha_tu.id) == [commune.id, village.id]
    assert ids(locality_id=d.province.id) == [commune.id, village.id, van_don.id]
    assert ids(topic_id=d.environment.id) == [commune.id, village.id, van_don.id]
    assert ids(topic_id=d.waste.id) == [village.id]
    assert ids(unit_id=d.ubnd_van_don.id) == [van_don.id]
    page = rules.list_rules(page=2, per_page=3)
    assert (page.page, page.pages, page.total, [r.id for r in page.rules]) == (2, 2, 4, [van_don.id])


# --- CSV import ------------------------------------------------------------------------------


def test_a_good_file_is_imported_whole(db_session: Session, rule_logs: pytest.LogCaptureFixture) -> None:
    """Proves: English values, Vietnamese labels (with or without diacritics) and empty columns
    (any) are understood; a quoted note may span lines; every row is stored."""
    d = make_directory()
    text = HEADER + (
        "06652,moi-truong,,UBND-06652,2026-01-01,,\n"
        "06652,moi-truong,khiếu nại,UBND-06652,,,\"Khiếu nại\nvề môi trường\"\n"
        "06994,,Phan anh,UBND-06994,,2026-12-31,\n"
        ",dat-dai,report,SNNMT-22,,,\n"
        "6652,dat-dai,Góp ý,UBND-06652,,,\n"  # a spreadsheet dropped the leading zero
        "\n"
    )

    result = rules.import_rules(io.StringIO(text, newline=""), now=TUESDAY_MORNING, actor=ADMIN)

    assert (result.ok, result.created, result.errors) == (True, 5, [])
    stored = {(r.locality_id, r.topic_id, r.kind) for r in db.session.scalars(select(RoutingRule))}
    assert stored == {(d.ha_tu.id, d.environment.id, None), (d.ha_tu.id, d.environment.id, Kind.COMPLAINT),
                      (d.van_don.id, None, Kind.REPORT), (None, d.land.id, Kind.REPORT),
                      (d.ha_tu.id, d.land.id, Kind.COMMENT)}
    assert any("5 routing rules imported by cli:quantri" in r.getMessage() for r in rule_logs.records)


def test_the_documented_example_imports(db_session: Session) -> None:
    """Proves: the example of docs/routing-rules-csv.md is a valid file for the test directory."""
    make_directory()
    doc = (Path(__file__).resolve().parents[2] / "docs" / "routing-rules-csv.md").read_text(encoding="utf-8")
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]

    result = rules.import_rules(io.StringIO(example, newline=""), now=TUESDAY_MORNING, actor=ADMIN)

    assert (result.errors, result.created) == ([], 4)


def test_every_bad_row_is_reported_by_line_and_nothing_is_kept(db_session: Session) -> None:
    """Proves: unknown codes, bad kinds and dates, reversed periods, conflicts within the file and
    with stored rules are all reported with their line numbers, and not one row is stored."""
    d = make_directory()
    stored = rules.create_rule(ha_tu_environment(d, topic_id=d.land.id), actor=ADMIN, now=TUESDAY_MORNING)
    text = HEADER + (
        "06652,moi-truong,,UBND-06652,,,ok\n"            # line 2: fine on its own
        "99999,moi-truong,,UBND-06652,,,\n"              # 3: unknown locality
        "06652,khong-co,,UBND-06652,,,\n"                # 4: unknown topic
        "06652,moi-truong,thư khen,UBND-06652,,,\n"      # 5: unknown kind
        "06652,moi-truong,,KHONG-CO,,,\n"                # 6: unknown unit
        "06652,moi-truong,report,UBND-06652,01/02/2026,,\n"  # 7: bad date
        "06652,moi-truong,comment,UBND-06652,2026-05-01,2026-04-01,\n"  # 8: reversed
        "06652,moi-truong,,SNNMT-22,2026-06-01,,\n"      # 9: ties with line 2
        "06652,dat-dai,,SNNMT-22,,,\n"                   # 10: ties with the stored rule
        "06652,moi-truong\n"                             # 11: too few columns
    )

    result = rules.import_rules(io.StringIO(text, newline=""), now=TUESDAY_MORNING, actor=ADMIN)

    assert not result.ok and result.created == 0
    by_line = {error.line: error.message for error in result.errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert 'Không có địa bàn mã "99999"' in by_line[3]
    assert 'Không có lĩnh vực mã "khong-co"' in by_line[4]
    assert 'Loại "thư khen" không hợp lệ' in by_line[5]
    assert 'Không có đơn vị mã "KHONG-CO"' in by_line[6]
    assert 'Ngày "01/02/2026" ở cột valid_from không hợp lệ' in by_line[7]
    assert "trước ngày bắt đầu" in by_line[8]
    assert by_line[9] == f"Trùng với dòng 2 (Phường Hà Tu × Môi trường → UBND Phường Hà Tu): {OVERLAP}"
    assert by_line[10].startswith(f"Quy tắc trùng với quy tắc #{stored.id} (Phường Hà Tu × Đất đai")
    assert "cần 7 cột" in by_line[11]
    assert str(result.errors[0]).startswith("Dòng 3: ")
    assert rule_count() == 1


@pytest.mark.parametrize("text, expected", [
    ("", "Tệp trống"),
    ("locality,topic,unit\n", "Dòng tiêu đề phải là"),
    (HEADER, "Tệp không có quy tắc nào"),
])
def test_a_file_without_rules_or_with_the_wrong_header_is_refused(db_session: Session, text: str,
                                                                  expected: str) -> None:
    make_directory()
    result = rules.import_rules(io.StringIO(text), now=TUESDAY_MORNING, actor=ADMIN)
    assert [error.line for error in result.errors] == [1]
    assert expected in result.errors[0].message


def test_line_numbers_count_lines_of_quoted_notes(db_session: Session) -> None:
    """Proves: a row after a note spanning three lines is reported at its real line (5)."""
    make_directory()
    text = HEADER + '06652,moi-truong,,UBND-06652,,,"một\nhai\nba"\n06994,,,KHONG-CO,,,\n'

    result = rules.import_rules(io.StringIO(text, newline=""), now=TUESDAY_MORNING, actor=ADMIN)

    assert [error.line for error in result.errors] == [5]


# --- CLI -------------------------------------------------------------------------------------


def test_flask_rules_import_and_list(app: Flask, db_session: Session, tmp_path: Path) -> None:
    """Proves: `flask rules import FILE` stores a good file (BOM accepted) and `flask rules list`
    shows it; a bad file exits 1, prints the lines and stores nothing."""
    make_directory()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("\ufeff" + HEADER + "06652,moi-truong,phản ánh,UBND-06652,2026-01-01,,\n", encoding="utf-8")
    bad.write_text(HEADER + "06652,dat-dai,,KHONG-CO,,,\n", encoding="utf-8")
    runner = app.test_cli_runner()

    imported = runner.invoke(args=["rules", "import", str(good)])
    listed = runner.invoke(args=["rules", "list"])
    refused = runner.invoke(args=["rules", "import", str(bad)])

    assert imported.exit_code == 0, imported.output
    assert "Đã nhập 1 quy tắc." in imported.output
    assert "Phường Hà Tu × Môi trường × Phản ánh → UBND Phường Hà Tu" in listed.output
    assert "[2026-01-01 – …]" in listed.output
    assert refused.exit_code == 1
    assert 'Dòng 2: Không có đơn vị mã "KHONG-CO".' in refused.output
    assert rule_count() == 1
