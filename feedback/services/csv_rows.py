"""A problem at one row of an imported CSV file, said the same way by every import (routing
rules, villages): its line (1 is the header), the column when known, a Vietnamese message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering

from flask_babel import gettext as _


@total_ordering
@dataclass(frozen=True)
class RowError:
    """One problem of a file; sorts by line, then column (a whole-row problem, without a column,
    first), then message. ``str()`` is what an administrator reads."""

    line: int
    column: str | None
    message: str

    def _key(self) -> tuple[int, str, str]:
        # Not the dataclass's own ordering: it compared a column None with a column name and
        # raised TypeError for a line with both kinds of problem (found by tests/fuzz).
        return (self.line, self.column or "", self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RowError):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        if self.column:
            return str(_("Dòng %(line)d, cột %(column)s: %(message)s", line=self.line, column=self.column,
                         message=self.message))
        return str(_("Dòng %(line)d: %(message)s", line=self.line, message=self.message))
