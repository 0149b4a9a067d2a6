"""The figures written in Python (``feedback.web.numbers``) against Babel and the Jinja macro they
replace (the oracles), in both languages."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from flask_babel import force_locale, format_decimal, format_number, format_percent

from feedback.services.monitoring import FIGURE_COLUMNS, Rate
from feedback.services.statistics import Figures

# ``macros/figures.html``'s cells of a unit's row as its macro wrote them with Babel, before
# ``figure_cells_writer`` and ``percent_text``.
MACRO_ROW = """{% macro figure(cell) -%}
{%- if cell is none -%}<span class="no-figure" title="{{ _('Chưa có số liệu để tính') }}">—</span>
{%- elif cell.value is defined -%}{{ cell.value|percentformat('#,##0.0%') }}
{%- elif cell is float -%}{{ cell|decimalformat('#,##0.0') }}
{%- else -%}{{ cell|numberformat }}
{%- endif -%}
{%- endmacro %}
{%- for column in columns %}<td class="number" data-figure="{{ column.key }}">{{ figure(column.cell(row)) }}</td>{% endfor %}"""

ROWS = [
    Figures.of("UBND-1", "Ủy ban", received=7, answered=3, answered_on_time=2, overdue_open=1,
               median_days_to_answer=9.25, transfers=0, reopened=1, ratings=12, satisfied=9),
    Figures.of("UBND-2", "Ủy ban 2", received=1234567, answered=1234000, answered_on_time=1001234, overdue_open=4321,
               median_days_to_answer=1234.56, transfers=10000, reopened=2000, ratings=654321, satisfied=543210),
    Figures.of("", "", received=0),
    Figures.of("A", "A", received=2000, answered=2000, answered_on_time=3, ratings=2000, satisfied=3,
               median_days_to_answer=2.45),
    Figures.of("B", "B", received=800, answered=800, answered_on_time=1, ratings=40, satisfied=7,
               median_days_to_answer=0.35, reopened=1),
]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_units_row_is_the_macros_cell_for_cell(app: Flask, language: str) -> None:
    """Proves: the public tables' cells (``figure_cells_writer``: /units, the Front's monthly report)
    are the macro's, character for character: counts with group separators, rates and medians
    with one decimal rounded as Babel rounds (3 of 2,000 is 0,2%), "—" with its translated
    reason for a figure without a denominator."""
    from feedback.web.numbers import figure_cells_writer

    assert app.jinja_env.globals["figure_cells_writer"] is figure_cells_writer
    macro = app.jinja_env.from_string(MACRO_ROW)
    with app.test_request_context("/units"), force_locale(language):
        cells = figure_cells_writer()
        for row in ROWS:
            assert str(cells(FIGURE_COLUMNS, row)) == macro.render(columns=FIGURE_COLUMNS, row=row), row.key


@pytest.mark.parametrize("language", ["vi", "en"])
def test_numbers_are_written_as_babel_writes_them(app: Flask, language: str) -> None:
    """Proves: ``number_writer`` (and ``percent_text``) write 20,000 random rates k/n, days and counts exactly as
    Babel's percentformat('#,##0.0%'), decimalformat('#,##0.0') and numberformat do, halves
    included."""
    from feedback.web.numbers import number_writer, percent_text

    chance = random.Random(9)
    with app.test_request_context("/"), force_locale(language):
        shown = number_writer()
        for _ in range(20_000):
            n = chance.randint(1, 5000)
            k = chance.randint(0, n)
            assert shown(Rate(k / n)) == percent_text(k / n) == format_percent(k / n, "#,##0.0%"), (k, n)
            days = chance.randint(0, 100_000) / chance.choice([1, 3, 7, 20, 100, 1000])
            assert shown(days) == format_decimal(days, "#,##0.0"), days
            assert shown(k * n) == format_number(k * n)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_figure_written_again_is_written_as_babel_writes_it(app: Flask, language: str) -> None:
    """Proves: the figures kept once written (``numbers._kept_percent``, ``_kept_one_decimal``)
    are written again, in either language, as Babel writes them, and a zero as its own sign says
    (-0.0 equals 0.0 as a key, so zeros are never kept): both orders of 0.0 and -0.0."""
    from feedback.web.numbers import number_writer, percent_text

    with app.test_request_context("/"), force_locale(language):
        shown = number_writer()
        for _ in range(2):
            for fraction in (0.125, 2 / 3, 1.0, 0.0005, 0.0, -0.0, 0.0):
                assert percent_text(fraction) == format_percent(fraction, "#,##0.0%"), fraction
                assert shown(Rate(fraction)) == format_percent(fraction, "#,##0.0%"), fraction
            for days in (9.25, 0.35, 1234.56, -0.0, 0.0, -0.0):
                assert shown(days) == format_decimal(days, "#,##0.0"), days
