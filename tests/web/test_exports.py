"""Shortlist exports and page formatting, without a browser."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

from openpyxl import load_workbook
from pypdf import PdfReader

from api.schemas import ShortlistEntryResult, ShortlistPublic
from api.web.exports import rich, safe_cell, shortlist_pdf, shortlist_xlsx
from api.web.i18n import format_date, format_number, pick_language
from api.web.session import safe_next

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def make_shortlist(**overrides) -> ShortlistPublic:
    entry = {"entry_id": 1, "run_id": 3, "need_id": "N-0001", "rank": 1, "firm_id": "F0001",
             "firm_name": "Công ty TNHH Cơ khí Chính xác Hà Nội", "score": 0.8125,
             "components": {"text": 0.2, "process_fit": 0.15},
             "reasons": [{"component": "process_fit", "vi": "ép nhựa ↔ injection moulding",
                          "en": "injection moulding", "positive": True},
                         {"component": "certification_fit", "vi": "thiếu ISO 9001",
                          "en": "lacks ISO 9001", "positive": False}],
             "model_version": "SupplierMatcher-test", "created_at": NOW, "status": "suggested"}  # fmt: skip
    entry.update(overrides)
    return ShortlistPublic(need_id="N-0001", run_id=3, model_version="SupplierMatcher-test",
                           created_at=NOW, data=[ShortlistEntryResult(**entry)], count=1)  # fmt: skip


NEED = SimpleNamespace(need_id="N-0001", title="Vỏ nhôm CNC cho camera", buyer_id="B001")


def test_xlsx_has_vietnamese_headers_reasons_and_no_formulas():
    shortlist = make_shortlist(firm_name="=HYPERLINK(\"http://evil\",\"x\")", firm_id="@F1")
    sheet = load_workbook(io.BytesIO(shortlist_xlsx(shortlist, NEED))).active
    headers = [c.value for c in sheet[3]]
    assert headers[:3] == ["Hạng", "Mã doanh nghiệp", "Tên doanh nghiệp"] and headers[-1] == "Lý do"
    row = [c for c in sheet[4]]
    assert row[2].value == "'=HYPERLINK(\"http://evil\",\"x\")" and row[2].data_type == "s"
    assert row[1].value == "'@F1"
    assert row[-1].value == "ép nhựa ↔ injection moulding\n✗ thiếu ISO 9001"
    assert headers.index("Điểm: Công nghệ") and row[headers.index("Điểm: Công nghệ")].value == 0.15


def test_pdf_keeps_vietnamese_diacritics():
    text = PdfReader(io.BytesIO(shortlist_pdf(make_shortlist(), NEED))).pages[0].extract_text()
    text = " ".join(text.split())  # table cells wrap
    assert "Công ty TNHH Cơ khí Chính xác Hà Nội" in text
    assert "Vỏ nhôm CNC cho camera" in text and "thiếu ISO 9001" in text


def test_formatting_and_safe_redirects():
    assert safe_cell("+1") == "'+1" and safe_cell(-1) == -1 and safe_cell("ổn") == "ổn"
    assert format_number(1234567.891, "vi", 2) == "1.234.567,89"
    assert format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert format_date(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)) == "01/12/2026"  # Hanoi time
    assert pick_language("en", "vi") == "en" and pick_language("fr", None) == "vi"
    assert safe_next("/needs?q=x") == "/needs?q=x"
    assert safe_next("//evil.example") == "/" and safe_next("https://evil.example") == "/"


def test_pdf_keeps_japanese_and_korean_reasons():
    reasons = [{"component": "text", "vi": "khớp: 射出成形 金型 (ép nhựa)", "en": "matches 射出成形 金型",
                "positive": True},
               {"component": "text", "vi": "사출 성형 가능", "en": "사출 성형 가능", "positive": True}]  # fmt: skip
    need = SimpleNamespace(need_id="N-0002", title="樹脂部品の射出成形", buyer_id="B002")
    shortlist = make_shortlist(reasons=reasons, firm_name="Công ty ABC 日本支社")
    text = PdfReader(io.BytesIO(shortlist_pdf(shortlist, need))).pages[0].extract_text()
    text = "".join(text.split())
    for words in ("射出成形", "金型", "樹脂部品の射出成形", "日本支社", "사출", "ép nhựa"):
        assert "".join(words.split()) in text, (words, text)


def _embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Base font name -> whether the PDF carries its glyphs (a FontFile2 of a TrueType subset)."""
    fonts = {}
    for font in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        for descendant in font.get("/DescendantFonts", []):  # Type0 fonts keep it one level down
            descriptor = descendant.get_object().get("/FontDescriptor")
        fonts[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return fonts


def test_pdf_embeds_the_bundled_cjk_font_for_japanese_and_korean():
    reasons = [{"component": "process_fit", "vi": "khớp: プレス加工, ダイカスト", "en": "matches プレス加工",
                "positive": True},
               {"component": "text", "vi": "프레스 가공", "en": "프레스 가공", "positive": True}]  # fmt: skip
    pdf = shortlist_pdf(make_shortlist(reasons=reasons), NEED)
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "プレス加工" in text and "ダイカスト" in text and "프레스가공" in text, text
    fonts = _embedded_fonts(pdf)
    cjk = [name for name in fonts if name.endswith("NotoSansCJK-PDF")]
    assert cjk and all(fonts[name] for name in cjk), fonts  # glyphs in the file, not named for the reader
    assert not any(name.startswith("/HeiseiKakuGo") or name.startswith("/HYGothic") for name in fonts), fonts


def test_rich_puts_characters_the_bundled_font_lacks_in_a_cid_font():
    # 丂 (U+4E02) is outside JIS X 0208, so outside the bundled font; it still gets a CJK font.
    assert rich("プレス 加工") == '<font name="NotoSansCJK-PDF">プレス 加工</font>'
    assert rich("ép 丂") == 'ép <font name="HeiseiKakuGo-W5">丂</font>'
    assert rich("한 丂") == '<font name="NotoSansCJK-PDF">한 </font><font name="HYGothic-Medium">丂</font>'
