"""The dashboard's progress chart and expiring certificates, and a running import's page, in a
real browser on the served demo data, in Vietnamese and English."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import ROOT, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _api(served, path: str):
    answer = httpx.get(f"{served.url}/api/v1{path}", timeout=120,
                       headers={"Authorization": f"Bearer {served.analyst_key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _points(page, chart: str) -> list[tuple[str, int]]:
    points = page.locator(f"#{chart} g[data-on]")
    return [(points.nth(i).get_attribute("data-on"), int(points.nth(i).get_attribute("data-value")))
            for i in range(points.count())]  # fmt: skip


def test_dashboard_shows_the_apis_progress_and_expiring_certificates(page, served):
    sign_in(page, served.staff_key)
    page.goto("/dashboard")
    kpi, progress, expiring = _api(served, "/kpi"), _api(served, "/kpi/progress"), _api(served, "/kpi/expiring")
    assert page.locator("#progress-title").inner_text() == "Tiến độ theo tháng"
    assert _points(page, "trend-international") == [(p["on"], p["firms_international_certified"]) for p in progress["data"]]
    assert _points(page, "trend-firms") == [(p["on"], p["firms_total"]) for p in progress["data"]]
    assert len(progress["data"]) == 12
    assert progress["data"][-1]["firms_total"] == kpi["firms_total"]
    assert progress["data"][-1]["firms_international_certified"] == kpi["firms_international_certified"]

    rows = page.locator("#expiring-table tbody tr")
    assert rows.count() == expiring["count"] == kpi["certificates_expiring_90_days"] > 0
    first, soonest = rows.first.locator("td").all_inner_texts(), expiring["data"][0]
    year, month, day = soonest["valid_until"].split("-")
    assert soonest["firm_name"] in first[0] and first[1].startswith(soonest["label"])
    assert first[2] == f"{day}/{month}/{year}"
    assert re.fullmatch(r"\d+ ngày|hết hạn hôm nay", first[3])
    screenshot(page, "dashboard")

    page.goto("/dashboard?lang=en")
    assert page.locator("#progress-title").inner_text() == "Progress over time"
    assert page.locator("#expiring-title").inner_text().startswith("Certificates expiring in the next 90 days")
    assert re.fullmatch(r"\d+ days?|ends today", page.locator("#expiring-table tbody tr").first.locator("td").nth(3).inner_text())
    screenshot(page, "dashboard-en")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_running_import_shows_its_stage_and_then_its_result_without_a_reload(page, served, lang):
    """The demo firms again (906 rows, nothing changes): storing them takes seconds, so the job's
    page first shows where the import stands, then its result once the page's poll sees it done."""
    sign_in(page, served.staff_key)
    page.goto(f"/imports?lang={lang}")
    page.locator("#kind").select_option("firms")
    page.locator("#file").set_input_files(str(Path(ROOT) / "data" / "demo" / "firms.csv"))
    with page.expect_navigation(wait_until="load"):
        page.locator("#import-form button[type=submit]").click()
    with page.expect_navigation(wait_until="load"):
        page.locator("#confirm-form button[type=submit]").click()
    job_url = page.url
    running = page.locator("#import-running")
    assert running.count() == 1, "a 906-row import was expected to be still running when its page opened"
    now = page.locator("#import-steps li.step-now").get_attribute("data-step")
    assert now in ("reading", "storing")
    if now == "storing":
        assert ("906 dòng đã đọc" if lang == "vi" else "906 rows read") in page.locator("#import-stage-now").inner_text()
    screenshot(page, f"import-running-{lang}")
    # No reload by the test: the page asks status.json and shows the result itself.
    page.locator("#counts").wait_for(timeout=120_000)
    assert page.url == job_url and page.locator("#import-running").count() == 0
    counts = {k: page.locator(f"#counts dd[data-count='{k}']").inner_text() for k in ("read", "unchanged")}
    assert counts == {"read": "906", "unchanged": "900"}
    screenshot(page, f"import-done-{lang}")
