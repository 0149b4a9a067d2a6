"""The Front's overdue list read on a 360 px phone in Chromium (found by the browser probe: its
non-wrapping due-time and lateness columns squeezed the topic, place and clock to a word a line).

The hand-counted world of tests/services/stats_rows.py is committed for the live server; the
pages are computed at its NOW (15/4/2026), when UBND Hà Tu holds I3 overdue.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from feedback.extensions import db, limiter
from feedback.models import Role
from feedback.services import statistics
from tests.factories import make_user
from tests.services.stats_rows import NOW, World, build_world

pytestmark = [pytest.mark.e2e]

PHONE: ViewportSize = {"width": 360, "height": 740}
PASSWORD = "mat-khau-e2e-2026"
# The narrowest a column of words may get: about eight characters of 16 px text.
READABLE_PX = 120


@pytest.fixture
def world(live_server: str, monkeypatch: pytest.MonkeyPatch) -> World:
    import feedback.monitor.views

    monkeypatch.setattr(feedback.monitor.views, "now_utc", lambda: NOW)
    limiter.reset()
    w = build_world()
    make_user("mttq.e2e", Role.FRONT_MONITOR, password=PASSWORD, unit=w.directory.front_ha_tu,
              territory=w.directory.ha_tu)
    statistics.rebuild(db.session)
    db.session.commit()
    return w


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Tên đăng nhập").fill("mttq.e2e")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/monitor/")
    try:
        yield page
    finally:
        context.close()


def test_the_overdue_table_keeps_its_columns_readable_on_a_phone(world: World, phone: Page, live_server: str) -> None:
    """Proves: at 360 px the page itself does not scroll sideways (the table scrolls in its
    wrapper), every column of words is at least READABLE_PX wide, and the due time and the
    lateness take at most two lines each."""
    phone.goto(live_server + "/monitor/overdue")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    measured = phone.evaluate("""() => {
        const table = document.querySelector('.overdue-table');
        const heads = [...table.querySelectorAll('thead th')].map(th => [th.textContent.trim(), th.getBoundingClientRect().width]);
        const row = table.querySelector('tbody tr');
        const lines = cell => {  // the lines its text takes (a row is as tall as its tallest cell)
            const text = document.createRange();
            text.selectNodeContents(cell);
            return Math.round(text.getBoundingClientRect().height / parseFloat(getComputedStyle(cell).lineHeight));
        };
        return {heads, due: lines(row.querySelector('time').closest('td')), late: lines(row.querySelector('.late'))};
    }""")
    widths = dict(measured["heads"])
    for column in ("Lĩnh vực", "Địa bàn", "Thời hạn"):
        assert widths[column] >= READABLE_PX, (column, widths)
    assert measured["due"] <= 2 and measured["late"] <= 2, measured
