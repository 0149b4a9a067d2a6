"""Forms of the item page's "Thao tác" section: one per handling action.

The texts are checked by the services (``feedback.services.handling``: empty, too long), which
answer with a clear message; the forms carry what was typed back to the page when refused.
Choices are filled by the views.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, SubmitField, TextAreaField

from feedback.form_messages import TranslatedForm


class ConfirmForm(TranslatedForm):
    """A button and the CSRF token: accept, submit the draft, publish, grant the extension."""

    submit = SubmitField(_l("Xác nhận"))


class AssignForm(TranslatedForm):
    officer = SelectField(_l("Cán bộ xử lý"), choices=[], coerce=int, validate_choice=False)
    submit = SubmitField(_l("Giao việc"))


class RejectForm(TranslatedForm):
    reason = SelectField(_l("Lý do từ chối"), choices=[], validate_choice=False)
    explanation = TextAreaField(_l("Giải thích cho người gửi"))
    duplicate_of = StringField(_l("Mã ý kiến bị trùng (khi trùng ý kiến khác)"))
    submit = SubmitField(_l("Từ chối"))


class TextForm(TranslatedForm):
    """One text: keep as phản ánh (explanation), ask for information, a note, return the draft,
    ask for more time, refuse the extension."""

    text = TextAreaField(_l("Nội dung"))
    submit = SubmitField(_l("Gửi"))


class ExtensionForm(TranslatedForm):
    text = TextAreaField(_l("Lý do gia hạn"))
    complexity = SelectField(_l("Mức độ phức tạp"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Đề nghị gia hạn"))


class DraftForm(TranslatedForm):
    text = TextAreaField(_l("Nội dung câu trả lời"))
    version = HiddenField()
    attachments = MultipleFileField(_l("Tệp kèm theo (ảnh hoặc PDF, không bắt buộc)"))
    submit = SubmitField(_l("Lưu dự thảo"))
