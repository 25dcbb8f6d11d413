"""Japanese and Korean terms drawn in the bundled Noto Sans JP / KR, on the page and in the PDF.

A machine without a CJK font showed プレス加工 and 프레스 as boxes: the fonts now ship with the
app (``api/web/static/fonts/noto-cjk``) and must come from it, never from another host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from pypdf import PdfReader

from tests.web.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUYER_ID, NEED_ID = "B-KO-FONT", "N-KO-FONT"
TITLE = "프레스 가공 브래킷 / プレス加工"
DESCRIPTION = "자동차용 프레스 부품, 월 5,000개. プレス加工 SPCC ブラケット、ダイカスト不可。"


def _post(served, path: str, body: dict) -> None:
    answer = httpx.post(f"{served.url}/api/v1{path}", json=body, timeout=120,
                        headers={"Authorization": f"Bearer {served.staff_key}"})  # fmt: skip
    assert answer.status_code in (201, 409), answer.text  # 409: made by an earlier test of this session


@pytest.fixture(scope="module")
def korean_need(served) -> str:
    """A need of a Korean buyer whose title and text hold Korean and Japanese terms."""
    _post(served, "/buyers", {"buyer_id": BUYER_ID, "name": "한국 프레스 공장", "country": "KR"})
    _post(served, "/needs", {"need_id": NEED_ID, "buyer_id": BUYER_ID, "title": TITLE,
                             "description": DESCRIPTION, "sector": "automotive"})  # fmt: skip
    return NEED_ID


def _platform_fonts(page, selector: str) -> set[str]:
    """Families of the web fonts Chromium drew ``selector``'s text with (a box is drawn with a
    system font's missing glyph, so a box shows up as no web font here)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {font["familyName"] for font in fonts if font["isCustomFont"]}


def test_japanese_and_korean_terms_render_in_the_bundled_fonts(page, served, korean_need):
    host = urlsplit(served.url).hostname
    fonts_served: list[tuple[str, int]] = []
    # Offline: anything not on the app's host is refused, so a font can only come from the app.
    page.context.route(lambda url: urlsplit(url).hostname != host, lambda route: route.abort())
    page.on("response", lambda response: fonts_served.append((response.url, response.status))
            if response.url.endswith(".woff2") else None)  # fmt: skip
    sign_in(page, served.staff_key)
    assert not fonts_served, fonts_served  # the sign-in page shows no CJK: it loads no slice
    page.goto(f"/needs/{korean_need}", wait_until="load")
    assert "프레스" in page.locator("h1").inner_text() and "プレス加工" in page.locator("h1").inner_text()
    checks = page.evaluate("""async () => {
        await document.fonts.ready;
        const faces = [...document.fonts];
        const loaded = (family) => faces.filter(f => f.family.replaceAll('"', '') === family && f.status === 'loaded').length;
        return {jp: document.fonts.check('16px "Noto Sans JP"', 'プレス加工'),
                kr: document.fonts.check('16px "Noto Sans KR"', '프레스'),
                jpLoaded: loaded('Noto Sans JP'), krLoaded: loaded('Noto Sans KR'),
                jpFaces: faces.filter(f => f.family.replaceAll('"', '') === 'Noto Sans JP').length};
    }""")
    # check() is true for a family with no face at all: the faces must exist and be loaded too.
    assert checks["jp"] and checks["kr"], checks
    assert checks["jpFaces"] > 100 and checks["jpLoaded"] >= 1 and checks["krLoaded"] >= 1, checks
    # Only the slices the page shows are loaded, not the hundreds of faces declared.
    assert checks["jpLoaded"] + checks["krLoaded"] < 40, checks
    for selector in ("h1", ".description"):  # bold (700) and regular (400)
        drawn = _platform_fonts(page, selector)
        # The woff2 files name themselves after the variable font's first instance ("... Thin").
        assert {"Noto Sans JP", "Noto Sans KR"} <= {name.removesuffix(" Thin") for name in drawn}, drawn
    assert fonts_served and all(urlsplit(url).hostname == "127.0.0.1" and status == 200
                                for url, status in fonts_served), fonts_served  # fmt: skip
    assert {"noto-sans-jp", "noto-sans-kr"} <= {urlsplit(url).path.split("/")[-1][:12] for url, _ in fonts_served}
    screenshot(page, "need-japanese-korean")


def test_shortlist_pdf_draws_japanese_and_korean_with_an_embedded_font(page, served, korean_need):
    sign_in(page, served.staff_key)
    page.goto(f"/needs/{korean_need}", wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Lập danh sách mới").click()
    assert page.locator("ol.shortlist > li.entry").count() >= 1
    with page.expect_download() as got:
        page.get_by_role("link", name="Xuất PDF").click()
    reader = PdfReader(got.value.path())
    text = "".join(reader.pages[0].extract_text().split())
    assert "プレス加工" in text and "프레스가공" in text, text
    fonts = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object().get("/FontDescriptor")
        fonts[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    cjk = [name for name in fonts if name.endswith("+NotoSansCJK-PDF")]
    assert cjk and all(fonts[name] for name in cjk), fonts


def test_every_pdf_writer_takes_the_one_cjk_markup_rule():
    """Shortlist PDFs and event schedules mark Japanese and Korean up by one function."""
    import doctest

    import features.fonts
    from api.web import exports
    from matching.events import pdf

    assert exports.rich is features.fonts.markup and pdf._text is features.fonts.markup
    assert doctest.testmod(features.fonts).failed == 0
    # a rare kanji the bundled font lacks goes to the reader's Japanese CID font, in both writers
    assert 'name="HeiseiKakuGo-W5"' in pdf._text("株式会社 𠮷野家")
