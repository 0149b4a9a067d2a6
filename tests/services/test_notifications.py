"""queue_notification: one row per dedupe key, and an honest answer about who created it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.events import Actor
from feedback.extensions import db
from feedback.models import Notification
from feedback.services.notifications.outbox import queue_notification
from tests.times import TUESDAY_MORNING



def test_a_second_insert_with_the_same_key_creates_nothing_and_says_so(db_session: Session) -> None:
    """Proves the return value: True for the call that created the row, False for the duplicate
    (the reminder scan counts its work with it), and a single row in the table."""
    first = queue_notification("k:1", "test", subject="Tiêu đề", body="Nội dung", now=TUESDAY_MORNING)
    second = queue_notification("k:1", "test", subject="Khác", body="Khác", now=TUESDAY_MORNING)

    assert (first, second) == (True, False)
    subjects = db.session.scalars(sa.select(Notification.subject).where(Notification.dedupe_key == "k:1")).all()
    assert subjects == ["Tiêu đề"]


TITLE = "Ông Trần Văn Bê, cán bộ địa chính phường, nhận tiền"
BODY = "Ngày 2/3 ông Bê nhận 20 triệu đồng tại nhà riêng để ký xác nhận."
CONTACT = ("Lê Thị Tố Cáo", "0987654321", "nguoi-to-cao@example.vn")


def test_no_notification_to_a_unit_carries_the_residents_text_or_contact(db_session: Session) -> None:
    """Proves issue #6 item 6 for every builder of unit notifications: the assignment notice
    (routing), the notice after a transfer to a named unit, the reminders before and on the due
    day, the breach notice and the escalations to the parent unit and the Front: each names the
    code, the kind and the topic, and none contains the title, the body, the name or the contact."""
    from tests.times import ROUTED_AT
    from datetime import timedelta

    from feedback.domain.status import Kind
    from feedback.services.deadlines.reminders import scan_deadlines
    from feedback.services.routing.route import route_item
    from feedback.services.routing.transfer import return_item
    from tests.factories import make_directory, make_feedback

    d = make_directory()
    item = make_feedback(d, kind=Kind.DENUNCIATION, title=TITLE, submitter_email=CONTACT[2])
    item.body, item.submitter_name, item.submitter_phone = BODY, CONTACT[0], CONTACT[1]
    db.session.commit()
    assert route_item(item.id, now=ROUTED_AT).unit_id == d.ubnd_ha_tu.id
    return_item(item.id, unit_id=d.ubnd_ha_tu.id, reason="Người bị tố cáo do tỉnh quản lý",
                target_unit_id=d.province_committee.id, actor=Actor.cli("test"), now=ROUTED_AT + timedelta(hours=1))
    for day in range(1, 75):  # past every clock of a tố cáo (30 days, plus the 7-working-day step)
        scan_deadlines(ROUTED_AT + timedelta(days=day))

    rows = db.session.scalars(sa.select(Notification).where(Notification.feedback_id == item.id)).all()
    kinds = {row.kind for row in rows}
    assert {"assigned", "deadline_before", "deadline_due_day", "deadline_breach"} <= kinds, kinds
    assert {row.recipient_unit_id for row in rows if row.kind == "assigned"} == {
        d.ubnd_ha_tu.id, d.province_committee.id}
    assert any(row.recipient_unit_id == d.front_ha_tu.id for row in rows)  # an escalation too
    for row in rows:
        text = f"{row.subject}\n{row.body}"
        for secret in (TITLE, BODY, "Trần Văn Bê", *CONTACT):
            assert secret not in text, (row.kind, secret)
        assert str(item.code) in text
        if row.kind == "assigned" or row.kind.startswith("deadline_"):
            assert "Tố cáo" in row.body and "Rác thải" in row.body, row.body


@pytest.mark.parametrize("count", [1, 3, 25], ids=["one row", "three rows (UNION ALL)", "beyond SHAPE_ROWS"])
def test_the_notices_insert_writes_its_rows_in_order_and_keeps_small_shapes(db_session: Session, count: int) -> None:
    """Proves ``notifications_insert`` (routing's notices, issue #11 item 1b): its rows are written
    in the order given (the ids follow it: the mailer sends the lowest first), a row whose
    dedupe key exists is skipped, and a statement of at most SHAPE_ROWS rows is the same object
    for the next call of that shape (built once, compiled once), while a larger one is built for
    its call (not kept in memory)."""
    from feedback.services.database import SHAPE_ROWS
    from feedback.services.notifications.outbox import notifications_insert
    from feedback.services.statistics.rollups import execute_together

    assert queue_notification("order:1", "test", subject="s", body="b", now=TUESDAY_MORNING)

    def rows(tag: str) -> list[dict[str, object]]:
        return [dict(dedupe_key=f"order:{tag}{n}" if n else "order:1", kind="test", subject=f"s{n}", body="b")
                for n in range(count)]

    first, second = notifications_insert(rows("a"), now=TUESDAY_MORNING), notifications_insert(rows("b"),
                                                                                              now=TUESDAY_MORNING)
    assert (first.statement is second.statement) is (count <= SHAPE_ROWS) and first.kept is (count <= SHAPE_ROWS)
    execute_together(db.session(), [first])
    execute_together(db.session(), [second])

    written = db.session.execute(sa.select(Notification.dedupe_key, Notification.subject)
                                 .where(Notification.dedupe_key.like("order:%")).order_by(Notification.id)).all()
    assert written == [("order:1", "s"), *((f"order:a{n}", f"s{n}") for n in range(1, count)),
                       *((f"order:b{n}", f"s{n}") for n in range(1, count))]
