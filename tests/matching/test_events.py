"""Business-matching events (issue 13): every schedule is checked by an independent checker.

``violations`` below is written from the event's rules, not from the solver's code: it reads
only the event, the proposals and the returned meetings.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.events import (
    Event,
    EventBuyer,
    EventFirm,
    Request,
    Slot,
    event_from_dict,
    first_come_first_served,
    idle_gaps,
    make_slots,
    read_event,
    schedule_meetings,
)
from matching.exceptions import EventError

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- the checker
def violations(event: Event, proposals: pd.DataFrame | None, schedule) -> list[str]:
    """Every broken rule of ``schedule`` for ``event``, as sentences (empty: the schedule is valid)."""
    found: list[str] = []
    m = schedule.meetings
    slots = {s.slot_id for s in event.slots}
    buyers = {b.buyer_id: b for b in event.buyers}
    firms = {f.firm_id: f for f in event.firms}
    known = set() if proposals is None else set(zip(proposals["buyer_id"], proposals["firm_id"], strict=True))
    known |= {(r.buyer_id, r.firm_id) for r in event.requests}
    refused = set(event.refusals)
    for row in m.itertuples(index=False):
        pair = (row.buyer_id, row.firm_id)
        if row.slot_id not in slots:
            found.append(f"unknown slot {row.slot_id}")
        if not 1 <= row.table <= event.tables:
            found.append(f"table {row.table} outside 1..{event.tables}")
        if pair in refused:
            found.append(f"refused pair {pair} scheduled")
        if pair not in known:
            found.append(f"pair {pair} neither proposed nor requested")
        if row.buyer_id not in buyers or row.firm_id not in firms:
            found.append(f"non-participant in {pair}")
            continue
        if row.slot_id in buyers[row.buyer_id].unavailable:
            found.append(f"buyer {row.buyer_id} unavailable in {row.slot_id}")
        if row.slot_id in firms[row.firm_id].unavailable:
            found.append(f"firm {row.firm_id} unavailable in {row.slot_id}")
    for key, n in Counter(zip(m["slot_id"], m["table"], strict=True)).items():
        if n > 1:
            found.append(f"table {key} double-booked")
    for who in ("buyer_id", "firm_id"):
        for key, n in Counter(zip(m["slot_id"], m[who], strict=True)).items():
            if n > 1:
                found.append(f"{who} {key[1]} twice in slot {key[0]}")
    for pair, n in Counter(zip(m["buyer_id"], m["firm_id"], strict=True)).items():
        if n > 1:
            found.append(f"pair {pair} meets {n} times")
    for slot, n in Counter(m["slot_id"]).items():
        if n > event.tables:
            found.append(f"slot {slot} has {n} meetings for {event.tables} tables")
    for who, people in (("buyer_id", buyers), ("firm_id", firms)):
        for key, n in Counter(m[who]).items():
            cap = people[key].max_meetings
            if cap is not None and n > cap:
                found.append(f"{who} {key}: {n} meetings over cap {cap}")
    held = Counter(m["firm_id"])
    below = {f.firm_id for f in event.firms if f.registered and held[f.firm_id] < event.min_meetings}
    if set(schedule.firms_below_minimum["firm_id"]) != below:
        found.append(f"firms below minimum reported {sorted(schedule.firms_below_minimum['firm_id'])}, are {sorted(below)}")
    placed = set(zip(m["buyer_id"], m["firm_id"], strict=True))
    missing = {(r.buyer_id, r.firm_id) for r in event.requests} - placed
    reported = set(zip(schedule.unplaced_requests["buyer_id"], schedule.unplaced_requests["firm_id"], strict=True))
    if reported != missing:
        found.append(f"unplaced requests reported {sorted(reported)}, are {sorted(missing)}")
    if abs(schedule.value - float(m["value"].sum())) > 1e-6:
        found.append("value is not the sum of the meetings' values")
    return found


# ----------------------------------------------------------------------------- factories
def make_event(n_slots: int = 3, tables: int = 2, buyers=("B1",), firms=("F1", "F2"), **overrides) -> Event:
    fields = dict(
        event_id="E-TEST", slots=tuple(make_slots("2026-03-12", "09:00", "18:00", 30)[:n_slots]), tables=tables,
        buyers=tuple(b if isinstance(b, EventBuyer) else EventBuyer(b) for b in buyers),
        firms=tuple(f if isinstance(f, EventFirm) else EventFirm(f) for f in firms),
    )
    fields.update(overrides)
    return Event(**fields)


def make_proposals(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["buyer_id", "firm_id", "score"])


def both(event: Event, proposals: pd.DataFrame | None, **kwargs):
    """The MILP schedule and the baseline, each checked."""
    out = []
    for schedule in (schedule_meetings(event, proposals, time_limit=20, **kwargs),
                     first_come_first_served(event, proposals)):
        assert violations(event, proposals, schedule) == [], schedule.method
        out.append(schedule)
    return out


# ----------------------------------------------------------------------------- the checker can fail
def test_checker_catches_a_double_booking_and_a_refusal():
    event = make_event(buyers=("B1",), firms=("F1", "F2"), refusals=(("B1", "F2"),))
    proposals = make_proposals(("B1", "F1", 0.9))
    schedule = schedule_meetings(event, proposals, time_limit=5)
    bad = pd.concat([schedule.meetings, schedule.meetings.assign(firm_id="F2", table=2)], ignore_index=True)
    schedule.meetings = bad
    found = violations(event, proposals, schedule)
    assert any("twice in slot" in v for v in found)
    assert any("refused pair" in v for v in found)


# ----------------------------------------------------------------------------- hand-made events
def test_slots_skip_breaks():
    slots = make_slots("2026-03-12", "08:30", "12:00", 30, [("10:00", "10:15")])
    assert [s.start for s in slots] == ["08:30", "09:00", "09:30", "10:15", "10:45", "11:15"]
    assert slots[0] == Slot("2026-03-12-01", "2026-03-12", "08:30", "09:00")


def test_best_pairs_meet_and_tables_limit_each_slot():
    event = make_event(n_slots=2, tables=1, buyers=("B1", "B2"), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F2", 0.8), ("B2", "F3", 0.1), ("B1", "F3", 0.05))
    event = Event(**{**event.__dict__, "min_meetings": 0})
    optimised, _ = both(event, proposals)
    assert set(zip(optimised.meetings["buyer_id"], optimised.meetings["firm_id"], strict=True)) == {("B1", "F1"), ("B2", "F2")}
    assert optimised.gap == pytest.approx(0.0, abs=1e-6)
    assert optimised.value == pytest.approx(1.7)


def test_minimum_gives_every_registered_firm_a_meeting_where_fcfs_does_not():
    # One buyer, two slots: by value it would meet F3 (not registered) and F1; F2 is owed one.
    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2", EventFirm("F3", registered=False)))
    proposals = make_proposals(("B1", "F3", 0.9), ("B1", "F1", 0.8), ("B1", "F2", 0.2))
    optimised, fcfs = both(event, proposals)
    assert set(optimised.meetings["firm_id"]) == {"F1", "F2"}
    assert optimised.firms_below_minimum.empty
    assert set(fcfs.meetings["firm_id"]) == {"F1", "F3"}
    assert list(fcfs.firms_below_minimum["firm_id"]) == ["F2"]


def test_a_minimum_that_cannot_fit_is_reported_with_its_reason():
    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.8), ("B1", "F3", 0.2))
    optimised, _ = both(event, proposals)
    assert set(optimised.meetings["firm_id"]) == {"F1", "F2"}  # one firm must miss out: value decides
    assert list(optimised.firms_below_minimum["firm_id"]) == ["F3"]
    assert optimised.firms_below_minimum["reason"].iloc[0].startswith("no room")


def test_unregistered_firms_are_owed_nothing():
    event = make_event(n_slots=1, tables=1, buyers=("B1",), firms=("F1", EventFirm("F2", registered=False)))
    optimised, _ = both(event, make_proposals(("B1", "F1", 0.1), ("B1", "F2", 0.9)))
    assert list(optimised.meetings["firm_id"]) == ["F1"]
    assert optimised.firms_below_minimum.empty


def test_mutual_request_ranks_first_and_refused_pair_never_meets():
    event = make_event(
        n_slots=1, tables=1, buyers=("B1",), firms=("F1", "F2", "F3"), min_meetings=0,
        requests=(Request("B1", "F2", "buyer", 0), Request("B1", "F3", "buyer", 1), Request("B1", "F3", "firm", 2)),
        refusals=(("B1", "F1"),),
    )
    proposals = make_proposals(("B1", "F1", 1.0), ("B1", "F2", 0.9), ("B1", "F3", 0.0))
    optimised, fcfs = both(event, proposals)
    assert list(optimised.meetings["firm_id"]) == ["F3"]
    assert optimised.meetings["requested_by"].iloc[0] == "both"
    assert list(optimised.unplaced_requests["firm_id"]) == ["F2"]
    assert list(fcfs.meetings["firm_id"]) == ["F2"]  # arrival order wins there


def test_availability_and_caps_hold():
    ids = [s.slot_id for s in make_slots("2026-03-12", "09:00", "18:00", 30)[:3]]
    event = make_event(n_slots=3, tables=3, buyers=(EventBuyer("B1", unavailable=frozenset(ids[:1])),
                                                    EventBuyer("B2", max_meetings=1)),
                       firms=(EventFirm("F1", unavailable=frozenset(ids[1:])), "F2", "F3"))
    proposals = make_proposals(*[(b, f, 0.5) for b in ("B1", "B2") for f in ("F1", "F2", "F3")])
    optimised, _ = both(event, proposals)
    assert (optimised.meetings["buyer_id"] == "B2").sum() == 1


def test_a_buyer_with_more_requests_than_slots_gets_a_schedule_saying_so():
    event = make_event(n_slots=2, tables=5, buyers=("B1",), firms=("F1", "F2", "F3", "F4"), min_meetings=0,
                       requests=tuple(Request("B1", f, "buyer", n) for n, f in enumerate(["F1", "F2", "F3", "F4"])))
    optimised, fcfs = both(event, None)
    assert len(optimised.meetings) == 2 and len(optimised.unplaced_requests) == 2
    assert optimised.unplaced_requests["reason"].str.contains("4 requests for 2 meetings").all()


def test_a_participant_unavailable_all_day_is_reported_not_an_error():
    slots = make_slots("2026-03-12", "09:00", "10:00", 30)
    event = make_event(n_slots=2, tables=1, buyers=("B1",),
                       firms=(EventFirm("F1", unavailable=frozenset(s.slot_id for s in slots)), "F2"),
                       requests=(Request("B1", "F1"),))
    optimised, _ = both(event, make_proposals(("B1", "F2", 0.5)))
    assert "unavailable in every slot" in optimised.firms_below_minimum.set_index("firm_id").loc["F1", "reason"]
    assert optimised.unplaced_requests["reason"].tolist() == ["no slot in which both are available"]
    assert any("F1 is unavailable in every slot" in w for w in optimised.warnings)


def test_no_proposals_at_all_gives_an_empty_schedule():
    event = make_event()
    optimised, fcfs = both(event, None)
    assert optimised.meetings.empty and fcfs.meetings.empty
    assert set(optimised.firms_below_minimum["firm_id"]) == {"F1", "F2"}


@pytest.mark.parametrize(("change", "message"), [
    ({"tables": 0}, r"expected tables >= 1 .*got tables=0\. Set 'tables'"),
    ({"slots": ()}, r"expected at least one slot"),
    ({"refusals": (("B1", "F9"),)}, r"names firm 'F9', which is not a participant"),
    ({"requests": (Request("B1", "F1"),), "refusals": (("B1", "F1"),)}, r"both requested and refused"),
    ({"buyers": (EventBuyer("B1", unavailable=frozenset({"D9-01"})),)}, r"unknown slots \['D9-01'\]"),
    ({"firms": (EventFirm("F1"), EventFirm("F1"))}, r"each firm once, got \['F1'\]"),
    ({"min_meetings": -1}, r"min_meetings >= 0"),
])
def test_bad_events_raise_an_error_naming_the_constraint(change, message):
    event = Event(**{**make_event().__dict__, **change})
    with pytest.raises(EventError, match=message):
        schedule_meetings(event, None, time_limit=5)
    with pytest.raises(EventError, match=message):
        first_come_first_served(event, None)


def test_time_limit_must_be_positive():
    with pytest.raises(EventError, match="time_limit > 0"):
        schedule_meetings(make_event(), None, time_limit=0)


def test_event_file_round_trip_and_errors(tmp_path):
    data = {"event_id": "E1", "tables": 2, "min_meetings": 1,
            "days": [{"date": "2026-03-12", "start": "09:00", "end": "11:00", "slot_minutes": 30,
                      "breaks": [["10:00", "10:30"]]}],
            "buyers": [{"buyer_id": "B1", "needs": ["N-0001"], "max_meetings": 2, "unavailable": ["D1-01"]}],
            "firms": ["F1", {"firm_id": "F2", "registered": False}],
            "requests": [{"buyer_id": "B1", "firm_id": "F1", "by": "firm"}], "refusals": [["B1", "F2"]]}
    event = event_from_dict(data)
    assert [s.slot_id for s in event.slots] == ["D1-01", "D1-02", "D1-03"]
    assert event.slots[2].start == "10:30"
    assert event.firms[1].registered is False and event.requests[0].by == "firm"
    path = tmp_path / "event.json"
    path.write_text(json.dumps({**data, "tables": 0}), encoding="utf-8")
    with pytest.raises(EventError, match="tables=0"):
        read_event(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(EventError, match="cannot be read"):
        read_event(path)
    path.write_text(json.dumps({"event_id": "E1", "tables": 1, "buyers": [{}], "firms": []}), encoding="utf-8")
    with pytest.raises(EventError, match="lacks or misspells 'buyer_id'"):
        read_event(path)


def test_demo_event_file_is_valid():
    event = read_event(ROOT / "data" / "demo" / "event_demo.json")
    assert event.tables >= 1 and len(event.slots) >= 8 and len(event.firms) >= 20


def test_idle_gaps_count_available_waits_only():
    event = make_event(n_slots=4, tables=2, buyers=("B1",), firms=("F1", "F2"))
    ids = event.slot_ids
    meetings = pd.DataFrame({"slot_id": [ids[0], ids[3]], "buyer_id": ["B1", "B1"], "firm_id": ["F1", "F2"]})
    assert idle_gaps(event, meetings) == 2
    away = Event(**{**event.__dict__, "buyers": (EventBuyer("B1", unavailable=frozenset(ids[1:2])),)})
    assert idle_gaps(away, meetings) == 1


def test_compaction_closes_a_gap_without_changing_the_meetings():
    event = make_event(n_slots=4, tables=1, buyers=("B1",), firms=("F1", "F2"), min_meetings=0)
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.8))
    schedule = schedule_meetings(event, proposals, time_limit=5)
    assert schedule.idle_gaps == 0 and len(schedule.meetings) == 2


# ----------------------------------------------------------------------------- random events
@st.composite
def events(draw, max_buyers=4, max_firms=6, max_slots=4):
    n_slots = draw(st.integers(1, max_slots))
    slot_ids = [s.slot_id for s in make_slots("2026-03-12", "08:00", "18:00", 30)[:n_slots]]
    away = st.frozensets(st.sampled_from(slot_ids), max_size=n_slots)
    cap = st.one_of(st.none(), st.integers(0, n_slots))
    buyers = tuple(EventBuyer(f"B{i}", max_meetings=draw(cap), unavailable=draw(away))
                   for i in range(draw(st.integers(1, max_buyers))))
    firms = tuple(EventFirm(f"F{i}", registered=draw(st.booleans()), max_meetings=draw(cap), unavailable=draw(away))
                  for i in range(draw(st.integers(1, max_firms))))
    pairs = [(b.buyer_id, f.firm_id) for b in buyers for f in firms]
    kinds = draw(st.lists(st.sampled_from(["none", "proposed", "request", "refused"]), min_size=len(pairs),
                          max_size=len(pairs)))
    scores = draw(st.lists(st.floats(0, 1), min_size=len(pairs), max_size=len(pairs)))
    proposals = make_proposals(*[(b, f, s) for (b, f), k, s in zip(pairs, kinds, scores, strict=True)
                                 if k in {"proposed", "request"}])
    requests = tuple(Request(b, f, draw(st.sampled_from(["buyer", "firm"])), n)
                     for n, ((b, f), k) in enumerate(zip(pairs, kinds, strict=True)) if k == "request")
    refusals = tuple(p for p, k in zip(pairs, kinds, strict=True) if k == "refused")
    event = make_event(n_slots=n_slots, tables=draw(st.integers(1, 3)), buyers=buyers, firms=firms,
                       requests=requests, refusals=refusals, min_meetings=draw(st.integers(0, 2)))
    return event, proposals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_every_schedule_of_a_random_event_passes_the_checker(drawn):
    event, proposals = drawn
    optimised, fcfs = both(event, proposals, top_per_buyer=100)
    assert optimised.status == "optimal"
    # Same pairs, same values: the optimum leaves no more firms short, and then loses no value.
    assert _shortfall(event, optimised) <= _shortfall(event, fcfs)
    if _shortfall(event, optimised) == _shortfall(event, fcfs):
        assert optimised.value >= fcfs.value - 1e-6


def _shortfall(event: Event, schedule) -> int:
    held = Counter(schedule.meetings["firm_id"])
    n_slots = len(event.slots)
    return sum(max(0, min(event.min_meetings, n_slots if f.max_meetings is None else f.max_meetings) - held[f.firm_id])
               for f in event.firms if f.registered)


# ----------------------------------------------------------------------------- brute force
def brute_force(event: Event, proposals: pd.DataFrame) -> tuple[int, float]:
    """Least total shortfall of the firms' minimum over every valid schedule, and the best value
    among those with that shortfall (enumerates every pair -> slot-or-none assignment)."""
    from matching.events import candidate_meetings

    pairs = candidate_meetings(event, proposals)
    keys = list(zip(pairs["buyer_id"], pairs["firm_id"], strict=True))
    values = pairs["value"].to_numpy()
    best = (10**9, -1.0)
    options = [None, *range(len(event.slots))]
    for choice in itertools.product(options, repeat=len(keys)):
        rows = [(event.slots[s].slot_id, t + 1, keys[i][0], keys[i][1], values[i])
                for i, s in enumerate(choice) if s is not None for t in [0]]
        meetings = pd.DataFrame(rows, columns=["slot_id", "table", "buyer_id", "firm_id", "value"])
        # tables are interchangeable: number them within each slot for the checker
        meetings["table"] = meetings.groupby("slot_id").cumcount() + 1
        candidate = _Plain(meetings, event)
        if violations(event, proposals, candidate):
            continue
        short = _shortfall(event, candidate)
        value = float(meetings["value"].sum())
        if (short, -value) < (best[0], -best[1]):
            best = (short, value)
    return best


class _Plain:
    """A schedule made by hand for the checker (reports computed as the rules say)."""

    def __init__(self, meetings: pd.DataFrame, event: Event) -> None:
        held = Counter(meetings["firm_id"])
        self.meetings = meetings
        self.value = float(meetings["value"].sum())
        self.firms_below_minimum = pd.DataFrame(
            {"firm_id": [f.firm_id for f in event.firms if f.registered and held[f.firm_id] < event.min_meetings]})
        placed = set(zip(meetings["buyer_id"], meetings["firm_id"], strict=True))
        missing = [(r.buyer_id, r.firm_id) for r in event.requests if (r.buyer_id, r.firm_id) not in placed]
        self.unplaced_requests = pd.DataFrame(missing, columns=["buyer_id", "firm_id"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(max_buyers=2, max_firms=3, max_slots=2))
def test_minimum_is_met_whenever_brute_force_finds_a_schedule_meeting_it(drawn):
    event, proposals = drawn
    least_shortfall, best_value = brute_force(event, proposals)
    optimised = schedule_meetings(event, proposals, time_limit=20, top_per_buyer=100, top_per_firm=100)
    assert violations(event, proposals, optimised) == []
    assert _shortfall(event, optimised) == least_shortfall  # 0 whenever a schedule meets the minimum
    assert optimised.value == pytest.approx(best_value, abs=1e-3 * max(1.0, best_value))


def test_brute_force_agrees_on_a_case_where_value_and_minimum_conflict():
    # Each buyer meets once: by value both meet F1 (two firms short); the minimum leaves one short.
    event = make_event(n_slots=2, tables=2, buyers=(EventBuyer("B1", max_meetings=1), EventBuyer("B2", max_meetings=1)),
                       firms=("F1", "F2", "F3"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B2", "F1", 0.9), ("B1", "F2", 0.1), ("B2", "F3", 0.1))
    assert brute_force(event, proposals) == (1, pytest.approx(1.0))
    optimised = schedule_meetings(event, proposals, time_limit=5)
    assert len(optimised.firms_below_minimum) == 1 and optimised.value == pytest.approx(1.0)
    assert "F1" in set(optimised.meetings["firm_id"])


# ----------------------------------------------------------------------------- per participant
def test_per_participant_lists_each_meeting_twice():
    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2"))
    schedule = schedule_meetings(event, make_proposals(("B1", "F1", 0.5), ("B1", "F2", 0.4)), time_limit=5)
    table = schedule.per_participant()
    assert len(table) == 2 * len(schedule.meetings)
    assert set(table.loc[table["participant_id"] == "B1", "with_id"]) == {"F1", "F2"}
    assert np.all(table["table"] >= 1)


# ----------------------------------------------------------------------------- solver stops early
def test_no_solution_within_the_time_limit_falls_back_to_the_baseline(monkeypatch):
    import matching.events.solver as solver

    class Stopped:
        x, status, message, fun, mip_gap, mip_dual_bound = None, 1, "Time limit reached", None, None, -2.5

    monkeypatch.setattr(solver, "milp", lambda *args, **kwargs: Stopped())
    event = make_event(n_slots=2, tables=1, buyers=("B1",), firms=("F1", "F2"))
    proposals = make_proposals(("B1", "F1", 0.9), ("B1", "F2", 0.8))
    schedule = schedule_meetings(event, proposals, time_limit=1)
    assert violations(event, proposals, schedule) == []
    assert schedule.method.startswith("fcfs") and "Time limit" in schedule.status
    assert schedule.bound == 2.5 and len(schedule.meetings) == 2


# ----------------------------------------------------------------------------- proposals
def test_proposals_take_each_pairs_best_need_and_name_unknown_needs():
    from matching.events import propose_meetings
    from matching.matcher import SupplierMatcher
    from tests.matching.conftest import make_firm

    firms = pd.DataFrame([make_firm("F1", text="ép nhựa ABS vỏ thiết bị", processes=("injection_moulding",)),
                          make_firm("F2", text="may áo sơ mi xuất khẩu"),
                          make_firm("F3", text="phay CNC vỏ nhôm")])
    matcher = SupplierMatcher(geocode=False).fit(firms)
    needs = pd.DataFrame({"need_id": ["N1", "N2"], "buyer_id": ["B1", "B1"],
                          "title": ["vỏ nhựa ép ABS", "vỏ nhôm phay CNC"], "description": ["", ""]})
    event = make_event(buyers=(EventBuyer("B1", need_ids=("N1", "N2")),), firms=("F1", "F2", "F3"))
    proposals = propose_meetings(event, matcher, needs)
    best = proposals.set_index("firm_id")
    assert best.loc["F1", "need_id"] == "N1" and best.loc["F3", "need_id"] == "N2"
    assert not proposals.duplicated(["buyer_id", "firm_id"]).any()
    missing = make_event(buyers=(EventBuyer("B1", need_ids=("N9",)),), firms=("F1",))
    with pytest.raises(EventError, match=r"brings needs \['N9'\]"):
        propose_meetings(missing, matcher, needs)
    stranger = make_event(buyers=("B1",), firms=("F1", "F7"))
    with pytest.raises(EventError, match=r"firms \['F7'\]"):
        propose_meetings(stranger, matcher, needs)
