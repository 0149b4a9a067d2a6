"""``flask report monthly``: make the briefing report (giao ban) of one territory and month by hand.

Help texts stay plain (click reads them at import time, before any locale exists); everything a
command prints goes through Babel, in the default locale.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.services import briefing

report_cli = AppGroup("report", help="Briefing reports (giao ban) of the Front committees.")


@report_cli.command("monthly")
@click.option("--month", "month_text", required=True, help="The month reported on, YYYY-MM (it must have ended).")
@click.option("--territory", required=True, help="The locality code of the territory (province or commune).")
@click.option("--email/--no-email", default=False, help="Email the territory's Front committee (once per report).")
def monthly_command(month_text: str, territory: str, email: bool) -> None:
    """Make (or make again) the briefing report of TERRITORY for MONTH and store it.

    A report already stored for that territory and month is replaced by a fresh count.
    """
    try:
        month = briefing.parse_month(month_text)
    except briefing.BadMonth as error:
        raise click.BadParameter(_("Tháng phải có dạng YYYY-MM (ví dụ 2026-03), từ năm 2000."),
                                 param_hint="--month") from error
    try:
        result = briefing.generate_report(territory, month, now=datetime.now(UTC), email=email)
    except briefing.UnknownTerritory as error:
        raise click.BadParameter(_("Không có địa bàn nào có mã %(code)s.", code=territory),
                                 param_hint="--territory") from error
    except briefing.BadMonth as error:
        raise click.BadParameter(_("Tháng %(month)s chưa kết thúc: chỉ lập báo cáo cho tháng đã qua.",
                                   month=month.strftime("%m/%Y")), param_hint="--month") from error
    if result.replaced:
        click.echo(_("Đã lập lại báo cáo số %(id)d (thay báo cáo cũ).", id=result.report_id))
    else:
        click.echo(_("Đã lập báo cáo số %(id)d.", id=result.report_id))
    if email:
        click.echo(_("Đã xếp %(count)d thư vào hàng gửi.", count=result.emailed))
