"""``flask rules``: list routing rules and import them from CSV (thin wrappers over services).

Help texts stay plain (click reads them at import time, before any locale exists); everything a
command prints goes through Babel, in the default locale.
"""

from __future__ import annotations

import getpass
import io
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.cli.output import refuse_file
from feedback.domain.events import Actor
from feedback.services import routing as service

rules_cli = AppGroup("rules", help="Routing rules: which unit answers which items.")


@rules_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Add routing rules from a CSV file (format: docs/routing-rules-csv.md).

    All or nothing: a file with any bad row writes nothing and lists the lines to fix.
    """
    try:
        text = service.decode(file.read_bytes())
    except service.UndecodableFile as error:
        raise click.ClickException(_("Tệp không đọc được: hãy lưu lại dưới dạng \u201cCSV UTF-8\u201d.")) from error
    result = service.import_rules(io.StringIO(text, newline=""), now=datetime.now(UTC), actor=Actor.cli(_login_name()))
    if not result.ok:
        refuse_file(result.errors, _("Không nhập quy tắc nào: tệp có %(count)d lỗi.", count=result.error_count),
                    unreported=result.unreported)
    click.echo(_("Đã nhập %(count)d quy tắc.", count=result.created))


@rules_cli.command("list")
def list_command() -> None:
    """List every routing rule: id, condition, unit, validity, items routed."""
    page = service.list_rules(page=1, per_page=1_000_000)
    if not page.rules:
        click.echo(_("Chưa có quy tắc nào."))
    for rule in page.rules:
        validity = f"{rule.valid_from or '…'} – {rule.valid_to or '…'}"
        used = _("%(count)d ý kiến đã phân công", count=page.usage.get(rule.id, 0))
        click.echo(f"#{rule.id:<5} {service.describe_rule(rule)}  [{validity}]  {used}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
