"""The pages in a real browser (system Chromium), on the demo data served on 127.0.0.1."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.web.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _submit(page, control) -> None:
    """Click ``control`` and wait until the next page has loaded completely."""
    with page.expect_navigation(wait_until="load"):
        control.click()


def _funnel(page) -> dict[str, int]:
    bars = page.locator("#funnel g[data-status]")
    return {bars.nth(i).get_attribute("data-status"): int(bars.nth(i).get_attribute("data-count"))
            for i in range(bars.count())}  # fmt: skip


def test_staff_flow_need_shortlist_exports_outcome_dashboard(page, served, tmp_path):
    page.goto("/")
    assert page.url.endswith("/login")
    screenshot(page, "login")
    sign_in(page, served.staff_key)
    assert urlsplit(page.url).path == "/dashboard"
    assert page.get_by_role("heading", level=1).inner_text() == "Tổng quan"
    funnel_before = _funnel(page)
    assert funnel_before["suggested"] > 0
    screenshot(page, "dashboard")

    _submit(page, page.get_by_role("link", name="Nhu cầu", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "Nhu cầu"
    rows = page.locator("table.list tbody tr")
    assert rows.first.locator(".badge-open").count() == 1  # open needs come first
    # the buyer by its name (the id beside it), and who is signed in by role in words
    buyer = rows.first.locator("td").nth(2).inner_text()
    assert re.fullmatch(r".*\S.* B\d{3}", buyer), buyer
    assert page.locator(".who").inner_text().startswith("Cán bộ Sở · cnht_")
    screenshot(page, "needs")
    page.goto("/needs?status=closed")
    assert page.locator("table.list tbody tr .badge-closed").count() >= 1
    page.goto("/needs")
    _submit(page, rows.first.locator("a").first)

    # what was understood, then a shortlist (computed here when the need has none)
    assert page.locator("#understood h2").inner_text() == "Hệ thống đã hiểu"
    assert page.locator("#understood dl.facts dt").count() >= 8
    page.get_by_label("Số doanh nghiệp").fill("8")
    _submit(page, page.get_by_role("button", name="Lập danh sách mới"))
    assert page.get_by_role("status").inner_text() == "Đã lập danh sách mới."
    entries = page.locator("ol.shortlist > li.entry")
    assert entries.count() >= 3
    first = entries.first
    assert first.locator(".rank").inner_text() == "1"
    assert first.locator(".bar-row").count() >= 5  # a bar per component
    reasons = first.locator(".reasons li")
    assert reasons.count() >= 1 and all(re.search(r"[ạ-ỹà-ýđĐ]|[a-z]", t) for t in reasons.all_inner_texts())
    names = [n.strip() for n in page.locator("ol.shortlist .firm h3").all_inner_texts()]
    screenshot(page, "need")

    # exports: the files are opened and checked
    with page.expect_download() as got:
        page.get_by_role("link", name="Xuất Excel").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(open(got.value.path(), "rb").read()))
    sheet = workbook.active
    headers = [c.value for c in sheet[3]]
    assert headers[:5] == ["Hạng", "Mã doanh nghiệp", "Tên doanh nghiệp", "Điểm", "Trạng thái"]
    assert headers[-1] == "Lý do"
    data = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[2] for row in data] == names
    assert all(row[-1] for row in data)  # every row has its reasons
    with page.expect_download() as got:
        page.get_by_role("link", name="Xuất PDF").click()
    assert got.value.suggested_filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(open(got.value.path(), "rb").read()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())  # cells wrap
    assert "Danh sách doanh nghiệp đề xuất" in text
    assert names[0] in text  # Vietnamese diacritics survive the font

    # record an outcome on a row still at 'suggested'
    row = entries.filter(has=page.locator("option[value='contacted']")).first
    entry_id = row.get_attribute("id")
    row.get_by_label("Ghi chú").fill("Gọi điện cho giám đốc nhà máy")
    _submit(page, row.get_by_role("button", name="Ghi nhận"))
    assert page.get_by_role("status").inner_text() == "Đã ghi nhận kết quả."
    moved = page.locator(f"#{entry_id}")
    assert moved.locator(".status").inner_text() == "Đã liên hệ"
    assert "Gọi điện cho giám đốc nhà máy" in moved.inner_text()

    # an illegal step is refused on the page, in words
    moved.get_by_label("Bước tiếp theo").select_option("rejected")
    _submit(page, moved.get_by_role("button", name="Ghi nhận"))
    assert "cần có lý do" in page.get_by_role("alert").inner_text()  # in the page's language

    _submit(page, page.get_by_role("link", name="Tổng quan"))
    after = _funnel(page)
    assert after["contacted"] == funnel_before["contacted"] + 1


def test_language_switch_changes_the_words(page, served):
    sign_in(page, served.staff_key)
    page.goto("/needs")
    assert page.locator("html").get_attribute("lang") == "vi"
    _submit(page, page.get_by_role("link", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Needs"
    _submit(page, page.get_by_role("link", name="Dashboard"))  # the choice is kept
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert page.get_by_text("Outcome funnel").count() == 1
    screenshot(page, "dashboard-en")
    _submit(page, page.get_by_role("link", name="Tiếng Việt"))
    assert page.get_by_role("heading", level=1).inner_text() == "Tổng quan"


def test_firms_search_ignores_diacritics(page, served):
    sign_in(page, served.staff_key)
    page.goto("/firms?q=ep%20nhua")
    plain = page.locator("#firms-count").inner_text()
    page.goto("/firms?q=%C3%A9p%20nh%E1%BB%B1a")
    assert page.locator("#firms-count").inner_text() == plain
    assert int(re.sub(r"\D", "", plain)) > 0
    screenshot(page, "firms")
    _submit(page, page.locator("table.list tbody a").first)
    assert page.locator("h2", has_text="Chứng chỉ").count() == 1
    screenshot(page, "firm")


@pytest.mark.parametrize("path, ready", [("/docs", ".opblock"), ("/redoc", "[data-section-id]")])
def test_api_docs_render_offline(browser, served, path, ready):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    blocked: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.goto(served.url + path)
    tab.wait_for_selector(ready, timeout=30_000)
    assert tab.locator(ready).count() > 10
    screenshot(tab, path.strip("/"))
    context.close()
    assert blocked == []


def test_forms_refuse_other_sites_and_missing_tokens(served):
    with httpx.Client(base_url=served.url) as client:
        login = client.post("/login", data={"key": served.staff_key}, headers={"Origin": "http://evil.example"})
        assert login.status_code == 403 and "another site" in login.text
        assert "set-cookie" not in login.headers
        ok = client.post("/login", data={"key": served.staff_key, "next": "//evil.example"},
                         headers={"Origin": served.url})  # fmt: skip
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        refused = client.post("/logout", headers={"Origin": served.url})
        assert refused.status_code == 403 and "token" in refused.text
        bad = client.post("/login", data={"key": "cnht_wrong"}, headers={"Origin": served.url})
        assert bad.status_code == 401 and "Khóa không đúng" in bad.text


def test_analyst_reads_but_cannot_record(page, served):
    sign_in(page, served.analyst_key)
    page.goto("/needs")
    _submit(page, page.locator("table.list tbody a").first)
    assert page.get_by_role("button", name="Ghi nhận").count() == 0
    assert page.get_by_role("button", name="Lập danh sách mới").count() == 0
