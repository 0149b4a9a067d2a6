"""Hot spots (điểm nóng): the daily check that finds surges of items per commune and topic and
tells the commune's Front committee once, and the lists the Front reads.

Shells import from here, not from the inner modules.
"""

from feedback.services.hotspots.detection import CheckResult, check_day, dedupe_key, find_hot_spots
from feedback.services.hotspots.listing import (
    HotSpotDetail, HotSpotItem, HotSpotView, hot_spot_detail, hot_spots,
    hot_spots_in,
)
from feedback.services.hotspots.residents import resident_items_only

__all__ = ["CheckResult", "HotSpotDetail", "HotSpotItem", "HotSpotView", "check_day", "dedupe_key",
           "find_hot_spots", "hot_spot_detail", "hot_spots", "hot_spots_in", "resident_items_only"]
