"""``flask directory``: import provinces and communes (vietnam-provinces) and villages (CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from feedback.cli.output import refuse_file
from feedback.models import LocalityLevel
from feedback.services.directory import CsvImportError, DirectoryError, ImportCounts, import_provinces, import_villages, source_size

directory_cli = AppGroup("directory", help="Localities: provinces and communes, villages.")


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
        refuse_file(error.errors, _("Không nhập thôn nào: tệp có %(count)d lỗi.", count=len(error.errors)))
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
