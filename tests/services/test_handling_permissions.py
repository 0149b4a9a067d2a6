"""Every handling action asks the one access rule before it writes (issue #8 review): for each
action, set up the state in which the holding unit's right person succeeds, then an officer of
another unit and the Front monitor of the item's commune (and, for the head's actions, the
holding unit's own officer) are NotAllowed and nothing at all is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.handling import RejectReason
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import (
    Answer, Deadline, Event, ExtensionRequest, Feedback, InfoRequest, Note, Notification, User,
)
from feedback.services import handling
from feedback.services.handling import NotAllowed
from feedback.services.routing import transfer
from tests.services.handling_rows import FRI_6_MARCH, WED_4_MARCH, Desk, desk

Act = Callable[[User, int], object]


@pytest.fixture(autouse=True)
def _no_broker(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.jobs, "enqueue", lambda *args: True)


def accepted(kind: Kind = Kind.REPORT) -> Desk:
    d = desk(kind, email="dan@example.test")
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    return d


def drafted() -> Desk:
    d = accepted()
    handling.save_draft(d.officer, d.item.id, "Đơn vị đã thu gom rác.", expected_version=None, now=FRI_6_MARCH)
    return d


def submitted() -> Desk:
    d = drafted()
    handling.submit_answer(d.officer, d.item.id, now=FRI_6_MARCH)
    return d


def complaint_decided() -> Desk:
    """A khiếu nại whose first-round decision is published: its DECISION_NOTICE clock is open."""
    d = accepted(Kind.COMPLAINT)
    handling.save_draft(d.head, d.item.id, "Quyết định giải quyết khiếu nại.", expected_version=None, now=FRI_6_MARCH)
    handling.publish_answer(d.head, d.item.id, now=FRI_6_MARCH)
    return d


def extension_asked() -> Desk:
    d = accepted()
    handling.request_extension(d.officer, d.item.id, "Cần phối hợp liên ngành", now=FRI_6_MARCH)
    return d


def anonymous_denunciation() -> Desk:
    d = desk(Kind.DENUNCIATION)
    d.item.submitter_name = d.item.submitter_phone = None
    db.session.commit()
    return d


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[], Desk]
    act: Act
    head_only: bool = False


CASES = [
    Case("assign_officer", desk, lambda u, i: handling.assign_officer(u, i, _officer_of(i), now=FRI_6_MARCH),
         head_only=True),
    Case("accept", desk, lambda u, i: handling.accept(u, i, now=FRI_6_MARCH)),
    Case("acceptance_notice_sent", lambda: accepted(Kind.DENUNCIATION),
         lambda u, i: handling.acceptance_notice_sent(u, i, now=FRI_6_MARCH)),
    Case("decision_notice_sent", complaint_decided,
         lambda u, i: handling.decision_notice_sent(u, i, now=FRI_6_MARCH)),
    Case("reject", desk, lambda u, i: handling.reject(u, i, RejectReason.ABUSIVE, "Lời lẽ xúc phạm", now=FRI_6_MARCH)),
    Case("keep_as_report", anonymous_denunciation,
         lambda u, i: handling.keep_as_report(u, i, "Tố cáo nặc danh: xử lý như phản ánh", now=FRI_6_MARCH)),
    Case("request_information", desk,
         lambda u, i: handling.request_information(u, i, "Xin gửi thêm ảnh", now=FRI_6_MARCH)),
    Case("add_note", desk, lambda u, i: handling.add_note(u, i, "Đã gọi điện cho tổ dân phố", now=FRI_6_MARCH)),
    Case("save_draft", accepted,
         lambda u, i: handling.save_draft(u, i, "Dự thảo", expected_version=None, now=FRI_6_MARCH)),
    Case("submit_answer", drafted, lambda u, i: handling.submit_answer(u, i, now=FRI_6_MARCH)),
    Case("return_answer", submitted, lambda u, i: handling.return_answer(u, i, "Bổ sung số liệu", now=FRI_6_MARCH),
         head_only=True),
    Case("publish_answer", submitted, lambda u, i: handling.publish_answer(u, i, now=FRI_6_MARCH), head_only=True),
    Case("request_extension", accepted,
         lambda u, i: handling.request_extension(u, i, "Cần thêm thời gian", now=FRI_6_MARCH)),
    Case("grant_extension", extension_asked, lambda u, i: handling.grant_extension(u, i, now=FRI_6_MARCH),
         head_only=True),
    Case("refuse_extension", extension_asked,
         lambda u, i: handling.refuse_extension(u, i, "Chưa đủ căn cứ", now=FRI_6_MARCH), head_only=True),
]


def _officer_of(item_id: int) -> int:
    """The holding unit's officer, as ``desk`` names it."""
    return db.session.scalar(sa.select(User.id).where(User.username == "can-bo-xu-ly")) or 0


def written(item_id: int) -> tuple[object, ...]:
    """Everything a handling action may write about the item."""
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.feedback_id == item_id))
                   for model in (Event, Notification, Note, Answer, InfoRequest, ExtensionRequest, Deadline))
    item = db.session.get(Feedback, item_id)
    assert item is not None
    db.session.refresh(item)
    return (*counts, item.status, item.kind, item.updated_at, item.assigned_officer_id, item.accepted_at)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_only_the_holding_unit_may_act_and_a_refusal_writes_nothing(case: Case) -> None:
    d = case.setup()
    outsiders = [d.stranger, d.monitor, *([d.officer] if case.head_only else [])]
    before = written(d.item.id)
    for outsider in outsiders:
        with pytest.raises(NotAllowed):
            case.act(outsider, d.item.id)
        assert written(d.item.id) == before, outsider.username
    case.act(d.head if case.head_only else d.officer, d.item.id)  # the same call by the right person
    assert written(d.item.id) != before
