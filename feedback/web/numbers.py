"""Figures written in the current language exactly as Babel writes them (``numberformat``,
``decimalformat('#,##0.0')``, ``percentformat('#,##0.0%')``), from Python's own formatting and the
locale's symbols read once per language: a table of figures has a number per cell (about 1,000
on the public /units page, 900 to 21,000 on the dashboard), and Babel's formatter per cell cost
as much as the figures behind them.

The rounding is Babel's: the decimal ``str()`` writes, half to even (a float's binary value
rounds 0.15 down).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

_SYMBOLS: dict[tuple[str, bool], tuple[dict[int, str], str]] = {}


def _symbols(*, html: bool = False) -> tuple[dict[int, str], str]:
    """The translation of "," and "." to the locale's group and decimal symbols, and its percent
    sign as Babel places it, read once per locale; with ``html``, each escaped for HTML."""
    locale = get_locale()
    name = str(locale)
    found = _SYMBOLS.get((name, html))
    if found is None:
        symbols = {",": get_group_symbol(locale), ".": get_decimal_symbol(locale)}
        percent = format_percent(0, "0%", locale=locale).replace("0", "")  # Babel names no getter for it
        if html:
            symbols = {char: str(escape(symbol)) for char, symbol in symbols.items()}
            percent = str(escape(percent))
        found = _SYMBOLS[(name, html)] = (str.maketrans(symbols), percent)
    return found


# A float with one decimal and a rate as a percentage, written in Python's symbols ("," and ".")
# before the locale's are put in, kept once written: the decimal arithmetic costs 3 to 4 µs a
# figure, and a page writes several hundred, mostly the same from one view to the next (the same
# units' rates). Zero is written afresh every time: -0.0 equals 0.0 as a key, not as text.
_WRITTEN_KEPT = 16_384


@lru_cache(maxsize=_WRITTEN_KEPT)
def _kept_one_decimal(value: float) -> str:
    return format(Decimal(str(value)), ",.1f")


@lru_cache(maxsize=_WRITTEN_KEPT)
def _kept_percent(fraction: float) -> str:
    return format(Decimal(str(fraction)).scaleb(2), ",.1f")


def _one_decimal(value: float) -> str:
    """``value`` with one decimal and groups of thousands, rounded as Babel rounds it."""
    return _kept_one_decimal(value) if value else format(Decimal(str(value)), ",.1f")


def _percent(fraction: float) -> str:
    """``fraction`` × 100 with one decimal and groups of thousands, rounded as Babel rounds it."""
    return _kept_percent(fraction) if fraction else format(Decimal(str(fraction)).scaleb(2), ",.1f")


def number_writer(*, html: bool = False) -> Callable[[object], str]:
    """``shown(value)``: a rate (an object with ``value``, a fraction) as a percentage with one
    decimal, a float with one decimal, an int with group separators ("75,0%", "9,3", "12.345" in
    Vietnamese). With ``html``, the text escaped for HTML (``str(escape(text))``), the locale's
    symbols escaped once rather than every figure (digits and "-" need none): a table of figures
    writes one a cell."""
    symbols, percent = _symbols(html=html)

    def shown(value: object) -> str:
        if isinstance(value, float):
            return _one_decimal(value).translate(symbols)
        if isinstance(value, int):
            return f"{value:,}".translate(symbols)
        rate = getattr(value, "value", None)  # a rate (monitoring.Rate): a fraction
        if isinstance(rate, float | int):
            return _percent(rate).translate(symbols) + percent
        return str(escape(value)) if html else str(value)

    return shown


def percent_text(fraction: float) -> str:
    """A fraction as ``percentformat('#,##0.0%')`` writes it ("75,0%" in Vietnamese)."""
    symbols, percent = _symbols()
    return _percent(fraction).translate(symbols) + percent


def percent_writer() -> Callable[[float | None], Markup]:
    """``percent(fraction)``: a rate as ``percent_text`` writes it, or "—" with its reason as a
    title when it has no denominator (None), as the dashboard's ``percent`` macro wrote it. A
    Python call, the locale read once a page: the province's dashboard writes about 460 of them
    (its ranking, its chart's titles, its trend), and a macro call each cost more than the figure."""
    symbols, percent = _symbols(html=True)
    no_data = Markup(f'<span title="{escape(_("Chưa có số liệu để tính"))}">—</span>')
    # Each rate written once: a page writes most of them twice (a unit's rate and interval in the
    # ranking and in its chart row's title), and many are the same (0 %, 100 %).
    seen: dict[float, Markup] = {}

    def written(fraction: float | None) -> Markup:
        if fraction is None:
            return no_data
        found = seen.get(fraction)
        if found is None:
            found = seen[fraction] = Markup(_percent(fraction).translate(symbols) + percent)
        return found

    return written


def rate_text(fraction: float | None) -> str:
    """A bare rate as ``percent_text`` writes it, or "—" when it has no denominator (None): the
    public ranking's rates, three a unit (a macro call each cost more than the figure)."""
    return "—" if fraction is None else percent_text(fraction)


def figure_cells_writer() -> Callable[[Sequence[Any], Any], Markup]:
    """``figure_cells(columns, row)``: the ``<td>`` of every column of ``row`` as
    ``macros/figures.html``'s ``unit_table`` wrote them: the figure (``number_writer``), or "—"
    with its reason when it has no denominator. One writer a table: the locale and the reason
    are read once, not once a row."""
    shown = number_writer(html=True)
    none = f'<span class="no-figure" title="{escape(_("Chưa có số liệu để tính"))}">—</span>'
    opening: dict[str, str] = {}

    def figure_cells(columns: Sequence[Any], row: Any) -> Markup:
        cells = []
        for column in columns:
            start = opening.get(column.key)
            if start is None:
                start = opening[column.key] = f'<td class="number" data-figure="{escape(column.key)}">'
            value = column.cell(row)
            cells.append(f"{start}{none if value is None else shown(value)}</td>")
        return Markup("".join(cells))

    return figure_cells
