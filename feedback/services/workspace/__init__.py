"""The unit workspace's read side: the inbox of a unit's open items (``inbox``) and one item as
its unit sees it (``item_view``). The handling actions live in ``services/handling/``.

Shells import from here, not from the inner modules.
"""

from feedback.services.workspace.inbox import (
    OPEN_STATUSES,
    UNIT_STATUSES,
    InboxFilters,
    InboxPage,
    InboxRow,
    NotYourUnit,
    inbox,
    viewer_unit_ids,
)
from feedback.services.workspace.item_view import (
    AttachmentFile,
    ItemNotFound,
    UnitItem,
    attachment_file,
    open_attachment,
    record_personal_data_view,
    unit_item,
)

__all__ = ["OPEN_STATUSES", "UNIT_STATUSES", "AttachmentFile", "InboxFilters", "InboxPage", "InboxRow", "ItemNotFound",
           "NotYourUnit", "UnitItem", "attachment_file", "inbox", "open_attachment", "record_personal_data_view", "unit_item",
           "viewer_unit_ids"]
