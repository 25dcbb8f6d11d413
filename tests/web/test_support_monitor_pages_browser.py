"""The support programme's monitoring and plan pages in headless Chromium on ``cnht serve --demo``
(issue 14): the demo's decided round SR-2025-1 with the figures of the API's report, overdue items
flagged and filtered, a certificate recorded through the form moving the plan's figure, the plan's
charts and tables equal to the API's, desktop and phone width in Vietnamese and English
(screenshots in test-output/screenshots)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from features.numbers import format_number
from tests.web.conftest import VIEWPORTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROUND = "SR-2025-1"


def _api(served, path: str, **params) -> dict:
    answer = httpx.get(f"{served.url}/api/v1/support{path}", params=params, timeout=60,
                       headers={"Authorization": f"Bearer {served.staff_key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _no_page_overflow(page) -> None:
    """Nothing but a scrolling table region is wider than the window."""
    wide = page.evaluate("""() => document.scrollingElement.scrollWidth - window.innerWidth""")
    assert wide <= 1, f"the page is {wide}px wider than the window"


def _figure(page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').first.inner_text().strip()


def test_staff_monitor_the_past_round_and_filter_its_overdue_items(page, served):
    sign_in(page, served.staff_key)
    page.goto(f"/support/rounds/{ROUND}/monitoring")
    day = dt.datetime.strptime(page.locator("#as-of").inner_text(), "%d/%m/%Y").date()
    report = _api(served, f"/rounds/{ROUND}/report", as_of=day.isoformat())
    assert page.locator("h1").inner_text().startswith("Theo dõi thực hiện: [DEMO]")
    assert _figure(page, "overdue_milestones") == format_number(report["overdue_milestones"], "vi", 0)
    assert report["overdue_milestones"] > 0
    assert _figure(page, "allocated_vnd") == f"{format_number(report['allocated_vnd'], 'vi', 0)} ₫"
    assert _figure(page, "funded_firms_meeting_international_standards") == str(
        report["funded_firms_meeting_international_standards"])
    items = page.locator("article.sm-item")
    assert items.count() == len(report["funded_items"])
    late = [row["item_id"] for row in report["funded_items"] if any(m["overdue"] for m in row["milestones"])]
    assert page.locator("article.sm-item.sm-late").count() == len(late) > 0
    # the overdue rows are red, and say by how many days
    first_late = page.locator("article.sm-late tr.sm-row-late").first
    assert "Quá hạn" in first_late.inner_text()
    assert first_late.evaluate("row => getComputedStyle(row.querySelector('td')).backgroundColor") == "rgb(253, 236, 234)"
    screenshot(page, "support-monitoring-vi")
    # the filter keeps the late items only
    page.check("#overdue")
    with page.expect_navigation(wait_until="load"):
        page.locator("#monitor-filter button[type=submit]").click()
    assert "overdue=1" in page.url
    shown = [int(i) for i in page.locator("article.sm-item").evaluate_all("els => els.map(e => e.dataset.item)")]
    assert shown == late
    page.set_viewport_size(VIEWPORTS["phone"])
    _no_page_overflow(page)
    screenshot(page, "support-monitoring-overdue-vi")
    # English, with a staff form open
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"/support/rounds/{ROUND}/monitoring?lang=en")
    assert page.locator("h1").inner_text().startswith("Monitoring: [DEMO]")
    page.locator("article.sm-late details.sm-record summary").first.click()
    _no_page_overflow(page)
    screenshot(page, "support-monitoring-en")


def test_a_certificate_recorded_on_the_monitoring_page_moves_the_plan(page, served):
    sign_in(page, served.staff_key)
    report = _api(served, f"/rounds/{ROUND}/report")
    pending = [row for row in report["funded_items"] if row["certification"]
               and not row["meets_international_standards"]
               and any(m["kind"] == "certificate_issued" and not m["done_on"] for m in row["milestones"])]
    assert pending, "the demo round has no funded firm waiting for its certificate"
    item = pending[0]
    before = _api(served, "/plan")
    page.goto("/support/plan")
    assert page.locator("#plan-international").get_attribute("data-value") == str(before["firms_international"])
    page.goto(f"/support/rounds/{ROUND}/monitoring")
    block = page.locator(f'article[data-item="{item["item_id"]}"]')
    block.locator("details.sm-record summary").first.click()
    block.locator("select[name=kind]").select_option("certificate_issued")
    today = dt.date.fromisoformat(report["on"])
    block.locator("input[name=certificate_valid_until]").fill(f"{today + dt.timedelta(days=1095):%d/%m/%Y}")
    block.locator("input[name=certificate_issuer]").fill("QUACERT")
    with page.expect_navigation(wait_until="load"):
        block.get_by_role("button", name="Lưu").click()
    assert page.locator(".alert.ok").inner_text() == "Đã ghi nhận mốc."
    block = page.locator(f'article[data-item="{item["item_id"]}"]')
    assert "Đạt tiêu chuẩn quốc tế" in block.inner_text() and "QUACERT" in block.inner_text()
    after = _api(served, "/plan")
    assert after["firms_international"] == before["firms_international"] + 1
    page.get_by_role("link", name="Tiến độ kế hoạch").first.click()
    page.wait_for_url("**/support/plan")
    assert page.locator("#plan-international").get_attribute("data-value") == str(after["firms_international"])
    assert f"{format_number(after['firms_international'], 'vi', 0)}" in page.locator("#plan-international figcaption").inner_text()


def test_the_plan_page_draws_the_apis_figures(page, served):
    sign_in(page, served.staff_key)
    page.goto("/support/plan?from=2025-01-01")
    day = dt.datetime.strptime(page.locator("#plan-day").inner_text(), "%d/%m/%Y").date()
    figures = _api(served, "/plan", as_of=day.isoformat())
    progress = _api(served, "/plan/progress", **{"from": "2025-01-01", "to": day.isoformat()})
    assert page.locator("#plan-firms").get_attribute("data-value") == str(figures["firms_total"])
    assert page.locator("#plan-international").get_attribute("data-value") == str(figures["firms_international"])
    values = page.locator("#trend-international g[data-value]").evaluate_all("els => els.map(e => +e.dataset.value)")
    assert values == [p["firms_international"] for p in progress["data"]]
    for r in progress["rounds"]:
        dots = page.locator(f'#rounds-chart g[data-round="{r["round_id"]}"] circle').evaluate_all(
            "els => els.map(e => +e.dataset.value)")
        assert dots == [p["firms"] for p in r["data"]]
    assert page.locator("#by-district tbody tr").count() == len(figures["by_district"])
    # the charts are drawn: the line has a length, the target line sits above the axis
    length = page.locator("#trend-international polyline").evaluate("line => line.getTotalLength()")
    assert length > 100
    screenshot(page, "support-plan-vi")
    page.set_viewport_size(VIEWPORTS["phone"])
    _no_page_overflow(page)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto("/support/plan?lang=en")
    assert page.locator("h1").inner_text() == "Progress of the supporting-industry plan"
    screenshot(page, "support-plan-en")


def test_an_analyst_reads_without_forms_and_a_firm_gets_the_403_page(page, served):
    sign_in(page, served.analyst_key)
    page.goto(f"/support/rounds/{ROUND}/monitoring")
    assert page.locator("article.sm-item").count() > 0 and page.locator("form.sm-form").count() == 0
    page.goto("/support/rounds/SR-2026-2/monitoring")  # the open round: nothing funded yet
    assert page.locator("#no-items").count() == 1 and _figure(page, "allocated_vnd") == "0 ₫"
    page.context.clear_cookies()
    sign_in(page, served.firm_key)
    answer = page.goto("/support/plan")
    assert answer.status == 403 and page.locator(".alert.error").count() == 1
