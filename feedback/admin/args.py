"""Numbers from administrator URLs: the checks live in ``feedback.web.args``, shared by every
staff blueprint (the unit workspace reads its ids and pages the same way)."""

from feedback.web.args import MAX_ID, MAX_PAGE, id_or_none, page_number, past_the_end, path_id

__all__ = ["MAX_ID", "MAX_PAGE", "id_or_none", "page_number", "past_the_end", "path_id"]
