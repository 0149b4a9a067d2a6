"""Demo items: a year of feedback that went through the whole loop, made by the real services.

Each item is submitted (``intake.submit_feedback``), routed (``routing.route_item``) and then
handled by the staff of the unit that holds it (``services.handling``: assign an officer,
accept, ask the resident, notes, drafts submitted, returned and published, extensions, refusals
and returns to another unit), every step with its own time passed in as ``now``. A step whose
time is still in the future is not taken: an item received last week is still open, one
received last year whose plan stalls is overdue now. Everything is drawn from a
``random.Random`` seeded with ``SEED``, so two loads into empty databases make the same items.

Demo only (see ``services.demo``): the titles and bodies are invented, no real person is named.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from feedback.domain.handling import RejectReason
from feedback.domain.satisfaction import CLOSE_AFTER, Reason
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import Feedback, Locality, Role, Unit, User
from feedback.services.accounts.users import create_user
from feedback.services.handling import (
    InvalidInput, accept, add_note, assign_officer, current_answer, decision_notice_sent, grant_extension,
    provide_information,
    publish_answer, refuse_extension, reject, request_extension, request_information, return_answer, save_draft,
    submit_answer,
)
from feedback.services.intake.submission import Submission, submit_feedback
from feedback.services.ratings import close_unreopened, rate, reopen
from feedback.services.routing.route import route_item

SEED = 2026
DEMO_ITEMS = 300
DAYS_BACK = 365
RECENT_DAYS = 30
# Share of the items sent from the demo officer's commune (the first one): its inbox is full.
HOME_SHARE = 0.6
# Other communes that send the rest (the next ones in code order).
OTHER_COMMUNES = 3
# Share of the accepted items with an internal note (every write costs a commit: keep the load fast).
NOTE_SHARE = 0.3

# How residents judge a published answer: a score (None: never rated) and its weight. Every
# level occurs; 4 and 5 are the usual answer, as in the SIPAS surveys.
SCORES: tuple[tuple[int | None, int], ...] = ((5, 22), (4, 30), (3, 14), (2, 12), (1, 7), (None, 15))
# Share of the ratings below 3 that the resident turns into a reopening (within the 30 days).
REOPEN_SHARE = 0.6
# Share of the ratings changed within their 7 days (a second thought, one point up or down).
CHANGE_SHARE = 0.08
COMMENTS = (
    "Cảm ơn đơn vị đã xử lý nhanh.",
    "Đã khắc phục nhưng cần duy trì thường xuyên.",
    "Câu trả lời chưa nêu rõ thời hạn khắc phục.",
    "Tình trạng vẫn tiếp diễn như cũ.",
)

Progress = Callable[[int], None]

# (topic code, kind, title, body); "{place}" is the village and commune.
TEMPLATES: tuple[tuple[str, Kind, str, str], ...] = (
    ("moi-truong.rac-thai", Kind.REPORT, "Rác thải tập kết sai nơi quy định ở {place}",
     "Nhiều ngày nay rác sinh hoạt bị đổ ở đầu ngõ, bốc mùi, ruồi muỗi nhiều. Đề nghị bố trí xe thu gom đúng giờ."),
    ("moi-truong.rac-thai", Kind.REPORT, "Xe thu gom rác không đến đúng lịch tại {place}",
     "Tuần này xe rác chỉ đến một lần, rác tràn ra đường. Đề nghị đơn vị thu gom kiểm tra lịch."),
    ("moi-truong.nuoc-thai", Kind.REPORT, "Cống thoát nước bị tắc ở {place}",
     "Sau mỗi trận mưa nước thải tràn lên mặt đường, mùi hôi. Đề nghị nạo vét cống."),
    ("moi-truong.tieng-on", Kind.REPORT, "Tiếng ồn từ quán karaoke sau 22 giờ ở {place}",
     "Quán hát đến khuya, ảnh hưởng giấc ngủ của người già và trẻ nhỏ. Đề nghị kiểm tra, nhắc nhở."),
    ("moi-truong.tieng-on", Kind.REPORT, "Công trình xây dựng gây ồn ban đêm tại {place}",
     "Công trình đổ bê tông từ 23 giờ đến 2 giờ sáng nhiều đêm liền. Đề nghị kiểm tra giấy phép và giờ thi công."),
    ("giao-thong.duong", Kind.REPORT, "Mặt đường xuống cấp, nhiều ổ gà ở {place}",
     "Đoạn đường trước nhà văn hóa có nhiều ổ gà sâu, xe máy đi lại nguy hiểm, nhất là khi trời mưa."),
    ("giao-thong.duong", Kind.PETITION, "Đề nghị lắp gương cầu lồi tại ngã ba {place}",
     "Ngã ba khuất tầm nhìn, đã xảy ra va chạm. Kính đề nghị lắp gương cầu lồi và biển cảnh báo."),
    ("giao-thong.chieu-sang", Kind.REPORT, "Đèn đường không sáng ở {place}",
     "Ba cột đèn liền nhau không sáng đã hơn hai tuần, buổi tối đường rất tối. Đề nghị sửa chữa."),
    ("an-ninh-trat-tu", Kind.REPORT, "Xe tải đỗ chiếm lòng đường ở {place}",
     "Xe tải thường xuyên đỗ qua đêm trên đường nhỏ, cản trở đi lại và xe cứu hỏa."),
    ("an-ninh-trat-tu", Kind.REPORT, "Lấn chiếm vỉa hè để kinh doanh tại {place}",
     "Nhiều hộ bày hàng ra hết vỉa hè, người đi bộ phải đi xuống lòng đường."),
    ("dat-dai", Kind.PETITION, "Đề nghị công khai quy hoạch khu dân cư mới ở {place}",
     "Người dân chưa được biết ranh giới dự án và phương án bồi thường. Kính đề nghị tổ chức đối thoại."),
    ("dat-dai", Kind.COMPLAINT, "Khiếu nại việc xác định diện tích đất bồi thường ở {place}",
     "Gia đình không đồng ý với diện tích đất được ghi trong phương án bồi thường, đề nghị đo đạc lại."),
    ("chinh-sach-xa-hoi", Kind.PETITION, "Đề nghị xem xét trợ cấp cho hộ khó khăn ở {place}",
     "Một số hộ có người già neo đơn chưa được xét trợ cấp. Kính đề nghị rà soát danh sách."),
    ("y-te", Kind.REPORT, "Trạm y tế đóng cửa sớm ở {place}",
     "Nhiều buổi chiều trạm y tế đóng cửa trước giờ, người dân không tiêm phòng được cho trẻ."),
    ("giao-duc", Kind.COMMENT, "Góp ý về an toàn giao thông trước cổng trường ở {place}",
     "Giờ tan học phụ huynh đỗ xe tràn ra đường. Đề nghị bố trí người hướng dẫn và vạch đỗ xe."),
    ("khac", Kind.COMMENT, "Góp ý về giờ làm việc của bộ phận một cửa ở {place}",
     "Đề nghị bộ phận một cửa làm việc cả sáng thứ Bảy để người đi làm có thể nộp hồ sơ."),
    ("dien-nuoc", Kind.REPORT, "Mất điện kéo dài không báo trước ở {place}",
     "Khu dân cư mất điện cả buổi chiều mà không có thông báo. Đề nghị điện lực báo lịch cắt điện."),
    ("thu-tuc-hanh-chinh", Kind.PETITION, "Đề nghị rút ngắn thời gian cấp giấy chứng nhận ở {place}",
     "Hồ sơ nộp đã quá hẹn nhưng chưa có kết quả, người dân phải đi lại nhiều lần."),
)

ANSWERS = (
    "Đơn vị đã kiểm tra thực tế, giao bộ phận chuyên môn xử lý dứt điểm và sẽ tiếp tục theo dõi.",
    "Ý kiến của ông (bà) là có cơ sở. Đơn vị đã yêu cầu các bên liên quan khắc phục trong tuần.",
    "Đơn vị đã làm việc với tổ dân phố và đơn vị liên quan; kết quả xử lý được niêm yết tại nhà văn hóa.",
)


@dataclass(frozen=True)
class Trail:
    """One routed item as ``_run`` handles it: where it came from and where a return sends it."""

    feedback_id: int
    code: str
    token: str
    received: datetime
    return_to: int  # the unit an OUT_OF_REMIT refusal names
    kind: Kind


@dataclass(frozen=True)
class Staff:
    officer: User
    head: User


# What happens to an item after it is routed: a named plan of steps (see ``_run``).
PLANS: tuple[tuple[str, int], ...] = (
    ("on_time", 40), ("late", 10), ("information", 9), ("extended", 6), ("returned_draft", 6),
    ("stalled", 8), ("rejected", 4), ("transferred", 4), ("unaccepted", 5),
)


def load_items(now: datetime, communes: list[Locality], *, count: int = DEMO_ITEMS,
               progress: Progress | None = None) -> int:
    """Submit, route and handle ``count`` items received over the ``DAYS_BACK`` days before
    ``now``, in the first communes of ``communes``; returns how many were made.

    Every write goes through the services, with its own time (never after ``now``). The staff
    of the first commune's People's Committee are the demo accounts (they must exist); any other
    unit that receives an item gets a head (``_new_staff``) with a random password nobody knows.
    ``progress`` is called with the number of items done after each one. Deterministic:
    the same ``now`` and directory give the same items (see ``SEED``).
    """
    rng = random.Random(SEED)
    senders = communes[: 1 + OTHER_COMMUNES]
    villages = {c.id: list(db.session.scalars(select(Locality).where(Locality.parent_id == c.id)
                                             .order_by(Locality.code))) for c in senders}
    staff: dict[int, Staff] = {}
    # a unit returns an item it is not competent for to the neighbouring commune's committee
    committees = [db.session.scalars(select(Unit.id).where(Unit.code == f"UBND-{c.code}")).one() for c in senders[:2]]
    # a quarter in the last month, so that the inbox has items just in and due within days
    received = sorted(now - timedelta(minutes=rng.randrange((RECENT_DAYS if n % 4 == 0 else DAYS_BACK) * 24 * 60))
                      for n in range(count))
    codes: list[str] = []
    for done, at in enumerate(received, start=1):
        commune = senders[0] if rng.random() < HOME_SHARE else rng.choice(senders[1:])
        village = rng.choice(villages[commune.id])
        topic, kind, title, body = rng.choice(TEMPLATES)
        place = f"{village.name}, {commune.name}"
        contact = kind.needs_identity or rng.random() < 0.3
        receipt = submit_feedback(Submission(
            kind=kind, locality_code=commune.code, village_code=village.code, topic_code=topic,
            title=title.format(place=place), body=body, name=f"Người dân {village.name}" if contact else None,
            phone=f"09{rng.randrange(10**8):08d}" if contact else None, consent_share_contact=rng.random() < 0.5,
            language="vi",
        ), now=at, enqueue_routing=False)
        assert receipt.token is not None  # a new item always has its token
        routed = route_item(receipt.feedback_id, now=at + timedelta(minutes=5))
        plan = rng.choices([name for name, _ in PLANS], [weight for _, weight in PLANS])[0]
        if routed.unit_id is not None:
            target = committees[1] if routed.unit_id == committees[0] else committees[0]
            _run(plan, Trail(receipt.feedback_id, receipt.code, receipt.token, at, target, kind), now, rng, staff, codes)
        codes.append(receipt.code)
        if progress is not None:
            progress(done)
    close_answered_by(now)
    return count


def close_answered_by(now: datetime) -> None:
    """Close, through the beat job's own service, the answered items whose 30 days without a
    reopening ended by ``now`` (the worker does it every 15 minutes; the demo at each item's end)."""
    close_unreopened(now=now, batch=DEMO_ITEMS)


def _staff_of(unit_id: int, staff: dict[int, Staff], now: datetime) -> Staff:
    found = staff.get(unit_id)
    if found is None:
        found = _existing_staff(unit_id) or _new_staff(db.session.get_one(Unit, unit_id), now)
        staff[unit_id] = found
    return found


def _existing_staff(unit_id: int) -> Staff | None:
    """The unit's first officer and first head (the demo accounts of the first commune), if both exist."""
    from feedback.models import Membership

    rows = db.session.execute(select(Membership.role, User).join(User, User.id == Membership.user_id)
                              .where(Membership.unit_id == unit_id).order_by(User.id.desc()))
    users = {role: user for role, user in rows}
    if Role.OFFICER in users and Role.UNIT_HEAD in users:
        return Staff(users[Role.OFFICER], users[Role.UNIT_HEAD])
    return None


def _new_staff(unit: Unit, now: datetime) -> Staff:
    """A head for ``unit``, named after its code, who also drafts (a head may publish their own
    draft); the password is random and never shown (the demo acts for them; an administrator may
    set one). One account, not two: each password hash costs half a second."""
    head = create_user(f"lanhdao.{unit.code.lower()}", Role.UNIT_HEAD, password=secrets.token_urlsafe(24), now=now,
                       unit_code=unit.code, full_name=f"Lãnh đạo {unit.name}")
    return Staff(head, head)


def _run(plan: str, trail: Trail, now: datetime, rng: random.Random, staff: dict[int, Staff],
         earlier_codes: list[str]) -> None:
    """Take the steps of ``plan`` for the routed item, each some days after it was received, and
    stop at the first step whose time is after ``now`` (the item stays where it is)."""
    feedback_id, received = trail.feedback_id, trail.received
    clock = received

    def at(days: float) -> datetime | None:
        nonlocal clock
        clock = max(clock, received + timedelta(days=days, minutes=rng.randrange(60, 8 * 60)))
        return clock if clock <= now else None

    def holder() -> Staff:
        unit_id = db.session.get_one(Feedback, feedback_id).current_unit_id
        assert unit_id is not None
        return _staff_of(unit_id, staff, now)

    def answer(start: float, days: float, text: str | None = None, version: int | None = None,
               judged: bool = True) -> None:
        """Draft at ``start`` days, submit, and publish ``days`` later (each step only if past);
        then the resident judges it (``judge``)."""
        desk = holder()
        if (t := at(start)) is None:
            return
        save_draft(desk.officer, feedback_id, text or rng.choice(ANSWERS), expected_version=version, now=t)
        if (t := at(start + days / 2)) is None:
            return
        submit_answer(desk.officer, feedback_id, now=t)
        if (t := at(start + days)) is None:
            return
        publish_answer(desk.head, feedback_id, now=t)
        if db.session.get_one(Feedback, feedback_id).kind is Kind.COMPLAINT \
                and (sent := later(rng.uniform(0.5, 4))) is not None:
            decision_notice_sent(desk.officer, feedback_id, now=sent)  # the decision sent (Art. 32)
        if judged:
            judge(t)

    def later(days: float) -> datetime | None:
        """``days`` after the last step (``at`` counts from the reception)."""
        return at((clock - received) / timedelta(days=1) + days)

    def judge(published: datetime) -> None:
        """The resident rates the answer published at ``published`` (or never does), may change
        the rating within its 7 days, and may reopen after a rating below 3: the unit answers
        again, and that second answer is rated but never reopened. An answered item nobody
        reopened closes 30 days after the answer (``close_answered_by``)."""
        score = rng.choices([s for s, _ in SCORES], [w for _, w in SCORES])[0]
        if score is not None and (t := later(rng.uniform(0.2, 6))) is not None:
            reason = rng.choice(list(Reason)).value if score < 3 else None
            comment = rng.choice(COMMENTS) if rng.random() < 0.3 else None
            rate(trail.code, trail.token, str(score), reason=reason, comment=comment, now=t)
            if rng.random() < CHANGE_SHARE and (t := later(rng.uniform(0.5, 5))) is not None:
                score = min(5, score + 1) if score >= 3 else max(1, score - 1)
                rate(trail.code, trail.token, str(score), reason=reason or Reason.NOT_RESOLVED.value,
                     comment=comment, now=t)
            if score < 3 and reopened_cycles == [] and rng.random() < REOPEN_SHARE \
                    and (t := later(rng.uniform(0.5, 10))) is not None:
                reopen(trail.code, trail.token, now=t)
                reopened_cycles.append(published)
                accept_again = holder()
                if (t := later(rng.uniform(2, 5))) is not None:
                    add_note(accept_again.officer, feedback_id, "Người gửi mở lại: kiểm tra lại hiện trường.", now=t)
                answer((clock - received) / timedelta(days=1) + rng.uniform(3, 10), rng.uniform(1, 4))
                return
        if published + CLOSE_AFTER <= now:
            close_answered_by(published + CLOSE_AFTER)

    reopened_cycles: list[datetime] = []

    desk = holder()
    if plan == "unaccepted" or (t := at(0.1)) is None:
        return
    if desk.officer is not desk.head:
        assign_officer(desk.head, feedback_id, desk.officer.id, now=t)
    if plan in ("rejected", "transferred"):
        if (t := at(rng.uniform(1, 4))) is None:
            return
        if plan == "transferred":
            reject(desk.officer, feedback_id, RejectReason.OUT_OF_REMIT,
                   "Nội dung không thuộc thẩm quyền của đơn vị; chuyển đơn vị có thẩm quyền.", now=t,
                   target_unit_id=trail.return_to)
            if (t := at(rng.uniform(5, 8))) is None:
                return
            accept(holder().officer, feedback_id, now=t)
            answer(rng.uniform(9, 12), rng.uniform(2, 6))
        elif earlier_codes:
            reject(desk.officer, feedback_id, RejectReason.DUPLICATE, "Trùng nội dung với ý kiến đã gửi trước.",
                   now=t, duplicate_of_code=earlier_codes[-1])
        else:
            reject(desk.officer, feedback_id, RejectReason.ABUSIVE, "Nội dung không có yêu cầu cần trả lời.", now=t)
        return
    if (t := at(rng.uniform(0.5, 3))) is None:
        return
    accept(desk.officer, feedback_id, now=t)
    if (t := at(rng.uniform(3, 5))) is None:
        return
    if rng.random() < NOTE_SHARE:
        add_note(desk.officer, feedback_id, "Đã liên hệ tổ dân phố để kiểm tra hiện trường.", now=t)
    if plan == "stalled":
        return
    if plan == "late":
        answer(rng.uniform(25, 45), rng.uniform(2, 8))
    elif plan == "information":
        request_information(desk.officer, feedback_id, "Đề nghị cho biết vị trí cụ thể (số nhà, ngõ) và thời gian.",
                            now=t)
        if (t := at(rng.uniform(6, 12))) is None:
            return
        provide_information(trail.code, trail.token, "Ở ngõ 12, gần nhà văn hóa; thường vào buổi tối.", now=t)
        answer(rng.uniform(13, 16), rng.uniform(1, 4))
    elif plan == "extended":
        # the law extends a khiếu nại or tố cáo only when the case is complex
        request_extension(desk.officer, feedback_id, "Cần phối hợp với đơn vị khác để kiểm tra thực tế.", now=t,
                          complexity="complex" if trail.kind.needs_identity else None)
        if (t := at(rng.uniform(6, 8))) is None:
            return
        try:
            grant_extension(desk.head, feedback_id, now=t)
        except InvalidInput:  # the engine refuses it (e.g. a 5-day clock already run out): so does the head
            refuse_extension(desk.head, feedback_id, "Thời hạn đã hết, không thể gia hạn; đề nghị trả lời ngay.",
                             now=t)
        answer(rng.uniform(18, 24), rng.uniform(2, 5))
    elif plan == "returned_draft":
        save_draft(desk.officer, feedback_id, rng.choice(ANSWERS), expected_version=None, now=t)
        submit_answer(desk.officer, feedback_id, now=t)
        if (t := at(rng.uniform(6, 8))) is None:
            return
        return_answer(desk.head, feedback_id, "Bổ sung kết quả kiểm tra thực tế và thời hạn khắc phục.", now=t)
        draft = current_answer(db.session.get_one(Feedback, feedback_id))
        assert draft is not None
        answer(rng.uniform(9, 11), rng.uniform(1, 3), f"{draft.text} Thời hạn khắc phục: trong 7 ngày.", draft.version)
    else:  # on time
        answer(rng.uniform(4, 8), rng.uniform(1, 4))
