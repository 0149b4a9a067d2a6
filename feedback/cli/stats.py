"""``flask stats``: the statistics' stored facts and rollups."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.services.statistics import item_count, rebuild_statistics

stats_cli = AppGroup("stats", help="Statistics: rollups of the figures (DESIGN.md section 6).")


@stats_cli.command("rebuild")
@click.option("--batch", default=2000, show_default=True, help="Items read per step.")
def rebuild_command(batch: int) -> None:
    """Recompute the stored facts and every rollup from scratch, from the items' raw rows.

    One transaction: the figures stay readable (the old ones) until it ends. Run it once after
    upgrading to the statistics migration; afterwards each fact is counted as it happens.
    """
    total_items = item_count()
    with click.progressbar(length=total_items, label=_("Đang tính lại thống kê"), show_pos=True) as bar:
        facts = rebuild_statistics(progress=bar.update, batch=batch)
    click.echo(_("Đã tính lại thống kê: %(items)d ý kiến, %(facts)d dữ kiện.", items=total_items, facts=facts))
