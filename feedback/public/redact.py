"""Keep residents' secret tokens out of access logs.

The resident's link is ``/t/<code>/<token>``; whoever reads a log line holding it could act as the
resident. The form itself never puts a token in a URL (the receipt reads it from the session), but
the link is visited later: this filter rewrites the token to ``[…]`` in the request lines that the
development server (``werkzeug``) and gunicorn (``gunicorn.access``) log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

_SECRET_PATH = re.compile(r"(/t/[^/\s?#\"]+/)[^/\s?#\"]+")
REDACTED = r"\1[…]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    """``text`` with the token of every ``/t/<code>/<token>`` path replaced."""
    return _SECRET_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites message and arguments of each record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args: Any = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, MutableMapping):  # gunicorn passes its atoms as a mapping
            for key in list(args):
                if isinstance(args[key], str):
                    args[key] = redact(args[key])
        return True


def install_log_redaction() -> None:
    """Attach the filter to the access loggers once per process."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
