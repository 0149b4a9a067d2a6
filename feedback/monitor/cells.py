"""The cells of the dashboard's figures table, written in Python rather than a Jinja macro: a table
has a cell per figure and row (about 900 on the province's page by unit, 21,000 by village), and
a macro call cost more than the figures behind it. The HTML is the macro's, cell for cell.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from markupsafe import Markup, escape

from feedback.services import monitoring
from feedback.services.statistics import Figures
from feedback.web.numbers import number_writer

DrillUrl = Callable[[str, str | None, str | None], str]
FigureCell = Callable[[monitoring.Column, Figures, str | None, str | None], Markup]
FigureRow = Callable[[tuple[monitoring.Column, ...], Figures, str | None, str | None], Markup]


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


def figure_row_writer(drill_url: DrillUrl) -> FigureRow:
    """``figure_row(columns, row, by, key)``: every ``<td>`` of ``row``, as ``figure_cell`` writes
    each, in one call from the template (a Jinja loop and call per cell cost more than the cells),
    each column's opening tag escaped once a page and each drill-down link once a row (several
    columns link to the same items: the on-time count and rate, the ratings and their rate)."""
    no_data = f'<span title="{escape(_("Chưa có số liệu để tính"))}">—</span>'
    shown = number_writer(html=True)
    opening: dict[str, str] = {}
    # A figure's link is its figure's link without a group (``drill_url(drill, None, None)``, escaped
    # once a page) followed by the row's group (what ``drill_url`` adds for ``by`` and ``key``,
    # escaped once a row): escaping is per character, so the two escaped parts make the escaped
    # whole, and a table's 900 links cost a concatenation each.
    figure_links: dict[str, str] = {}
    counts: dict[int, str] = {}  # the integers written already (most cells are small counts, many repeat)
    rate = monitoring.Rate

    def figure_link(drill: str) -> str:
        found = figure_links.get(drill)
        if found is None:
            found = figure_links[drill] = str(escape(drill_url(drill, None, None)))
        return found

    def figure_row(columns: tuple[monitoring.Column, ...], row: Figures, by: str | None, key: str | None) -> Markup:
        group = None
        cells = []
        for column in columns:
            start = opening.get(column.key)
            if start is None:
                start = opening[column.key] = f'<td class="figure figure-{escape(column.key)}">'
            value = column.cell(row)
            if value is None:
                cells.append(f"{start}{no_data}</td>")
                continue
            if type(value) is int:
                text = counts.get(value)
                if text is None:
                    text = counts[value] = shown(value)
            else:
                text = shown(value)
            drill = column.drill
            if drill and (value.value if type(value) is rate else value) != 0:
                if group is None:
                    whole, alone = drill_url(drill, by, key), drill_url(drill, None, None)
                    group = str(escape(whole[len(alone):])) if whole.startswith(alone) else None
                href = figure_link(drill) + group if group is not None else str(escape(drill_url(drill, by, key)))
                cells.append(f'{start}<a href="{href}">{text}</a></td>')
            else:
                cells.append(f"{start}{text}</td>")
        return Markup("".join(cells))

    return figure_row
