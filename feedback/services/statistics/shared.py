"""What the several statistics calls of one page read alike, read once.

A dashboard page asks for the figures of its rows, of the units (its ranking), of the 12-month
trend and the totals: four questions about the same scope at the same ``now``. Each resolved the
scope (its localities and topics), the overdue state's scope and window of just-past-due clocks
on its own: the same statements, with the same answers, four times. ``SharedReads`` keeps those
answers for the calls it is passed to, keyed by what they depend on (the scope, ``now``).

The caller makes one for one page and drops it with the page (``monitoring.dashboard``): it is
never kept across requests, so it can neither leak between territories nor go stale.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from feedback.domain.statistics import Period
from feedback.services.statistics.values import Grouping

T = TypeVar("T")


@dataclass
class SharedReads:
    """Answers already read during one page, by what they depend on. ``asked``: the questions
    (period, grouping; None for the totals) the page will ask, when its caller knows them: the
    stored medians of all of them are read in one statement, the sums of those of one period
    that one rollup answers in one pass (``queries``), and their overdue counts in one statement
    (``overdue``)."""

    asked: tuple[tuple[Period, Grouping | None], ...] = ()
    read: dict[Hashable, Any] = field(default_factory=dict)

    def once(self, key: Hashable, reader: Callable[[], T]) -> T:
        """``reader()``'s answer, read on the first call with ``key`` and kept for the next."""
        if key not in self.read:
            self.read[key] = reader()
        return self.read[key]


def once(shared: SharedReads | None, key: Hashable, reader: Callable[[], T]) -> T:
    """``reader()``, read once per ``key`` within ``shared`` (every time without one)."""
    return reader() if shared is None else shared.once(key, reader)
