"""``flask api-key``: issue and revoke the keys of the Open311 API, list them.

``create NAME`` prints the new key on its last line (and nowhere else, ever: only its digest is
stored), so that a script can take it with ``| tail -n 1``.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.domain.events import Actor
from feedback.services.open311 import ApiKeyError, issue_key, list_keys, revoke_key

api_key_cli = AppGroup("api-key", help="Keys of the Open311 API.")


def _actor() -> Actor:
    try:
        return Actor.cli(getpass.getuser())
    except (KeyError, OSError, ValueError):  # no login name (a container without a passwd entry)
        return Actor.cli("unknown")


@api_key_cli.command("create")
@click.argument("name")
@click.option("--rate-limit", default=None, metavar="LIMIT",
              help='This key\'s own limit, e.g. "120 per minute" (default: OPEN311_KEY_RATE_LIMIT).')
def api_key_create_command(name: str, rate_limit: str | None) -> None:
    """Issue a key for the client NAME; the key is printed once, on the last line."""
    try:
        issued = issue_key(name, actor=_actor(), now=datetime.now(UTC), rate_limit=rate_limit)
    except ApiKeyError as error:
        raise click.ClickException(error.message) from error
    click.echo(_("Đã cấp khóa %(name)s. Khóa chỉ hiện một lần, ở dòng dưới; hệ thống không lưu khóa.",
                 name=issued.name))
    click.echo(issued.key)


@api_key_cli.command("revoke")
@click.argument("name")
def api_key_revoke_command(name: str) -> None:
    """Revoke the key in use named NAME: requests with it are refused at once."""
    try:
        revoked = revoke_key(name, actor=_actor(), now=datetime.now(UTC))
    except ApiKeyError as error:
        raise click.ClickException(error.message) from error
    click.echo(_("Đã thu hồi khóa %(name)s.", name=revoked.name))


@api_key_cli.command("list")
def api_key_list_command() -> None:
    """List the keys (never the keys themselves): name, first characters, state."""
    keys = list_keys()
    if not keys:
        click.echo(_("Chưa cấp khóa nào."))
    for key in keys:
        state = _("đang dùng") if key.active else _("đã thu hồi")
        click.echo(f"{key.name:<30} {key.prefix}… {key.rate_limit or '-':<16} {state}")
