"""Issue #8 item 8: the whole loop in a real browser, with a real worker, once with JavaScript
on and once with it off.

Chromium (Playwright) talks to the test application served on a thread (``live_server``); a real
``celery -A worker.app worker`` process reads the same Redis database and the committed test
data. What this proves, on a 360 px phone:

- a resident sends a report through the form and keeps the secret link of the receipt;
- the worker (not the test) routes it to Phường Hà Tu's People's Committee;
- the unit's officer logs in, finds it in the inbox, accepts it, drafts the answer and submits it;
- the unit head publishes it; the public page and the secret link show the answer;
- the resident rates it 2 ("không hài lòng") with a reason, then reopens it;
- the item is back in the officer's inbox, in progress, with a new answer cycle to come.

Every wait is bounded (``TIMEOUT_MS`` for the pages, ``ROUTED_SECONDS`` for the worker).
Screenshots go to test-artifacts/ (not committed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from feedback.domain.status import Status
from feedback.extensions import db, limiter
from feedback.models import Feedback, Rating, Reopening
from feedback.models.users import Role
from tests.conftest import TEST_REDIS_URL
from tests.factories import Directory, make_directory, make_user
from tests.integration.processes import log_tail, start_worker, stop, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PHONE: ViewportSize = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000
ROUTED_SECONDS = 60
PASSWORD = "mat-khau-e2e-2026"
TITLE = "Rác tràn ra đường ở đầu ngõ 7"
BODY = "Điểm tập kết rác ở đầu ngõ 7 tổ 1 đầy tràn ra đường ba ngày nay, mùi hôi, ruồi muỗi nhiều."
ANSWER = "Phường đã yêu cầu đơn vị thu gom chuyển hết rác trong ngày và bố trí thêm một chuyến mỗi tối."


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One real worker for the module, on this suite's Redis database (emptied first)."""
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process = start_worker(TEST_REDIS_URL, log, concurrency=1)
    try:
        yield log
    finally:
        stop(process)


@pytest.fixture
def directory(live_server: str) -> Directory:
    limiter.reset()
    found = make_directory()
    make_user("canbo.e2e", Role.OFFICER, password=PASSWORD, unit=found.ubnd_ha_tu)
    make_user("lanhdao.e2e", Role.UNIT_HEAD, password=PASSWORD, unit=found.ubnd_ha_tu)
    db.session.commit()
    return found


def phone(browser: Browser, contexts: list[BrowserContext], *, javascript: bool) -> Page:
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    return context.new_page()


def fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/unit/")


def act(page: Page, button: str) -> None:
    """Press an action button of the item page and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".form-error")).to_have_count(0)


def stored(code: str) -> Feedback:
    db.session.rollback()  # the server thread and the worker committed: read afresh
    return db.session.scalars(sa.select(Feedback).where(Feedback.code == code)).one()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_sent_routed_answered_published_rated_2_reopened_back_in_the_inbox(
    javascript: bool, live_server: str, directory: Directory, worker: Path, browser: Browser, artifacts: Path,
) -> None:
    base = live_server
    contexts: list[BrowserContext] = []
    shot = lambda page, name: page.screenshot(  # noqa: E731
        path=str(artifacts / f"unit-journey-{'js' if javascript else 'nojs'}-{name}.png"), full_page=True)
    try:
        # The resident sends a report and keeps the secret link of the receipt.
        resident = phone(browser, contexts, javascript=javascript)
        resident.goto(base + "/submit")
        resident.get_by_role("radio", name=re.compile(r"^Phản ánh")).check()
        resident.get_by_label("Xã, phường, đặc khu", exact=True).select_option(label="Phường Hà Tu")
        resident.get_by_label("Lĩnh vực", exact=True).select_option(label="— Rác thải")
        resident.get_by_label("Tiêu đề", exact=True).fill(TITLE)
        resident.get_by_label("Nội dung", exact=True).fill(BODY)
        resident.get_by_role("button", name="Gửi ý kiến", exact=True).click()
        resident.wait_for_url(re.compile(r"/submitted/"))
        code = resident.locator("#tracking-code").inner_text().strip()
        secret = resident.locator(f'.secret-link a[href*="/t/{code}/"]').get_attribute("href")
        assert secret, "the receipt shows the secret link"

        # The real worker routes it (nothing in the test routes).
        routed = wait_until(lambda: stored(code).status is Status.ASSIGNED, ROUTED_SECONDS, interval=0.5)
        assert routed, f"not routed in {ROUTED_SECONDS} s: {stored(code).status}\n{log_tail(worker)}"
        assert stored(code).current_unit_id == directory.ubnd_ha_tu.id

        # The officer finds it in the inbox, accepts it, drafts and submits the answer.
        officer = phone(browser, contexts, javascript=javascript)
        log_in(officer, base, "canbo.e2e")
        officer.get_by_role("link", name=code, exact=True).click()
        officer.wait_for_url(f"{base}/unit/items/{code}")
        act(officer, "Thụ lý")
        officer.get_by_label("Nội dung câu trả lời").fill(ANSWER)
        act(officer, "Lưu dự thảo")
        act(officer, "Trình lãnh đạo duyệt")
        expect(officer.get_by_role("button", name="Duyệt và công bố câu trả lời")).to_have_count(0)  # not theirs
        shot(officer, "1-officer-submitted")
        fits_phone(officer)

        # The head publishes it.
        head = phone(browser, contexts, javascript=javascript)
        log_in(head, base, "lanhdao.e2e")
        head.goto(f"{base}/unit/items/{code}")
        expect(head.locator(".answer-text")).to_have_text(ANSWER)
        act(head, "Duyệt và công bố câu trả lời")
        expect(head.locator(".status")).to_have_text("Đã có trả lời")
        assert stored(code).status is Status.ANSWERED

        # The resident sees the answer on the secret link, rates it 2 with a reason, reopens.
        resident.goto(secret)
        expect(resident.locator("body")).to_contain_text(ANSWER)
        resident.get_by_role("radio", name=re.compile(r"^2:")).check()
        resident.locator("#rating-reason").select_option(value="not_resolved")
        resident.get_by_label("Nhận xét (không bắt buộc)").fill("Rác vẫn còn ở đầu ngõ.")
        with resident.expect_navigation():
            resident.get_by_role("button", name="Gửi đánh giá").click()
        expect(resident.locator("#rating-current")).to_contain_text("2/5")
        shot(resident, "2-resident-rated")
        fits_phone(resident)
        with resident.expect_navigation():
            resident.get_by_role("button", name="Mở lại ý kiến").click()
        expect(resident.locator("#rating-reopened")).to_be_visible()
        shot(resident, "3-resident-reopened")

        # Back in the unit's inbox, in progress, for the unit that answered.
        officer.goto(f"{base}/unit/")
        expect(officer.get_by_role("link", name=code, exact=True)).to_be_visible()
        officer.get_by_role("link", name=code, exact=True).click()
        expect(officer.locator(".status")).to_have_text("Đang xử lý")
        expect(officer.get_by_role("button", name="Lưu dự thảo")).to_be_visible()  # a new answer is due
        shot(officer, "4-officer-reopened")
        fits_phone(officer)

        item = stored(code)
        assert item.status is Status.IN_PROGRESS and item.current_unit_id == directory.ubnd_ha_tu.id
        [rating] = db.session.scalars(sa.select(Rating).where(Rating.feedback_id == item.id)).all()
        assert (rating.score, rating.reason.value if rating.reason else None) == (2, "not_resolved")
        [reopening] = db.session.scalars(sa.select(Reopening).where(Reopening.feedback_id == item.id)).all()
        assert reopening.unit_id == directory.ubnd_ha_tu.id
    finally:
        for context in contexts:
            context.close()
