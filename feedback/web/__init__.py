"""What every page needs, whichever blueprint renders it: the words shown for stored codes
(template filters, ``labels``), the language helpers (context processor and URL defaults,
``site``) and the refusal of a NUL in the URL (``args``). ``create_app`` calls ``register_web``; blueprints import from here, never register these.
"""

from __future__ import annotations

from flask import Flask

from feedback.web.args import refuse_nul_in_url
from feedback.web.labels import TEMPLATE_FILTERS
from feedback.web.numbers import figure_cells_writer, percent_text, rate_text
from feedback.web.site import keep_language, template_helpers


def register_web(app: Flask) -> None:
    """Add the template filters, the context processor, the URL defaults and the NUL check to ``app``."""
    for name, function in TEMPLATE_FILTERS:
        app.add_template_filter(function, name)
    app.add_template_global(figure_cells_writer, "figure_cells_writer")
    app.add_template_global(percent_text, "percent_text")
    app.add_template_global(rate_text, "rate")
    app.context_processor(template_helpers)
    app.url_defaults(keep_language)
    app.before_request(refuse_nul_in_url)


__all__ = ["register_web"]
