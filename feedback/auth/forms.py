"""Forms of the staff login."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from feedback.form_messages import TranslatedForm


class LoginForm(TranslatedForm):
    """Username and password; ``remember`` keeps the login in a remember-me cookie."""

    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))
