"""Every reason and warning of an event's schedule in English and Vietnamese.

Each kind is produced by a small event built so that only that reason can apply; the English
(``reason``, ``warnings``) stays as API clients read it, the Vietnamese (``reason_vi``,
``warnings_vi``) is written by the same branch, is NFC, and is not the English copied.
"""

from __future__ import annotations

import json
import unicodedata

import pandas as pd
import pytest

from matching.events import (
    Cancellation,
    EventBuyer,
    EventFirm,
    Request,
    Schedule,
    first_come_first_served,
    reschedule,
    schedule_meetings,
    write_schedule_json,
)
from matching.events.schedule import _given_up, candidate_meetings
from matching.exceptions import EventError
from tests.matching.test_events import make_event, make_proposals, violations

S1, S2, S3 = "2026-03-12-01", "2026-03-12-02", "2026-03-12-03"


def check_bilingual(english: str, vietnamese: str) -> None:
    assert isinstance(vietnamese, str) and vietnamese.strip(), f"no Vietnamese for {english!r}"
    assert vietnamese != english, f"the Vietnamese of {english!r} is the English"
    assert unicodedata.is_normalized("NFC", vietnamese), vietnamese


def check_rows(frame: pd.DataFrame) -> None:
    assert "reason_vi" in frame.columns
    for english, vietnamese in zip(frame["reason"], frame["reason_vi"], strict=True):
        check_bilingual(english, vietnamese)


def scheduled(event, proposals=None):
    """Both schedulers' schedules, checked, every reason and warning checked bilingual."""
    out = [schedule_meetings(event, proposals, time_limit=10), first_come_first_served(event, proposals)]
    for schedule in out:
        assert violations(event, proposals, schedule) == []
        check_rows(schedule.firms_below_minimum)
        check_rows(schedule.unplaced_requests)
        assert len(schedule.warnings_vi) == len(schedule.warnings)
        for english, vietnamese in zip(schedule.warnings, schedule.warnings_vi, strict=True):
            check_bilingual(english, vietnamese)
    return out[0]


def below(schedule: Schedule, firm_id: str) -> tuple[str, str]:
    row = schedule.firms_below_minimum.set_index("firm_id").loc[firm_id]
    return row["reason"], row["reason_vi"]


def unplaced(schedule: Schedule) -> list[tuple[str, str]]:
    return list(zip(schedule.unplaced_requests["reason"], schedule.unplaced_requests["reason_vi"], strict=True))


# ----------------------------------------------------------------------------- firms below the minimum
def test_a_firm_away_all_day_is_below_the_minimum_and_warned_of_in_both_languages():
    event = make_event(n_slots=2, firms=(EventFirm("F1", unavailable=frozenset({S1, S2})), "F2"))
    schedule = scheduled(event, make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.5)))
    assert below(schedule, "F1") == ("unavailable in every slot (bận cả ngày)", "bận ở mọi khung giờ")
    assert schedule.warnings == ["firm F1 is unavailable in every slot: no meeting possible "
                                 "(không thể xếp lịch: bận cả ngày)."]
    assert schedule.warnings_vi == ["Doanh nghiệp F1 bận ở mọi khung giờ: không xếp được buổi gặp nào."]


def test_a_firm_with_cap_zero_and_a_buyer_away_all_day_are_warned_of_in_both_languages():
    event = make_event(n_slots=2, buyers=("B1", EventBuyer("B2", unavailable=frozenset({S1, S2}))),
                       firms=(EventFirm("F1", max_meetings=0), "F2"))
    schedule = scheduled(event, make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.5)))
    assert below(schedule, "F1") == ("max_meetings=0", "giới hạn 0 buổi gặp (max_meetings=0)")
    assert schedule.warnings_vi == ["Bên mua B2 bận ở mọi khung giờ: không xếp được buổi gặp nào.",
                                    "Doanh nghiệp F1 có giới hạn 0 buổi gặp (max_meetings=0): không xếp được "
                                    "buổi gặp nào."]


def test_a_cap_below_the_minimum_is_said_in_both_languages():
    event = make_event(n_slots=3, buyers=("B1", "B2"), firms=(EventFirm("F1", max_meetings=1),), min_meetings=2)
    schedule = scheduled(event, make_proposals(("B1", "F1", 0.9), ("B2", "F1", 0.8)))
    assert below(schedule, "F1") == ("its cap max_meetings=1 is below the minimum 2",
                                     "giới hạn 1 buổi gặp (max_meetings) thấp hơn số buổi tối thiểu 2")


def test_a_firm_no_buyer_can_meet_is_said_in_both_languages():
    event = make_event(n_slots=2, firms=("F1", "F2"))
    schedule = scheduled(event, make_proposals(("B1", "F1", 0.9)))
    english, vietnamese = below(schedule, "F2")
    assert english.startswith("only 0 buyer(s) can meet it")
    assert vietnamese.startswith("chỉ 0 bên mua có thể gặp doanh nghiệp")


def test_no_room_is_said_in_both_languages():
    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2", "F3"))
    schedule = scheduled(event, make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.8), ("B1", "F3", 0.2)))
    english, vietnamese = below(schedule, "F3")
    assert english == "no room: tables, slots and buyers' caps are taken by other firms' minimum meetings"
    assert vietnamese == ("hết chỗ: bàn, khung giờ và giới hạn của bên mua đã dành cho số buổi tối thiểu của các "
                          "doanh nghiệp khác")


def test_a_solver_stopped_by_its_time_limit_says_so_in_both_languages():
    event = make_event(n_slots=1, tables=1, buyers=("B1", "B2"), firms=("F1", "F2"),
                       requests=(Request("B1", "F1"), Request("B2", "F2")))
    pairs = candidate_meetings(event)
    meetings = schedule_meetings(event, None, time_limit=10).meetings
    below_minimum, not_placed = _given_up(event, pairs, meetings, stopped_early=True)
    check_rows(below_minimum)
    check_rows(not_placed)
    english, vietnamese = below_minimum["reason"].iloc[0], below_minimum["reason_vi"].iloc[0]
    assert english.endswith("a longer limit may place more.") and "cho thêm thời gian" in vietnamese
    assert not_placed["reason"].iloc[0].startswith("the slots both have free went to higher-value meetings")
    assert not_placed["reason_vi"].iloc[0].startswith("các khung giờ cả hai bên cùng rảnh")
    assert "Bộ giải dừng vì hết thời gian" in not_placed["reason_vi"].iloc[0]


# ----------------------------------------------------------------------------- requests not placed
def test_a_request_without_a_common_free_slot_is_said_in_both_languages():
    event = make_event(n_slots=2, buyers=(EventBuyer("B1", unavailable=frozenset({S1})),),
                       firms=(EventFirm("F1", unavailable=frozenset({S2})),), min_meetings=0,
                       requests=(Request("B1", "F1"),))
    schedule = scheduled(event)
    assert unplaced(schedule) == [("no slot in which both are available",
                                   "không có khung giờ nào cả hai bên cùng rảnh")]


def test_too_many_requests_for_a_buyer_or_a_firm_are_said_in_both_languages():
    event = make_event(n_slots=1, tables=5, buyers=("B1",), firms=("F1", "F2"), min_meetings=0,
                       requests=(Request("B1", "F1"), Request("B1", "F2", order=1)))
    (english, vietnamese), = set(unplaced(scheduled(event)))
    assert english == "buyer B1 has 2 requests for 1 meetings (free slots or cap)"
    assert vietnamese == ("bên mua B1 có 2 yêu cầu gặp nhưng chỉ gặp được tối đa 1 buổi (do số khung giờ rảnh "
                          "hoặc giới hạn số buổi)")
    event = make_event(n_slots=1, tables=5, buyers=("B1", "B2"), firms=("F1",), min_meetings=0,
                       requests=(Request("B1", "F1", "firm"), Request("B2", "F1", "firm", 1)))
    (english, vietnamese), = set(unplaced(scheduled(event)))
    assert english == "firm F1 has 2 requests for 1 meetings (free slots or cap)"
    assert vietnamese.startswith("doanh nghiệp F1 có 2 yêu cầu gặp nhưng chỉ gặp được tối đa 1 buổi")


def test_a_request_that_lost_its_place_to_others_is_said_in_both_languages():
    event = make_event(n_slots=1, tables=1, buyers=("B1", "B2"), firms=("F1", "F2"), min_meetings=0,
                       requests=(Request("B1", "F1"), Request("B2", "F2", order=1)))
    (english, vietnamese), = unplaced(scheduled(event))
    assert english == ("the slots both have free went to higher-value meetings or to firms' minimum "
                       "(tables or participants full)")
    assert vietnamese.startswith("các khung giờ cả hai bên cùng rảnh đã dành cho những buổi gặp giá trị cao hơn")


# ----------------------------------------------------------------------------- rescheduling
def test_every_change_of_a_reschedule_has_its_reason_in_both_languages(tmp_path):
    event = make_event(n_slots=3, tables=1, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8), ("B1", "F2", 0.7), ("B2", "F3", 0.3),
                               ("B2", "F1", 0.2))
    first = schedule_meetings(event, proposals, time_limit=10)
    seen = {}
    for cancel in ([Cancellation(buyer_id="B1")], [Cancellation("B1", "F1")],
                   [Cancellation(firm_id="F1", slots=frozenset({first.meetings["slot_id"].iloc[0]}))]):
        again = reschedule(event, first, proposals, cancel, time_limit=10)
        check_rows(again.changes)
        seen |= dict(zip(again.changes["change"], again.changes["reason_vi"], strict=True))
        path = write_schedule_json(again, tmp_path / "again.json")
        written = json.loads(path.read_text(encoding="utf-8"))["changes"]
        assert [c["reason_vi"] for c in written] == list(again.changes["reason_vi"])
    assert {"kept", "cancelled", "new"} <= set(seen)
    assert seen["kept"] == "giữ nguyên khung giờ và bàn"
    assert seen["cancelled"].startswith("đã hủy: ")


def test_a_cancellation_is_described_in_both_languages():
    assert Cancellation("B1", "F1").describe("vi") == "cặp B1+F1"
    assert Cancellation(buyer_id="B1").describe("vi") == "bên mua B1 (cả ngày)"
    assert Cancellation(buyer_id="B1").describe() == "buyer B1 (all day / cả ngày)"
    assert Cancellation(firm_id="F1", slots=frozenset({S2, S1})).describe("vi") == (
        f"doanh nghiệp F1 ở khung giờ {S1}, {S2}")
    with pytest.raises(EventError, match="Expected lang 'en' or 'vi', got lang='fr'"):
        Cancellation(buyer_id="B1").describe("fr")


def test_every_meeting_dropped_from_the_earlier_schedule_says_why_in_both_languages():
    event = make_event(n_slots=3, tables=2, min_meetings=0, refusals=(("B3", "F4"),),
                       buyers=("B1", EventBuyer("B2", unavailable=frozenset({S2})), "B3"),
                       firms=("F1", "F2", EventFirm("F3", max_meetings=1), "F4"))
    rows = [(S1, 1, "B1", "F1"), (S1, 1, "B3", "F2"),          # a clash: one of them stays
            (S2, 2, "B1", "F3"), (S3, 2, "B3", "F3"),          # F3's second meeting: over its cap
            ("D9-99", 1, "B1", "F4"), (S2, 1, "B9", "F4"),     # slot, participant no longer there
            (S3, 3, "B1", "F4"), (S2, 1, "B2", "F4"),          # table 3 of 2, B2 away in S2
            (S3, 1, "B3", "F4")]                               # refused
    previous = pd.DataFrame(rows, columns=["slot_id", "table", "buyer_id", "firm_id"])
    again = reschedule(event, previous, None, [], time_limit=10)
    dropped = again.changes[again.changes["change"] == "dropped"]
    check_rows(dropped)
    reasons = dict(zip(dropped["reason"], dropped["reason_vi"], strict=True))
    assert reasons == {
        "clashes with an earlier meeting of the schedule": "trùng với một buổi gặp xếp trước đó trong lịch",
        "over the participant's max_meetings": "vượt giới hạn số buổi gặp (max_meetings) của một bên",
        "slot D9-99 is no longer in the event": "khung giờ D9-99 không còn trong sự kiện",
        "participant no longer in the event": "một bên không còn tham gia sự kiện",
        "table 3 outside 1..2": "bàn 3 không còn (sự kiện nay chỉ có 2 bàn)",
        "a participant is now unavailable in this slot": "một bên nay bận ở khung giờ này",
        "the pair is refused": "cặp gặp này đã bị từ chối",
    }


def test_no_room_after_a_reschedule_names_the_kept_meetings_in_both_languages():
    event = make_event(n_slots=2, tables=1, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8), ("B2", "F3", 0.3))
    first = schedule_meetings(event, proposals, time_limit=10)
    assert list(first.firms_below_minimum["firm_id"]) == ["F3"]
    again = reschedule(event, first, proposals, [], time_limit=10)
    english, vietnamese = below(again, "F3")
    check_bilingual(english, vietnamese)
    assert english.startswith("no room") and "(giữ nguyên lịch cũ)" in english
    assert vietnamese.startswith("hết chỗ") and "các buổi gặp giữ nguyên từ lịch cũ" in vietnamese


# ----------------------------------------------------------------------------- warnings of a stored schedule
def test_warnings_without_their_vietnamese_fall_back_to_the_event_then_to_the_english():
    event = make_event(n_slots=2, firms=(EventFirm("F1", max_meetings=0), "F2"))
    first = schedule_meetings(event, make_proposals(("B1", "F2", 0.5)), time_limit=10)
    kept = Schedule(event, first.meetings, first.value, first.objective, None, None, "", 0.0, "milp",
                    warnings=[*first.warnings, "a warning written by an older version"])
    assert kept.warnings_vi == [*first.warnings_vi, "a warning written by an older version"]
    assert kept.warnings_vi[0].startswith("Doanh nghiệp F1 có giới hạn 0 buổi gặp")
    with pytest.raises(EventError, match="one Vietnamese warning per warning, got 0 for 1"):
        Schedule(event, first.meetings, 0.0, 0.0, None, None, "", 0.0, "milp", warnings=first.warnings,
                 warnings_vi=[])
