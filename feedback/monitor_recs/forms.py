"""The recommendation form. Its fields are checked by the service
(``feedback.services.recommendations.issue_recommendation``), which reports every problem at once
on its field; the form carries what was typed back to the page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, SelectField, StringField, SubmitField, TextAreaField

from feedback.form_messages import TranslatedForm


class RecommendationForm(TranslatedForm):
    source = SelectField(_l("Danh nghĩa gửi"), choices=[], validate_choice=False)
    unit = SelectField(_l("Đơn vị nhận kiến nghị"), choices=[], validate_choice=False)
    item_code = StringField(_l("Mã ý kiến được kiến nghị (để trống nếu kiến nghị về một vấn đề chung)"))
    topic = SelectField(_l("Lĩnh vực (không bắt buộc khi đã nhập mã ý kiến)"), choices=[], validate_choice=False)
    title = StringField(_l("Tiêu đề"))
    text = TextAreaField(_l("Nội dung kiến nghị"))
    attachments = MultipleFileField(_l("Tệp kèm theo (ảnh hoặc PDF, không bắt buộc)"))
    submit = SubmitField(_l("Gửi kiến nghị"))

    # The service's field names (RecommendationDraft) → the form's.
    FIELDS = {"unit_id": "unit", "topic_code": "topic"}

    def attach_errors(self, errors: dict[str, str]) -> None:
        """Show each service error next to its field."""
        for key, message in errors.items():
            field = getattr(self, self.FIELDS.get(key, key), None)
            if field is not None:
                field.errors = [*field.errors, message]

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        """(field id, message) of every error, in the order of the page, for the error summary."""
        return [(field.id, str(message)) for field in self
                if field.errors and field.name != "csrf_token" for message in field.errors]
