"""The resident's secret tokens kept in their own session between the POST and the receipt page.

The token is only known when the item is created. Keeping it in the (signed) session lets the
form redirect to a receipt page whose URL holds no secret (so it never reaches access logs), and
lets a second POST of the same form (double click, back and resubmit) show the same receipt.
"""

from __future__ import annotations

from flask import session

_KEY = "receipts"
# A cookie is small: the last few items sent from this browser are enough.
_KEEP = 5


def remember_receipt(code: str, token: str) -> None:
    """Remember ``token`` for ``code`` in this visitor's session (the newest few only)."""
    kept = [pair for pair in session.get(_KEY, []) if pair[0] != code]
    kept.append([code, token])
    session[_KEY] = kept[-_KEEP:]


def remembered_token(code: str) -> str | None:
    """The token remembered for ``code`` in this session, if any."""
    for pair in session.get(_KEY, []):
        if isinstance(pair, list) and len(pair) == 2 and pair[0] == code:
            return str(pair[1])
    return None
