"""What a resident's (signed, not encrypted) session cookie holds of them, and for how long.

- ``sender_id``: a random value naming this browser session; the submission service counts a
  POST as a repeat of an earlier one only from the same session (``feedback.domain.repeats``).
- The receipts: the secret token of each item sent from this session, kept between the POST and
  the receipt page so that the redirect's URL holds no secret (it never reaches access logs), and
  so that a double click from this session shows the same receipt. A token is kept for
  ``SECRET_LINK_WINDOW`` only: on a shared computer the next person must not reopen
  ``/submitted/<code>`` and read the previous resident's secret link.
- The id of the files chosen before the form without JavaScript was re-rendered, held on the
  server (``feedback.services.intake.held_uploads``) for one form, named by a digest of that form's key.
- Digests of the keys of the forms sent from this session (no content).
- ``forget_resident`` drops all of it at once ("this is a shared computer: forget me now") and
  keeps only digests of the forms it forgot (``is_spent_form``): the browser's "resubmit the
  form?" after going back must not send the previous resident's report again as a new item.

Time is an argument: ``now`` is aware UTC.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app, session

from feedback.services.intake import release_files

_RECEIPTS = "receipts"
_SENDER = "sender_id"
_HELD = "held_uploads"
_SENT = "sent_forms"
_SPENT = "spent_forms"
# A cookie is small: the last few items sent from this browser are enough.
_KEEP = 5
# Long enough to save or copy the link after sending (and to survive a double click on a slow
# line); short enough that the next person at a kiosk finds nothing.
SECRET_LINK_WINDOW = timedelta(minutes=10)


def sender_id() -> str:
    """This session's random sender id, made on first use (a new session gets a new one)."""
    value = session.get(_SENDER)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(16)
        session[_SENDER] = value
    return value


def remember_receipt(code: str, token: str, *, form_key: str, issued_at: datetime, now: datetime) -> None:
    """Remember ``token`` for ``code``, sent with the form ``form_key``, until ``issued_at +
    SECRET_LINK_WINDOW``; nothing is kept when that is already past at ``now``."""
    kept = [entry for entry in _fresh(now) if entry[0] != code]
    if issued_at > now - SECRET_LINK_WINDOW:
        kept.append([code, token, issued_at.timestamp()])
    session[_RECEIPTS] = kept[-_KEEP:]
    # Outlives the receipt: "forget me" must know every form sent from here (``is_spent_form``).
    tag = _form_tag(form_key)
    session[_SENT] = [*(t for t in session.get(_SENT, []) if t != tag), tag][-2 * _KEEP:]


def remembered_token(code: str, *, now: datetime) -> str | None:
    """The token remembered for ``code`` in this session, if it is still within its window.

    Tokens past their window are dropped from the session as a side effect.
    """
    fresh = _fresh(now)
    if fresh != session.get(_RECEIPTS, []):
        session[_RECEIPTS] = fresh
    for entry in fresh:
        if entry[0] == code:
            return str(entry[1])
    return None


def hold_for_form(form_key: str, hold_id: str | None) -> None:
    """Keep the hold ``hold_id`` for the form with ``form_key``; a hold kept before (for any form)
    is removed."""
    release_held()
    if hold_id:
        session[_HELD] = {"form": _form_tag(form_key), "hold": hold_id}


def held_for_form(form_key: str) -> str | None:
    """The id of the hold kept for the form with ``form_key`` in this session (None for another form)."""
    entry = session.get(_HELD)
    if not isinstance(entry, dict) or entry.get("form") != _form_tag(form_key):
        return None
    hold_id = entry.get("hold")
    return hold_id if isinstance(hold_id, str) else None


def release_held() -> None:
    """Remove the files held in this session, and forget them. Idempotent."""
    entry = session.pop(_HELD, None)
    if isinstance(entry, dict) and isinstance(entry.get("hold"), str):
        release_files(entry["hold"], upload_dir=_upload_dir())


def forget_resident() -> None:
    """Drop everything this session holds of the resident: receipts, sender id, held files.

    A staff member's login in the same browser is not the resident's and is left alone. What
    stays is a digest of each forgotten form's key (``is_spent_form``). Idempotent.
    """
    session.pop(_RECEIPTS, None)
    spent = [tag for tag in session.pop(_SENT, []) if isinstance(tag, str)]
    held = session.get(_HELD)
    if isinstance(held, dict) and isinstance(held.get("form"), str):
        spent.append(held["form"])
    if spent:
        session[_SPENT] = [*session.get(_SPENT, []), *spent][-2 * _KEEP:]
    session.pop(_SENDER, None)
    release_held()


def is_spent_form(form_key: str) -> bool:
    """Whether the form with ``form_key`` was sent from this session before "forget me"."""
    return _form_tag(form_key) in session.get(_SPENT, [])


def _form_tag(form_key: str) -> str:
    return hashlib.sha256(form_key.encode("utf-8", "replace")).hexdigest()[:32]


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _fresh(now: datetime) -> list[list[object]]:
    """The well-formed receipts of this session whose window has not ended at ``now``."""
    oldest = (now - SECRET_LINK_WINDOW).timestamp()
    return [entry for entry in session.get(_RECEIPTS, [])
            if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], int | float) and entry[2] > oldest]
