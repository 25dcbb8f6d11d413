"""The firm portal and the staff pages (import, keys, new need, a firm's fits) in a real browser."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from features.taxonomy import load_taxonomy
from tests.web.conftest import VIEWPORTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _submit(page, control) -> None:
    with page.expect_navigation(wait_until="load"):
        control.click()


def _api(served, path: str, **params):
    answer = httpx.get(f"{served.url}/api/v1{path}", params=params, timeout=120,
                       headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_firm_portal_flow(browser, page, served):
    sign_in(page, served.firm_key)
    assert urlsplit(page.url).path == "/portal"
    firm = _api(served, f"/firms/{served.firm_id}")
    assert page.get_by_role("heading", level=1).inner_text() == firm["name"]

    # the open needs it fits, with buyer sector and country, deadline, reasons and gaps
    fits = page.locator("#fits li.entry")
    assert fits.count() >= 2
    expected = [s["need_id"] for s in _api(served, f"/firms/{served.firm_id}/suggestions", k=10)["data"]]
    assert [fits.nth(i).get_attribute("data-need") for i in range(fits.count())] == expected
    first = fits.first
    assert "Lĩnh vực bên mua" in first.inner_text() and "Quốc gia" in first.inner_text()
    assert first.locator(".reasons h4", has_text="Còn thiếu").count() == 1
    assert page.locator("#fits .reasons li.con").count() >= 1  # what it lacks, somewhere
    html = page.content()
    for need_id in expected:  # never a buyer's confidential fields
        need = _api(served, f"/needs/{need_id}")
        for secret in (need.get("internal_notes"), need.get("target_price_usd")):
            if secret:
                assert str(secret) not in html
    screenshot(page, "portal")

    # profile: capacity with Vietnamese separators is stored
    page.get_by_label("Năng lực/tháng").fill("12.500")
    _submit(page, page.get_by_role("button", name="Lưu hồ sơ"))
    assert page.get_by_role("status").inner_text() == "Đã lưu hồ sơ."
    assert _api(served, f"/firms/{served.firm_id}")["monthly_capacity"] == 12500

    # certificates: one through the fields (dd/mm/yyyy), one as text; verified ones stay verified
    verified_before = sorted(c["code"] for c in firm["certifications"] if c["verified"])
    page.locator("#new-code").select_option("iso_14001")
    page.locator("#new-issued").fill("01/02/2025")
    page.locator("#new-until").fill("31/01/2028")
    page.get_by_label("Hoặc nhập dạng văn bản").fill("ISO 45001:2018 hiệu lực đến 30/06/2027")
    _submit(page, page.get_by_role("button", name="Lưu chứng chỉ"))
    assert page.get_by_role("status").inner_text() == "Đã lưu chứng chỉ."
    stored = _api(served, f"/firms/{served.firm_id}")["certifications"]
    assert {"code": "iso_14001", "issued": "2025-02-01", "valid_until": "2028-01-31", "verified": False} in [
        {k: c[k] for k in ("code", "issued", "valid_until", "verified")} for c in stored]
    assert any(c["code"] == "iso_45001" and c["valid_until"] == "2027-06-30" for c in stored)
    assert sorted(c["code"] for c in stored if c["verified"]) == verified_before
    shown = page.locator("#certificates tr[data-code='iso_14001'] input[name$='-valid_until']")
    assert "31/01/2028" in [shown.nth(i).input_value() for i in range(shown.count())]
    page.locator("#new-until").fill("31/13/2028")  # a wrong date is refused in words
    page.locator("#new-code").select_option("iso_9001")
    _submit(page, page.get_by_role("button", name="Lưu chứng chỉ"))
    assert "dd/mm/yyyy" in page.get_by_role("alert").inner_text()

    # "we are interested", then staff see it on the need's page
    page.goto("/portal")
    need_id = expected[0]
    entry = page.locator(f"#need-{need_id}")
    entry.get_by_label("Lời nhắn cho cán bộ Sở").fill("Chúng tôi có dây chuyền phù hợp")
    _submit(page, entry.get_by_role("button", name="Chúng tôi quan tâm"))
    assert "cán bộ Sở sẽ thấy" in page.get_by_role("status").inner_text()
    assert "Đã báo quan tâm" in page.locator(f"#need-{need_id}").inner_text()
    screenshot(page, "portal-after")

    staff = browser.new_context(viewport=VIEWPORTS["desktop"], base_url=served.url)
    staff_page = staff.new_page()
    sign_in(staff_page, served.staff_key)
    staff_page.goto(f"/needs/{need_id}")
    row = staff_page.locator(f"#interests tr[data-firm='{served.firm_id}']")
    assert "Chúng tôi có dây chuyền phù hợp" in row.inner_text()
    staff.close()

    # another firm's page is the very page of a firm that does not exist
    other = page.goto(f"/firms/{served.other_firm_id}")
    other_text = _main_text(page).replace(served.other_firm_id, "X")
    missing = page.goto("/firms/NO-SUCH-FIRM")
    assert other.status == missing.status == 404
    assert other_text == _main_text(page).replace("NO-SUCH-FIRM", "X")
    assert page.goto(f"/firms/{served.other_firm_id}/suggestions").status == 404
    assert page.goto("/needs").status == 403
    page.goto(f"/firms/{served.firm_id}")  # its own page is the portal
    assert urlsplit(page.url).path == "/portal"


def test_staff_imports_a_file_with_bad_rows(page, served, tmp_path):
    sign_in(page, served.staff_key)
    _submit(page, page.get_by_role("link", name="Nhập dữ liệu"))
    bad = tmp_path / "doanh-nghiep.csv"
    bad.write_text("firm_id,name,tax_code,employees,district\n"
                   "WEB-1,Công ty Một,,50,Đông Anh\n"
                   "WEB-2,,,20,Sóc Sơn\n"
                   "WEB-3,Công ty Ba,01-0234,abc,Gia Lâm\n", encoding="utf-8")  # fmt: skip
    page.get_by_label("Loại dữ liệu").select_option("firms")
    page.locator("#file").set_input_files(str(bad))
    _submit(page, page.get_by_role("button", name="Đọc tệp và xem trước"))
    # the preview: each written header over the column it goes into, the first rows as read
    heads = page.locator("#preview-rows thead th").all_inner_texts()
    assert [h.split("\n")[0] for h in heads] == ["Dòng", "firm_id", "name", "tax_code", "employees", "district"]
    assert "→ Tên doanh nghiệp" in heads[2]
    rows = page.locator("#preview-rows tbody tr")
    assert rows.count() == 3 and rows.nth(2).locator("td").all_inner_texts() == ["4", "WEB-3", "Công ty Ba", "01-0234", "abc", "Gia Lâm"]
    screenshot(page, "import-preview")
    _submit(page, page.get_by_role("button", name=re.compile("Xác nhận nhập")))
    assert re.fullmatch(r"/imports/\d+", urlsplit(page.url).path)
    page.locator("#counts").wait_for()  # a slow import shows its stage first, then its result
    counts = {k: page.locator(f"#counts dd[data-count='{k}']").inner_text() for k in ("read", "inserted", "rejected")}
    assert counts == {"read": "3", "inserted": "2", "rejected": "1"}
    rows = page.locator("#rejects tbody tr")
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    assert ["3", "name"] in [c[:2] for c in cells]
    assert any(c[:2] == ["4", "tax_code"] and "mã số thuế" in c[2] and c[3] for c in cells)  # reason, fix in vi
    screenshot(page, "import")
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải các vấn đề (Excel)").click()
    sheet = load_workbook(io.BytesIO(open(got.value.path(), "rb").read())).active
    assert [c.value for c in sheet[2]][:4] == ["Dòng", "Cột", "Lý do", "Cách sửa"]
    assert len(list(sheet.iter_rows(min_row=3))) == rows.count()

    empty = tmp_path / "trong.csv"
    empty.write_bytes(b"")
    page.locator("#file").set_input_files(str(empty))
    _submit(page, page.get_by_role("button", name="Đọc tệp và xem trước"))
    assert "trống" in page.get_by_role("alert").inner_text()


def test_staff_imports_a_filled_template_with_a_title_row_and_stt(page, served, tmp_path):
    """The project's own template, a title above its headers and an STT column, filled in below
    its help rows: the preview shows the data row only, and the import has no problem."""
    from openpyxl import load_workbook as load

    book = load("data/demo/templates/firms_template.xlsx")
    sheet = book.worksheets[0]
    sheet.append(["WEB-T1", "Công ty Mẫu Biểu", None, "12 Lê Lợi", "Đông Anh", 2005, 80])
    sheet.insert_cols(1)
    sheet.cell(row=1, column=1, value="STT")
    sheet.cell(row=4, column=1, value=1)
    sheet.insert_rows(1)
    sheet.cell(row=1, column=1, value="DANH SÁCH DOANH NGHIỆP CÔNG NGHIỆP HỖ TRỢ")
    path = tmp_path / "mau-doanh-nghiep.xlsx"
    book.save(path)
    sign_in(page, served.staff_key)
    page.goto("/imports")
    page.get_by_label("Loại dữ liệu").select_option("firms")
    page.locator("#file").set_input_files(str(path))
    _submit(page, page.get_by_role("button", name="Đọc tệp và xem trước"))
    assert "dòng 2" in page.locator("#preview .alert").inner_text()  # the title row, said in words
    rows = page.locator("#preview-rows tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").all_inner_texts()[:3] == ["5", "1", "WEB-T1"]
    assert "không nhập" in page.locator("#preview-rows thead th").nth(1).inner_text()  # STT
    _submit(page, page.get_by_role("button", name=re.compile("Xác nhận nhập")))
    page.locator("#counts").wait_for()
    counts = {k: page.locator(f"#counts dd[data-count='{k}']").inner_text() for k in ("read", "inserted", "rejected")}
    assert counts == {"read": "1", "inserted": "1", "rejected": "0"}
    assert page.locator("#rejects").count() == 0
    assert _api(served, "/firms/WEB-T1")["name"] == "Công ty Mẫu Biểu"


def test_interest_in_a_hidden_need_answers_like_a_missing_one(page, served):
    sign_in(page, served.firm_key)
    csrf = page.locator("input[name=csrf]").first.input_value()
    fits = {s["need_id"] for s in _api(served, f"/firms/{served.firm_id}/suggestions", k=50)["data"]}
    hidden = next(n["need_id"] for n in _api(served, "/needs", limit=200)["data"] if n["need_id"] not in fits)
    answers = {}
    for need_id in (hidden, "N-NO-SUCH"):
        answer = page.request.post(f"/portal/needs/{need_id}/interest", form={"csrf": csrf, "note": ""})
        answers[need_id] = (answer.status, answer.text().replace(need_id, "<id>"))
    assert answers[hidden] == answers["N-NO-SUCH"] and answers[hidden][0] == 404


def test_staff_creates_and_revokes_a_key(browser, page, served):
    sign_in(page, served.staff_key)
    page.goto("/keys")
    page.get_by_label("Vai trò").select_option("analyst")
    page.get_by_label("Ghi chú (người giữ khóa)").fill("Phòng phân tích")
    _submit(page, page.get_by_role("button", name="Tạo khóa"))
    key = page.locator("#new-key-value").inner_text().strip()
    assert key.startswith("cnht_")
    screenshot(page, "keys")
    page.goto("/keys")
    assert page.locator("#new-key-value").count() == 0  # shown once
    assert key not in page.content()

    other = browser.new_context(base_url=served.url)
    analyst = other.new_page()
    sign_in(analyst, key)
    assert urlsplit(analyst.url).path == "/dashboard"
    row = page.locator(f"#keys tr[data-prefix='{key[:13]}']")
    _submit(page, row.get_by_role("button", name="Thu hồi"))
    assert "Đã thu hồi" in page.locator(f"#keys tr[data-prefix='{key[:13]}']").inner_text()
    analyst.goto("/needs")
    assert urlsplit(analyst.url).path == "/login"  # the revoked key's pages sign out
    other.close()
    page.get_by_label("Vai trò").select_option("firm")
    _submit(page, page.get_by_role("button", name="Tạo khóa"))
    assert "--firm" in page.get_by_role("alert").inner_text()


def test_staff_writes_a_new_need(page, served):
    sign_in(page, served.staff_key)
    page.goto("/needs")
    _submit(page, page.get_by_role("link", name="Nhu cầu mới"))
    page.get_by_label("Tiêu đề").fill("Vỏ nhựa ABS cho bộ điều khiển")
    page.get_by_label("Mô tả nhu cầu").fill("Cần vỏ nhựa ABS ép phun, 20.000 cái/tháng, giao trước 30/06/2027.")
    page.get_by_label("Mã bên mua").fill("B-WEB")
    page.get_by_label("Tên bên mua").fill("Nhà máy thử nghiệm")
    page.get_by_label("Mã quốc gia").fill("JP")
    page.get_by_label("Khu công nghiệp").fill("KCN Atlantis")
    page.get_by_label("Lĩnh vực", exact=True).select_option("electronics")
    page.locator("#n-processes").select_option(["injection_moulding"])
    page.locator("#n-mandatory").select_option(["iso_9001"])
    page.get_by_label("Hạn chót").fill("30/06/2027")
    _submit(page, page.get_by_role("button", name="Lưu nhu cầu"))
    refused = page.locator("#park-error")
    assert "Không có khu công nghiệp" in refused.inner_text() and "Khu công nghiệp Thăng Long" in refused.inner_text()
    assert page.get_by_label("Tiêu đề").input_value() == "Vỏ nhựa ABS cho bộ điều khiển"  # kept
    screenshot(page, "need-new-park")
    page.get_by_label("Khu công nghiệp").fill("Khu công nghiệp Thăng Long")
    need_id = page.get_by_label("Mã nhu cầu").input_value()
    _submit(page, page.get_by_role("button", name="Lưu nhu cầu"))
    assert urlsplit(page.url).path == f"/needs/{need_id}"
    assert page.get_by_role("status").inner_text() == "Đã lưu nhu cầu mới."
    understood = page.locator("#understood").inner_text()
    picked = load_taxonomy().get("injection_moulding").label("vi")
    assert picked in understood and "ISO 9001" in understood and "30/06/2027" in understood
    assert _api(served, "/buyers/B-WEB")["park_id"] == "thang_long"
    page.goto("/needs/new?lang=en")
    assert page.get_by_role("heading", level=1).inner_text() == "New need"
    screenshot(page, "need-new-en")
    page.goto("/needs/new?lang=vi")
    screenshot(page, "need-new")


def test_firm_page_fits_upgrades_and_filters(page, served):
    sign_in(page, served.staff_key)
    page.goto(f"/firms/{served.firm_id}")
    assert page.locator("#fits li.entry").count() >= 2
    assert page.locator("#upgrades table").count() == 1 or "Không có kết quả" in page.locator("#upgrades").inner_text()
    screenshot(page, "firm-fits")

    page.goto("/firms")
    total = int(re.sub(r"\D", "", page.locator("#firms-count").inner_text()))
    page.get_by_label("Lĩnh vực").select_option("electronics")
    page.get_by_label("Chứng chỉ còn hiệu lực").select_option("iso_9001")
    page.get_by_label("vào ngày").fill("01/01/2026")
    _submit(page, page.get_by_role("button", name="Lọc"))
    filtered = int(re.sub(r"\D", "", page.locator("#firms-count").inner_text()))
    expected = _api(served, "/firms", sector="electronics", certification="iso_9001", limit=1)["count"]
    assert 0 < filtered < total
    # the API's filter is "valid today"; on 01/01/2026 the page may differ, but not by much
    assert abs(filtered - expected) <= max(5, expected // 5)
    screenshot(page, "firms-filtered")
    page.get_by_label("vào ngày").fill("31/02/2026")
    _submit(page, page.get_by_role("button", name="Lọc"))
    assert "dd/mm/yyyy" in page.get_by_role("alert").inner_text()


@pytest.mark.parametrize(("lang", "choose", "none"), [("vi", "Chọn tệp", "Chưa chọn tệp"),
                                                      ("en", "Choose a file", "No file chosen")])  # fmt: skip
def test_the_file_picker_speaks_the_pages_language(browser, served, tmp_path, lang, choose, none):
    """In an English browser too: the picker's button and "no file chosen" are the page's words,
    the input keeps its label and the keyboard, and the chosen file's name is shown."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-US", base_url=served.url)
    page = context.new_page()
    sign_in(page, served.staff_key)
    page.goto(f"/imports?lang={lang}")
    button, chosen = page.locator("#file-button"), page.locator("#file-name")
    assert button.is_visible() and button.inner_text() == choose
    assert chosen.is_visible() and chosen.inner_text() == none
    picker = page.get_by_label("Tệp (CSV, XLSX)" if lang == "vi" else "File (CSV, XLSX)")
    assert picker.get_attribute("id") == "file"
    # the keyboard reaches the input from the pick-list before it, and its focus shows on the button
    page.locator("#kind").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"
    outline = button.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid"
    # sending without a file: the browser's complaint in the page's language
    page.locator("#import-form button[type=submit]").click()
    message = page.locator("#file").evaluate("i => i.validationMessage")
    assert message == ("Hãy chọn một tệp CSV hoặc XLSX." if lang == "vi" else "Choose a CSV or XLSX file first.")
    path = tmp_path / "doanh-nghiep-moi.csv"
    path.write_text("firm_id,name\nPICK-1,Công ty Chọn Tệp\n", encoding="utf-8")
    picker.set_input_files(str(path))
    assert chosen.inner_text() == "doanh-nghiep-moi.csv"
    screenshot(page, f"import-file-chosen-{lang}")
    _submit(page, page.locator("#import-form button[type=submit]"))
    assert page.locator("#preview-rows tbody tr").first.locator("td").all_inner_texts() == ["2", "PICK-1", "Công ty Chọn Tệp"]
    context.close()
