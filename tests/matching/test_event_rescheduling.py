"""Rescheduling after a late cancellation: kept meetings stay put, the rest is valid and refilled.

Every result goes through the independent checker of ``test_events.violations``, applied to the
event as it stands after the cancellations (so a cancelled participant in a cancelled slot, or a
cancelled pair meeting, is a violation).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.events import (
    Cancellation,
    EventBuyer,
    EventFirm,
    apply_cancellations,
    parse_cancellation,
    read_schedule_json,
    reschedule,
    schedule_meetings,
    write_schedule_json,
)
from matching.exceptions import EventError
from tests.matching.test_events import events, make_event, make_proposals, violations


def meeting_set(meetings: pd.DataFrame) -> set[tuple]:
    return set(zip(meetings["slot_id"], meetings["table"], meetings["buyer_id"], meetings["firm_id"], strict=True))


def check_rescheduled(event, proposals, first, cancellations, again) -> None:
    """The three promises of a reschedule, from the rules alone."""
    after = apply_cancellations(event, cancellations)
    assert violations(after, proposals, again) == []
    untouched = {m for m in meeting_set(first.meetings)
                 if not any(c.touches(m[2], m[3], m[0]) for c in cancellations)}
    assert untouched <= meeting_set(again.meetings), "a meeting away from the cancellation moved"
    for c in cancellations:
        for slot_id, _, buyer_id, firm_id in meeting_set(again.meetings):
            assert not c.touches(buyer_id, firm_id, slot_id), f"{c.describe()} still meets in {slot_id}"


def small_day():
    """Two buyers, three firms, three slots, one table: every place is taken by value first."""
    event = make_event(n_slots=3, tables=1, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8), ("B1", "F2", 0.7),
                               ("B2", "F3", 0.3), ("B2", "F1", 0.2))
    return event, proposals


def test_a_buyer_cancelling_all_day_frees_its_slots_for_others():
    event, proposals = small_day()
    first = schedule_meetings(event, proposals, time_limit=10)
    assert "B1" in set(first.meetings["buyer_id"])
    cancel = [Cancellation(buyer_id="B1")]
    again = reschedule(event, first, proposals, cancel, time_limit=10)
    check_rescheduled(event, proposals, first, cancel, again)
    assert "B1" not in set(again.meetings["buyer_id"])
    # B2 now takes the freed slots: every firm B2 can meet meets it (F1, F2, F3).
    assert set(again.meetings["firm_id"]) == {"F1", "F2", "F3"}
    counts = again.changes["change"].value_counts()
    assert counts["cancelled"] == (first.meetings["buyer_id"] == "B1").sum()
    assert counts["kept"] == (first.meetings["buyer_id"] == "B2").sum()
    assert again.summary()["meetings_cancelled"] == counts["cancelled"]


def test_a_cancelled_firm_is_replaced_and_the_minimum_is_refilled():
    # Two slots, one table: by value F1 and F2 meet, F3 (owed one meeting) cannot fit.
    event = make_event(n_slots=2, tables=1, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8), ("B2", "F3", 0.3))
    first = schedule_meetings(event, proposals, time_limit=10)
    assert list(first.firms_below_minimum["firm_id"]) == ["F3"]
    cancel = [Cancellation(firm_id="F1")]
    again = reschedule(event, first, proposals, cancel, time_limit=10)
    check_rescheduled(event, proposals, first, cancel, again)
    assert set(again.meetings["firm_id"]) == {"F2", "F3"}
    assert list(again.firms_below_minimum["firm_id"]) == ["F1"]
    assert "unavailable in every slot" in again.firms_below_minimum["reason"].iloc[0]


def test_a_partial_cancellation_moves_the_pair_to_a_slot_both_have_free():
    event = make_event(n_slots=3, tables=2, buyers=("B1",), firms=("F1", "F2"), min_meetings=0)
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.8))
    first = schedule_meetings(event, proposals, time_limit=10)
    first_slot = first.meetings.set_index("firm_id").loc["F1", "slot_id"]
    cancel = [Cancellation(firm_id="F1", slots=frozenset({first_slot}))]
    again = reschedule(event, first, proposals, cancel, time_limit=10)
    check_rescheduled(event, proposals, first, cancel, again)
    moved = again.changes.set_index("change")
    assert moved.loc["moved", "firm_id"] == "F1" and moved.loc["moved", "slot_id"] != first_slot
    assert moved.loc["kept", "firm_id"] == "F2"


def test_a_cancelled_pair_never_meets_and_each_side_may_meet_others():
    event, proposals = small_day()
    first = schedule_meetings(event, proposals, time_limit=10)
    cancel = [Cancellation("B1", "F1")]
    again = reschedule(event, first, proposals, cancel, time_limit=10)
    check_rescheduled(event, proposals, first, cancel, again)
    assert ("B1", "F1") in set(again.event.refusals)
    assert ("B1", "F1") not in set(zip(again.meetings["buyer_id"], again.meetings["firm_id"], strict=True))


def test_a_requested_pair_can_be_cancelled():
    from matching.events import Request

    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2"), requests=(Request("B1", "F1"),))
    proposals = make_proposals(("B1", "F2", 0.4))
    first = schedule_meetings(event, proposals, time_limit=10)
    again = reschedule(event, first, proposals, [Cancellation("B1", "F1")], time_limit=10)
    assert list(again.meetings["firm_id"]) == ["F2"] and again.unplaced_requests.empty


def test_meetings_the_event_no_longer_allows_are_dropped_with_a_reason():
    event = make_event(n_slots=2, tables=2, buyers=("B1", "B2"), firms=("F1", "F2"), min_meetings=0)
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8))
    first = schedule_meetings(event, proposals, time_limit=10)
    assert len(first.meetings) == 2
    # The hall loses a table, and the earlier schedule used table 2.
    previous = first.meetings.assign(table=[1, 2], slot_id=first.meetings["slot_id"].iloc[0])
    smaller = make_event(n_slots=2, tables=1, buyers=("B1", "B2"), firms=("F1", "F2"), min_meetings=0)
    again = reschedule(smaller, previous, proposals, [], time_limit=10)
    assert violations(smaller, proposals, again) == []
    dropped = again.changes[again.changes["change"] == "dropped"]
    assert len(dropped) == 1 and "table 2 outside 1..1" in dropped["reason"].iloc[0]
    assert len(again.meetings) == 2  # the dropped pair meets again in the other slot


def test_schedule_json_round_trip_gives_the_same_reschedule(tmp_path):
    event, proposals = small_day()
    first = schedule_meetings(event, proposals, time_limit=10)
    path = write_schedule_json(first, tmp_path / "E_schedule.json")
    saved = read_schedule_json(path, event_id=event.event_id)
    assert meeting_set(saved) == meeting_set(first.meetings)
    cancel = [Cancellation(buyer_id="B2")]
    from_file = reschedule(event, saved, proposals, cancel, time_limit=10)
    from_object = reschedule(event, first, proposals, cancel, time_limit=10)
    assert meeting_set(from_file.meetings) == meeting_set(from_object.meetings)
    with pytest.raises(EventError, match="belongs to event 'E-TEST', not 'E-OTHER'"):
        read_schedule_json(path, event_id="E-OTHER")
    path.write_text(json.dumps({"meetings": []}), encoding="utf-8")
    with pytest.raises(EventError, match="expected format 'cnht-event-schedule/1'"):
        read_schedule_json(path)


def test_parse_cancellation_forms_and_errors():
    event, _ = small_day()
    first, second = event.slots[0], event.slots[1]
    assert parse_cancellation("B1", event) == Cancellation(buyer_id="B1")
    assert parse_cancellation(f"F2:{first.slot_id}, {second.start}", event) == Cancellation(
        firm_id="F2", slots=frozenset({first.slot_id, second.slot_id}))
    assert parse_cancellation("F1+B2", event) == Cancellation("B2", "F1")
    with pytest.raises(EventError, match="'X9' is neither a buyer nor a firm"):
        parse_cancellation("X9", event)
    with pytest.raises(EventError, match="unknown slot 'D9-01'"):
        parse_cancellation("B1:D9-01", event)
    with pytest.raises(EventError, match="expected BUYER\\+FIRM"):
        parse_cancellation("B1+B2", event)
    with pytest.raises(EventError, match="a pair is cancelled for the whole event"):
        apply_cancellations(event, [Cancellation("B1", "F1", frozenset({first.slot_id}))])


def test_the_checker_sees_a_cancelled_participant_left_in_its_slot():
    event, proposals = small_day()
    first = schedule_meetings(event, proposals, time_limit=10)
    cancel = [Cancellation(buyer_id="B1")]
    after = apply_cancellations(event, cancel)
    assert any("buyer B1 unavailable" in v for v in violations(after, proposals, first))


@st.composite
def cancelled_events(draw):
    event, proposals = draw(events(max_buyers=3, max_firms=5, max_slots=4))
    kind = draw(st.sampled_from(["buyer", "firm", "pair"]))
    slots = draw(st.frozensets(st.sampled_from(event.slot_ids), max_size=len(event.slot_ids)))
    if kind == "buyer":
        cancel = Cancellation(buyer_id=draw(st.sampled_from([b.buyer_id for b in event.buyers])), slots=slots)
    elif kind == "firm":
        cancel = Cancellation(firm_id=draw(st.sampled_from([f.firm_id for f in event.firms])), slots=slots)
    else:
        cancel = Cancellation(draw(st.sampled_from([b.buyer_id for b in event.buyers])),
                              draw(st.sampled_from([f.firm_id for f in event.firms])))
    return event, proposals, cancel


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cancelled_events())
def test_every_reschedule_of_a_random_event_keeps_what_it_can_and_passes_the_checker(drawn):
    event, proposals, cancel = drawn
    first = schedule_meetings(event, proposals, time_limit=20, top_per_buyer=100)
    again = reschedule(event, first, proposals, [cancel], time_limit=20, top_per_buyer=100)
    check_rescheduled(event, proposals, first, [cancel], again)
    assert again.status == "optimal"
    changes = again.changes["change"].value_counts()
    assert changes.get("kept", 0) + changes.get("cancelled", 0) + changes.get("dropped", 0) == len(first.meetings)
    assert changes.get("dropped", 0) == 0  # the event did not change: everything untouched stays


def test_kept_pairs_absent_from_new_proposals_still_stay():
    event = make_event(n_slots=2, tables=1, buyers=(EventBuyer("B1"),), firms=(EventFirm("F1"), EventFirm("F2")))
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.5))
    first = schedule_meetings(event, proposals, time_limit=10)
    again = reschedule(event, first, make_proposals(("B1", "F2", 0.5)), [Cancellation(firm_id="F2")], time_limit=10)
    assert meeting_set(again.meetings) == {m for m in meeting_set(first.meetings) if m[3] == "F1"}
