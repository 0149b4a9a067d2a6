"""The cells of the dashboard's figures table, written in Python rather than a Jinja macro: a table
has a cell per figure and row (about 900 on the province's page by unit, 21,000 by village), and
a macro call cost more than the figures behind it. The HTML is the macro's, cell for cell.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from feedback.services import monitoring
from feedback.services.statistics import Figures

DrillUrl = Callable[[str, str | None, str | None], str]
FigureCell = Callable[[monitoring.Column, Figures, str | None, str | None], Markup]


def figure_cell_writer(drill_url: DrillUrl) -> FigureCell:
    """``figure_cell(column, row, by, key)``: one ``<td>`` of figures: "—" (with its reason as a
    title) for a figure with no denominator, a rate as a percentage with one decimal, and a figure
    with items behind it as a link to them (``drill_url``; by/key: the row's group, None for the
    totals)."""
    no_data = f'<span title="{escape(_("Chưa có số liệu để tính"))}">—</span>'
    shown = number_writer()

    def figure_cell(column: monitoring.Column, row: Figures, by: str | None, key: str | None) -> Markup:
        # Built as text from escaped parts (escape() is markupsafe's C speedup; Markup.format
        # parsed its template at every call and cost as much as the macro did).
        value = column.cell(row)
        if value is None:
            inner = no_data
        else:
            number = value.value if isinstance(value, monitoring.Rate) else value
            text = shown(value)
            if column.drill and number != 0:
                inner = f'<a href="{escape(drill_url(column.drill, by, key))}">{escape(text)}</a>'
            else:
                inner = str(escape(text))
        return Markup(f'<td class="figure figure-{escape(column.key)}">{inner}</td>')

    return figure_cell


def number_writer() -> Callable[[object], str]:
    """A figure as ``macros/figures.html`` writes it in the current language (a rate as
    ``percentformat('#,##0.0%')``, days as ``decimalformat('#,##0.0')``, a count as
    ``numberformat``: "75,0%", "9,3", "12.345" in Vietnamese), from Python's own formatting and
    the locale's symbols read once: Babel's formatter per cell cost as much as the figures."""
    locale = get_locale()
    symbols = str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})
    percent = format_percent(0, "0%", locale=locale).replace("0", "")  # Babel names no getter for it

    def shown(value: object) -> str:
        # Rounded as Babel rounds (the decimal written by str(), half to even): a float's binary
        # value rounded otherwise where the decimal ends in 5 (0.15 % of 2,000: "0,1%" for "0,2%").
        if isinstance(value, monitoring.Rate):
            return format(Decimal(str(value.value)).scaleb(2), ",.1f").translate(symbols) + percent
        if isinstance(value, float):
            return format(Decimal(str(value)), ",.1f").translate(symbols)
        if isinstance(value, int):
            return f"{value:,}".translate(symbols)
        return str(value)

    return shown
