"""When a second POST of the resident's form is the same report again, and when it is a new one.

A form carries a random ``submission_key`` so that a double click, a reload or back-and-resubmit
does not make two items. The key is in the page's HTML, so it is not a secret: whoever learns it
(a shared computer, a cached page, a proxy log) must not be able to fetch the first sender's
receipt with it, and a resident who goes back, changes the report and sends again must get a new
item, not the first one's receipt.

So a POST counts as a repeat only when three things match: the form's key, the sender's session
(an opaque random value kept in the session cookie, see ``feedback.public.receipts``) and the
content (``content_fingerprint``). Only ``repeat_digest`` of the three is stored: the key itself
never reaches the database, and a digest found again proves that all three were the same.

The resident's secret token of a form sent with a key is ``repeat_token``: keyed with the
application's secret over the same three values. A genuine repeat (a double click whose first
answer, carrying the session cookie with the token, was dropped) can show the same secret link
again; nobody else can compute it, since that needs the form's key, the session's own value
(never stored on the server) and the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

# Bumped if the composition of the digest ever changes, so old and new digests never collide.
_VERSION = "repeat-v1"


@dataclass(frozen=True)
class ResidentText:
    """What the resident wrote and how to reach them, as cleaned at intake. Said once for the
    content that makes a repeat (``ReportContent``) and the resident's own view of the item
    (``services.intake.tracking.PrivateItem``)."""

    title: str
    body: str
    name: str | None
    phone: str | None
    email: str | None
    consent_share_contact: bool


@dataclass(frozen=True)
class ReportContent(ResidentText):
    """What the resident reported, after cleaning: what makes two POSTs "the same report".

    ``locality_code`` is the item's place (the village when one was chosen, else the commune);
    ``attachment_hashes`` are the SHA-256 digests of the files in the order they were sent.
    """

    kind: str
    locality_code: str
    topic_code: str
    attachment_hashes: Sequence[str] = ()


def content_fingerprint(content: ReportContent) -> str:
    """Return a SHA-256 digest (64 hex digits) of everything in ``content``.

    Two contents give the same fingerprint exactly when every field is equal (fields are
    serialised unambiguously, so "a" + "bc" never equals "ab" + "c"). Deterministic; never raises.
    """
    payload = json.dumps(
        [content.kind, content.locality_code, content.topic_code, content.title, content.body,
         content.name, content.phone, content.email, content.consent_share_contact,
         list(content.attachment_hashes)],
        separators=(",", ":"),  # ASCII escapes: any text serialises, even a lone surrogate
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def repeat_digest(submission_key: str, session_id: str | None, fingerprint: str) -> str:
    """Return the value stored to recognise a repeat: SHA-256 (64 hex digits) of key, session and content.

    Equal only when all three are equal. ``session_id`` None (a sender without a session, e.g. a
    future API client) is distinct from every session's value. Deterministic; never raises for text.
    """
    payload = json.dumps([_VERSION, submission_key, session_id, fingerprint], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def repeat_token(secret: str, submission_key: str, session_id: str, fingerprint: str) -> str:
    """Return the resident's secret token for this key, session and content (URL-safe, 43 characters).

    HMAC-SHA256 keyed with ``secret``: deterministic, and impossible to compute without all four
    values. Different from ``repeat_digest``, so the stored digest tells nothing about it.
    """
    payload = json.dumps(["resident-token-v2", submission_key, session_id, fingerprint], separators=(",", ":"))
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
