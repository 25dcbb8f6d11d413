"""axe-core (vendored in tests/web/vendor, never served) finds no serious or critical
accessibility problem on the main pages, in Vietnamese, at desktop and phone width; and no
page is wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import VIEWPORTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
STAFF_PAGES = ["/dashboard", "/needs", "/needs/{need_id}", "/firms", "/firms/{firm_id}", "/imports",
               "/keys", "/needs/new"]  # fmt: skip


def _problems(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    problems = [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result
                if v["impact"] in ("serious", "critical")]
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > page.viewport_size["width"]:  # a page wider than the phone scrolls sideways
        problems.append(f"page is {width}px wide in a {page.viewport_size['width']}px viewport")
    return problems


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_main_pages_pass_axe(browser, served, width):
    found: dict[str, list[str]] = {}
    context = browser.new_context(viewport=VIEWPORTS[width], base_url=served.url)
    page = context.new_page()
    page.goto("/login")
    found["/login"] = _problems(page)
    sign_in(page, served.staff_key)
    page.goto("/needs")
    need_id = page.locator("table.list tbody a").first.inner_text().strip()
    for path in STAFF_PAGES:
        page.goto(path.format(need_id=need_id, firm_id=served.firm_id))
        found[path] = _problems(page)
    context.close()

    firm = browser.new_context(viewport=VIEWPORTS[width], base_url=served.url)
    portal = firm.new_page()
    sign_in(portal, served.firm_key)
    found["/portal"] = _problems(portal)
    firm.close()
    assert {path: problems for path, problems in found.items() if problems} == {}
