"""The schedule PDFs open with pypdf and hold the participants, the tables and the slot times."""

from __future__ import annotations

import io

from pypdf import PdfReader

from matching.events import EventBuyer, EventFirm, hall_pdf, participants_pdf, schedule_meetings
from tests.matching.test_events import make_event, make_proposals

NAMES = {"B1": "Tập đoàn Điện tử Hà Nội", "B2": "Công ty Ô tô Phúc Yên",
         "F1": "Cơ khí chính xác Đông Anh", "F2": "Nhựa Sóc Sơn", "F3": "Xi mạ Thạch Thất"}


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def day():
    event = make_event(n_slots=3, tables=3, buyers=(EventBuyer("B1"), EventBuyer("B2")),
                       firms=(EventFirm("F1"), EventFirm("F2"), EventFirm("F3")))
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.6), ("B2", "F2", 0.8), ("B2", "F3", 0.5))
    return schedule_meetings(event, proposals, time_limit=10)


def test_hall_pdf_has_a_page_per_table_with_its_meetings_and_every_slot_time():
    schedule = day()
    texts = pages(hall_pdf(schedule, NAMES))
    assert len(texts) == schedule.event.tables
    for number, text in enumerate(texts, start=1):
        assert f"Bàn {number} / Table {number}" in text
        for slot in schedule.event.slots:
            assert f"{slot.start}–{slot.end}" in text
        for m in schedule.meetings[schedule.meetings["table"] == number].itertuples(index=False):
            assert NAMES[m.buyer_id] in text and NAMES[m.firm_id] in text
    assert "trống / free" in "".join(texts)  # 3 tables x 3 slots, 4 meetings: some places stay free
    from features.dates import format_date

    for day_ in {s.day for s in schedule.event.slots}:  # the event's day written dd/mm/yyyy
        assert format_date(day_) in texts[0] and str(day_) not in texts[0]


def test_participants_pdf_has_a_page_per_participant_with_the_other_party_and_times():
    schedule = day()
    texts = pages(participants_pdf(schedule, NAMES))
    people = schedule.per_participant()
    groups = list(people.groupby(["participant_kind", "participant_id"], sort=False))
    assert len(texts) == len(groups)
    for ((_, who), own), text in zip(groups, texts, strict=True):
        assert NAMES[who] in text and "Lịch gặp / Meeting schedule" in text
        for m in own.itertuples(index=False):
            assert NAMES[m.with_id] in text and f"{m.start}–{m.end}" in text
        assert f"{len(own)} buổi gặp / meetings" in text


def test_an_empty_schedule_still_makes_readable_pdfs():
    event = make_event(n_slots=2, tables=1)
    schedule = schedule_meetings(event, None, time_limit=5)
    assert "Chưa có buổi gặp nào / No meetings scheduled." in pages(participants_pdf(schedule))[0]
    assert "trống / free" in pages(hall_pdf(schedule))[0]


def _fonts(page) -> dict[str, bool]:
    """Base font name -> embedded, of one PDF page."""
    fonts = {}
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object().get("/FontDescriptor")
        fonts[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return fonts


def test_japanese_and_korean_names_are_drawn_in_the_embedded_cjk_font():
    # DejaVu Sans has no kana, kanji or hangul: these names were boxes before.
    names = NAMES | {"B1": "株式会社ハノイ精機", "B2": "한국 프레스 공장"}
    schedule = day()
    for data in (hall_pdf(schedule, names), participants_pdf(schedule, names)):
        reader = PdfReader(io.BytesIO(data))
        text = "".join("".join(page.extract_text().split()) for page in reader.pages)
        assert "株式会社ハノイ精機" in text and "한국프레스공장" in text
        fonts = _fonts(reader.pages[0])
        cjk = [name for name in fonts if name.endswith("+NotoSansCJK-PDF")]
        assert cjk and all(fonts[name] for name in cjk), fonts
        assert any(name.endswith("DejaVuSans") or name.endswith("DejaVuSans-Bold") for name in fonts), fonts
