"""The resident's form. Fields only: the rules live in ``feedback.services.intake.submission``.

WTForms here renders the fields and carries the CSRF token; validation of what was typed is the
service's (so the API and staff entry follow the same rules), and its errors are put back on
the fields by ``attach_errors``.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField
from wtforms.fields.choices import SelectChoice

from feedback.domain.status import Kind
from feedback.form_messages import TranslatedForm
from feedback.services.intake import Place, TopicOption
from feedback.web.labels import KIND_LABELS

# Submission field → form field, for putting the service's errors next to the right input.
ERROR_FIELDS = {
    "kind": "kind",
    "locality_code": "commune",
    "village_code": "village",
    "topic_code": "topic",
    "title": "title",
    "body": "body",
    "name": "name",
    "phone": "phone",
    "email": "email",
    "attachments": "attachments",
    "submission_key": "kind",
}


class SubmitForm(TranslatedForm):
    kind = RadioField(_l("Loại ý kiến"), choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in Kind], validate_choice=False)
    commune = SelectField(_l("Xã, phường, đặc khu"), validate_choice=False)
    village = SelectField(_l("Thôn, bản, khu phố, tổ dân phố (không bắt buộc)"), validate_choice=False)
    topic = SelectField(_l("Lĩnh vực"), validate_choice=False)
    title = StringField(_l("Tiêu đề"))
    body = TextAreaField(_l("Nội dung"))
    attachments = MultipleFileField(_l("Ảnh hoặc tệp PDF kèm theo (không bắt buộc)"))
    name = StringField(_l("Họ và tên"))
    phone = TelField(_l("Số điện thoại"))
    email = EmailField(_l("Thư điện tử"))
    consent_share_contact = BooleanField(
        _l("Tôi đồng ý để đơn vị xử lý biết họ tên và cách liên hệ của tôi để trả lời trực tiếp.")
    )
    submission_key = HiddenField()

    def fill_choices(self, communes: list[Place], villages: list[Place], topics: list[TopicOption]) -> None:
        """Set the options of the three lists (the placeholder first, with an empty value)."""
        self.commune.choices = [SelectChoice("", _l("— Chọn xã, phường, đặc khu —"))] + [
            SelectChoice(c.code, c.name) for c in communes
        ]
        self.village.choices = [SelectChoice("", _l("— Không chọn —"))] + [SelectChoice(v.code, v.name) for v in villages]
        language = locale.language if (locale := get_locale()) is not None else "vi"
        self.topic.choices = [SelectChoice("", _l("— Chọn lĩnh vực —"))] + [
            SelectChoice(t.code, t.label_in(language)) for t in topics
        ]

    def attach_errors(self, errors: dict[str, str]) -> None:
        """Show each service error next to its field."""
        for key, message in errors.items():
            field = getattr(self, ERROR_FIELDS.get(key, key), None)
            if field is not None:
                field.errors = [*field.errors, message]

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        """(field id, message) of every error, in the order of the page, for the error summary."""
        # A radio group has no element of its own id: link to its first button.
        return [
            (f"{field.id}-0" if isinstance(field, RadioField) else field.id, str(message))
            for field in self
            if field.errors and field.name != "csrf_token"
            for message in field.errors
        ]


class ReplyForm(TranslatedForm):
    """The resident's reply to the unit's request for more information (secret-link page).

    Like ``SubmitForm``, fields and CSRF only: ``handling.provide_information`` judges the text
    and ``intake.check_upload`` the files.
    """

    reply = TextAreaField(_l("Thông tin bổ sung"))
    attachments = MultipleFileField(_l("Ảnh hoặc tệp PDF kèm theo (không bắt buộc)"))
