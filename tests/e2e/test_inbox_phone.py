"""The unit inbox on a 375 × 740 phone in Chromium (found by the probe: its filters took about two
screens before the first item). The less used filters fold into a ``<details>`` (no JavaScript
needed); the chosen ones stay named in its summary.

A head of two units (so that the unit filter shows too) with items in several topics, places and
kinds, committed for the live server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from feedback.domain.status import Kind, Status
from feedback.extensions import db, limiter
from feedback.models import Membership, Role
from tests.factories import Directory, make_directory, make_feedback, make_user

pytestmark = [pytest.mark.e2e]

PHONE: ViewportSize = {"width": 375, "height": 740}
PASSWORD = "mat-khau-e2e-2026"


@pytest.fixture
def directory(live_server: str) -> Directory:
    limiter.reset()
    d = make_directory()
    head = make_user("lanhdao.e2e", Role.UNIT_HEAD, password=PASSWORD, unit=d.ubnd_ha_tu)
    head.memberships.append(Membership(role=Role.UNIT_HEAD, unit=d.environment_dept))
    places, topics = [d.village, d.remote_village, d.ha_tu], [d.waste, d.land, d.other]
    for n in range(6):
        make_feedback(d, kind=[Kind.REPORT, Kind.COMMENT, Kind.PETITION][n % 3], topic=topics[n % 3],
                      locality=places[n % 3], status=Status.ASSIGNED,
                      current_unit_id=(d.ubnd_ha_tu if n % 2 else d.environment_dept).id,
                      title=f"Ý kiến số {n + 1} về rác thải và đường sá")
    db.session.commit()
    return d


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Tên đăng nhập").fill("lanhdao.e2e")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/unit/")
    try:
        yield page
    finally:
        context.close()


def first_item_top(page: Page) -> float:
    box = page.locator("li.inbox-item").first.bounding_box()
    assert box is not None
    return float(box["y"])


def test_the_first_item_shows_on_the_first_screen_of_a_phone(directory: Directory, phone: Page,
                                                              live_server: str) -> None:
    """Proves: without JavaScript, at 375 × 740 the first item's top lies within the first screen;
    the less used filters are folded and open with a tap on their summary (a <details>), and a
    filter chosen among them is named in the summary and kept when the page comes back."""
    assert phone.locator("li.inbox-item").count() == 6
    assert first_item_top(phone) < PHONE["height"]
    more = phone.locator("details.more-filters")
    assert more.get_attribute("open") is None
    assert not phone.locator("#f-topic").is_visible() and not phone.locator("#f-unit").is_visible()
    assert phone.locator("#f-q").is_visible()
    more.locator("summary").click()
    assert phone.locator("#f-topic").is_visible()
    phone.select_option("#f-topic", str(directory.land.id))
    phone.get_by_role("button", name="Lọc").click()
    phone.wait_for_url(f"**/unit/?*topic={directory.land.id}*")
    assert phone.locator("li.inbox-item").count() == 2
    summary = phone.locator("details.more-filters summary").inner_text()
    assert "Lĩnh vực: Đất đai và giải phóng mặt bằng" in summary
    assert first_item_top(phone) < PHONE["height"]
    assert phone.locator("#f-topic").evaluate("e => e.value") == str(directory.land.id)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
