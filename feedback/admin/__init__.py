"""Administrator pages: views.py holds the blueprint ``bp`` and the dashboard; each other module
registers the routes of one area on ``bp`` and is imported here so that its routes always exist."""

from feedback.admin import api_keys, calendar, files, items, rules  # noqa: F401
