"""``/events`` (issue 13): events stored, scheduled, held and reported, on SQLite and PostgreSQL.

A tiny market known by construction: buyer B001 needs ABS housings with ISO 9001 (only
F0001 holds it), buyer B002 needs CNC parts; F0002 sews shirts, and B002 asked for it by hand.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from tests.api.conftest import bearer, make_buyer, make_firm, make_need

EVENT = {
    "event_id": "EV-TEST",
    "name": "Ngày kết nối thử / Test matching day",
    "tables": 2,
    "min_meetings": 1,
    "days": [{"date": "2026-03-12", "start": "09:00", "end": "10:00", "slot_minutes": 20}],
    "buyers": [{"buyer_id": "B001", "needs": ["N-0001"]},
               {"buyer_id": "B002", "needs": ["N-0002"], "unavailable": ["D1-01"]}],
    "firms": [{"firm_id": "F0001", "max_meetings": 2}, "F0002", {"firm_id": "F0003"}],
    "requests": [{"buyer_id": "B002", "firm_id": "F0002", "by": "buyer"}],
    "refusals": [["B001", "F0003"]],
}


def event(**overrides):
    """The test event with ``overrides`` (a deep copy)."""
    out = copy.deepcopy(EVENT)
    out.update(overrides)
    return out


@pytest.fixture
def market(client, staff):
    """Three firms, two buyers and their needs, written through the API (the test client)."""
    write_market(client, staff)
    return client


def write_market(client, staff) -> None:
    """Write the tiny market through ``client`` (a test client or an httpx client of the server)."""
    firms = [
        make_firm(),
        make_firm(firm_id="F0002", tax_code=None, sectors="dệt may", description="May áo sơ mi xuất khẩu",
                  products="áo sơ mi", certifications=[]),
        make_firm(firm_id="F0003", tax_code=None, sectors="cơ khí", description="Gia công CNC phay tiện chính xác",
                  products="trục, bánh răng", certifications=[]),
    ]  # fmt: skip
    for firm in firms:
        client.post("/api/v1/firms", json=firm, headers=staff).raise_for_status()
    for buyer_id, name in (("B001", "Canon Vietnam"), ("B002", "Yamaha Motor")):
        client.post("/api/v1/buyers", json=make_buyer(buyer_id=buyer_id, name=name), headers=staff).raise_for_status()
    client.post("/api/v1/needs", json=make_need(), headers=staff).raise_for_status()
    client.post("/api/v1/needs", json=make_need(need_id="N-0002", buyer_id="B002", title="Trục thép gia công CNC",
                                                description="CNC turning of steel shafts", processes="cnc_turning",
                                                materials="steel", mandatory_certifications=None),
                headers=staff).raise_for_status()  # fmt: skip


def _scheduled(client, staff, **overrides):
    response = client.post("/api/v1/events", json=event(**overrides), headers=staff)
    assert response.status_code == 201, response.text
    response = client.post(f"/api/v1/events/{overrides.get('event_id', 'EV-TEST')}/schedule",
                           json={"time_limit": 10}, headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


def check_schedule(schedule: dict, definition: dict) -> None:
    """An independent check of a returned schedule against the event's constraints."""
    meetings = schedule["data"]
    tables = definition["tables"]
    refused = {tuple(r) for r in definition.get("refusals", [])}
    away = {b["buyer_id"]: set(b.get("unavailable", [])) for b in definition["buyers"]}
    away |= {f["firm_id"]: set(f.get("unavailable", [])) for f in definition["firms"] if isinstance(f, dict)}
    caps = {f["firm_id"]: f.get("max_meetings") for f in definition["firms"] if isinstance(f, dict)}
    per_slot = Counter(m["slot_id"] for m in meetings)
    assert max(per_slot.values(), default=0) <= tables
    for who in ("buyer_id", "firm_id"):
        busy = Counter((m[who], m["slot_id"]) for m in meetings)
        assert max(busy.values(), default=0) == 1 if meetings else True, f"{who} in two places"
    assert len({(m["slot_id"], m["table"]) for m in meetings}) == len(meetings)
    assert all(1 <= m["table"] <= tables for m in meetings)
    pairs = [(m["buyer_id"], m["firm_id"]) for m in meetings]
    assert len(set(pairs)) == len(pairs) and not set(pairs) & refused
    for m in meetings:
        assert m["slot_id"] not in away.get(m["buyer_id"], set()) | away.get(m["firm_id"], set())
    per_firm = Counter(m["firm_id"] for m in meetings)
    assert all(per_firm[f] <= cap for f, cap in caps.items() if cap is not None)


def test_an_event_is_stored_listed_read_and_unknown_ones_are_404(market, staff, analyst, make_key):
    client = market
    created = client.post("/api/v1/events", json=event(), headers=staff)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["event_id"] == "EV-TEST" and body["schedule_summary"] is None
    assert body["definition"]["tables"] == 2 and body["definition"]["firms"][1] == "F0002"
    listed = client.get("/api/v1/events", headers=analyst).json()
    assert listed["count"] == 1 and listed["data"][0]["event_id"] == "EV-TEST"
    assert client.get("/api/v1/events/EV-TEST", headers=analyst).json()["name"] == EVENT["name"]
    again = client.post("/api/v1/events", json=event(), headers=staff)
    assert again.status_code == 409 and "EV-TEST is already stored" in again.json()["detail"]
    for path in ("", "/schedule", "/report"):
        missing = client.get(f"/api/v1/events/EV-NONE{path}", headers=staff)
        assert missing.status_code == 404 and "Event EV-NONE not found" in missing.json()["detail"]
    missing = client.post("/api/v1/events/EV-NONE/schedule", json={}, headers=staff)
    assert missing.status_code == 404 and "Event EV-NONE not found" in missing.json()["detail"]
    not_yet = client.get("/api/v1/events/EV-TEST/schedule", headers=staff)
    assert not_yet.status_code == 404 and "no schedule yet" in not_yet.json()["detail"]
    assert client.post("/api/v1/events", json=event(event_id="EV-2"), headers=analyst).status_code == 403
    assert client.post("/api/v1/events/EV-TEST/schedule", json={}, headers=analyst).status_code == 403
    assert client.get("/api/v1/events").status_code == 401
    firm = bearer(make_key("firm", "F0001"))
    assert client.get("/api/v1/events", headers=firm).status_code == 403
    assert client.get("/api/v1/events/EV-TEST/report", headers=firm).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"tables": 0}, "expected tables >= 1"),
        ({"requests": [{"buyer_id": "B001", "firm_id": "F0003"}]}, "B001-F0003 is both requested and refused"),
        ({"buyers": [{"buyer_id": "B001", "unavailable": ["D9-99"]}]}, "unavailable in unknown slots ['D9-99']"),
        ({"firms": ["F0001", "F0001"]}, "expected each firm once"),
        ({"min_meetings": -1}, "expected min_meetings >= 0"),
        ({"days": [{"date": "2026-03-12", "start": "9h", "end": "10:00"}]}, "String should match pattern"),
        ({"days": [], "slots": []}, "expected at least one slot"),
        ({"refusals": [["B009", "F0001"]]}, "names buyer 'B009', who is not a participant"),
        ({"firms": ["F0001", "F0002", "F0003", "F0099"]}, "firms ['F0099'] (1 in all) are not in the database"),
        ({"buyers": [{"buyer_id": "B001", "needs": ["N-0002"]}, {"buyer_id": "B002"}]}, "buyer B001 brings need N-0002, which belongs to buyer B002"),
        ({"buyers": [{"buyer_id": "B001", "needs": ["N-0404"]}, {"buyer_id": "B002"}]}, "needs ['N-0404'] (1 in all) are not in the database"),
        ({"tablez": 3}, "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_an_impossible_or_inconsistent_event_is_422_naming_it(market, staff, overrides, named):
    response = market.post("/api/v1/events", json=event(**overrides), headers=staff)
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    assert market.get("/api/v1/events", headers=staff).json()["count"] == 0


def test_scheduling_answers_objective_bound_gap_and_what_was_given_up(market, staff, analyst):
    client = market
    schedule = _scheduled(client, staff)
    check_schedule(schedule, EVENT)
    assert schedule["status"] == "optimal" and schedule["gap"] is not None and schedule["gap"] <= 1e-3
    assert schedule["bound"] >= schedule["objective"] - 1e-6
    pairs = {(m["buyer_id"], m["firm_id"]) for m in schedule["data"]}
    assert ("B002", "F0002") in pairs  # asked for by hand
    assert ("B001", "F0001") in pairs  # the only ISO 9001 firm for the ISO 9001 need
    assert ("B001", "F0003") not in pairs  # refused
    requested = next(m for m in schedule["data"] if (m["buyer_id"], m["firm_id"]) == ("B002", "F0002"))
    assert requested["requested_by"] == "buyer" and requested["slot_id"] != "D1-01"
    for row in schedule["firms_below_minimum"]:
        assert row["reason"]
    assert schedule["summary"]["meetings"] == schedule["count"] == len(schedule["data"])
    stored = client.get("/api/v1/events/EV-TEST/schedule", headers=analyst).json()
    assert stored["data"] == schedule["data"] and stored["objective"] == schedule["objective"]
    assert client.get("/api/v1/events/EV-TEST", headers=analyst).json()["schedule_summary"]["meetings"] == schedule["count"]
    again = client.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": 10}, headers=staff)
    assert again.status_code == 200 and again.json()["count"] == schedule["count"]  # replaced, not added to
    for bad in (0, -1, 10_000):
        wrong = client.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": bad}, headers=staff)
        assert wrong.status_code == 422 and "time_limit" in wrong.json()["detail"]


def _outcomes(client, staff, need_id, firm_id):
    rows = client.get("/api/v1/outcomes", params={"need_id": need_id, "firm_id": firm_id}, headers=staff).json()
    return [(o["status"], o["reason"]) for o in rows["data"]]


def test_a_meeting_held_becomes_a_meeting_outcome_once(market, staff):
    client = market
    _scheduled(client, staff)
    held = {"buyer_id": "B001", "firm_id": "F0001"}
    future = client.post("/api/v1/events/EV-TEST/meetings/held", json={**held, "held_at": "2199-01-01T09:00:00Z"},
                         headers=staff)  # fmt: skip
    assert future.status_code == 422 and "is in the future" in future.json()["detail"]
    first = client.post("/api/v1/events/EV-TEST/meetings/held", json=held, headers=staff)
    assert first.status_code == 201, first.text
    assert first.json()["outcomes_added"] == ["suggested", "contacted", "meeting"] and first.json()["added"]
    assert first.json()["status"] == "meeting" and first.json()["need_id"] == "N-0001"
    history = _outcomes(client, staff, "N-0001", "F0001")
    assert [s for s, _ in history] == ["suggested", "contacted", "meeting"]
    assert all("Event EV-TEST" in reason for _, reason in history)
    second = client.post("/api/v1/events/EV-TEST/meetings/held", json=held, headers=staff)
    assert second.status_code == 200 and not second.json()["added"] and second.json()["outcomes_added"] == []
    assert "Already recorded as held" in second.json()["detail"]
    assert _outcomes(client, staff, "N-0001", "F0001") == history  # nothing added
    schedule = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()
    assert [m["held_at"] is not None for m in schedule["data"] if m["firm_id"] == "F0001" and m["buyer_id"] == "B001"] == [True]
    # A held schedule is history: scheduling again would lose it.
    again = client.post("/api/v1/events/EV-TEST/schedule", json={}, headers=staff)
    assert again.status_code == 409 and "recorded as held" in again.json()["detail"]
    unknown = client.post("/api/v1/events/EV-TEST/meetings/held", json={"buyer_id": "B001", "firm_id": "F0003"},
                          headers=staff)  # fmt: skip
    assert unknown.status_code == 404 and "no meeting of buyer B001 with firm F0003" in unknown.json()["detail"]
    missing = client.post("/api/v1/events/EV-NONE/meetings/held", json=held, headers=staff)
    assert missing.status_code == 404 and "Event EV-NONE not found" in missing.json()["detail"]


def test_a_pair_on_its_way_moves_on_and_a_pair_past_meeting_keeps_its_history(market, staff):
    client = market
    _scheduled(client, staff)
    for status in ("suggested", "contacted"):
        client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0001", "status": status},
                    headers=staff).raise_for_status()  # fmt: skip
    first = client.post("/api/v1/events/EV-TEST/meetings/held",
                        json={"buyer_id": "B001", "firm_id": "F0001", "held_at": "2026-03-12T09:00:00+07:00"},
                        headers=staff).json()  # fmt: skip
    assert first["outcomes_added"] == ["meeting"]
    rows = client.get("/api/v1/outcomes", params={"need_id": "N-0001", "firm_id": "F0001"}, headers=staff).json()
    meeting = [o["at"] for o in rows["data"] if o["status"] == "meeting"]
    assert len(meeting) == 1 and meeting[0].startswith("2026-03-12T02:00:00")  # Hanoi 09:00 is 02:00 UTC
    # B002 met F0002 (asked for by hand); that pair had reached a sample before the event.
    for status in ("suggested", "contacted", "meeting", "sample"):
        client.post("/api/v1/outcomes", json={"need_id": "N-0002", "firm_id": "F0002", "status": status},
                    headers=staff).raise_for_status()  # fmt: skip
    held = client.post("/api/v1/events/EV-TEST/meetings/held", json={"buyer_id": "B002", "firm_id": "F0002"},
                       headers=staff)  # fmt: skip
    assert held.status_code == 201 and held.json()["outcomes_added"] == []
    assert "already past 'meeting'" in held.json()["detail"] and held.json()["status"] == "sample"
    # F0003 is owed a meeting and B001 refused it: it meets B002, about B002's need only.
    wrong_need = client.post("/api/v1/events/EV-TEST/meetings/held",
                             json={"buyer_id": "B002", "firm_id": "F0003", "need_id": "N-0001"}, headers=staff)
    assert wrong_need.status_code == 422 and "belongs to buyer B001, not B002" in wrong_need.json()["detail"]
    assert _outcomes(client, staff, "N-0001", "F0003") == []


def test_the_report_counts_meetings_held_follow_ups_and_exposure(market, staff, analyst):
    client = market
    schedule = _scheduled(client, staff)
    report = client.get("/api/v1/events/EV-TEST/report", headers=analyst).json()
    registered = len(EVENT["firms"])
    met = {m["firm_id"] for m in schedule["data"]}
    assert report["meetings_scheduled"] == schedule["count"] and report["meetings_held"] == 0
    assert report["exposure_scheduled"]["registered_firms"] == registered
    assert report["exposure_scheduled"]["firms_with_meeting"] == len(met)
    assert report["exposure_scheduled"]["share_with_meeting"] == pytest.approx(len(met) / registered)
    assert report["exposure_held"] == {"registered_firms": registered, "firms_with_meeting": 0,
                                       "share_with_meeting": 0.0, "gini": 0.0}  # fmt: skip
    client.post("/api/v1/events/EV-TEST/meetings/held", json={"buyer_id": "B001", "firm_id": "F0001"},
                headers=staff).raise_for_status()  # fmt: skip
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0001", "status": "sample"},
                headers=staff).raise_for_status()  # fmt: skip
    report = client.get("/api/v1/events/EV-TEST/report", headers=analyst).json()
    assert report["meetings_held"] == 1
    assert report["follow_ups"] == {"sample": 1, "audit": 0, "order": 0, "rejected": 0}
    held = report["exposure_held"]
    # one of three registered firms met once: share 1/3, Gini of (0, 0, 1) = 2/3
    assert held["firms_with_meeting"] == 1 and held["share_with_meeting"] == pytest.approx(1 / 3, abs=1e-6)
    assert held["gini"] == pytest.approx(2 / 3, abs=1e-6)
    row = next(m for m in report["meetings"] if (m["buyer_id"], m["firm_id"]) == ("B001", "F0001"))
    assert row["held"] and row["furthest_after"] == "sample"


def test_what_cannot_be_placed_is_said_with_its_reason(market, staff):
    """F0003 away all day and a request the buyer's cap leaves no room for: a schedule that says so."""
    client = market
    firms = [{"firm_id": "F0001", "max_meetings": 2}, "F0002",
             {"firm_id": "F0003", "unavailable": ["D1-01", "D1-02", "D1-03"]}]
    buyers = [{"buyer_id": "B001", "needs": ["N-0001"], "max_meetings": 1}, {"buyer_id": "B002", "needs": ["N-0002"]}]
    requests = [{"buyer_id": "B001", "firm_id": "F0001"}, {"buyer_id": "B001", "firm_id": "F0002", "by": "firm"}]
    schedule = _scheduled(client, staff, event_id="EV-AWAY", firms=firms, buyers=buyers, requests=requests, refusals=[])
    check_schedule(schedule, event(firms=firms, buyers=buyers, refusals=[]))
    below = {row["firm_id"]: row["reason"] for row in schedule["firms_below_minimum"]}
    assert "unavailable in every slot" in below["F0003"]
    assert any("firm F0003 is unavailable in every slot" in w for w in schedule["warnings"])
    unplaced = {(r["buyer_id"], r["firm_id"]): r["reason"] for r in schedule["unplaced_requests"]}
    assert len(unplaced) == 1 and "buyer B001 has 2 requests for 1 meetings" in next(iter(unplaced.values()))


AWAY = {
    "event_id": "EV-AWAY",
    "firms": [{"firm_id": "F0001", "max_meetings": 2}, "F0002",
              {"firm_id": "F0003", "unavailable": ["D1-01", "D1-02", "D1-03"]}],
    "buyers": [{"buyer_id": "B001", "needs": ["N-0001"], "max_meetings": 1}, {"buyer_id": "B002", "needs": ["N-0002"]}],
    "requests": [{"buyer_id": "B001", "firm_id": "F0001"}, {"buyer_id": "B001", "firm_id": "F0002", "by": "firm"}],
    "refusals": [],
}


def forget_vietnamese(app, event_id: str) -> None:
    """Make the stored schedule of ``event_id`` as it was stored before ``reason_vi`` and ``warnings_vi``."""
    from api.storage.events import get_event
    from api.storage.session import transaction

    with transaction(app.state.sessionmaker) as session:
        record = get_event(session, event_id)
        summary = {k: v for k, v in record.schedule_summary.items() if k != "warnings_vi"}
        for key in ("firms_below_minimum", "unplaced_requests"):
            summary[key] = [{k: v for k, v in row.items() if k != "reason_vi"} for row in summary[key]]
        record.schedule_summary = summary  # a new dict: the JSON column tracks assignment only


def test_every_reason_and_warning_is_given_in_vietnamese_too_and_an_older_schedule_in_english(app, market, staff):
    client = market
    schedule = _scheduled(client, staff, **AWAY)
    rows = schedule["firms_below_minimum"] + schedule["unplaced_requests"]
    assert rows and all(row["reason_vi"] and row["reason_vi"] != row["reason"] for row in rows)
    below = {row["firm_id"]: (row["reason"], row["reason_vi"]) for row in schedule["firms_below_minimum"]}
    assert below["F0003"] == ("unavailable in every slot (bận cả ngày)", "bận ở mọi khung giờ")
    (unplaced,) = schedule["unplaced_requests"]
    assert unplaced["reason"] == "buyer B001 has 2 requests for 1 meetings (free slots or cap)"
    assert unplaced["reason_vi"].startswith("bên mua B001 có 2 yêu cầu gặp nhưng chỉ gặp được tối đa 1 buổi")
    assert schedule["warnings_vi"] == ["Doanh nghiệp F0003 bận ở mọi khung giờ: không xếp được buổi gặp nào."]
    assert "warnings_vi" not in schedule["summary"] and "warnings" not in schedule["summary"]

    forget_vietnamese(app, "EV-AWAY")
    older = client.get("/api/v1/events/EV-AWAY/schedule", headers=staff).json()
    for key in ("firms_below_minimum", "unplaced_requests"):
        assert [r["reason"] for r in older[key]] == [r["reason"] for r in schedule[key]]  # unchanged
        assert [r["reason_vi"] for r in older[key]] == [r["reason"] for r in older[key]]
    assert older["warnings"] == schedule["warnings"] and older["warnings_vi"] == older["warnings"]


def test_a_firm_deleted_after_the_event_was_stored_is_named_when_scheduling(market, staff):
    client = market
    assert client.post("/api/v1/events", json=event(), headers=staff).status_code == 201
    assert client.delete("/api/v1/firms/F0002", headers=staff).status_code in (200, 204)  # no history: allowed
    response = client.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": 5}, headers=staff)
    assert response.status_code == 422 and "['F0002']" in response.json()["detail"]
    assert "no longer in the database" in response.json()["detail"]
