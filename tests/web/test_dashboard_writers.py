"""The dashboard's pieces written in Python against the Jinja they replace (the oracles, kept
here as they were in ``monitor/_filters.html``, ``monitor/_charts.html`` and
``macros/figures.html``), in both languages: the ``percent`` macro (``percent_writer``), the
satisfaction chart's rows (``satisfaction_rows``), the public ranking's ``rate`` macro
(``rate_text``) and the figures escaped as they are written (``number_writer(html=True)``)."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from flask_babel import force_locale
from markupsafe import escape

from feedback.domain.charts import interval_chart
from feedback.monitor.chart_rows import satisfaction_rows_writer
from feedback.services.monitoring import Rate
from feedback.web.numbers import number_writer, percent_text, percent_writer, rate_text

LANGUAGES = ["vi", "en"]

# ``monitor/_filters.html``'s ``percent`` macro before ``percent_writer``.
PERCENT_MACRO = """{% macro percent(value) -%}
{% if value is none %}<span title="{{ _('Chưa có số liệu để tính') }}">—</span>{% else %}{{ percent_text(value) }}{% endif %}
{%- endmacro %}"""

# ``macros/figures.html``'s ``rate`` macro before ``rate_text``.
RATE_MACRO = """{% macro rate(value) -%}
{%- if value is none -%}—{%- else -%}{{ percent_text(value) }}{%- endif -%}
{%- endmacro %}"""

# ``monitor/_charts.html``'s loop over the satisfaction chart's rows before ``satisfaction_rows``,
# with the text around it (``[`` and ``]`` mark where the loop starts and ends).
ROWS_LOOP = PERCENT_MACRO + """[
    {% for row in chart.rows %}
    <g class="chart-row">
      <title>{% if row.rate is none %}{{ _("%(unit)s: chưa có đánh giá", unit=row.label) }}{% else %}{{ ngettext("%(unit)s: hài lòng %(rate)s, khoảng tin cậy 95%%: %(low)s–%(high)s, %(num)d lượt đánh giá", "%(unit)s: hài lòng %(rate)s, khoảng tin cậy 95%%: %(low)s–%(high)s, %(num)d lượt đánh giá", row.ratings, unit=row.label, rate=percent(row.rate), low=percent(row.low), high=percent(row.high)) }}{% endif %}</title>
      <text x="{{ chart.left }}" y="{{ row.label_y }}" class="row-label">{{ row.label|truncate(48, true, "…") }}</text>
      {% if row.rate is not none %}
      <rect x="{{ chart.left }}" y="{{ row.bar_y }}" width="{{ row.bar_end - chart.left }}" height="{{ row.bar_height }}" class="bar{{ ' bar-few' if row.ratings < 10 }}"/>
      <line x1="{{ row.low_x }}" x2="{{ row.high_x }}" y1="{{ row.middle_y }}" y2="{{ row.middle_y }}" class="interval"/>
      <line x1="{{ row.low_x }}" x2="{{ row.low_x }}" y1="{{ row.bar_y - 2 }}" y2="{{ row.bar_y + row.bar_height + 2 }}" class="interval"/>
      <line x1="{{ row.high_x }}" x2="{{ row.high_x }}" y1="{{ row.bar_y - 2 }}" y2="{{ row.bar_y + row.bar_height + 2 }}" class="interval"/>
      {% endif %}
    </g>
    {% endfor %}
]"""

# Units as the chart gets them: (label, rate, interval, ratings). Names longer than the label's
# 48 characters (cut, or kept within the filter's leeway), with characters HTML escapes, one
# rating (drawn lighter), no rating (no bar), and rates at 0 and 1.
UNITS = [
    ("Ủy ban nhân dân phường Hồng Hải", 0.75, (0.61, 0.85), 40),
    ("Sở Tài nguyên và Môi trường tỉnh Quảng Ninh và các đơn vị trực thuộc", 0.5, (0.2, 0.8), 9),
    ("Ban quản lý dự án <đầu tư> & \"xây dựng\" 'khu vực'", 1.0, (0.72, 1.0), 12),
    ("Phòng Văn hóa Thông tin huyện Tiên Yên năm", 0.0, (0.0, 0.79), 1),
    ("Ủy ban nhân dân xã Đầm Hà — chưa có đánh giá", None, None, 0),
    ("Khu phố 2", 0.333333, (0.0616, 0.7923), 3),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_percent_writer_is_the_percent_macro(app: Flask, language: str) -> None:
    """Proves: ``percent(value)`` writes what the dashboard's ``percent`` macro wrote, for 5,000
    random rates and for None ("—" with its translated reason), in both languages."""
    macro = app.jinja_env.from_string(PERCENT_MACRO + "{{ percent(value) }}")
    chance = random.Random(7)
    values: list[float | None] = [None, 0.0, 1.0, 0.0005, 0.9995, 0.15, 0.25]
    values += [chance.randint(0, n) / n for n in (chance.randint(1, 5000) for _ in range(5000))]
    with app.test_request_context("/monitor/"), force_locale(language):
        percent = percent_writer()
        for value in values:
            assert str(percent(value)) == macro.render(value=value), value


@pytest.mark.parametrize("language", LANGUAGES)
def test_rate_text_is_the_rate_macro(app: Flask, language: str) -> None:
    """Proves: ``rate(value)`` (the public ranking's rates) writes what the ``rate`` macro wrote,
    in a template as on /units: "—" for None, the percentage otherwise."""
    macro = app.jinja_env.from_string(RATE_MACRO + "[{{ rate(value) }}]")
    written = app.jinja_env.from_string("[{{ rate(value) }}]")
    chance = random.Random(5)
    values: list[float | None] = [None, 0.0, 1.0, 0.0005, 0.15]
    values += [chance.randint(0, n) / n for n in (chance.randint(1, 5000) for _ in range(2000))]
    with app.test_request_context("/units"), force_locale(language):
        assert written.render(value=None) == "[—]" and rate_text(None) == "—"
        for value in values:
            assert written.render(value=value) == macro.render(value=value), value


@pytest.mark.parametrize("language", LANGUAGES)
def test_satisfaction_rows_are_the_charts_loop(app: Flask, language: str) -> None:
    """Proves: ``satisfaction_rows(chart)`` writes the chart's rows as the template's loop did,
    character for character: titles with three percentages and the translated plural, names cut
    at 48 characters with "…", escaped names, the lighter bar under 10 ratings, no bar without a
    rate, and the loop's whitespace."""
    loop = app.jinja_env.from_string(ROWS_LOOP)
    chart = interval_chart(UNITS)
    with app.test_request_context("/monitor/"), force_locale(language):
        written = "[\n    " + str(satisfaction_rows_writer(percent_writer())(chart)) + "\n]"
        expected = loop.render(chart=chart, percent_text=percent_text)
    assert written == expected
    assert "bar-few" in written and "…" in written and "&lt;đầu tư&gt; &amp; &#34;xây dựng&#34;" in written


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_chart_has_no_rows(app: Flask, language: str) -> None:
    """Proves: a chart without units writes no row (the template shows no chart then)."""
    with app.test_request_context("/monitor/"), force_locale(language):
        assert str(satisfaction_rows_writer(percent_writer())(interval_chart([]))) == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_written_for_html_are_the_figures_escaped(app: Flask, language: str) -> None:
    """Proves: ``number_writer(html=True)`` writes exactly ``escape`` of ``number_writer()``'s
    text, for counts, days, rates and other values (a text with HTML in it is escaped)."""
    chance = random.Random(11)
    values: list[object] = ["<b>&\"'", 0, -3, 0.05]
    for _ in range(3000):
        n = chance.randint(1, 10_000_000)
        values += [n, n / chance.choice([3, 7, 1000]), Rate(chance.randint(0, n) / n)]
    with app.test_request_context("/"), force_locale(language):
        shown, html = number_writer(), number_writer(html=True)
        for value in values:
            assert html(value) == str(escape(shown(value))), value
