"""Hypothesis on the two CSV imports (issue #10 item 2): arbitrary bytes, text in arbitrary
encodings, and CSV rows mixing good values with garbage, through the real entry points: the
administrators' upload page for routing rules (/admin/rules/import, with CSRF, logged in) and
``flask directory import-villages FILE`` for villages.

Properties, for every example: no 5xx and no unhandled exception; a refused file writes nothing
(the rules, resp. the localities, are exactly as before); an accepted file leaves only valid rows
(every rule names an active unit, an existing locality and topic, an ordered validity span; every
village has a code and a name of allowed length without control characters, under a commune).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Role, RoutingRule
from tests.factories import Directory, make_directory, make_user
from tests.fuzz.budget import fuzz_settings
from tests.web.auth_helpers import csrf_token, log_in

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258", "latin-1", "cp1252", "utf-32"]
any_text = st.text(st.characters(codec="utf-8"), max_size=60)
# Cells: a good value of the test directory, something close to one, or anything.
LOCALITY_CODES = ["06652", "6652", "06994", "22", "06652-001", "06994-001", "", "99999", " 06652 "]
TOPIC_CODES = ["moi-truong", "moi-truong.rac-thai", "dat-dai", "khac", "", "MOI-TRUONG", "nope"]
KINDS = ["", "report", "khiếu nại", "Phản ánh", "to cao", "other"]
UNIT_CODES = ["UBND-06652", "SNNMT-22", "MTTQ-06652", "UBND-06994", "", "ubnd-06652", "X"]
DATES = ["", "2026-01-01", "2026-12-31", "2027-02-30", "01/02/2026", "2025-13-01", "9999-12-31", "0001-01-01"]
VILLAGE_CODES = ["06652-101", "06652-102", "06994-101", "06652-001", "", "x" * 40]
VILLAGE_KINDS = ["thôn", "tổ dân phố", "bản", "", "k" * 70]
REMOTE = ["", "1", "0", "có", "không", "true", "maybe"]


def cell(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), any_text)


def csv_text(header: list[str], row: st.SearchStrategy[list[str]], delimiter: st.SearchStrategy[str], *,
             rows: tuple[int, int] = (0, 12), header_varies: bool = True) -> st.SearchStrategy[str]:
    def write(header_row: list[str], rows: list[list[str]], sep: str, line_end: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=sep, lineterminator=line_end)
        writer.writerow(header_row)
        writer.writerows(rows)
        return out.getvalue()

    header_variant = (st.one_of(st.just(header), st.permutations(header), st.lists(cell(header), max_size=9))
                      if header_varies else st.just(header))
    return st.builds(write, header_variant, st.lists(row, min_size=rows[0], max_size=rows[1]), delimiter,
                     st.sampled_from(["\n", "\r\n"]))


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """``text`` in an encoding of its choice (characters it cannot encode replaced), or raw bytes."""
    return st.one_of(
        st.builds(lambda t, enc: t.encode(enc, errors="replace"), text, st.sampled_from(ENCODINGS)),
        st.binary(max_size=4096),
    )


rule_rows = st.one_of(
    st.tuples(cell(LOCALITY_CODES), cell(TOPIC_CODES), cell(KINDS), cell(UNIT_CODES), cell(DATES), cell(DATES),
              any_text).map(list),
    st.lists(any_text, max_size=9),
)
RULE_HEADER = ["locality_code", "topic_code", "kind", "unit_code", "valid_from", "valid_to", "note"]
# Only good values (that may still clash with each other): files that are often accepted.
good_rule_rows = st.tuples(
    st.sampled_from(["06652", "06994", "06652-001", ""]), st.sampled_from(["moi-truong", "dat-dai", "khac", ""]),
    st.sampled_from(["", "report", "khiếu nại"]), st.sampled_from(["UBND-06652", "SNNMT-22", "UBND-06994"]),
    st.sampled_from(["", "2026-01-01"]), st.sampled_from(["", "2026-12-31"]), any_text,
).map(list)
rule_files = st.one_of(
    encoded(csv_text(RULE_HEADER, rule_rows, st.sampled_from([",", ";", "\t"]))),
    st.builds(lambda text, enc: text.encode(enc),
              csv_text(RULE_HEADER, good_rule_rows, st.just(","), rows=(1, 2), header_varies=False),
              st.sampled_from(["utf-8", "utf-8-sig"])),
)

village_rows = st.one_of(
    st.tuples(cell(VILLAGE_CODES), any_text, cell(VILLAGE_KINDS), cell(LOCALITY_CODES), cell(REMOTE)).map(list),
    st.lists(any_text, max_size=7),
)
village_files = encoded(csv_text(["code", "name", "kind", "commune_code", "remote"], village_rows,
                                 st.sampled_from([",", ";"])))


def rules_snapshot() -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.session.execute(sa.select(
        RoutingRule.id, RoutingRule.locality_id, RoutingRule.topic_id, RoutingRule.kind, RoutingRule.unit_id,
        RoutingRule.valid_from, RoutingRule.valid_to).order_by(RoutingRule.id)).all()]


def localities_snapshot() -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.session.execute(sa.select(
        Locality.id, Locality.code, Locality.name, Locality.kind, Locality.parent_id, Locality.remote,
        Locality.level).order_by(Locality.id)).all()]


def no_controls(text: str) -> bool:
    return not any(ord(c) < 32 or ord(c) == 127 for c in text)


@pytest.fixture
def admin_client(client: FlaskClient, db_session: Session) -> FlaskClient:
    make_directory()
    make_user("quantri", Role.ADMIN)
    db.session.commit()
    assert log_in(client, "quantri").status_code == 302
    return client


@fuzz_settings()
@given(content=rule_files, filename=st.sampled_from(["quy-tac.csv", "rules.txt", "a.csv"]))
def test_the_rules_import_never_fails_and_writes_all_or_nothing(admin_client: FlaskClient, content: bytes,
                                                                 filename: str) -> None:
    client = admin_client
    token = csrf_token(client.get("/admin/rules/import").get_data(as_text=True))
    before = rules_snapshot()
    response = client.post("/admin/rules/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(content), filename)})
    event(f"answered {response.status_code}")
    assert response.status_code in (200, 302), (response.status_code, response.get_data(as_text=True)[:300])
    after = rules_snapshot()
    if response.status_code == 200:  # the page again, with the problems listed: nothing written
        assert after == before
    else:
        assert response.headers["Location"].endswith("/admin/rules"), response.headers["Location"]
        assert before == after[:len(before)] and len(after) > len(before)
    for rule in db.session.scalars(sa.select(RoutingRule)):
        assert rule.unit is not None and rule.unit.active
        assert rule.locality_id is None or rule.locality is not None
        assert rule.topic_id is None or rule.topic is not None
        assert rule.valid_from is None or rule.valid_to is None or rule.valid_from <= rule.valid_to
    db.session.rollback()


@fuzz_settings()
@given(content=village_files)
# Found by this test: a line with a problem in a column and one of the whole row made the error
# list unsortable (TypeError, a traceback instead of the list of problems).
@example(content=b"code,name,kind,commune_code,remote\n06652-101,,th\xc3\xb4n,06652,\n"
                 b"06652-101,,th\xc3\xb4n,06652,\n\x00,0,th\xc3\xb4n,06652,\n")
def test_the_villages_import_never_fails_and_writes_all_or_nothing(app: Flask, db_session: Session,
                                                                   tmp_path: Path, content: bytes) -> None:
    if not db.session.scalar(sa.select(Locality.id).where(Locality.code == "06652")):
        make_directory()
        db.session.commit()
    path = tmp_path / "thon.csv"
    path.write_bytes(content)
    before = localities_snapshot()
    result = app.test_cli_runner().invoke(args=["directory", "import-villages", str(path)])
    event(f"exit {result.exit_code}")
    # A refusal is a ClickException (exit 1 with a message); anything else escaping is a defect.
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    after = localities_snapshot()
    if result.exit_code == 1:
        assert after == before
        assert result.output.strip(), "a refused file must say why"
    for village in db.session.scalars(sa.select(Locality).where(Locality.level == LocalityLevel.VILLAGE)):
        assert village.code and len(village.code) <= 32 and no_controls(village.code)
        assert village.name.strip() and len(village.name) <= 255 and no_controls(village.name)
        assert village.kind and len(village.kind) <= 64
        assert village.parent is not None and village.parent.level is LocalityLevel.COMMUNE
    db.session.rollback()
