"""What every command prints the same way: the problems of a refused file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import click
from flask_babel import gettext as _


def refuse_file(errors: Iterable[object], summary: str, *, unreported: int = 0) -> NoReturn:
    """Print each problem of a refused import (``RowError``: "Dòng 4, cột code: ..."), how many
    were not listed, then ``summary``, all on stderr; exit with status 1 (nothing was written)."""
    for error in errors:
        click.echo(str(error), err=True)
    if unreported:
        click.echo(_("… và %(count)d lỗi khác.", count=unreported), err=True)
    click.echo(summary, err=True)
    raise SystemExit(1)
