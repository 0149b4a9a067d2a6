"""``flask demo``: load the demo data and list the demo accounts still on their demo password."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.cli.directory import echo_counts
from feedback.services.demo import DemoAccount, demo_accounts_in_use, load_demo
from feedback.services.demo_items import DEMO_ITEMS
from feedback.services.directory import DirectoryError

demo_cli = AppGroup("demo", help="Demo data for a first look (never for a real deployment).")


@demo_cli.command("load")
@click.option("--province", "province", metavar="CODE", help="NSO code of the province (DEFAULT_PROVINCE_CODE).")
@click.option("--items", "items", type=click.IntRange(0, 5000), default=DEMO_ITEMS, show_default=True,
              help="How many feedback items of the last 12 months to make.")
def demo_load_command(province: str | None, items: int) -> None:
    """Load a demo directory, topics, units, routing rules, accounts and a year of handled items
    into an empty database."""
    try:
        with item_progress(items) as progress:
            summary = load_demo(datetime.now(UTC), province or current_app.config["DEFAULT_PROVINCE_CODE"],
                                items=items, progress=progress)
    except DirectoryError as error:
        raise click.ClickException(str(error)) from error
    if not summary.loaded:
        click.echo(_("Cơ sở dữ liệu đã có tài khoản hoặc phản ánh: không nạp dữ liệu mẫu."))
        return
    click.echo(_("Đã nạp dữ liệu mẫu của %(province)s: %(communes)d xã, phường, đặc khu; %(villages)d thôn, "
                 "khu phố; %(topics)d lĩnh vực; %(units)d đơn vị; %(rules)d quy tắc chuyển.",
                 province=summary.province_name, communes=summary.communes, villages=summary.villages,
                 topics=summary.topics, units=summary.units, rules=summary.rules))
    click.echo(_("Đã tạo %(items)d ý kiến mẫu trong 12 tháng qua, xử lý qua các bước thật của đơn vị.",
                 items=summary.items))
    echo_accounts(summary.accounts)


@contextmanager
def item_progress(items: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the demo items on a terminal (the load takes several seconds);
    nothing when the output is a file or a pipe (the Quick start's log)."""
    if not sys.stdout.isatty() or not items:
        yield None
        return
    with click.progressbar(length=items, label=_("Đang tạo ý kiến mẫu")) as bar:
        shown = 0

        def advance(done: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        yield advance


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
