"""The rows of the dashboard's satisfaction chart (``monitor/_charts.html``), written in Python
rather than in the macro's loop: a province has a row per unit (about 60), each with a title
holding three percentages, and the loop, its macro calls and its filter per row cost more than
the rest of the chart. The SVG is the loop's, character for character (its whitespace included),
from the coordinates ``feedback.domain.charts.interval_chart`` computes.
"""

from __future__ import annotations

from collections.abc import Callable

from babel.support import NullTranslations
from flask import current_app
from flask_babel import get_translations
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from feedback.domain.charts import IntervalChart, IntervalRow

Percent = Callable[[float | None], Markup]
# A unit's name longer than this is cut, with "…", over its bar (the template's ``truncate``).
LABEL_CHARACTERS = 48
# Fewer ratings than this draw the bar lighter ("bar-few").
FEW_RATINGS = 10


def satisfaction_rows_writer(percent: Percent) -> Callable[[IntervalChart], Markup]:
    """``satisfaction_rows(chart)``: every ``<g class="chart-row">`` of ``chart``, each with its
    title (the unit, its rate, its 95 % interval and its ratings, in the current language), its
    label and, when the unit has a rate, its bar and its interval; ``percent`` writes the rates."""

    def satisfaction_rows(chart: IntervalChart) -> Markup:
        # The catalogue looked up once for the chart, not through flask_babel at each row's title
        # (what its gettext and ngettext do: the message, then ``%`` with the variables and num).
        translations = get_translations()
        return Markup("".join(_row(chart, row, percent, translations) for row in chart.rows))

    return satisfaction_rows


def _title(row: IntervalRow, percent: Percent, translations: NullTranslations) -> str:
    # The template's gettext escaped the variables it put into the translation (Markup % ...);
    # so are they here, before the same formatting.
    unit = escape(row.label)
    if row.rate is None:
        return translations.ugettext("%(unit)s: chưa có đánh giá") % {"unit": unit}
    return translations.ungettext(
        "%(unit)s: hài lòng %(rate)s, khoảng tin cậy 95%%: %(low)s–%(high)s, %(num)d lượt đánh giá",
        "%(unit)s: hài lòng %(rate)s, khoảng tin cậy 95%%: %(low)s–%(high)s, %(num)d lượt đánh giá",
        row.ratings) % {"unit": unit, "rate": percent(row.rate), "low": percent(row.low), "high": percent(row.high),
                        "num": row.ratings}


def _row(chart: IntervalChart, row: IntervalRow, percent: Percent, translations: NullTranslations) -> str:
    left = chart.left
    label = escape(do_truncate(current_app.jinja_env, row.label, LABEL_CHARACTERS, True, "…"))
    drawn = (f'\n    <g class="chart-row">\n      <title>{_title(row, percent, translations)}</title>\n'
             f'      <text x="{left}" y="{row.label_y}" class="row-label">{label}</text>\n      ')
    if row.rate is not None:
        few = " bar-few" if row.ratings < FEW_RATINGS else ""
        tick_top, tick_bottom = row.bar_y - 2, row.bar_y + row.bar_height + 2
        drawn += (
            f'\n      <rect x="{left}" y="{row.bar_y}" width="{row.bar_end - left}" height="{row.bar_height}"'
            f' class="bar{few}"/>'
            f'\n      <line x1="{row.low_x}" x2="{row.high_x}" y1="{row.middle_y}" y2="{row.middle_y}" class="interval"/>'
            f'\n      <line x1="{row.low_x}" x2="{row.low_x}" y1="{tick_top}" y2="{tick_bottom}" class="interval"/>'
            f'\n      <line x1="{row.high_x}" x2="{row.high_x}" y1="{tick_top}" y2="{tick_bottom}" class="interval"/>'
            "\n      ")
    return drawn + "\n    </g>\n    "
