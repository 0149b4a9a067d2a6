"""Forms of the administrator pages. Choices are filled by the views from the directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import Form, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional

from feedback.form_messages import TranslatedForm


class RuleForm(TranslatedForm):
    """One routing rule. An empty locality, topic or kind means "any"; a village is entered by
    ``locality_code`` instead of the ``locality`` select (filling both is refused by the view)."""

    locality = SelectField(_l("Địa bàn (tỉnh hoặc xã, phường, đặc khu)"), choices=[], validate_choice=True)
    locality_code = StringField(_l("Hoặc mã địa bàn (ví dụ mã thôn, tổ dân phố)"),
                                validators=[Optional(), Length(max=32)])
    topic = SelectField(_l("Lĩnh vực"), choices=[])
    kind = SelectField(_l("Loại ý kiến"), choices=[])
    unit = SelectField(_l("Đơn vị xử lý"), choices=[], validators=[DataRequired()])
    valid_from = DateField(_l("Hiệu lực từ ngày"), validators=[Optional()])
    valid_to = DateField(_l("Hiệu lực đến hết ngày"), validators=[Optional()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Lưu quy tắc"))


class RuleFilterForm(Form):
    """The filters of the rule list, read from the query string (no CSRF: GET, read only)."""

    locality = SelectField(_l("Địa bàn"), choices=[], validate_choice=False)
    topic = SelectField(_l("Lĩnh vực"), choices=[], validate_choice=False)
    unit = SelectField(_l("Đơn vị"), choices=[], validate_choice=False)


class ConfirmForm(TranslatedForm):
    """A button and the CSRF token: used to confirm deleting or ending a rule."""

    submit = SubmitField(_l("Xác nhận"))


class HandoverForm(TranslatedForm):
    """An administrator hands an item to a named unit ("Chuyển cho đơn vị"); the reason is required."""

    unit = SelectField(_l("Đơn vị nhận"), choices=[],
                       validators=[DataRequired(message=_l("Hãy chọn đơn vị nhận."))])
    reason = TextAreaField(_l("Lý do chuyển"), validators=[
        DataRequired(message=_l("Hãy nêu lý do chuyển ý kiến cho đơn vị khác.")),
        Length(max=1000, message=_l("Lý do dài tối đa %(max)d ký tự."))])
    submit = SubmitField(_l("Chuyển cho đơn vị"))


class RuleImportForm(TranslatedForm):
    file = FileField(_l("Tệp CSV"), validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Chỉ nhận tệp .csv"))])
    submit = SubmitField(_l("Nhập quy tắc"))


class CalendarOverrideForm(TranslatedForm):
    """One administrator decision about a date: a day off, or a working day (a swap Saturday)."""

    day = DateField(_l("Ngày"), validators=[DataRequired()])
    day_type = RadioField(_l("Loại ngày"), default="off", validators=[DataRequired()],
                          choices=[SelectChoice("off", _l("Ngày nghỉ")),
                                   SelectChoice("worked", _l("Ngày làm việc (làm bù)"))])
    note = StringField(_l("Ghi chú (căn cứ, ví dụ số quyết định)"), validators=[Optional(), Length(max=255)])
    submit = SubmitField(_l("Lưu ngày"))


class ApiKeyForm(TranslatedForm):
    """A new key of the Open311 API: who uses it, and optionally its own rate limit."""

    name = StringField(_l("Tên khóa (ứng dụng hoặc đơn vị dùng khóa)"), validators=[
        DataRequired(message=_l("Hãy nhập tên của khóa (tên ứng dụng hoặc đơn vị dùng khóa).")), Length(max=64)])
    rate_limit = StringField(_l("Giới hạn tần suất riêng (không bắt buộc, ví dụ 120 per minute)"),
                             validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Cấp khóa"))
