"""The main pages in English at desktop and phone width (the Vietnamese ones are saved by the
flows of the other browser tests): saved under test-output/screenshots/*-en-*.png to be looked at."""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_main_pages_in_english(page, served):
    sign_in(page, served.staff_key)
    page.goto("/needs?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "needs-en")
    page.locator("table.list tbody a").first.click()
    page.wait_for_load_state("load")
    screenshot(page, "need-en")
    page.goto("/firms")
    screenshot(page, "firms-en")
    page.locator("table.list tbody a").first.click()
    page.wait_for_load_state("load")
    screenshot(page, "firm-en")
    for path in ("/imports", "/keys"):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en"
        screenshot(page, f"{path.strip('/')}-en")


def test_portal_in_english(page, served):
    sign_in(page, served.firm_key)
    page.goto("/portal?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "portal-en")
    page.goto("/login?lang=en")
    screenshot(page, "login-en")
