"""The templates' ``_()`` and ``ngettext`` for one rendering (``feedback.web.site.template_gettext``)
against Flask-Babel's, which Jinja calls when a template has no context (the oracle): the same
text in both languages, the variables escaped alike, and the language in force when the
rendering starts (``force_locale``, as a mail is rendered within a request)."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

# Strings of the catalogues: plain, with variables (one of them HTML to escape, one Markup), a
# literal "%%", and a plural; and one no catalogue has.
TEMPLATE = """{{ _("Tổng cộng") }}|{{ _("Số liệu giám sát: %(place)s", place=place) }}|
{{ _("khoảng tin cậy 95%%: %(low)s–%(high)s", low=low, high="<i>") }}|
{{ ngettext("%(num)d lượt đánh giá", "%(num)d lượt đánh giá", 3) }}|
{{ ngettext("%(num)d lượt đánh giá", "%(num)d lượt đánh giá", 1, num=7) }}|{{ _("Chuỗi không có trong danh mục") }}|
{% trans count=2 %}{{ count }} mục{% pluralize %}{{ count }} mục{% endtrans %}"""


def _variables() -> dict[str, object]:
    from markupsafe import Markup

    return {"place": "Xã <Đầm Hà> & \"Tiên Yên\"", "low": Markup("<b>61,0%</b>")}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_renderings_gettext_writes_what_flask_babels_wrote(app: Flask, language: str) -> None:
    """Proves: a template rendered by Flask (its context processors: ``template_gettext``) writes
    every translation as Flask-Babel's callables write it, in both languages, escaping alike."""
    with app.test_request_context(f"/?lang={language}"), force_locale(language):
        oracle = app.jinja_env.from_string(TEMPLATE).render(**_variables())
        rendered = render_template_string(TEMPLATE, **_variables())
        used = render_template_string("{{ gettext.__module__ }} {{ ngettext.__module__ }}")
    assert used == "feedback.web.site feedback.web.site"  # the rendering's, not Flask-Babel's
    assert rendered == oracle
    assert "&lt;Đầm Hà&gt;" in rendered and "<b>61,0%</b>" in rendered
    if language == "en":
        assert rendered.startswith("Total|")


def test_a_rendering_takes_the_language_in_force_when_it_starts(app: Flask) -> None:
    """Proves: within a Vietnamese request, a rendering under ``force_locale("en")`` is in English
    and the next one, after it, in Vietnamese again."""
    with app.test_request_context("/"):
        with force_locale("en"):
            english = render_template_string('{{ _("Tổng cộng") }}')
        vietnamese = render_template_string('{{ _("Tổng cộng") }}')
    assert (english, vietnamese) == ("Total", "Tổng cộng")
