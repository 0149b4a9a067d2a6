"""Flask commands: thin wrappers over services.

Each group is a small AppGroup registered by one line of ``register_commands``; a command
parses its options, calls one service and prints the outcome in the default locale. Help
texts stay plain (click reads them at import time, before any locale exists); everything a
command prints goes through Babel.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.admin.commands import rules_cli
from feedback.models import LocalityLevel, Role
from feedback.services.demo import DemoAccount, demo_accounts_in_use, load_demo
from feedback.services.directory.provinces import DirectoryError, ImportCounts, import_provinces, source_size
from feedback.services.accounts.users import AccountError, create_user, list_users, set_password
from feedback.services.directory.villages import CsvImportError, import_villages

directory_cli = AppGroup("directory", help="Localities: provinces and communes, villages.")
demo_cli = AppGroup("demo", help="Demo data for a first look (never for a real deployment).")
users_cli = AppGroup("users", help="Staff accounts.")


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``flask``."""
    app.cli.add_command(directory_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(rules_cli)


@directory_cli.command("import-provinces")
@click.option("--province", "province", metavar="CODE", help="NSO code of one province, e.g. 22.")
@click.option("--all", "all_provinces", is_flag=True, help="All 34 provinces and their communes.")
def import_provinces_command(province: str | None, all_provinces: bool) -> None:
    """Create or update provinces and communes from the vietnam-provinces package.

    Without options: the province of DEFAULT_PROVINCE_CODE. Safe to run again.
    """
    if province and all_provinces:
        raise click.UsageError(_("Chọn --province hoặc --all, không chọn cả hai."))
    code = None if all_provinces else (province or current_app.config["DEFAULT_PROVINCE_CODE"])
    try:
        if sys.stdout.isatty():
            with click.progressbar(length=source_size(code), label=_("Đang nhập địa bàn")) as bar:
                counts = import_provinces(code, progress=bar.update)
        else:
            counts = import_provinces(code)
    except DirectoryError as error:
        raise click.ClickException(str(error)) from error
    echo_counts(counts)


@directory_cli.command("import-villages")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_villages_command(file: Path) -> None:
    """Create or update villages from a CSV file (format: docs/villages-csv.md).

    All or nothing: a file with any bad row writes nothing and lists the rows to fix.
    """
    try:
        # utf-8-sig drops the BOM Excel writes; newline="" lets csv read quoted line breaks
        with file.open(encoding="utf-8-sig", newline="") as stream:
            counts = import_villages(stream)
    except UnicodeDecodeError as error:
        raise click.ClickException(_("Tệp không phải UTF-8: hãy lưu lại dưới dạng \u201cCSV UTF-8\u201d.")) from error
    except CsvImportError as error:
        for row_error in error.errors:
            click.echo(str(row_error), err=True)
        click.echo(_("Không nhập thôn nào: tệp có %(count)d lỗi.", count=len(error.errors)), err=True)
        raise SystemExit(1) from error
    echo_counts(counts)


def echo_counts(counts: ImportCounts) -> None:
    labels = {
        LocalityLevel.PROVINCE: _("Tỉnh, thành phố"),
        LocalityLevel.COMMUNE: _("Xã, phường, đặc khu"),
        LocalityLevel.VILLAGE: _("Thôn, bản, khu phố"),
    }
    for level, label in labels.items():
        if level in counts.levels:
            c = counts.levels[level]
            click.echo(_("%(level)s: %(created)d mới, %(updated)d cập nhật, %(unchanged)d không đổi.",
                         level=label, created=c.created, updated=c.updated, unchanged=c.unchanged))


@demo_cli.command("load")
@click.option("--province", "province", metavar="CODE", help="NSO code of the province (DEFAULT_PROVINCE_CODE).")
def demo_load_command(province: str | None) -> None:
    """Load a demo directory, topics, units, routing rules and accounts into an empty database."""
    try:
        summary = load_demo(datetime.now(UTC), province or current_app.config["DEFAULT_PROVINCE_CODE"])
    except DirectoryError as error:
        raise click.ClickException(str(error)) from error
    if not summary.loaded:
        click.echo(_("Cơ sở dữ liệu đã có tài khoản hoặc phản ánh: không nạp dữ liệu mẫu."))
        return
    click.echo(_("Đã nạp dữ liệu mẫu của %(province)s: %(communes)d xã, phường, đặc khu; %(villages)d thôn, "
                 "khu phố; %(topics)d lĩnh vực; %(units)d đơn vị; %(rules)d quy tắc chuyển.",
                 province=summary.province_name, communes=summary.communes, villages=summary.villages,
                 topics=summary.topics, units=summary.units, rules=summary.rules))
    echo_accounts(summary.accounts)


@demo_cli.command("accounts")
def demo_accounts_command() -> None:
    """Print the demo accounts whose password is still the published demo password."""
    accounts = demo_accounts_in_use()
    if not accounts:
        click.echo(_("Không còn tài khoản mẫu nào dùng mật khẩu mẫu."))
        return
    echo_accounts(accounts)


def echo_accounts(accounts: list[DemoAccount]) -> None:
    click.echo(_("Tài khoản mẫu (mật khẩu công khai, chỉ dùng để thử):"))
    for account in accounts:
        line = f"  {account.username:<16} {account.password:<20} {account.role.value:<14} {account.unit_name}"
        click.echo(line.rstrip())


password_option = click.option(
    "--password", envvar="FEEDBACK_NEW_PASSWORD", show_envvar=True,
    help="Avoid: visible in the process list. Without it, asked for on a terminal.",
)


def resolve_password(password: str | None) -> str:
    """The password given (option or FEEDBACK_NEW_PASSWORD), else asked for twice, hidden, on a terminal."""
    if password is not None:
        return password
    if sys.stdin.isatty():
        return str(click.prompt(_("Mật khẩu"), hide_input=True, confirmation_prompt=True))
    raise click.ClickException(_("Thiếu mật khẩu: dùng --password hoặc biến môi trường FEEDBACK_NEW_PASSWORD."))


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--unit", "unit_code", metavar="CODE", help="Code of the unit or Front committee.")
@click.option("--territory", "territory_code", metavar="CODE", help="Locality code of the territory.")
@click.option("--full-name", default="", help="Name shown to colleagues.")
@password_option
def users_create_command(username: str, role: str, unit_code: str | None, territory_code: str | None,
                         full_name: str, password: str | None) -> None:
    """Create a staff account with one role."""
    try:
        create_user(username, Role(role), password=resolve_password(password), now=datetime.now(UTC),
                    unit_code=unit_code, territory_code=territory_code, full_name=full_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Đã tạo tài khoản %(username)s.", username=username.strip()))


@users_cli.command("set-password")
@click.argument("username")
@password_option
def users_set_password_command(username: str, password: str | None) -> None:
    """Replace the password of an account."""
    try:
        set_password(username, resolve_password(password))
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Đã đổi mật khẩu của %(username)s.", username=username.strip()))


@users_cli.command("list")
def users_list_command() -> None:
    """List the staff accounts with their roles and units."""
    users = list_users()
    if not users:
        click.echo(_("Chưa có tài khoản nào."))
    for user in users:
        state = "" if user.active else _("(đã khóa)")
        places = ", ".join(user.units + user.territories)
        click.echo(f"{user.username:<20} {','.join(user.roles):<18} {places} {state}".rstrip())
