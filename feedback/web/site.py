"""What every page needs: the current language, the language switch, links that keep the language.

Registered on the application by ``feedback.web.register_web`` (called by ``create_app``), so
they apply to every blueprint's templates (public, auth, admin, ...) that extend ``base.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.routing import BuildError


def current_language() -> str:
    """The language of this response ("vi" or "en"), as chosen by ``select_locale``."""
    locale = get_locale()
    return str(locale.language) if locale is not None else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def lang_switch_url(lang: str) -> str:
    """This page again (same path, same query) in ``lang``: the target of the language links."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args.append(("lang", lang))
    return f"{request.path}?{urlencode(args)}"


def optional_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)``, or None while that page does not exist (blueprints arrive over time)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def keep_language(endpoint: str | None, values: dict[str, Any]) -> None:
    """Add ``lang`` to every generated link while the visitor reads a non-default language.

    The session remembers the choice too; the parameter keeps it for visitors without cookies
    and in links they copy or bookmark. Static files and links that set ``lang`` are left alone.
    """
    if not has_request_context() or endpoint == "static" or endpoint is None or "lang" in values:
        return
    language = current_language()
    if language != current_app.config["BABEL_DEFAULT_LOCALE"]:
        values["lang"] = language


def template_helpers() -> dict[str, Any]:
    return {
        "current_locale": current_language(),
        "lang_switch_url": lang_switch_url,
        "optional_url": optional_url,
        **template_gettext(),
    }


def template_gettext() -> dict[str, Callable[..., str]]:
    """``gettext`` and ``ngettext`` for one rendering (``_()`` in a template calls ``gettext``),
    from the catalogue of the language in force when the rendering starts (under
    ``force_locale`` too, as a mail is rendered), looked up once.

    They do what Flask-Babel installs in Jinja (``newstyle``: the translation made ``Markup``
    when autoescaping, then ``%`` with the variables, escaped), which looks the catalogue up
    through ``flask.g`` at every call: a dashboard page has about 90 of them, and the lookups
    cost more than the translations. Templates imported without their context (``{% import %}``)
    still call Flask-Babel's."""
    translations = get_translations()
    translate, translate_plural = translations.ugettext, translations.ungettext

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        translated = translate(string)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        translated = translate_plural(singular, plural, num)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables

    return {"gettext": gettext, "ngettext": ngettext}

