"""An association's and a firm's support pages in headless Chromium on ``cnht serve --demo`` (issue 14).

An association key made with the CLI signs in through the form and lands on its page; it sees the
demo's rounds with its own nominations only (as ``GET /support/rounds/{id}/nominations`` answers
its key), finds a firm by name, nominates it, is refused with the rule named when it sends the
same again, changes the justification and withdraws; staff pages answer it 403. A firm applies
for itself on /portal/support. Screenshots at desktop and phone width in test-output/screenshots.

The writes go to a round of this test's own (SR-WEB-SA, open today), so the demo's open round
SR-2026-2 stays as the other pages' tests expect it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import httpx
import pytest

from tests.web.conftest import ROOT, VIEWPORTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

API = "/api/v1/support"
ROUND = "SR-WEB-SA"
_CLI = [sys.executable, "-c", "from api.cli import main; main()"]


def _association_key(served, association_id: str) -> str:
    """An association key made with the CLI, as conftest's ``_make_key`` makes the others."""
    env = {**os.environ, "CNHT_DATABASE_URL": f"sqlite:///{served.database}"}
    env.pop("CNHT_DEMO_FOLDER", None)
    made = subprocess.run([*_CLI, "keys", "create", "--role", "association", "--association", association_id],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    return made.stdout.strip().splitlines()[-1].strip()


def _api(served, path: str, key: str | None = None):
    answer = httpx.get(f"{served.url}{API}{path}", timeout=60,
                       headers={"Authorization": f"Bearer {key or served.staff_key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def programme(served) -> dict:
    """The round of this test (the demo's open round's types and rules, open today), an association
    key of HANSIBA and one of VAMI-HN, and a demo firm the rules accept for training."""
    document = json.loads((ROOT / "data" / "demo" / "support_programme.json").read_text(encoding="utf-8"))
    definition = {k: v for k, v in document["current_round"].items() if k != "nominations"}
    today = dt.date.today()
    definition.update(round_id=ROUND, name="[TEST] Đợt thử của trang hiệp hội / Association pages' test round",
                      opens=(today - dt.timedelta(days=1)).isoformat(),
                      closes=(today + dt.timedelta(days=30)).isoformat())
    answer = httpx.post(f"{served.url}{API}/rounds", json=definition, timeout=60,
                        headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    assert answer.status_code in (201, 409), answer.text
    # a firm the demo round accepted (tax code, Hanoi, sector) and the past round never funded
    past = {n["firm_id"] for n in _api(served, "/rounds/SR-2025-1/nominations")["data"]}
    accepted = [n["firm_id"] for n in _api(served, "/rounds/SR-2026-2/nominations")["data"]
                if n["status"] == "submitted" and n["firm_id"] not in past]
    assert accepted, "the demo's open round holds no nomination of a firm the past round did not fund"
    return {"hansiba": _association_key(served, "HANSIBA"), "vami": _association_key(served, "VAMI-HN"),
            "firm_id": accepted[0]}


def _submit(page, control) -> None:
    with page.expect_navigation(wait_until="load"):
        control.click()


def _listed(page) -> list[str]:
    return page.locator("#mine tr[data-nomination]").evaluate_all(
        "rows => rows.map(r => r.closest('.sa-own').dataset.round + '/' + r.dataset.nomination)")


def _own_in_api(served, key: str) -> list[str]:
    return [f"{r['round_id']}/{n['nomination_id']}" for r in _api(served, "/rounds", key)["data"]
            for n in _api(served, f"/rounds/{r['round_id']}/nominations", key)["data"]]


def _no_page_overflow(page) -> None:
    wide = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than the window"


def test_an_association_nominates_a_firm_it_found_and_sees_only_its_own(browser, page, served, programme):
    sign_in(page, programme["hansiba"])
    assert urlsplit(page.url).path == "/association"
    names = {a["association_id"]: a["name"] for a in _api(served, "/associations")["data"]}
    assert page.locator("h1").inner_text() == names["HANSIBA"]
    assert page.get_by_role("link", name="Đề cử doanh nghiệp").get_attribute("aria-current") == "page"
    # its own nominations, every round, exactly as the API lists them for its key
    assert sorted(_listed(page)) == sorted(_own_in_api(served, programme["hansiba"]))
    others = [n for n in _api(served, "/rounds/SR-2026-2/nominations")["data"] if n["association_id"] != "HANSIBA"]
    listed = set(_listed(page))
    assert others and not any(f"SR-2026-2/{n['nomination_id']}" in listed for n in others)
    # the past round's decisions with their reasons
    past = page.locator('.sa-own[data-round="SR-2025-1"]')
    decided = _api(served, "/rounds/SR-2025-1/decisions", programme["hansiba"])["data"]
    for d in decided:
        assert d["reason_vi"] in past.locator(f'tr[data-nomination="{d["nomination_id"]}"]').inner_text()
    # the round: budget, types with unit cost and cap, closing date, rules in words
    card = page.locator(f"#round-{ROUND}")
    assert "1.500.000.000 đ" in card.inner_text() and "Tư vấn ISO 9001" in card.inner_text()
    assert "120.000.000 đ" in card.inner_text() and "Có địa chỉ tại Hà Nội." in card.inner_text()
    screenshot(page, "association")

    # find the firm by name (public parts only), choose it, nominate it
    firm = _api(served, f"/firms/{programme['firm_id']}", programme["hansiba"])
    page.get_by_label("Tên doanh nghiệp").fill(firm["name"])
    _submit(page, page.get_by_role("button", name="Tìm", exact=True))
    row = page.locator(f'#found tr[data-firm="{firm["firm_id"]}"]')
    assert firm["name"] in row.inner_text()
    screenshot(page, "association-search")
    _submit(page, row.get_by_role("link", name="Chọn để đề cử"))
    form = page.locator(f"#nominate-{ROUND}")
    assert form.get_by_label("Mã doanh nghiệp").input_value() == firm["firm_id"]
    form.get_by_label("Loại hỗ trợ").select_option("training")
    form.get_by_label("Lý do đề xuất").fill("Hội viên cần đào tạo QC cho đơn hàng xuất khẩu")
    _submit(page, form.get_by_role("button", name="Gửi đề cử"))
    (sent,) = [n for n in _api(served, f"/rounds/{ROUND}/nominations", programme["hansiba"])["data"]
               if n["firm_id"] == firm["firm_id"]]
    assert sent["association_id"] == "HANSIBA" and sent["justification"].startswith("Hội viên cần đào tạo QC")
    assert page.get_by_role("status").inner_text() == f"Đã gửi đề cử {sent['nomination_id']}."
    assert page.locator(f"#n-{ROUND}-{sent['nomination_id']}").count() == 1

    # the same again: refused, the rule named in words, what was typed kept, nothing stored
    form = page.locator(f"#nominate-{ROUND}")
    form.get_by_label("Mã doanh nghiệp").fill(firm["firm_id"])
    form.get_by_label("Loại hỗ trợ").select_option("training")
    form.get_by_label("Lý do đề xuất").fill("Gửi lần hai")
    _submit(page, form.get_by_role("button", name="Gửi đề cử"))
    alert = page.locator(f"#nominate-{ROUND} .sa-refusal")
    assert alert.get_attribute("data-rule") == "duplicate" and "trùng đề cử" in alert.inner_text()
    assert form.get_by_label("Lý do đề xuất").input_value() == "Gửi lần hai"
    assert len(_api(served, f"/rounds/{ROUND}/nominations")["data"]) == 1
    screenshot(page, "association-refused")

    # change the justification, then withdraw
    page.goto("/association")
    mine = page.locator(f"#n-{ROUND}-{sent['nomination_id']} + tr details")
    mine.locator("summary").click()
    mine.get_by_label("Lý do đề xuất").fill("Đơn hàng Canon 2027")
    mine.scroll_into_view_if_needed()
    screenshot(page, "association-change")
    _submit(page, mine.get_by_role("button", name="Lưu lý do"))
    assert _api(served, f"/rounds/{ROUND}/nominations/{sent['nomination_id']}",
                programme["hansiba"])["justification"] == "Đơn hàng Canon 2027"
    mine = page.locator(f"#n-{ROUND}-{sent['nomination_id']} + tr details")
    mine.locator("summary").click()
    _submit(page, mine.get_by_role("button", name="Rút hồ sơ"))
    assert _api(served, f"/rounds/{ROUND}/nominations/{sent['nomination_id']}",
                programme["hansiba"])["status"] == "withdrawn"
    assert "Đã rút" in page.locator(f"#n-{ROUND}-{sent['nomination_id']}").inner_text()

    # English
    page.goto("/association?lang=en")
    assert page.locator("h2.sa-section").inner_text() == "Rounds open for nominations"
    assert "An address in Hanoi." in page.locator(f"#round-{ROUND}").inner_text()
    screenshot(page, "association-en")
    page.goto("/association?lang=vi")

    # another association's nomination is a page that does not exist; staff pages answer 403
    answer = page.goto(f"/association/rounds/SR-2026-2/nominations/{others[0]['nomination_id']}")
    assert answer.status == 404 and "not found" in page.get_by_role("alert").inner_text()
    for path in ("/dashboard", "/needs", "/firms", f"/firms/{firm['firm_id']}", "/keys", "/support", "/portal"):
        assert page.goto(path).status == 403, path


def test_the_association_page_at_phone_width_reads_without_sideways_scrolling(browser, served, programme):
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN", base_url=served.url)
    phone = context.new_page()
    sign_in(phone, programme["vami"])
    assert urlsplit(phone.url).path == "/association"
    _no_page_overflow(phone)
    assert phone.locator(f"#nominate-{ROUND}").is_visible()
    context.close()


def test_a_firm_applies_for_itself_on_its_support_page(page, served, programme):
    sign_in(page, served.firm_key)
    _submit(page, page.get_by_role("link", name="Đăng ký hỗ trợ"))
    assert urlsplit(page.url).path == "/portal/support"
    assert page.get_by_role("link", name="Đăng ký hỗ trợ").get_attribute("aria-current") == "page"
    assert sorted(_listed(page)) == sorted(_own_in_api(served, served.firm_key))
    form = page.locator(f"#nominate-{ROUND}")
    assert form.locator("input[name=firm_id]").count() == 0  # always its own firm
    form.get_by_label("Loại hỗ trợ").select_option("fair_booth")
    form.get_by_label("Lý do đề xuất").fill("Giới thiệu sản phẩm tại hội chợ CNHT")
    _submit(page, form.get_by_role("button", name="Gửi đăng ký"))
    own = _api(served, f"/rounds/{ROUND}/nominations", served.firm_key)["data"]
    refusal = page.locator(f"#nominate-{ROUND} .sa-refusal")
    if own:  # accepted: in the API's list as its own application
        (sent,) = own
        assert (sent["firm_id"], sent["nominated_by"], sent["association_id"]) == (served.firm_id, "self", None)
        assert page.locator(f"#n-{ROUND}-{sent['nomination_id']}").count() == 1
    else:  # a rule refused the demo firm: named in words, nothing stored
        assert refusal.count() == 1 and refusal.get_attribute("data-rule")
    assert sorted(_listed(page)) == sorted(_own_in_api(served, served.firm_key))
    screenshot(page, "portal-support")
    page.goto("/portal/support?lang=en")
    assert page.locator("#mine h2").inner_text() == "Your firm's applications"
    page.goto("/portal/support?lang=vi")
    assert page.goto("/association").status == 403
