"""domain.repeats: a repeat is recognised only by key, session and content together, and the
resident's token of a form cannot be computed without the secret key and the session's value."""

from __future__ import annotations

from dataclasses import replace

import pytest

from feedback.domain.repeats import ReportContent, content_fingerprint, repeat_digest, repeat_token

CONTENT = ReportContent(
    kind="report", locality_code="06652-001", topic_code="moi-truong.rac-thai", title="Rác tồn đọng",
    body="Rác không được thu gom.", name=None, phone=None, email=None, consent_share_contact=False,
    attachment_hashes=("a" * 64,),
)


@pytest.mark.parametrize("change", [
    {"kind": "petition"}, {"locality_code": "06652"}, {"topic_code": "ha-tang"}, {"title": "Rác tồn đọng!"},
    {"body": "Rác không được thu gom"}, {"name": "Lê Văn C"}, {"phone": "0912345678"}, {"email": "a@b.vn"},
    {"consent_share_contact": True}, {"attachment_hashes": ()}, {"attachment_hashes": ("b" * 64,)},
    {"attachment_hashes": ("a" * 64, "a" * 64)},
], ids=lambda change: f"{next(iter(change))}={next(iter(change.values()))!r}"[:40])
def test_every_field_of_the_content_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert content_fingerprint(replace(CONTENT, **change)) != content_fingerprint(CONTENT)  # type: ignore[arg-type]


def test_the_fingerprint_is_deterministic_and_unambiguous() -> None:
    assert content_fingerprint(replace(CONTENT)) == content_fingerprint(CONTENT)
    split_differently = replace(CONTENT, title="Rác tồn", body="đọngRác không được thu gom.")
    assert content_fingerprint(split_differently) != content_fingerprint(CONTENT)


def test_the_digest_needs_the_same_key_session_and_content() -> None:
    fingerprint = content_fingerprint(CONTENT)
    digest = repeat_digest("key", "session", fingerprint)
    assert len(digest) == 64 and "key" not in digest
    assert repeat_digest("key", "session", fingerprint) == digest
    others = {repeat_digest("key2", "session", fingerprint), repeat_digest("key", "session2", fingerprint),
              repeat_digest("key", None, fingerprint), repeat_digest("key", "session", content_fingerprint(
                  replace(CONTENT, title="x")))}
    assert digest not in others and len(others) == 4


def test_the_token_needs_the_secret_the_key_the_session_and_the_content() -> None:
    fingerprint = content_fingerprint(CONTENT)
    token = repeat_token("secret", "key", "session", fingerprint)
    assert len(token) == 43 and token == repeat_token("secret", "key", "session", fingerprint)
    others = {repeat_token("other", "key", "session", fingerprint), repeat_token("secret", "key2", "session", fingerprint),
              repeat_token("secret", "key", "session2", fingerprint),
              repeat_token("secret", "key", "session", content_fingerprint(replace(CONTENT, body="x")))}
    assert token not in others and len(others) == 4
    assert token != repeat_digest("key", "session", fingerprint)
