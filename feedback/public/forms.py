"""The resident's form. Fields only: the rules live in ``feedback.services.intake.submission``.

WTForms here renders the fields and carries the CSRF token; validation of what was typed is the
service's (so the API and staff entry follow the same rules), and its errors are put back on
the fields by ``attach_errors``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import CombinedMultiDict
from wtforms import BooleanField, HiddenField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField

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


class PostedField:
    """One field's ``data`` as the form's field would hold it."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


class PostedSubmission:
    """The ``data`` of each field of ``SubmitForm`` for this POST, read from the request as the
    form's fields read it, without building the form (issue #11: building and validating the
    form's thirteen fields was about 0.6 ms of CPU of a submission that only redirects). Made by
    ``posted_submission``; a page that shows the form builds the real one (``full_form``)."""

    kind: PostedField
    commune: PostedField
    village: PostedField
    topic: PostedField
    title: PostedField
    body: PostedField
    name: PostedField
    phone: PostedField
    email: PostedField
    consent_share_contact: PostedField
    submission_key: PostedField

    def __init__(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, PostedField(value))

    def full_form(self) -> SubmitForm:
        """The form itself, from the same request (so with the same data), validated as the view
        validated it, with this one's submission key (made by the view when none was posted)."""
        form = SubmitForm()
        form.submission_key.data = self.submission_key.data
        form.validate()
        return form


def _reading(unbound: UnboundField) -> str | None:
    """How a field of ``SubmitForm`` reads its value from the posted data, or None for one read
    otherwise (``posted_submission`` then leaves the form to WTForms)."""
    field_class, kwargs = unbound.field_class, unbound.kwargs
    if set(kwargs) - {"choices", "validate_choice"} or unbound.args[1:]:
        return None  # filters, defaults, validators, a coercion: WTForms' own work
    if issubclass(field_class, BooleanField):
        return "boolean"
    if field_class in (RadioField, SelectField):
        return "choice"
    if issubclass(field_class, MultipleFileField):
        return "files"  # never read from the form: the view reads the files itself
    if field_class in (StringField, TextAreaField, HiddenField, TelField, EmailField):
        return "first"
    return None


def _readings() -> dict[str, str | None]:
    return {name: _reading(value) for name, value in vars(SubmitForm).items() if isinstance(value, UnboundField)}


SUBMIT_FORM_READINGS = _readings()


def posted_submission() -> PostedSubmission | None:
    """This POST's fields as ``SubmitForm()`` would hold them (same formdata: the files and the
    form together when files came, as Flask-WTF wraps them; same rule per field kind), or None
    where the form must be built: a body without form fields (empty, JSON), a CSRF check the form
    itself would make (CSRFProtect did not pass the request), a field read otherwise."""
    if request.method != "POST" or None in SUBMIT_FORM_READINGS.values():
        return None
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not g.get("csrf_valid", False):
        return None
    if request.files:
        formdata: Any = CombinedMultiDict((request.files, request.form))
    elif request.form:
        formdata = request.form
    else:
        return None
    values: dict[str, Any] = {}
    for name, reading in SUBMIT_FORM_READINGS.items():
        given = formdata.getlist(name)
        if reading == "boolean":
            values[name] = not (not given or given[0] in BooleanField.false_values)
        elif reading == "choice":
            values[name] = str(given[0]) if given else None
        elif reading == "first":
            values[name] = given[0] if given else None
    return PostedSubmission(values)


class ReplyForm(TranslatedForm):
    """The resident's reply to the unit's request for more information (secret-link page).

    Like ``SubmitForm``, fields and CSRF only: ``handling.provide_information`` judges the text
    and ``intake.check_upload`` the files.
    """

    reply = TextAreaField(_l("Thông tin bổ sung"))
    attachments = MultipleFileField(_l("Ảnh hoặc tệp PDF kèm theo (không bắt buộc)"))
