"""A shortlist as an Excel workbook (Vietnamese headers) and as a PDF for a buyer meeting.

Both take the :class:`api.schemas.ShortlistPublic` that the API returns
(:func:`api.routes.shortlists.read_shortlist`), so the files hold exactly what the page shows.
Text cells that a spreadsheet would run as a formula are written with a leading apostrophe
(:func:`features.cells.safe_cell`, the one rule of every export).

Examples
--------
>>> safe_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> safe_cell("ép nhựa")
'ép nhựa'
"""

from __future__ import annotations

import io
from typing import Any

from api.schemas import ShortlistPublic
from api.web.i18n import COMPONENT_LABELS, STATUS_LABELS, format_date, format_number
from features.cells import safe_cell
from features.fonts import CID_FONTS as CJK_FONTS  # noqa: F401 - re-exported
from features.fonts import FONT_FOLDER, register_dejavu
from features.fonts import markup as rich

__all__ = ["safe_cell", "shortlist_xlsx", "shortlist_pdf", "rich", "FONT_FOLDER", "CJK_FONTS"]

def _reasons(entry: Any, lang: str) -> list[str]:
    return [("✗ " if not r.positive else "") + (r.vi if lang == "vi" else r.en) for r in entry.reasons]


def shortlist_xlsx(shortlist: ShortlistPublic, need: Any, lang: str = "vi") -> bytes:
    """The shortlist as an XLSX workbook: one row per firm, Vietnamese headers, reasons.

    Parameters
    ----------
    shortlist : ShortlistPublic
    need : api.storage.models.Need
        For the title row (need id, title, buyer).
    lang : {"vi", "en"}, default "vi"
        Language of the reasons and statuses (headers stay Vietnamese, as staff file them).

    Returns
    -------
    bytes
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    components = list(COMPONENT_LABELS)
    for entry in shortlist.data:
        components += [name for name in entry.components if name not in components]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách đề xuất"
    sheet.append([safe_cell(f"Nhu cầu {need.need_id}: {need.title}")])
    sheet.append([safe_cell(f"Bên mua {need.buyer_id} · lần {shortlist.run_id} · "
                            f"{format_date(shortlist.created_at)} · {shortlist.model_version}")])  # fmt: skip
    sheet["A1"].font = Font(bold=True, size=13)
    headers = (["Hạng", "Mã doanh nghiệp", "Tên doanh nghiệp", "Điểm", "Trạng thái"]
               + [f"Điểm: {COMPONENT_LABELS.get(name, {'vi': name})['vi']}" for name in components]
               + ["Lý do"])  # fmt: skip
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for entry in shortlist.data:
        status = STATUS_LABELS.get(entry.status or "", {}).get(lang, entry.status or "")
        row = [entry.rank, safe_cell(entry.firm_id), safe_cell(entry.firm_name), round(entry.score, 4),
               safe_cell(status)]  # fmt: skip
        row += [round(entry.components.get(name, 0.0), 4) for name in components]
        row.append(safe_cell("\n".join(_reasons(entry, lang))))
        sheet.append(row)
    widths = [6, 16, 40, 8, 14] + [12] * len(components) + [90]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=3, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=4):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_PDF_WORDS = {
    "vi": {"title": "Danh sách doanh nghiệp đề xuất", "need": "Nhu cầu", "buyer": "Bên mua",
           "run": "Lần lập", "rank": "Hạng", "firm": "Doanh nghiệp", "score": "Điểm",
           "reasons": "Lý do", "status": "Trạng thái", "empty": "Không có doanh nghiệp nào đạt yêu cầu."},
    "en": {"title": "Shortlist of suggested firms", "need": "Need", "buyer": "Buyer",
           "run": "Run", "rank": "Rank", "firm": "Firm", "score": "Score",
           "reasons": "Reasons", "status": "Status", "empty": "No firm met the need's requirements."},
}  # fmt: skip


def shortlist_pdf(shortlist: ShortlistPublic, need: Any, lang: str = "vi") -> bytes:
    """The shortlist as an A4 landscape PDF (DejaVu Sans: every Vietnamese diacritic; runs of
    Japanese or Korean in the bundled Noto Sans CJK PDF font, see :func:`rich`).

    Parameters
    ----------
    shortlist : ShortlistPublic
    need : api.storage.models.Need
    lang : {"vi", "en"}, default "vi"

    Returns
    -------
    bytes
    """
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = register_dejavu()
    words = _PDF_WORDS.get(lang, _PDF_WORDS["vi"])
    body = ParagraphStyle("body", fontName=regular, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", fontName=bold, fontSize=9, leading=11)
    title = ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=4)
    meta = ParagraphStyle("meta", fontName=regular, fontSize=9.5, leading=13, textColor=colors.HexColor("#444444"))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm,
                                 title=f"{words['title']} {need.need_id}", author="cnht-match")  # fmt: skip
    story: list[Any] = [
        Paragraph(escape(words["title"]), title),
        Paragraph(rich(f"{words['need']} {need.need_id}: {need.title}"), meta),
        Paragraph(escape(f"{words['buyer']} {need.buyer_id} · {words['run']} {shortlist.run_id} · "
                         f"{format_date(shortlist.created_at, lang)} · {shortlist.model_version}"), meta),
        Spacer(1, 5 * mm),
    ]  # fmt: skip
    rows: list[list[Any]] = [[Paragraph(escape(words[key]), head)
                              for key in ("rank", "firm", "score", "status", "reasons")]]  # fmt: skip
    for entry in shortlist.data:
        status = STATUS_LABELS.get(entry.status or "", {}).get(lang, entry.status or "")
        reasons = "<br/>".join(rich(line) for line in _reasons(entry, lang))
        rows.append([
            Paragraph(str(entry.rank), body),
            Paragraph(f"<b>{rich(entry.firm_name)}</b><br/>{rich(entry.firm_id)}", body),
            Paragraph(format_number(entry.score, lang, 3), body),
            Paragraph(rich(status), body),
            Paragraph(reasons or "—", body),
        ])  # fmt: skip
    if not shortlist.data:
        story.append(Paragraph(escape(words["empty"]), body))
    else:
        table = Table(rows, colWidths=[16 * mm, 62 * mm, 16 * mm, 26 * mm, None], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f9fb")]),
        ]))  # fmt: skip
        story.append(table)
    document.build(story)
    return buffer.getvalue()
