"""What every page needs, whichever blueprint renders it: the words shown for stored codes
(template filters, ``labels``) and the language helpers (context processor and URL defaults,
``site``). ``create_app`` calls ``register_web``; blueprints import from here, never register these.
"""

from __future__ import annotations

from flask import Flask

from feedback.web.labels import TEMPLATE_FILTERS
from feedback.web.site import keep_language, template_helpers


def register_web(app: Flask) -> None:
    """Add the template filters, the context processor and the URL defaults to ``app``."""
    for name, function in TEMPLATE_FILTERS:
        app.add_template_filter(function, name)
    app.context_processor(template_helpers)
    app.url_defaults(keep_language)


__all__ = ["register_web"]
