"""Intake: what a resident sends and sees. Owns the submission (validation, the item's first
event, the hand-off to routing), attachments (checked, staged, published, tidied), the form's
choices and the tracking read model (the public page and the secret link).

Shells import from here, not from the inner modules.
"""

from feedback.services.intake.form_choices import Place, TopicOption, communes, search_localities, topic_options, villages
from feedback.services.intake.held_uploads import held_files, hold_files, reclaim_files, release_files
from feedback.services.intake.maintenance import purge_consumed_broker_messages, tidy_uploads
from feedback.services.intake.submission import (
    MAX_BODY,
    MAX_TITLE,
    Receipt,
    Submission,
    SubmissionInvalid,
    Upload,
    submit_feedback,
)
from feedback.services.intake.tracking import (
    Notice, PublicItem, ResidentFile, RestrictedItem, canonical_code, private_view, public_view, public_views, resident_file,
)
from feedback.services.intake.uploads import CheckedFile, UploadRejected, check_upload

__all__ = [
    "MAX_BODY", "MAX_TITLE", "CheckedFile", "Notice", "Place", "PublicItem", "Receipt", "ResidentFile",
    "RestrictedItem", "Submission", "SubmissionInvalid",
    "TopicOption", "Upload", "UploadRejected", "canonical_code", "check_upload", "communes", "held_files", "hold_files",
    "private_view", "public_view", "public_views", "purge_consumed_broker_messages", "reclaim_files", "release_files", "resident_file",
    "search_localities", "submit_feedback", "tidy_uploads", "topic_options", "villages",
]
