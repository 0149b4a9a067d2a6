"""A hand-counted world for the statistics: six items whose every figure can be counted on
paper (tests/services/test_statistics.py holds the counts). Raw rows are written directly, at
chosen local times, so nothing depends on the deadline arithmetic.

March 2026, Hà Nội time, every time 09:00 unless said. Units: A = the environment department,
B = UBND Hà Tu, C = UBND Vân Đồn.

- I1 report, Tổ 1 (Hà Tu), waste: to A 2/3; answered 10/3 (due 20/3: on time, 8 days);
  rated 5 on 12/3.
- I2 report, Tổ 1, waste: to B 3/3; B returns it 4/3 (a transfer); to A 4/3; waits for the
  resident 6/3 → 8/3; answered 19/3 (due 18/3: late; 15 − 2 = 13 days); rated 2 on 20/3;
  reopened 21/3; answered again 31/3 (due 10/4: on time, 10 days); rated 4 on 2/4.
- I3 complaint, Hà Tu itself (no village), land: to B 5/3; due 4/4; still open: overdue.
- I4 denunciation, Thôn Đài Van (Vân Đồn), other: to C 6/3; kept as a report 6/3 12:00;
  answered 16/3 (due 30/3: on time, 10 days); rated 4 on 17/3, changed to 3 on 18/3.
- I5 comment, Tổ 1, waste: to A 28/2 (February); answered 2/3 (on time, 2 days).
- I6 report, Thôn Đài Van, waste: to C 30/3; C returns it 31/3; nobody holds it; its
  transfer clock (due 7/4) is C's and overdue.

NOW is 15/4/2026 09:00.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from feedback.domain.assignments import EndReason
from feedback.domain.calendar import VN_TZ
from feedback.domain.events import Actor, EventAction
from feedback.domain.handling import DraftStatus
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Answer, Assignment, Deadline, Feedback, InfoRequest, Locality, Rating, Reopening, Topic, Unit
from feedback.models.users import Role, User
from feedback.services.audit import record_event
from tests.factories import Directory, make_directory, make_user


def local(month: int, day: int, hour: int = 9) -> datetime:
    """``day``/``month``/2026 at ``hour``:00 in Hà Nội, as aware UTC."""
    return datetime(2026, month, day, hour, tzinfo=VN_TZ).astimezone(UTC)


def end_of(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 23, 59, 59, tzinfo=VN_TZ).astimezone(UTC)


NOW = local(4, 15)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@dataclass
class World:
    directory: Directory
    a: Unit
    b: Unit
    c: Unit
    items: dict[str, Feedback]
    author: User


def _item(d: Directory, name: str, kind: Kind, locality: Locality, topic: Topic, received: datetime) -> Feedback:
    item = Feedback(kind=kind, title=f"Ý kiến {name}", body="Nội dung.", locality=locality, topic=topic,
                    status=Status.RECEIVED, received_at=received, token_hash=secrets.token_hex(32),
                    submitter_name="Nguyễn Văn A" if kind.needs_identity else None)
    db.session.add(item)
    db.session.flush()
    item.code = f"QN-26-{item.id:06d}-{name}"
    return item


def _assign(item: Feedback, unit: Unit, at: datetime, ended: datetime | None = None,
            reason: EndReason | None = None) -> None:
    db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=at, ended_at=ended,
                              end_reason=reason, explanation=""))
    item.current_unit_id = None if ended else unit.id
    item.status = Status.RECEIVED if ended else Status.IN_PROGRESS
    db.session.flush()


def _clock(item: Feedback, unit: Unit, clock: str, sequence: int, start: datetime, due: datetime,
           met: datetime | None = None, breached: datetime | None = None) -> None:
    db.session.add(Deadline(feedback_id=item.id, unit_id=unit.id, clock=clock, sequence=sequence, legal_basis="test",
                            day_type="calendar", period_days=15, starts_at=start, due_at=due, met_at=met,
                            breached_at=breached, closed_at=met, created_at=start))
    db.session.flush()


def _answer(w: World, item: Feedback, unit: Unit, cycle: int, at: datetime) -> Answer:
    answer = Answer(feedback_id=item.id, cycle=cycle, status=DraftStatus.PUBLISHED, text="Trả lời.",
                    author_id=w.author.id, unit_id=unit.id, unit_code=unit.code, unit_name=unit.name,
                    created_at=at, updated_at=at, published_at=at)
    db.session.add(answer)
    item.status, item.answered_at, item.answered_by_unit_id = Status.ANSWERED, at, unit.id
    db.session.flush()
    return answer


def _rate(item: Feedback, answer: Answer, score: int, at: datetime, changed: datetime | None = None) -> Rating:
    rating = Rating(feedback_id=item.id, answer_id=answer.id, cycle=answer.cycle, score=score, rated_at=at,
                    changed_at=changed, unit_id=answer.unit_id, unit_code=answer.unit_code, unit_name=answer.unit_name)
    db.session.add(rating)
    db.session.flush()
    return rating


def build_world() -> World:
    """The six items above, flushed (not committed)."""
    d = make_directory()
    a, b, c = d.environment_dept, d.ubnd_ha_tu, d.ubnd_van_don
    author = make_user("tac-gia-tra-loi", Role.OFFICER, unit=a)
    w = World(d, a, b, c, {}, author)
    res = "resolution"

    i1 = w.items["I1"] = _item(d, "I1", Kind.REPORT, d.village, d.waste, local(3, 2, 8))
    _assign(i1, a, local(3, 2))
    _clock(i1, a, res, 1, local(3, 2), end_of(3, 20), met=local(3, 10))
    _rate(i1, _answer(w, i1, a, 1, local(3, 10)), 5, local(3, 12))

    i2 = w.items["I2"] = _item(d, "I2", Kind.REPORT, d.village, d.waste, local(3, 3, 8))
    _assign(i2, b, local(3, 3), ended=local(3, 4), reason=EndReason.NOT_COMPETENT)
    _assign(i2, a, local(3, 4))
    db.session.add(InfoRequest(feedback_id=i2.id, question="Địa chỉ cụ thể?", asked_by_id=author.id,
                               asked_at=local(3, 6), reply="Số 5.", answered_at=local(3, 8)))
    _clock(i2, a, res, 1, local(3, 3), end_of(3, 18), met=local(3, 19), breached=local(3, 19, 1))
    first = _answer(w, i2, a, 1, local(3, 19))
    rating = _rate(i2, first, 2, local(3, 20))
    db.session.add(Reopening(feedback_id=i2.id, rating_id=rating.id, cycle=1, reopened_at=local(3, 21),
                             unit_id=a.id, unit_code=a.code, unit_name=a.name))
    _clock(i2, a, res, 2, local(3, 21), end_of(4, 10), met=local(3, 31))
    _rate(i2, _answer(w, i2, a, 2, local(3, 31)), 4, local(4, 2))

    i3 = w.items["I3"] = _item(d, "I3", Kind.COMPLAINT, d.ha_tu, d.land, local(3, 5, 8))
    _assign(i3, b, local(3, 5))
    _clock(i3, b, res, 1, local(3, 5), end_of(4, 4))

    i4 = w.items["I4"] = _item(d, "I4", Kind.DENUNCIATION, d.remote_village, d.other, local(3, 6, 8))
    _assign(i4, c, local(3, 6))
    i4.kind = Kind.REPORT
    record_event(i4, EventAction.KIND_CHANGED, actor=Actor.system(), at=local(3, 6, 12),
                 before={"kind": "denunciation"}, after={"kind": "report", "explanation": "Nặc danh."})
    _clock(i4, c, res, 1, local(3, 6, 12), end_of(3, 30), met=local(3, 16))
    _rate(i4, _answer(w, i4, c, 1, local(3, 16)), 3, local(3, 17), changed=local(3, 18))

    i5 = w.items["I5"] = _item(d, "I5", Kind.COMMENT, d.village, d.waste, local(2, 28, 8))
    _assign(i5, a, local(2, 28))
    _clock(i5, a, res, 1, local(2, 28), end_of(3, 20), met=local(3, 2))
    _answer(w, i5, a, 1, local(3, 2))

    i6 = w.items["I6"] = _item(d, "I6", Kind.REPORT, d.remote_village, d.waste, local(3, 30, 8))
    _assign(i6, c, local(3, 30), ended=local(3, 31), reason=EndReason.NOT_COMPETENT)
    _clock(i6, c, res, 1, local(3, 30), end_of(4, 20))
    _clock(i6, c, "transfer", 1, local(3, 30), end_of(4, 7))
    db.session.flush()
    return w
