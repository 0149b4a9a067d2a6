"""Items as staff see them: the administrator's filtered list, one item in full (routing
explanation, clocks, assignments, audit chain), a manual nudge to routing, and dashboard counts.
Room beside it: ``ratings/`` and ``statistics/``.

Shells import from here, not from the inner modules.
"""

from feedback.services.items import admin_view
from feedback.services.items.overview import count_directory

__all__ = ["admin_view", "count_directory"]
