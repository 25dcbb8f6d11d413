"""The event pages in headless Chromium on ``cnht serve --demo`` (issue 13): the demo event stored
through the API, reached from the staff navigation, a proposal refused by hand, the schedule run
from the page and shown when the solver ends (the test never reloads), its files downloaded, and
the page at desktop and phone width in Vietnamese and English (screenshots in
test-output/screenshots)."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.web.conftest import ROOT, VIEWPORTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_event(served) -> str:
    """The demo event (data/demo/event_demo.json) stored in the served database."""
    definition = json.loads((ROOT / "data" / "demo" / "event_demo.json").read_text(encoding="utf-8"))
    answer = httpx.post(f"{served.url}/api/v1/events", json=definition, timeout=60,
                        headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    assert answer.status_code in (201, 409), answer.text  # 409: stored by an earlier test of this session
    return definition["event_id"]


def _no_page_overflow(page) -> None:
    """Nothing but a scrolling table region is wider than the window."""
    wide = page.evaluate("""() => document.scrollingElement.scrollWidth - window.innerWidth""")
    assert wide <= 1, f"the page is {wide}px wider than the window"


def test_staff_schedule_the_demo_event_from_its_page(page, served, demo_event):
    sign_in(page, served.staff_key)
    page.get_by_role("link", name="Sự kiện", exact=True).click()
    page.wait_for_url("**/events")
    row = page.locator(f'tr[data-event="{demo_event}"]')
    assert "12/03/2026" in row.inner_text()
    screenshot(page, "events-list-vi")
    with page.expect_navigation(wait_until="load"):
        row.get_by_role("link").click()
    assert page.locator("h1").inner_text().startswith("[DEMO] Ngày kết nối giao thương")
    # Refuse the best proposal nobody asked for: it must never be scheduled.
    target = page.locator("#proposal-rows tr[data-firm]").filter(has=page.get_by_role("button", name="Từ chối")).first
    buyer_id, firm_id = target.get_attribute("data-buyer"), target.get_attribute("data-firm")
    with page.expect_navigation(wait_until="load"):
        target.get_by_role("button", name="Từ chối").click()
    assert page.locator(f'#refusal-list li[data-buyer="{buyer_id}"][data-firm="{firm_id}"]').count() == 1
    # Schedule: the page shows the job running, then its result, by itself.
    page.fill("#time_limit", "60")
    page.locator("#schedule-form button[type=submit]").click()
    page.wait_for_selector("#schedule-summary", timeout=180_000)
    assert page.locator("#schedule-failed").count() == 0
    meetings = int(page.locator('#schedule-summary [data-figure="meetings"]').inner_text().replace(".", ""))
    assert meetings > 0 and page.locator("#schedule-grid td.meeting").count() == meetings
    assert page.locator(f'#schedule-grid td[data-buyer="{buyer_id}"][data-firm="{firm_id}"]').count() == 0
    assert page.locator("#schedule-summary").inner_text().count("/") >= 2  # firms with a meeting, requests
    _no_page_overflow(page)
    screenshot(page, "event-scheduled-vi")
    # The files of the schedule, downloaded from the page.
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải Excel").click()
    assert got.value.suggested_filename == f"{demo_event}_schedule.xlsx"
    book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
    assert book["Theo bàn - By table"].max_row == meetings + 1
    with page.expect_download() as got:
        page.get_by_role("link", name="PDF theo bàn (hội trường)").click()
    hall = PdfReader(got.value.path())
    assert len(hall.pages) == 10 and "Bàn 1 / Table 1" in hall.pages[0].extract_text()
    with page.expect_download() as got:
        page.get_by_role("link", name="Lịch .ics (ZIP)").click()
    assert got.value.suggested_filename == f"{demo_event}_calendars.zip"
    # Phone width: the figures wrap, the grid scrolls inside its own region.
    page.set_viewport_size(VIEWPORTS["phone"])
    _no_page_overflow(page)
    page.set_viewport_size(VIEWPORTS["desktop"])
    # Record a meeting as held: the report counts it.
    page.locator("details#meetings summary").click()
    with page.expect_navigation(wait_until="load"):
        page.locator("details#meetings").get_by_role("button", name="Ghi nhận đã gặp").first.click()
    assert page.locator('#report [data-figure="meetings_held"]').inner_text().startswith("1 /")
    page.goto(f"/events/{demo_event}?lang=en", wait_until="load")
    assert page.locator("#schedule-title").inner_text() == "Meeting schedule"
    assert page.locator("#report-title").inner_text() == "Follow-up report"
    screenshot(page, "event-scheduled-en")


def test_an_unknown_event_is_a_page_in_words(page, served):
    sign_in(page, served.staff_key)
    answer = page.goto("/events/EV-DOES-NOT-EXIST", wait_until="load")
    assert answer.status == 404
    assert "Không tìm thấy sự kiện EV-DOES-NOT-EXIST." in page.locator(".alert.error").inner_text()
