"""A resident and a staff member try the platform in a real browser, as a new user would.

Chromium (Playwright) talks to the test application served on a thread (``live_server``) with
committed data. What this proves:

- on a 360 px phone with JavaScript off, a resident goes from the home page to a receipt and the
  public tracking page, using the server round trip to choose a village; nothing scrolls
  sideways and the public page shows no personal data;
- a double click on "Gửi ý kiến" makes one item;
- with JavaScript on, the locality picker finds places without diacritics and fills the lists;
- a complaint without a name is refused next to the field, in Vietnamese, keeping what was typed;
- ``?lang=en`` gives an English form;
- no page violates the Content-Security-Policy (every test collects the console);
- an administrator logs in through the login page, reaches the routing rules and logs out.

Screenshots go to the ``artifacts`` folder (test-artifacts/, not committed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Locator, Page, ViewportSize, expect

from feedback.domain.tracking import parse_code
from feedback.extensions import db, limiter
from feedback.models import Feedback
from feedback.models.users import Role
from feedback.public import views
from feedback.services.intake.submission import submit_feedback
from tests.factories import Directory, make_directory, make_user

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 360, "height": 740}
# Generous for a loaded CI machine, short enough that a broken page fails fast.
TIMEOUT_MS = 10_000

RECEIVED_LABEL = "Đã tiếp nhận, đang chuyển đến đơn vị xử lý"
NAME_REQUIRED = "Khiếu nại, tố cáo phải ghi rõ họ và tên người gửi (Luật Khiếu nại, Luật Tố cáo)."

# Personal data typed into the form: none of it may appear on the public tracking page.
SENDER_NAME = "Trần Thị Bích Ngọc"
SENDER_PHONE = "0912 345 678"
SENDER_EMAIL = "bichngoc@example.test"
TITLE = "Đèn đường hỏng ở ngõ 12"
BODY = "Ba cột đèn ở ngõ 12 tổ 1 không sáng từ tuần trước, buổi tối rất tối và nguy hiểm."


@dataclass
class Site:
    url: str
    directory: Directory


@dataclass
class Browsing:
    """Opens pages in fresh browser contexts and records what their consoles said."""

    browser: Browser
    console: list[str]
    contexts: list[BrowserContext]

    def page(self, *, javascript: bool) -> Page:
        context = self.browser.new_context(java_script_enabled=javascript, viewport=PHONE, locale="vi-VN")
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self.console.append(_describe(message)))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        return page


def _describe(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"


@pytest.fixture
def site(live_server: str) -> Site:
    """The test directory committed (the server thread reads it), login and form throttles reset."""
    limiter.reset()
    directory = make_directory()
    db.session.commit()
    return Site(live_server, directory)


@pytest.fixture
def browsing(browser: Browser) -> Iterator[Browsing]:
    """Pages for one test; afterwards, no console message may mention the CSP."""
    state = Browsing(browser, [], [])
    yield state
    for context in state.contexts:
        context.close()
    violations = [line for line in state.console if "Content Security Policy" in line]
    assert not violations, "\n".join(violations)


def items() -> list[Feedback]:
    """Every stored item, read afresh (the server thread committed them)."""
    db.session.rollback()
    return list(db.session.scalars(sa.select(Feedback).order_by(Feedback.id)))


def assert_fits_phone(page: Page) -> None:
    """Nothing wider than the 360 px screen: no sideways scrolling."""
    # page.evaluate runs in Playwright's own world: it works while the page's scripts are off.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def snapshot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"resident-{name}.png"), full_page=True)


def fill_report(page: Page, *, commune: str = "Phường Hà Tu") -> None:
    """Kind "Phản ánh", the commune, topic, title and body, as a person picks them."""
    page.get_by_role("radio", name=re.compile(r"^Phản ánh")).check()
    page.get_by_label("Xã, phường, đặc khu", exact=True).select_option(label=commune)
    page.get_by_label("Lĩnh vực", exact=True).select_option(label="— Rác thải")
    page.get_by_label("Tiêu đề", exact=True).fill(TITLE)
    page.get_by_label("Nội dung", exact=True).fill(BODY)


def send_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Gửi ý kiến", exact=True)


def receipt_code(page: Page) -> str:
    """The tracking code of the receipt page, checked against the code format."""
    page.wait_for_url(re.compile(r"/submitted/"))
    code = page.locator("#tracking-code").inner_text().strip()
    parsed = parse_code(code)
    assert parsed.canonical == code, "the receipt shows a code in its canonical form"
    assert parsed.prefix == "QN"
    assert parsed.year == datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    return code


def test_resident_sends_a_report_from_a_phone_without_javascript(
    site: Site, browsing: Browsing, artifacts: Path
) -> None:
    page = browsing.page(javascript=False)
    response = page.goto(site.url + "/")
    assert response is not None and response.ok
    # The CSP check of `browsing` means something only if the policy is sent.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    snapshot(page, artifacts, "1-home")
    assert_fits_phone(page)

    page.get_by_role("main").get_by_role("link", name="Gửi ý kiến").click()
    page.wait_for_url(f"{site.url}/submit")
    fill_report(page)
    village = page.get_by_label("Thôn, bản, khu phố, tổ dân phố (không bắt buộc)")
    expect(village.locator("option")).to_have_count(1)  # only "— Không chọn —" before the step

    # No JavaScript: the server lists the villages of the chosen commune and keeps the rest.
    page.get_by_role("button", name="Chọn thôn/khu phố").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("Đã hiện danh sách thôn")
    expect(page.get_by_label("Tiêu đề", exact=True)).to_have_value(TITLE)
    expect(page.get_by_label("Nội dung", exact=True)).to_have_value(BODY)
    expect(page.get_by_role("radio", name=re.compile(r"^Phản ánh"))).to_be_checked()
    village.select_option(label="Tổ dân phố 1")
    page.get_by_label("Họ và tên", exact=True).fill(SENDER_NAME)
    page.get_by_label("Số điện thoại", exact=True).fill(SENDER_PHONE)
    page.get_by_label("Thư điện tử", exact=True).fill(SENDER_EMAIL)
    snapshot(page, artifacts, "2-form")
    assert_fits_phone(page)
    assert items() == [], "the village step stores nothing"

    send_button(page).click()
    code = receipt_code(page)
    snapshot(page, artifacts, "3-receipt")
    assert_fits_phone(page)

    page.get_by_role("link", name="Xem trang tra cứu").click()
    page.wait_for_url(f"{site.url}/t/{code}")
    expect(page.locator(".status")).to_have_text(RECEIVED_LABEL)
    expect(page.locator(".facts")).to_contain_text("Tổ dân phố 1, Phường Hà Tu")
    text = page.locator("body").inner_text()
    for private in (SENDER_NAME, SENDER_PHONE, "0912345678", SENDER_EMAIL, BODY):
        assert private not in text, f"the public page shows {private!r}"
    snapshot(page, artifacts, "4-tracking")
    assert_fits_phone(page)

    [item] = items()
    assert (item.code, item.title, item.submitter_name) == (code, TITLE, SENDER_NAME)
    assert item.locality_id == site.directory.village.id


def test_a_double_click_on_send_makes_one_item(
    site: Site, browsing: Browsing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second click while the first answer is on its way: the server gets the form twice and
    stores it once."""
    received: list[str] = []

    def slow_submit(submission: Any, **kwargs: Any) -> Any:
        received.append(submission.submission_key)
        receipt = submit_feedback(submission, **kwargs)
        # The answer takes a while to reach the phone: the second click comes before it.
        time.sleep(0.6)
        return receipt

    monkeypatch.setattr(views, "submit_feedback", slow_submit)
    page = browsing.page(javascript=False)
    page.goto(site.url + "/submit")
    fill_report(page)

    # Raw mouse clicks: Playwright's element clicks would wait for the first navigation to end.
    send_button(page).scroll_into_view_if_needed()
    box = send_button(page).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    # The second click once the first form is at the server (a fixed pause could come too early
    # on a slow machine, and the browser would then send only the second form).
    for _ in range(200):
        if received:
            break
        page.wait_for_timeout(20)
    page.mouse.click(x, y)
    # Polls the address: the first navigation is aborted by the second, which wait_for_url reports.
    expect(page).to_have_url(re.compile(r"/submitted/QN-"))
    page.wait_for_load_state()

    assert len(received) == 2 and received[0] == received[1], "the server got the same form twice"
    stored = items()
    assert len(stored) == 1, f"{len(stored)} items stored for one form"
    item = stored[0]
    # The second answer shows the receipt with the secret link again, although the first answer
    # (whose session cookie carried the token) was dropped: the token derives from the form's key.
    assert page.url.endswith(f"/submitted/{item.code}")
    expect(page.locator(f'a[href*="/t/{item.code}/"]').first).to_be_visible()


def test_picker_finds_places_without_diacritics_and_fills_the_lists(site: Site, browsing: Browsing) -> None:
    page = browsing.page(javascript=True)
    page.goto(site.url + "/submit")
    commune = page.get_by_label("Xã, phường, đặc khu", exact=True)
    village = page.get_by_label("Thôn, bản, khu phố, tổ dân phố (không bắt buộc)")
    search = page.get_by_role("searchbox", name="Tìm nhanh xã, phường hoặc thôn, khu phố")
    # With the picker the villages load by themselves: the no-JS button is hidden.
    expect(page.get_by_role("button", name="Chọn thôn/khu phố")).to_be_hidden()

    search.fill("dai van")
    page.get_by_role("button", name=re.compile(r"^Thôn Đài Van")).click()
    expect(commune).to_have_value(site.directory.van_don.code)
    expect(village).to_have_value(site.directory.remote_village.code)

    search.fill("to dan pho")
    page.get_by_role("button", name=re.compile(r"^Tổ dân phố 1")).click()
    expect(commune).to_have_value(site.directory.ha_tu.code)
    expect(village).to_have_value(site.directory.village.code)

    village_filter = page.get_by_role("searchbox", name="Lọc danh sách thôn, khu phố")
    village_filter.fill("khong co")
    expect(village.locator("option")).to_have_count(1)
    village_filter.fill("TO DAN")
    expect(village.locator("option")).to_have_text(["— Không chọn —", "Tổ dân phố 1"])
    village.select_option(label="Tổ dân phố 1")

    page.get_by_role("radio", name=re.compile(r"^Phản ánh")).check()
    page.get_by_label("Lĩnh vực", exact=True).select_option(label="— Rác thải")
    page.get_by_label("Tiêu đề", exact=True).fill(TITLE)
    page.get_by_label("Nội dung", exact=True).fill(BODY)
    send_button(page).click()
    code = receipt_code(page)

    [item] = items()
    assert item.code == code and item.locality_id == site.directory.village.id


def test_a_complaint_without_a_name_is_refused_next_to_the_field(site: Site, browsing: Browsing) -> None:
    page = browsing.page(javascript=False)
    page.goto(site.url + "/submit")
    fill_report(page)
    page.get_by_role("radio", name=re.compile(r"^Khiếu nại")).check()
    page.get_by_label("Số điện thoại", exact=True).fill(SENDER_PHONE)

    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        send_button(page).click()
    assert sent.value.status == 422
    name = page.get_by_label("Họ và tên", exact=True)
    expect(page.locator("#name-error")).to_have_text(NAME_REQUIRED)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_contain_text(NAME_REQUIRED)
    expect(page.get_by_role("radio", name=re.compile(r"^Khiếu nại"))).to_be_checked()
    expect(page.get_by_label("Tiêu đề", exact=True)).to_have_value(TITLE)
    expect(page.get_by_label("Nội dung", exact=True)).to_have_value(BODY)
    expect(page.get_by_label("Số điện thoại", exact=True)).to_have_value(SENDER_PHONE)
    assert_fits_phone(page)
    assert items() == []


def test_the_form_in_english(site: Site, browsing: Browsing) -> None:
    page = browsing.page(javascript=True)
    page.goto(site.url + "/submit?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("group", name=re.compile("Type of feedback"))).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_be_visible()
    expect(page.get_by_label("Topic", exact=True)).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(r"^Complaint"))).to_be_visible()
    expect(send_button(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Send feedback", exact=True)).to_be_visible()


def test_an_administrator_logs_in_opens_the_routing_rules_and_logs_out(
    site: Site, browsing: Browsing, artifacts: Path
) -> None:
    make_user("quantri.e2e", Role.ADMIN, password="mat-khau-e2e-2026")
    db.session.commit()
    page = browsing.page(javascript=True)
    page.goto(site.url + "/")
    page.get_by_role("link", name="Cán bộ đăng nhập").click()
    page.get_by_label("Tên đăng nhập").fill("quantri.e2e")
    page.get_by_label("Mật khẩu").fill("mat-khau-e2e-2026")
    page.get_by_role("button", name="Đăng nhập").click()

    page.wait_for_url(f"{site.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quản trị hệ thống")
    page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Quy tắc phân công").click()
    page.wait_for_url(f"{site.url}/admin/rules*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quy tắc")
    snapshot(page, artifacts, "5-admin-rules")

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r"/login\?logged_out=1$"))
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
    page.goto(site.url + "/admin/")
    assert "/login" in page.url, "after logging out the admin pages ask for a login again"


def test_the_console_check_catches_a_csp_violation(site: Site, browser: Browser) -> None:
    """The guard used by every test above: an inline script on one of our pages is reported."""
    console: list[str] = []
    state = Browsing(browser, console, [])
    page = state.page(javascript=True)
    page.goto(site.url + "/")
    try:
        page.add_script_tag(content="document.title = 'inline';")
    except Error:
        pass  # Playwright reports the refused script too; the console line is what we check
    page.wait_for_timeout(200)
    for context in state.contexts:
        context.close()
    assert any("Content Security Policy" in line for line in console), console
