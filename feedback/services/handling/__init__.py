"""Handling: what the unit holding an item does with it (DESIGN.md §4). Assign it to an officer,
accept it (thụ lý), refuse it with a reason or keep an anonymous tố cáo as a phản ánh, ask the
resident for more information (clocks pause; the resident's answer resumes them), internal
notes, the answer (draft, submit, return, publish) and extensions.

Every action checks the user through ``feedback.domain.access`` (NotAllowed), moves the status
through ``feedback.domain.status`` (WrongStatus), writes its event, commits and tells the
resident. Shells import from here, not from the inner modules.
"""

from feedback.services.handling.acceptance import accept, acceptance_notice_sent
from feedback.services.handling.answers import (
    Published, current_answer, decision_notice_sent, publish_answer, published_answer, return_answer, save_draft, submit_answer,
)
from feedback.services.handling.errors import (
    DraftConflict, HandlingError, InvalidInput, ItemNotFound, NotAllowed, WrongStatus,
)
from feedback.services.handling.extensions import grant_extension, refuse_extension, request_extension
from feedback.services.handling.information import open_request, provide_information, request_information
from feedback.services.handling.notes import add_note, notes_of
from feedback.services.handling.offered import Offered, Officer, offered
from feedback.services.handling.officers import assign_officer
from feedback.services.handling.rejection import keep_as_report, reject

__all__ = [
    "DraftConflict", "HandlingError", "InvalidInput", "ItemNotFound", "NotAllowed", "Offered", "Officer", "Published",
    "WrongStatus",
    "accept", "acceptance_notice_sent", "add_note", "assign_officer", "current_answer", "decision_notice_sent", "grant_extension", "keep_as_report", "notes_of", "offered",
    "open_request", "provide_information", "publish_answer", "published_answer", "refuse_extension", "reject",
    "request_extension", "request_information", "return_answer", "save_draft", "submit_answer",
]
