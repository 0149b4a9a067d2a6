"""An answered item for the rating tests: the handling desk's report, accepted, its answer
submitted by the officer and published by the head on Tue 10/3/2026 09:00 (Hà Nội)."""

from __future__ import annotations

from datetime import datetime, timedelta

from feedback.domain.status import Kind
from feedback.services import handling
from tests.services.handling_rows import FRI_6_MARCH, TUE_10_MARCH, WED_4_MARCH, Desk, desk

ANSWERED_AT = TUE_10_MARCH
ANSWER = "Đơn vị đã bố trí xe thu gom rác tại tổ dân phố 1 từ ngày 05/3/2026."


def answered(kind: Kind = Kind.REPORT, *, email: str | None = None, language: str | None = None,
             at: datetime = ANSWERED_AT) -> Desk:
    """The desk's item with its answer published at ``at`` (pages use the real clock: pass a
    recent instant)."""
    d = desk(kind, email=email, language=language)
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    handling.save_draft(d.officer, d.item.id, ANSWER, expected_version=None, now=FRI_6_MARCH)
    handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)
    handling.publish_answer(d.head, d.item.id, now=at)
    return d


def days_after_answer(days: float) -> datetime:
    """An instant ``days`` after the answer was published."""
    return ANSWERED_AT + timedelta(days=days)
