"""``flask users``: create staff accounts, set their passwords, list them."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.models import Role
from feedback.services.accounts import AccountError, create_user, list_users, set_password

users_cli = AppGroup("users", help="Staff accounts.")


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
