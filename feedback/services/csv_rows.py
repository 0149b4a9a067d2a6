"""A problem at one row of an imported CSV file, said the same way by every import (routing
rules, villages): its line (1 is the header), the column when known, a Vietnamese message."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True, order=True)
class RowError:
    """One problem of a file; sorts by line, then column. ``str()`` is what an administrator reads."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return str(_("Dòng %(line)d, cột %(column)s: %(message)s", line=self.line, column=self.column,
                         message=self.message))
        return str(_("Dòng %(line)d: %(message)s", line=self.line, message=self.message))
