"""Intake: what a resident sends and sees. Owns the submission (validation, the item's first
event, the hand-off to routing), attachments (checked, staged, published, tidied), the form's
choices and the tracking read model (the public page and the secret link).

Shells import from here, not from the inner modules.
"""

from feedback.services.intake.form_choices import Place, TopicOption, communes, search_localities, topic_options, villages
from feedback.services.intake.maintenance import tidy_uploads
from feedback.services.intake.submission import (
    MAX_BODY,
    MAX_TITLE,
    Receipt,
    Submission,
    SubmissionInvalid,
    Upload,
    submit_feedback,
)
from feedback.services.intake.tracking import PublicItem, canonical_code, private_view, public_view

__all__ = [
    "MAX_BODY", "MAX_TITLE", "Place", "PublicItem", "Receipt", "Submission", "SubmissionInvalid",
    "TopicOption", "Upload", "canonical_code", "communes", "private_view", "public_view",
    "search_localities", "submit_feedback", "tidy_uploads", "topic_options", "villages",
]
