"""WTForms' own messages ("This field is required.", "Not a valid choice.") in the page language.

WTForms ships no Vietnamese catalogue, and its messages are English msgids while this project's
msgids are Vietnamese. ``TranslatedForm``, the base of every form of the project, hands WTForms a
translations object that maps each message of WTForms (``wtforms/locale/wtforms.pot``) and of
Flask-WTF's file validators to a Vietnamese msgid of our catalogue, then translates that for the
current page through Flask-Babel (so English pages read WTForms' English again, from our .po).

Placeholders (``%(min)d``, ``{extensions}``) are kept in the translations: WTForms fills them in
after translating. A message missing from the tables (a newer WTForms) is shown on Vietnamese
pages as a generic Vietnamese sentence rather than in English; tests/web/test_i18n.py checks the
tables cover the installed WTForms.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm


def ungettext(singular: str, plural: str, n: int) -> str:
    """The plural template for ``n`` in the page language, placeholders left for WTForms.

    Named like the gettext function so that ``pybabel extract`` takes both forms.
    """
    return str(get_translations().ungettext(singular, plural, n))


MESSAGES: dict[str, LazyString] = {
    "Invalid field name '%s'.": _l("Tên trường '%s' không hợp lệ."),
    "Field must be equal to %(other_name)s.": _l("Trường này phải giống trường %(other_name)s."),
    "Field must be between %(min)d and %(max)d characters long.":
        _l("Trường này phải dài từ %(min)d đến %(max)d ký tự."),
    "Number must be at least %(min)s.": _l("Số phải từ %(min)s trở lên."),
    "Number must be at most %(max)s.": _l("Số không được lớn hơn %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Số phải nằm trong khoảng từ %(min)s đến %(max)s."),
    "Date must be at least %(min)s.": _l("Ngày phải từ %(min)s trở đi."),
    "Date must be at most %(max)s.": _l("Ngày không được sau %(max)s."),
    "Date must be between %(min)s and %(max)s.": _l("Ngày phải nằm trong khoảng từ %(min)s đến %(max)s."),
    "This field is required.": _l("Trường này là bắt buộc."),
    "Invalid input.": _l("Giá trị nhập vào không hợp lệ."),
    "Invalid email address.": _l("Địa chỉ thư điện tử không hợp lệ."),
    "Invalid IP address.": _l("Địa chỉ IP không hợp lệ."),
    "Invalid Mac address.": _l("Địa chỉ MAC không hợp lệ."),
    "Invalid URL.": _l("Địa chỉ URL không hợp lệ."),
    "Invalid UUID.": _l("Mã UUID không hợp lệ."),
    "Invalid value, must be one of: %(values)s.": _l("Giá trị không hợp lệ, phải là một trong: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": _l("Giá trị không hợp lệ, không được là: %(values)s."),
    "This field cannot be edited.": _l("Trường này không được sửa."),
    "This field is disabled and cannot have a value.": _l("Trường này đã bị khóa, không nhận giá trị."),
    "Invalid CSRF Token.": _l("Mã bảo vệ biểu mẫu (CSRF) không hợp lệ."),
    "CSRF token missing.": _l("Thiếu mã bảo vệ biểu mẫu (CSRF)."),
    "CSRF failed.": _l("Kiểm tra mã bảo vệ biểu mẫu (CSRF) không thành công."),
    "CSRF token expired.": _l("Mã bảo vệ biểu mẫu (CSRF) đã hết hạn."),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ."),
    "Choices cannot be None.": _l("Danh sách lựa chọn đang trống."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Invalid choice(s): one or more data inputs could not be coerced.":
        _l("Lựa chọn không hợp lệ: có giá trị không đọc được."),
    "Not a valid datetime value.": _l("Ngày giờ không hợp lệ."),
    "Not a valid date value.": _l("Ngày không hợp lệ."),
    "Not a valid time value.": _l("Giờ không hợp lệ."),
    "Not a valid week value.": _l("Tuần không hợp lệ."),
    "Not a valid integer value.": _l("Số nguyên không hợp lệ."),
    "Not a valid decimal value.": _l("Số thập phân không hợp lệ."),
    "Not a valid float value.": _l("Số không hợp lệ."),
    # Flask-WTF's file validators (flask_wtf/file.py).
    "File does not have an approved extension: {extensions}":
        _l("Loại tệp không được nhận; chỉ nhận: {extensions}"),
    "File does not have an approved extension.": _l("Loại tệp không được nhận."),
}

PLURAL_MESSAGES: dict[str, Callable[[int], str]] = {
    "Field must be at least %(min)d character long.": lambda n: ungettext(
        "Trường này phải có ít nhất %(min)d ký tự.", "Trường này phải có ít nhất %(min)d ký tự.", n),
    "Field cannot be longer than %(max)d character.": lambda n: ungettext(
        "Trường này không được dài quá %(max)d ký tự.", "Trường này không được dài quá %(max)d ký tự.", n),
    "Field must be exactly %(max)d character long.": lambda n: ungettext(
        "Trường này phải có đúng %(max)d ký tự.", "Trường này phải có đúng %(max)d ký tự.", n),
    "'%(value)s' is not a valid choice for this field.": lambda n: ungettext(
        "'%(value)s' không phải là lựa chọn hợp lệ của trường này.",
        "'%(value)s' không phải là lựa chọn hợp lệ của trường này.", n),
}

UNKNOWN_MESSAGE = _l("Giá trị nhập vào không hợp lệ.")


def _english_page() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


class BabelFormTranslations:
    """What WTForms calls to translate its messages (``gettext``/``ngettext``); never raises."""

    def gettext(self, string: str) -> str:
        translated = MESSAGES.get(string)
        if translated is not None:
            return str(translated)
        return string if _english_page() else str(UNKNOWN_MESSAGE)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = PLURAL_MESSAGES.get(singular)
        if translated is not None:
            return translated(n)
        if _english_page():
            return singular if n == 1 else plural
        return str(UNKNOWN_MESSAGE)


TRANSLATIONS = BabelFormTranslations()


class TranslatedForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped
    """The base of every form: Flask-WTF with WTForms' messages in the page language."""

    class Meta:
        def get_translations(self, form: object) -> BabelFormTranslations:
            return TRANSLATIONS
