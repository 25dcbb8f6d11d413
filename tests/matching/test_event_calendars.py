"""The .ics calendars, parsed back by a reader written here from RFC 5545 (not from the writer)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from matching.events import (
    Cancellation,
    participant_calendars,
    reschedule,
    schedule_meetings,
    write_calendars,
)
from matching.events.ics import escape_text, fold_line
from tests.matching.test_events import make_event, make_proposals

STAMP = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
NAMES = {"B1": "Tập đoàn Điện tử Hà Nội; khối mua hàng, tầng 3", "B2": "Buyer Two",
         "F1": "Cơ khí chính xác Đông Anh — phay CNC, ép nhựa và xi mạ cho linh kiện ô tô xe máy",
         "F2": "Nhựa Sóc Sơn", "F3": "Điện tử Gia Lâm"}


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    body = text[:-2]
    assert "\n" not in body.replace("\r\n", ""), "a bare LF"
    assert "\r" not in body.replace("\r\n", ""), "a bare CR"
    return body.split("\r\n")


def unfold(lines: list[str]) -> list[str]:
    logical: list[str] = []
    for line in lines:
        if line[:1] in {" ", "\t"}:
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """The VEVENTs of a calendar as {property (with parameters): unescaped value}."""
    events, current, stack = [], None, []
    for line in unfold(physical_lines(text)):
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                current = {}
        elif name == "END":
            assert stack.pop() == value, f"END:{value} closes another block"
            if value == "VEVENT":
                events.append(current)
                current = None
        elif current is not None:
            assert name not in current, f"{name} twice in one VEVENT"
            current[name] = unescape(value)
    assert stack == []
    return events


def first_day():
    event = make_event(n_slots=3, tables=2, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.7), ("B2", "F2", 0.8), ("B2", "F3", 0.5))
    return event, proposals, schedule_meetings(event, proposals, time_limit=10)


def test_lines_end_in_crlf_fold_at_75_octets_and_keep_every_character():
    _, _, schedule = first_day()
    calendars = participant_calendars(schedule, NAMES, stamp=STAMP)
    text = calendars[("firm", "F1")]
    lines = physical_lines(text)
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines), "the long firm name must be folded"
    for line in lines:
        line.encode("utf-8").decode("utf-8")  # no character split across lines
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert "TZID:Asia/Ho_Chi_Minh" in lines and "TZOFFSETTO:+0700" in lines


def test_every_meeting_is_in_both_calendars_once_with_its_times():
    event, _, schedule = first_day()
    calendars = participant_calendars(schedule, NAMES, stamp=STAMP)
    expected = Counter()
    for m in schedule.meetings.itertuples(index=False):
        expected[("buyer", m.buyer_id)] += 1
        expected[("firm", m.firm_id)] += 1
    assert set(calendars) == set(expected)
    for m in schedule.meetings.itertuples(index=False):
        for kind, who, other in (("buyer", m.buyer_id, m.firm_id), ("firm", m.firm_id, m.buyer_id)):
            found = [e for e in parse(calendars[(kind, who)]) if other in e["SUMMARY"]]
            assert len(found) == 1
            entry = found[0]
            day = m.day.replace("-", "")
            assert entry["DTSTART;TZID=Asia/Ho_Chi_Minh"] == f"{day}T{m.start.replace(':', '')}00"
            assert entry["DTEND;TZID=Asia/Ho_Chi_Minh"] == f"{day}T{m.end.replace(':', '')}00"
            assert entry["DTSTAMP"] == "20260301T023000Z"
            assert NAMES[other] in entry["SUMMARY"] and f"Bàn {m.table} / Table {m.table}" in entry["SUMMARY"]
            assert entry["SUMMARY"].startswith("Gặp / Meeting: ") and entry["STATUS"] == "CONFIRMED"
    for who, n in expected.items():
        events = parse(calendars[who])
        assert len(events) == n and len({e["UID"] for e in events}) == n


def test_times_are_hanoi_time_seven_hours_ahead_of_utc():
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    _, _, schedule = first_day()
    entry = parse(participant_calendars(schedule, NAMES, stamp=STAMP)[("buyer", "B1")])[0]
    start = datetime.strptime(entry["DTSTART;TZID=Asia/Ho_Chi_Minh"], "%Y%m%dT%H%M%S")
    first = schedule.meetings[schedule.meetings["buyer_id"] == "B1"].sort_values("start").iloc[0]
    naive = datetime.strptime(f"{first['day']} {first['start']}", "%Y-%m-%d %H:%M")
    assert start == naive
    assert start.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(UTC).replace(tzinfo=None) == naive - timedelta(hours=7)


def test_a_reschedule_cancels_the_dropped_meeting_and_keeps_uids_per_pair():
    event, proposals, first = first_day()
    again = reschedule(event, first, proposals, [Cancellation(firm_id="F1")], time_limit=10)
    before = participant_calendars(first, NAMES, stamp=STAMP)
    after = participant_calendars(again, NAMES, stamp=STAMP)
    cancelled = [e for e in parse(after[("buyer", "B1")]) if e["STATUS"] == "CANCELLED"]
    assert len(cancelled) == 1 and "F1" in cancelled[0]["SUMMARY"] and cancelled[0]["SEQUENCE"] == "1"
    assert cancelled[0]["SUMMARY"].startswith("ĐÃ HỦY / CANCELLED")
    old_uid = [e["UID"] for e in parse(before[("buyer", "B1")]) if "F1" in e["SUMMARY"]]
    assert [e["UID"] for e in cancelled] == old_uid
    assert all(e["STATUS"] == "CANCELLED" for e in parse(after[("firm", "F1")]))


def test_write_calendars_writes_bytes_with_crlf(tmp_path):
    _, _, schedule = first_day()
    paths = write_calendars(schedule, tmp_path / "ics", NAMES, stamp=STAMP)
    assert {p.name for p in paths} >= {"buyer_B1.ics", "firm_F1.ics"}
    raw = (tmp_path / "ics" / "buyer_B1.ics").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and raw.startswith(b"BEGIN:VCALENDAR\r\n")


@pytest.mark.parametrize("text", ["a" * 200, "ẫ" * 60, "x" + "ệ" * 40 + "yz", "Bàn 7 / Table 7", "ab" * 37 + "ộ"])
def test_folding_never_splits_a_character_and_unfolds_to_the_line(text):
    folded = fold_line("SUMMARY:" + text)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(parts) == ["SUMMARY:" + text]


def test_escaping_round_trips():
    value = "a\\b; c, d\ne"
    assert unescape(escape_text(value)) == value
    assert "\n" not in escape_text(value)
