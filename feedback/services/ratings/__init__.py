"""Ratings: the resident judges the published answer through the secret link (DESIGN.md §6).
Rate it (one rating per answer cycle, changeable for 7 days, attributed to the answering unit as
it was), reopen it when unsatisfied (back to that unit, a new answer cycle and clock, the Front
told), and the beat jobs that close answered items after 30 days and remind once to rate.

Shells import from here, not from the inner modules.
"""

from feedback.services.ratings.closing import Reminded, close_unreopened, remind_to_rate
from feedback.services.ratings.rating import Rated, RatingPanel, rate, rating_panel
from feedback.services.ratings.reopening import reopen

__all__ = ["Rated", "RatingPanel", "Reminded", "close_unreopened", "rate", "rating_panel", "remind_to_rate", "reopen"]
