"""An association's and a firm's support pages in headless Chromium on ``cnht serve --demo`` (issue 14).

An association key made with the CLI signs in through the form and lands on its page; it sees the
demo's rounds with its own nominations only (as ``GET /support/rounds/{id}/nominations`` answers
its key), finds a firm by name, nominates it for the demo's open round SR-2026-2, is refused with
the rule named when it sends the same again, changes the justification and withdraws; staff pages
answer it 403. A firm an association nominated applies for itself on /portal/support and sees both.
Screenshots at desktop and phone width in test-output/screenshots.

These tests write to the demo's open round, which the other pages' tests read as the demo stored
it (its 31 nominations, the rounds' order): so they run on a served demo of their own
(``demo_server``, as conftest's ``served`` starts one), not on the session's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.web.conftest import _CLI, ROOT, VIEWPORTS, screenshot, serve_demo, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

API = "/api/v1/support"
ROUND, PAST = "SR-2026-2", "SR-2025-1"


@dataclass(frozen=True)
class DemoServer:
    """The served demo: its URL and database, keys of staff, of HANSIBA and VAMI-HN, and of a firm
    HANSIBA nominated in the open round (``firm_id``) that the past round did not fund."""

    url: str
    database: Path
    staff_key: str
    hansiba_key: str
    vami_key: str
    firm_key: str
    firm_id: str


def _key(env: dict[str, str], *arguments: str) -> str:
    """A key made with the CLI, as conftest's ``_make_key`` makes them (``--association`` too)."""
    made = subprocess.run([*_CLI, "keys", "create", *arguments], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return made.stdout.strip().splitlines()[-1].strip()


def _get(url: str, path: str, key: str):
    answer = httpx.get(f"{url}{API}{path}", timeout=60, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[DemoServer]:
    """``cnht serve --demo`` on a fresh SQLite file and a free port, for this module only."""
    folder = tmp_path_factory.mktemp("served-support-applications")
    with serve_demo(folder) as (url, env):
        staff = _key(env, "--role", "staff")
        past = {n["firm_id"] for n in _get(url, f"/rounds/{PAST}/nominations", staff)["data"]}
        nominated = [n["firm_id"] for n in _get(url, f"/rounds/{ROUND}/nominations", staff)["data"]
                     if n["association_id"] == "HANSIBA" and n["status"] == "submitted" and n["firm_id"] not in past]
        assert nominated, "HANSIBA nominated no firm in the demo's open round that the past round did not fund"
        yield DemoServer(url=url, database=folder / "web.db", staff_key=staff,
                         hansiba_key=_key(env, "--role", "association", "--association", "HANSIBA"),
                         vami_key=_key(env, "--role", "association", "--association", "VAMI-HN"),
                         firm_key=_key(env, "--role", "firm", "--firm", nominated[0]), firm_id=nominated[0])


@pytest.fixture
def tab(browser, demo_server: DemoServer):
    """A fresh desktop page (1366x768, Vietnamese browser) on the module's served demo."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN", base_url=demo_server.url)
    yield context.new_page()
    context.close()


def _api(server: DemoServer, path: str, key: str | None = None):
    return _get(server.url, path, key or server.staff_key)


def _submit(page, control) -> None:
    with page.expect_navigation(wait_until="load"):
        control.click()


def _listed(page) -> list[str]:
    """round/nomination of every row the page lists as the caller's own."""
    return page.locator("#mine tr[data-nomination]").evaluate_all(
        "rows => rows.map(r => r.closest('.sa-own').dataset.round + '/' + r.dataset.nomination)")


def _own_in_api(server: DemoServer, key: str) -> list[str]:
    """The same as the API answers the caller's key, every round."""
    return [f"{r['round_id']}/{n['nomination_id']}" for r in _api(server, "/rounds", key)["data"]
            for n in _api(server, f"/rounds/{r['round_id']}/nominations", key)["data"]]


def _no_page_overflow(page) -> None:
    wide = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than the window"


def _firm_to_nominate(server: DemoServer) -> str:
    """A firm the open round accepted once (tax code, Hanoi, sector), never funded before, not yet
    nominated for training, and not the firm of ``firm_key``."""
    nominations = _api(server, f"/rounds/{ROUND}/nominations")["data"]
    past = {n["firm_id"] for n in _api(server, f"/rounds/{PAST}/nominations")["data"]}
    training = {n["firm_id"] for n in nominations if n["support_type"] == "training"}
    return next(n["firm_id"] for n in nominations if n["status"] == "submitted" and n["firm_id"] not in past
                and n["firm_id"] not in training and n["firm_id"] != server.firm_id)


def test_an_association_nominates_a_firm_it_found_and_sees_only_its_own(tab, demo_server):
    page, server = tab, demo_server
    sign_in(page, server.hansiba_key)
    assert urlsplit(page.url).path == "/association"
    names = {a["association_id"]: a["name"] for a in _api(server, "/associations")["data"]}
    assert page.locator("h1").inner_text() == names["HANSIBA"]
    assert page.get_by_role("link", name="Đề cử doanh nghiệp").get_attribute("aria-current") == "page"
    # its own nominations, every round, exactly as the API lists them for its key
    assert sorted(_listed(page)) == sorted(_own_in_api(server, server.hansiba_key))
    others = [n for n in _api(server, f"/rounds/{ROUND}/nominations")["data"] if n["association_id"] != "HANSIBA"]
    listed = set(_listed(page))
    assert others and listed and not any(f"{ROUND}/{n['nomination_id']}" in listed for n in others)
    # the past round's decisions with their reasons
    past = page.locator(f'.sa-own[data-round="{PAST}"]')
    decided = _api(server, f"/rounds/{PAST}/decisions", server.hansiba_key)["data"]
    assert decided
    for d in decided:
        assert d["reason_vi"] in past.locator(f'tr[data-nomination="{d["nomination_id"]}"]').inner_text()
    # the round: budget, types with unit cost and cap, closing date, rules in words
    card = page.locator(f"#round-{ROUND}").inner_text()
    assert "1.500.000.000 đ" in card and "Tư vấn ISO 9001" in card and "120.000.000 đ" in card
    assert "31/12/2026" in card and "Có địa chỉ tại Hà Nội." in card and "Tối đa 40% ngân sách" in card
    _no_page_overflow(page)
    screenshot(page, "association")

    # find the firm by name (public parts only), choose it, nominate it
    firm = _api(server, f"/firms/{_firm_to_nominate(server)}", server.hansiba_key)
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
    before = len(_api(server, f"/rounds/{ROUND}/nominations")["data"])
    _submit(page, form.get_by_role("button", name="Gửi đề cử"))
    (sent,) = [n for n in _api(server, f"/rounds/{ROUND}/nominations", server.hansiba_key)["data"]
               if n["firm_id"] == firm["firm_id"] and n["support_type"] == "training"]
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
    assert form.get_by_label("Mã doanh nghiệp").input_value() == firm["firm_id"]
    assert len(_api(server, f"/rounds/{ROUND}/nominations")["data"]) == before + 1
    screenshot(page, "association-refused")

    # change the justification, then withdraw
    page.goto("/association")
    mine = page.locator(f"#n-{ROUND}-{sent['nomination_id']} + tr details")
    mine.locator("summary").click()
    mine.get_by_label("Lý do đề xuất").fill("Đơn hàng Canon 2027")
    mine.scroll_into_view_if_needed()
    screenshot(page, "association-change")
    _submit(page, mine.get_by_role("button", name="Lưu lý do"))
    url = f"/rounds/{ROUND}/nominations/{sent['nomination_id']}"
    assert _api(server, url, server.hansiba_key)["justification"] == "Đơn hàng Canon 2027"
    mine = page.locator(f"#n-{ROUND}-{sent['nomination_id']} + tr details")
    mine.locator("summary").click()
    _submit(page, mine.get_by_role("button", name="Rút hồ sơ"))
    assert _api(server, url, server.hansiba_key)["status"] == "withdrawn"
    assert "Đã rút" in page.locator(f"#n-{ROUND}-{sent['nomination_id']}").inner_text()

    # English
    page.goto("/association?lang=en")
    assert page.locator("h2.sa-section").inner_text() == "Rounds open for nominations"
    assert "An address in Hanoi." in page.locator(f"#round-{ROUND}").inner_text()
    past = page.locator(f'.sa-own[data-round="{PAST}"]')
    for d in decided:
        assert d["reason_en"] in past.locator(f'tr[data-nomination="{d["nomination_id"]}"]').inner_text()
    screenshot(page, "association-en")
    page.goto("/association?lang=vi")

    # another association's nomination is a page that does not exist; staff pages answer 403
    answer = page.goto(f"/association/rounds/{ROUND}/nominations/{others[0]['nomination_id']}")
    assert answer.status == 404 and "Không tìm thấy" in page.get_by_role("alert").inner_text()
    for path in ("/dashboard", "/needs", "/firms", f"/firms/{firm['firm_id']}", "/keys", "/support", "/portal"):
        assert page.goto(path).status == 403, path


def test_the_association_page_at_phone_width_reads_without_sideways_scrolling(browser, demo_server):
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN", base_url=demo_server.url)
    phone = context.new_page()
    sign_in(phone, demo_server.vami_key)
    assert urlsplit(phone.url).path == "/association"
    _no_page_overflow(phone)
    assert phone.locator(f"#nominate-{ROUND}").is_visible()
    context.close()


def test_a_firm_applies_for_itself_and_sees_what_an_association_sent_for_it(tab, demo_server):
    page, server = tab, demo_server
    sign_in(page, server.firm_key)
    _submit(page, page.get_by_role("link", name="Đăng ký hỗ trợ"))
    assert urlsplit(page.url).path == "/portal/support"
    assert page.get_by_role("link", name="Đăng ký hỗ trợ").get_attribute("aria-current") == "page"
    own = _api(server, f"/rounds/{ROUND}/nominations", server.firm_key)["data"]
    assert sorted(_listed(page)) == sorted(_own_in_api(server, server.firm_key))
    by_hansiba = next(n for n in own if n["association_id"] == "HANSIBA")
    row = page.locator(f"#n-{ROUND}-{by_hansiba['nomination_id']}")
    assert "Hiệp hội Doanh nghiệp Công nghiệp hỗ trợ Hà Nội" in row.inner_text()
    assert page.locator(f"#n-{ROUND}-{by_hansiba['nomination_id']} + tr details").count() == 0  # not its own to change
    form = page.locator(f"#nominate-{ROUND}")
    assert form.locator("input[name=firm_id]").count() == 0  # always its own firm
    kind = next(k for k in ("fair_booth", "training") if k not in {n["support_type"] for n in own})
    form.get_by_label("Loại hỗ trợ").select_option(kind)
    form.get_by_label("Lý do đề xuất").fill("Giới thiệu sản phẩm với bên mua FDI")
    _submit(page, form.get_by_role("button", name="Gửi đăng ký"))
    (sent,) = [n for n in _api(server, f"/rounds/{ROUND}/nominations", server.firm_key)["data"]
               if n["nominated_by"] == "self" and n["support_type"] == kind]
    assert (sent["firm_id"], sent["association_id"]) == (server.firm_id, None)
    assert page.get_by_role("status").inner_text() == f"Đã gửi đăng ký {sent['nomination_id']}."
    assert page.locator(f"#n-{ROUND}-{sent['nomination_id']} + tr details").count() == 1
    assert sorted(_listed(page)) == sorted(_own_in_api(server, server.firm_key))
    _no_page_overflow(page)
    screenshot(page, "portal-support")
    page.goto("/portal/support?lang=en")
    assert page.locator("#mine h2").inner_text() == "Your firm's applications"
    screenshot(page, "portal-support-en")
    page.goto("/portal/support?lang=vi")
    assert page.goto("/association").status == 403


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_pages_pass_axe(browser, demo_server, width):
    """No serious or critical axe-core problem (tests/web/test_accessibility.py's check), a
    search's results and a refusal shown, in both languages."""
    from tests.web.test_accessibility import _problems

    found: dict[str, list[str]] = {}
    for key, paths in ((demo_server.hansiba_key, ["/association", "/association?q=c%C3%B4ng+ty&lang=en"]),
                       (demo_server.firm_key, ["/portal/support", "/portal/support?lang=en"])):
        context = browser.new_context(viewport=VIEWPORTS[width], locale="vi-VN", base_url=demo_server.url)
        page = context.new_page()
        sign_in(page, key)
        for path in paths:
            page.goto(path)
            found[path] = _problems(page)
        page.goto(paths[0] + "?lang=vi")
        for _ in range(2):  # an unknown firm, or the firm's own training twice: refused either way
            form = page.locator(f"#nominate-{ROUND}")
            if form.locator("input[name=firm_id]").count():
                form.locator("input[name=firm_id]").fill("F-NONE")
            form.locator("select[name=support_type]").select_option("fair_booth")
            _submit(page, form.locator("button[type=submit]"))
        assert page.locator(f"#nominate-{ROUND} .sa-refusal").count() == 1
        found[paths[0] + " (refused)"] = _problems(page)
        context.close()
    assert {path: problems for path, problems in found.items() if problems} == {}
