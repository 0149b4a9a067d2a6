"""The options of the dashboard's filter lists and the rows of its ranking, written in Python
rather than in Jinja loops: a province's form lists about 60 units, 54 communes and 40 topics, and
its ranking a row per unit with four rates; the loops' lookups and escapes cost more than the
rows. The HTML is the loops', character for character.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from markupsafe import Markup, escape

from feedback.services import monitoring
from feedback.services.statistics import Figures

Percent = Callable[[float | None], Markup]


def choice_options(choices: Iterable[monitoring.Choice], selected: int | None) -> Markup:
    """``<option value="id"[ selected]>name</option>`` of each choice, the one whose id is
    ``selected`` (None: none) marked selected."""
    return Markup("".join(f'<option value="{choice.id}"{" selected" if choice.id == selected else ""}>'
                          f'{escape(choice.name)}</option>' for choice in choices))


def ranking_rows_writer(percent: Percent) -> Callable[[Sequence[Figures]], Markup]:
    """``ranking_rows(rows)``: the ranking table's ``<tr>`` of each row, numbered from 1, with
    the whitespace the template's loop wrote around each; ``percent`` writes the rates."""

    def ranking_rows(rows: Sequence[Figures]) -> Markup:
        written = []
        for index, row in enumerate(rows, 1):
            low, high = row.satisfaction_ci  # type: ignore[misc]
            written.append(
                f'\n      <tr><td>{index}</td><th scope="row">{escape(row.label)}</th>'
                f'<td>{percent(row.satisfaction_rate)}</td>\n'
                f'        <td class="nowrap">{percent(low)} – {percent(high)}</td>\n'
                f'        <td>{escape(row.ratings)}</td><td>{percent(row.on_time_rate)}</td></tr>\n      ')
        return Markup("".join(written))

    return ranking_rows
