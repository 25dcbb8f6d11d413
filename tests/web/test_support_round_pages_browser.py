"""The support rounds' pages in headless Chromium on ``cnht serve --demo`` (issue 14): the rounds
reached from the staff navigation with the plan's figures, the open demo round SR-2026-2 proposed
from its page and shown when the job ends (the test never reloads), a decision overridden through
its form, the decision workbook downloaded, a nomination's dossier, the roles, and the pages at
desktop and phone width in Vietnamese and English (screenshots in test-output/screenshots).

The demo round is proposed and overridden here but never decided, so the served demo stays as
the other pages' tests expect it (the decision by form is tested in-process)."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.web.conftest import VIEWPORTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROUND = "SR-2026-2"
PAST = "SR-2025-1"


def _api(served, path: str) -> dict:
    answer = httpx.get(f"{served.url}/api/v1/support{path}", timeout=120,
                       headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    answer.raise_for_status()
    return answer.json()


def _api_v1(served, path: str) -> dict:
    answer = httpx.get(f"{served.url}/api/v1{path}", timeout=120,
                       headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    answer.raise_for_status()
    return answer.json()


def _number(text: str) -> int:
    return int(text.split("/")[0].replace(".", "").replace(",", "").strip())


def _no_page_overflow(page) -> None:
    """Nothing but a scrolling table region is wider than the window."""
    wide = page.evaluate("""() => document.scrollingElement.scrollWidth - window.innerWidth""")
    assert wide <= 1, f"the page is {wide}px wider than the window"


def test_staff_propose_and_override_the_demo_round_from_its_page(page, served):
    sign_in(page, served.staff_key)
    page.get_by_role("link", name="Hỗ trợ DN", exact=True).click()
    page.wait_for_url("**/support")
    assert page.locator("tr[data-round]").evaluate_all("rows => rows.map(r => r.dataset.round)")[:2] == [ROUND, PAST]
    plan = _api(served, "/plan")
    assert _number(page.locator('[data-figure="firms_international"]').inner_text()) == plan["firms_international"]
    assert _number(page.locator('[data-figure="firms_total"]').inner_text()) == plan["firms_total"]
    past = _api(served, f"/rounds/{PAST}/decisions")
    row = page.locator(f'tr[data-round="{PAST}"]')
    assert _number(row.locator('[data-figure="selected"]').inner_text()) == sum(d["selected"] for d in past["data"])
    assert _number(row.locator('[data-figure="spent"]').inner_text()) == sum(
        d["cost_vnd"] for d in past["data"] if d["selected"])
    _no_page_overflow(page)
    screenshot(page, "support-rounds-vi")

    with page.expect_navigation(wait_until="load"):
        page.locator(f'tr[data-round="{ROUND}"] td').first.get_by_role("link").click()
    nominations = _api(served, f"/rounds/{ROUND}/nominations")
    assert page.locator("#nomination-rows tr[data-nomination]").count() == nominations["count"] == 31
    screenshot(page, "support-round-open-vi")
    # Propose: the page shows the job running, then the decisions, by itself.
    page.locator("#propose-form button[type=submit]").click()
    page.wait_for_selector("#decision-summary", timeout=180_000)
    assert page.locator("#proposal-failed").count() == 0
    decided = _api(served, f"/rounds/{ROUND}/decisions")
    chosen = [d for d in decided["data"] if d["selected"]]
    summary = page.locator("#decision-summary")
    assert _number(summary.locator('[data-figure="selected"]').inner_text()) == len(chosen) > 0
    assert _number(summary.locator('[data-figure="spent"]').inner_text()) == sum(d["cost_vnd"] for d in chosen)
    rows = page.locator("#decision-rows tr[data-nomination]")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.nomination)") == [d["nomination_id"] for d in decided["data"]]
    shown = dict(zip(rows.evaluate_all("rows => rows.map(r => r.dataset.nomination)"),
                     page.locator("#decision-rows .sr-reason").all_inner_texts(), strict=True))  # fmt: skip
    assert shown == {d["nomination_id"]: d["reason_vi"] for d in decided["data"]}
    _no_page_overflow(page)
    screenshot(page, "support-round-proposed-vi")

    # Put the last selected nomination out, with its reason.
    out = chosen[-1]["nomination_id"]
    row = page.locator(f'#decision-rows tr[data-nomination="{out}"]')
    row.get_by_label(f"Lý do điều chỉnh {out}").fill("DN đang bị thanh tra thuế (kiểm thử)")
    with page.expect_navigation(wait_until="load"):
        row.get_by_role("button", name="Đưa ra").click()
    assert page.locator(".alert.ok").inner_text().startswith("Đã lưu điều chỉnh")
    after = {d["nomination_id"]: d for d in _api(served, f"/rounds/{ROUND}/decisions")["data"]}
    assert after[out]["selected"] is False and after[out]["override_reason"] == "DN đang bị thanh tra thuế (kiểm thử)"
    row = page.locator(f'#decision-rows tr[data-nomination="{out}"]')
    assert "Cán bộ điều chỉnh" in row.inner_text() and row.get_attribute("data-selected") == "false"
    # Deciding needs the confirmation: the browser does not send the form without it.
    page.locator("#decide-form button[type=submit]").click()
    assert page.locator("#decide-form").count() == 1 and _api(served, f"/rounds/{ROUND}")["status"] == "proposed"
    # The decision workbook, downloaded from the page.
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải quyết định (Excel)").click()
    assert got.value.suggested_filename == f"{ROUND}_quyet_dinh.xlsx"
    sheet = load_workbook(io.BytesIO(got.value.path().read_bytes()))["Quyết định"]
    assert sheet.max_row == decided["count"] + 1
    # Phone width: the figures wrap, the tables read as cards.
    page.set_viewport_size(VIEWPORTS["phone"])
    _no_page_overflow(page)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"/support/rounds/{ROUND}?show=overridden&lang=en")
    assert page.locator("#decision-rows tr[data-nomination]").count() == 1
    assert page.locator("#decision-rows .sr-reason").inner_text() == after[out]["reason_en"]
    screenshot(page, "support-round-overridden-en")

    # A nomination's dossier and its decision.
    nomination = chosen[0]["nomination_id"]
    page.goto(f"/support/rounds/{ROUND}/nominations/{nomination}?lang=vi")
    dossier = _api(served, f"/rounds/{ROUND}/nominations/{nomination}/dossier")
    assert dossier["firm"]["name"] in page.locator("h1").inner_text()
    assert page.locator("#decision-reason").inner_text() == after[nomination]["reason_vi"]
    assert page.locator("#certificate-rows tr[data-code]").count() == len(dossier["certificates"])
    assert page.locator("#upgrades > li").count() == len(dossier["best_upgrades"])
    # each upgrade with the open needs it would open (up to ten listed), linked to their pages
    for i, upgrade in enumerate(dossier["best_upgrades"]):
        listed = [n["need_id"] for n in upgrade["needs"]]
        assert len(listed) == min(upgrade["new_shortlists"], 10)
        assert all(_api_v1(served, f"/needs/{n}")["status"] == "open" for n in listed)
        links = page.locator("#upgrades > li").nth(i).locator(".sr-upgrade-needs a")
        assert links.evaluate_all("els => els.map(e => e.getAttribute('href'))") == [f"/needs/{n}" for n in listed]
    _no_page_overflow(page)
    screenshot(page, "support-nomination-vi")


def test_an_analyst_reads_without_forms_and_a_firm_gets_the_403_page(browser, served):
    for key, role in ((served.analyst_key, "analyst"), (served.firm_key, "firm")):
        context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN", base_url=served.url)
        page = context.new_page()
        try:
            sign_in(page, key)
            answer = page.goto(f"/support/rounds/{PAST}")
            if role == "analyst":
                assert answer.status == 200 and page.locator("#decision-rows tr[data-nomination]").count() > 0
                assert page.locator("form[method=post][action*='/support/']").count() == 0
                screenshot(page, "support-round-decided-analyst-vi")
            else:
                assert answer.status == 403 and page.locator(".alert.error").count() == 1
                screenshot(page, "support-round-firm-403")
        finally:
            context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_round_pages_pass_axe(browser, served, width):
    from tests.web.test_accessibility import _problems

    context = browser.new_context(viewport=VIEWPORTS[width], locale="vi-VN", base_url=served.url)
    page = context.new_page()
    try:
        sign_in(page, served.staff_key)
        nomination = _api(served, f"/rounds/{ROUND}/nominations")["data"][0]["nomination_id"]
        found = {}
        for path in ("/support", f"/support/rounds/{ROUND}", f"/support/rounds/{PAST}",
                     f"/support/rounds/{ROUND}/nominations/{nomination}", f"/support/rounds/{ROUND}?lang=en"):
            assert page.goto(path).status == 200, path
            problems = _problems(page)
            if problems:
                found[path] = problems
        assert not found, found
    finally:
        context.close()
