"""The flask commands: directory import, demo load, user management.

The commands use ``db.session``, which the db_session fixture replaces by a session whose work
is rolled back after the test; each test below also reads back through that session, which
proves the commands wrote where the fixture can see (and undo) it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from vietnam_provinces import Ward

from feedback.extensions import db
from feedback.models import Locality, LocalityLevel, Role, User
from feedback.services.accounts.passwords import verify_password
from tests.factories import make_user

EXAMPLE = Path(__file__).resolve().parent.parent / "feedback" / "data" / "villages-example.csv"


def run(app: Flask, *args: str, env: dict[str, str] | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), env=env)


def count(level: LocalityLevel) -> int:
    return db.session.scalar(select(func.count()).select_from(Locality).where(Locality.level == level)) or 0


def test_import_provinces_prints_counts_and_is_idempotent(app: Flask, db_session: Session) -> None:
    first = run(app, "directory", "import-provinces", "--province", "22")
    second = run(app, "directory", "import-provinces", "--province", "22")

    assert first.exit_code == 0, first.output
    assert "Xã, phường, đặc khu: 54 mới, 0 cập nhật, 0 không đổi." in first.output
    assert "Xã, phường, đặc khu: 0 mới, 0 cập nhật, 54 không đổi." in second.output
    # not a terminal: no progress bar in the output
    assert "Đang nhập" not in first.output
    assert count(LocalityLevel.COMMUNE) == 54


def test_import_provinces_defaults_to_the_configured_province(app: Flask, db_session: Session) -> None:
    result = run(app, "directory", "import-provinces")

    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Locality.code).where(Locality.level == LocalityLevel.PROVINCE)).all() == [
        app.config["DEFAULT_PROVINCE_CODE"]]


def test_import_all_provinces(app: Flask, db_session: Session) -> None:
    result = run(app, "directory", "import-provinces", "--all")

    assert result.exit_code == 0, result.output
    assert (count(LocalityLevel.PROVINCE), count(LocalityLevel.COMMUNE)) == (34, len(list(Ward.iter_all())))


@pytest.mark.parametrize("args", [("--province", "99"), ("--province", "22", "--all")])
def test_import_provinces_refuses_bad_options(app: Flask, db_session: Session, args: tuple[str, ...]) -> None:
    result = run(app, "directory", "import-provinces", *args)

    assert result.exit_code != 0
    assert count(LocalityLevel.PROVINCE) == 0


def test_import_villages_imports_the_shipped_example(app: Flask, db_session: Session) -> None:
    run(app, "directory", "import-provinces", "--province", "22")
    rows = len(EXAMPLE.read_text(encoding="utf-8-sig").strip().splitlines()) - 1

    result = run(app, "directory", "import-villages", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert f"Thôn, bản, khu phố: {rows} mới, 0 cập nhật, 0 không đổi." in result.output
    assert count(LocalityLevel.VILLAGE) == rows


def test_import_villages_lists_bad_rows_and_keeps_nothing(app: Flask, db_session: Session, tmp_path: Path) -> None:
    run(app, "directory", "import-provinces", "--province", "22")
    bad = tmp_path / "bad.csv"
    bad.write_text("\ufeffcode,name,kind,commune_code,remote\nA-1,Thôn 1,thôn,06724,0\nA-2,Thôn 2,thôn,00000,0\n",
                   encoding="utf-8")

    result = run(app, "directory", "import-villages", str(bad))

    assert result.exit_code == 1
    assert "Dòng 3, cột commune_code" in result.output
    assert "1 lỗi" in result.output
    assert count(LocalityLevel.VILLAGE) == 0


def test_import_villages_refuses_a_file_that_is_not_utf8(app: Flask, db_session: Session, tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("code,name,kind,commune_code,remote\nA-1,Thôn Đồng,thôn,06724,0\n".encode("utf-16"))

    result = run(app, "directory", "import-villages", str(legacy))

    assert result.exit_code == 1
    assert "UTF-8" in result.output


def test_demo_load_prints_accounts_then_refuses_a_second_time(app: Flask, db_session: Session) -> None:
    first = run(app, "demo", "load")
    second = run(app, "demo", "load", "--province", "22")

    assert first.exit_code == 0, first.output
    assert "admin-demo-2026" in first.output and "canbo.hatu" in first.output
    assert second.exit_code == 0  # the Quick start runs it on every start
    assert "không nạp dữ liệu mẫu" in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 4


def test_demo_accounts_lists_only_accounts_still_on_their_demo_password(app: Flask, db_session: Session) -> None:
    run(app, "demo", "load")
    before = run(app, "demo", "accounts")
    changed = run(app, "users", "set-password", "admin", env={"FEEDBACK_NEW_PASSWORD": "mot-mat-khau-rieng-2026"})
    after = run(app, "demo", "accounts")

    assert before.exit_code == 0 and changed.exit_code == 0, before.output + changed.output
    assert "admin-demo-2026" in before.output and "mttq-demo-2026" in before.output
    assert "admin-demo-2026" not in after.output  # its password is no longer the published one
    assert "canbo-demo-2026" in after.output


def test_users_create_takes_the_password_from_the_environment(app: Flask, db_session: Session) -> None:
    result = run(app, "users", "create", "quantri", "--role", "admin", "--full-name", "Quản trị",
                 env={"FEEDBACK_NEW_PASSWORD": "mat-khau-du-dai"})

    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.username == "quantri")).one()
    assert verify_password(user.password_hash, "mat-khau-du-dai")
    assert user.full_name == "Quản trị"


def test_users_create_refuses_a_weak_password(app: Flask, db_session: Session) -> None:
    result = run(app, "users", "create", "quantri", "--role", "admin", "--password", "ngan-qua")

    assert result.exit_code == 1
    assert "Mật khẩu quá yếu" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_without_password_and_without_terminal_says_how(app: Flask, db_session: Session) -> None:
    result = run(app, "users", "create", "quantri", "--role", "admin", env={"FEEDBACK_NEW_PASSWORD": None})

    assert result.exit_code == 1
    assert "FEEDBACK_NEW_PASSWORD" in result.output


def test_users_set_password_and_list(app: Flask, db_session: Session) -> None:
    make_user("canbo", Role.ADMIN)

    changed = run(app, "users", "set-password", "canbo", env={"FEEDBACK_NEW_PASSWORD": "mat-khau-moi-12"})
    listing = run(app, "users", "list")

    assert changed.exit_code == 0, changed.output
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert verify_password(user.password_hash, "mat-khau-moi-12")
    assert "canbo" in listing.output and "admin" in listing.output


def test_stats_rebuild_recounts_the_rollups_from_the_raw_rows(app: Flask, db_session: Session) -> None:
    """Proves: `flask stats rebuild` empties the statistics tables and fills them from the
    items' raw rows (a stray row disappears, the hand-counted world's facts appear)."""
    from feedback.models import StatDaily, StatFact
    from tests.services.stats_rows import build_world

    build_world()
    db.session.add(StatDaily(unit_id=999, locality_id=1, topic_id=1, kind="report", day=date(2020, 1, 1),
                             commune_id=1, received=5, answered=0, answered_on_time=0, transfers=0, reopened=0,
                             ratings=0, satisfied=0))
    db.session.commit()
    result = run(app, "stats", "rebuild")
    assert result.exit_code == 0, result.output
    assert "Đã tính lại thống kê: 6 ý kiến, 19 dữ kiện." in result.output
    assert db.session.scalar(select(func.count()).select_from(StatFact)) == 19
    # 7 first assignments: I2 counts for B and for A.
    assert db.session.scalar(select(func.sum(StatDaily.received))) == 7
