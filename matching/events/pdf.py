"""The schedule as PDF: a page per table for the hall, a page per participant to hand out.

A4, DejaVu Sans (every Vietnamese diacritic; :func:`features.fonts.register_dejavu`), headers in
Vietnamese first, then English; Japanese and Korean in names, needs and the event's own words
in the bundled Noto Sans CJK (:func:`features.fonts.register_cjk`, embedded), so a buyer named
株式会社 or 한국 shows its name, not boxes. Both take a :class:`~matching.events.Schedule` and the
participants' names.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from features.dates import format_date
from features.fonts import markup as _text
from features.fonts import register_dejavu
from matching.events.schedule import Schedule

__all__ = ["hall_pdf", "participants_pdf"]


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = register_dejavu()
    return {
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=11.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=9, leading=11.5),
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, spaceAfter=3),
        "meta": ParagraphStyle("meta", fontName=regular, fontSize=9, leading=12, textColor=colors.HexColor("#444444")),
    }


def _who(participant_id: str, names: Mapping[str, str]) -> str:
    name = names.get(participant_id, "")
    return f"<b>{_text(name)}</b><br/>{_text(participant_id)}" if name else _text(participant_id)


def _table(rows: list[list[Any]], widths: list[float | None]):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f9fb")]),
    ]))
    return table


def _document(story: list[Any], title: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                                 bottomMargin=14 * mm, title=title, author="cnht-match")
    document.build(story)
    return buffer.getvalue()


def _heading(schedule: Schedule, line: str, styles: dict) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    event = schedule.event
    days = sorted({s.day for s in event.slots})
    meta = f"{event.name or event.event_id} · {', '.join(format_date(d) for d in days)}" + (f" · {event.venue}" if event.venue else "")
    return [Paragraph(_text(line), styles["title"]), Paragraph(_text(meta), styles["meta"]), Spacer(1, 4 * mm)]


def _time(row) -> str:
    return f"{row.start}–{row.end}"


def hall_pdf(schedule: Schedule, names: Mapping[str, str] | None = None) -> bytes:
    """One page per table: each slot's meeting at that table (buyer, firm, need), for the hall.

    Parameters
    ----------
    schedule : Schedule
    names : mapping of ID to name, optional

    Returns
    -------
    bytes
        A PDF; a table without meetings still gets its page (it stays free all day).
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph

    names = dict(names or {})
    styles = _styles()
    event = schedule.event
    meetings = schedule.meetings
    story: list[Any] = []
    header = ["Khung giờ / Slot", "Giờ / Time", "Bên mua / Buyer", "Doanh nghiệp / Firm", "Nhu cầu / Need"]
    for table_number in range(1, event.tables + 1):
        if story:
            story.append(PageBreak())
        story += _heading(schedule, f"Bàn {table_number} / Table {table_number}", styles)
        at_table = meetings[meetings["table"] == table_number].set_index("slot_id")
        rows: list[list[Any]] = [[Paragraph(escape(h), styles["head"]) for h in header]]
        for slot in event.slots:
            if slot.slot_id in at_table.index:
                m = at_table.loc[slot.slot_id]
                cells = [_who(m["buyer_id"], names), _who(m["firm_id"], names), _text(m["need_id"] or "")]
            else:
                cells = ["— trống / free —", "", ""]
            day = f"{format_date(slot.day)} " if len({s.day for s in event.slots}) > 1 else ""
            rows.append([Paragraph(escape(slot.slot_id), styles["body"]),
                         Paragraph(escape(f"{day}{slot.start}–{slot.end}"), styles["body"]),
                         *(Paragraph(c, styles["body"]) for c in cells)])
        story.append(_table(rows, [20 * mm, 26 * mm, None, None, 22 * mm]))
    return _document(story, f"{event.event_id}: lịch theo bàn / schedule by table")


def participants_pdf(schedule: Schedule, names: Mapping[str, str] | None = None) -> bytes:
    """One page per participant with a meeting (buyers first): time, table, the other party, need.

    Parameters
    ----------
    schedule : Schedule
    names : mapping of ID to name, optional

    Returns
    -------
    bytes
        A PDF.
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph

    names = dict(names or {})
    styles = _styles()
    event = schedule.event
    people = schedule.per_participant()
    story: list[Any] = []
    kinds = {"buyer": ("Bên mua / Buyer", "Doanh nghiệp / Firm"), "firm": ("Doanh nghiệp / Firm", "Bên mua / Buyer")}
    if people.empty:
        story += _heading(schedule, "Lịch gặp / Meeting schedule", styles)
        story.append(Paragraph("Chưa có buổi gặp nào / No meetings scheduled.", styles["body"]))
    for (kind, who), own in people.groupby(["participant_kind", "participant_id"], sort=False):
        if story:
            story.append(PageBreak())
        label, other = kinds[kind]
        name = names.get(who, "")
        story += _heading(schedule, f"Lịch gặp / Meeting schedule — {name or who}", styles)
        story.append(Paragraph(_text(f"{label}: {who}" + (f" · {name}" if name else "")
                                     + f" · {len(own)} buổi gặp / meetings"), styles["meta"]))
        rows: list[list[Any]] = [[Paragraph(escape(h), styles["head"])
                                  for h in ("Giờ / Time", "Bàn / Table", other, "Nhu cầu / Need")]]
        multi_day = len({s.day for s in event.slots}) > 1
        for m in own.sort_values(["day", "start"]).itertuples(index=False):
            rows.append([Paragraph(escape((f"{format_date(m.day)} " if multi_day else "") + _time(m)), styles["body"]),
                         Paragraph(str(int(m.table)), styles["body"]),
                         Paragraph(_who(m.with_id, names), styles["body"]),
                         Paragraph(_text(m.need_id or "") if pd.notna(m.need_id) else "", styles["body"])])
        story.append(_table(rows, [30 * mm, 18 * mm, None, 24 * mm]))
    return _document(story, f"{event.event_id}: lịch theo người / schedule by participant")
