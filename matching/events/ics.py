"""An iCalendar (.ics, RFC 5545) file per participant: each of its meetings as a VEVENT.

Written by hand (the small subset calendars need): ``VCALENDAR`` with a ``VTIMEZONE`` for
Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving), one ``VEVENT`` per meeting with ``UID``
(one per pair, so a reschedule's file updates the same entry), ``DTSTAMP`` (UTC),
``DTSTART``/``DTEND`` in Hanoi time, a Vietnamese-then-English ``SUMMARY`` naming the other
party and the table; lines end in CRLF and are folded at 75 octets without splitting a UTF-8
character. After :func:`matching.events.reschedule`, a meeting cancelled and not moved is
written with ``STATUS:CANCELLED`` so that importing the new file removes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from matching.events.schedule import Schedule

__all__ = ["participant_calendars", "write_calendars", "fold_line", "escape_text", "TZID"]

TZID = "Asia/Ho_Chi_Minh"
_VTIMEZONE = [
    "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:ICT", "END:STANDARD", "END:VTIMEZONE",
]


def escape_text(text: object) -> str:
    r"""A TEXT value as RFC 5545 wants it: backslash, semicolon, comma and newline escaped.

    >>> escape_text("Bàn 3; Hà Nội, tầng 2")
    'Bàn 3\\; Hà Nội\\, tầng 2'
    """
    value = str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str, limit: int = 75) -> str:
    """``line`` folded so that no physical line exceeds ``limit`` octets (UTF-8), joined by
    CRLF and a space; a multi-byte character is never split.

    >>> fold_line("SUMMARY:" + "ă" * 40).split("\\r\\n ")[0].encode("utf-8").__len__() <= 75
    True
    """
    data = line.encode("utf-8")
    parts, room = [], limit
    while len(data) > room:
        cut = room
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
        data, room = data[cut:], limit - 1  # the leading space of a continuation line counts
    parts.append(data.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(day: str, clock: str) -> str:
    return f"{day.replace('-', '')}T{clock.replace(':', '')}00"


def _uid(event_id: str, buyer_id: str, firm_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{event_id}.{buyer_id}.{firm_id}")
    return f"{safe}@cnht-match"


def _event_lines(schedule: Schedule, row, kind: str, names: Mapping[str, str], stamp: str, status: str,
                 sequence: int) -> list[str]:
    event = schedule.event
    other = row.firm_id if kind == "buyer" else row.buyer_id
    other_name = names.get(other, "")
    who = f"{other_name} ({other})" if other_name else other
    table = int(row.table)
    place = f"Bàn {table} / Table {table}"
    prefix = "ĐÃ HỦY / CANCELLED: " if status == "CANCELLED" else ""
    description = [f"{event.name or event.event_id}", f"Khung giờ / Slot {row.slot_id}, {place}"]
    need_id = getattr(row, "need_id", "")
    if isinstance(need_id, str) and need_id:
        description.append(f"Nhu cầu / Need {need_id}")
    return [
        "BEGIN:VEVENT",
        f"UID:{_uid(event.event_id, row.buyer_id, row.firm_id)}",
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{sequence}",
        f"DTSTART;TZID={TZID}:{_local(row.day, row.start)}",
        f"DTEND;TZID={TZID}:{_local(row.day, row.end)}",
        f"SUMMARY:{escape_text(f'{prefix}Gặp / Meeting: {who} — {place}')}",
        f"LOCATION:{escape_text(f'{event.venue} — {place}' if event.venue else place)}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
        f"STATUS:{status}",
        "END:VEVENT",
    ]


def participant_calendars(schedule: Schedule, names: Mapping[str, str] | None = None, *,
                          stamp: datetime | None = None) -> dict[tuple[str, str], str]:
    """The calendar text of every participant with a meeting (or a cancelled one).

    Parameters
    ----------
    schedule : Schedule
    names : mapping of ID to name, optional
        Names of buyers and firms, shown with the other party's ID.
    stamp : datetime, optional
        ``DTSTAMP`` (default: now); fixed in tests.

    Returns
    -------
    dict
        ``(participant_kind, participant_id) -> text`` (CRLF line ends, folded), ``participant_kind``
        ``"buyer"`` or ``"firm"``.

    Examples
    --------
    >>> calendars = participant_calendars(schedule, {"F1": "Cơ khí Hà Nội"})   # doctest: +SKIP
    >>> calendars[("buyer", "B1")].startswith("BEGIN:VCALENDAR\\r\\n")        # doctest: +SKIP
    True
    """
    names = dict(names or {})
    stamp_text = _stamp(stamp or datetime.now(UTC))
    event = schedule.event
    revised = not schedule.changes.empty
    changed = set()
    if revised:
        touched = schedule.changes[schedule.changes["change"].isin(["moved", "new"])]
        changed = set(zip(touched["buyer_id"], touched["firm_id"], strict=True))
    entries: dict[tuple[str, str], list[tuple[tuple, list[str]]]] = {}
    meetings = schedule.meetings
    for row in meetings.itertuples(index=False):
        sequence = 1 if (row.buyer_id, row.firm_id) in changed else 0
        for kind, who in (("buyer", row.buyer_id), ("firm", row.firm_id)):
            lines = _event_lines(schedule, row, kind, names, stamp_text, "CONFIRMED", sequence)
            entries.setdefault((kind, who), []).append(((row.day, row.start), lines))
    if revised:
        held = set(zip(meetings["buyer_id"], meetings["firm_id"], strict=True))
        slots = {s.slot_id: s for s in event.slots}
        gone = schedule.changes[schedule.changes["change"].isin(["cancelled", "dropped"])]
        for change in gone.itertuples(index=False):
            if (change.buyer_id, change.firm_id) in held or change.slot_id not in slots:
                continue  # the pair meets in another slot: its UID carries the new time
            slot = slots[change.slot_id]
            row = SimpleNamespace(slot_id=slot.slot_id, day=slot.day, start=slot.start, end=slot.end,
                                  table=change.table, buyer_id=change.buyer_id, firm_id=change.firm_id)
            for kind, who in (("buyer", change.buyer_id), ("firm", change.firm_id)):
                lines = _event_lines(schedule, row, kind, names, stamp_text, "CANCELLED", 1)
                entries.setdefault((kind, who), []).append(((slot.day, slot.start), lines))
    calendars = {}
    for (kind, who), items in entries.items():
        title = names.get(who, who)
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//So Cong Thuong Ha Noi//cnht-match//VI",
                 "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                 f"X-WR-CALNAME:{escape_text(f'{event.name or event.event_id} — {title}')}",
                 f"X-WR-TIMEZONE:{TZID}", *_VTIMEZONE]
        for _, event_lines in sorted(items, key=lambda item: item[0]):
            lines += event_lines
        lines.append("END:VCALENDAR")
        calendars[(kind, who)] = "".join(fold_line(line) + "\r\n" for line in lines)
    return calendars


def write_calendars(schedule: Schedule, folder: str | Path, names: Mapping[str, str] | None = None, *,
                    stamp: datetime | None = None) -> list[Path]:
    """Write :func:`participant_calendars` as ``folder/{kind}_{participant_id}.ics`` (UTF-8).

    Returns the paths written, buyers first.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (kind, who), text in sorted(participant_calendars(schedule, names, stamp=stamp).items()):
        path = folder / f"{kind}_{re.sub(r'[^A-Za-z0-9._-]', '_', who)}.ics"
        path.write_bytes(text.encode("utf-8"))  # bytes: the CRLF line ends must survive any platform
        paths.append(path)
    return paths
