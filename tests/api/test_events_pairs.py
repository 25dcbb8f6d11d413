"""Requests and refusals changed by hand on a stored event (:func:`api.storage.events.change_pair`,
the event page's forms) and the stored schedule read back as a Schedule (:func:`schedule_of`),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from api.storage import events as store
from api.storage.errors import ConflictError
from api.storage.session import transaction
from tests.api.test_events_api import EVENT, check_schedule, market  # noqa: F401 - the fixture


@pytest.fixture
def stored(market, staff, app):  # noqa: F811 - the imported fixture
    assert market.post("/api/v1/events", json=EVENT, headers=staff).status_code == 201
    return app.state.sessionmaker


def _definition(factory) -> dict:
    with transaction(factory) as session:
        return store.get_event(session, "EV-TEST").definition


def test_a_refusal_replaces_the_requests_and_a_refused_pair_cannot_be_requested(stored):
    with transaction(stored) as session:
        said = store.change_pair(session, "EV-TEST", "B002", "F0002", "refuse", by="staff:test")
    assert said == "Refusal added (its requests removed)."
    definition = _definition(stored)
    assert definition["requests"] == [] and ["B002", "F0002"] in definition["refusals"]
    with transaction(stored) as session, pytest.raises(store.EventInvalidError, match="lift the refusal first"):
        store.change_pair(session, "EV-TEST", "B002", "F0002", "request_buyer", by="staff:test")
    with transaction(stored) as session:
        assert store.change_pair(session, "EV-TEST", "B002", "F0002", "refuse", by="staff:test") == "unchanged"
        store.change_pair(session, "EV-TEST", "B002", "F0002", "lift_refusal", by="staff:test")
        store.change_pair(session, "EV-TEST", "B002", "F0002", "request_buyer", by="staff:test")
        store.change_pair(session, "EV-TEST", "B002", "F0002", "request_firm", by="staff:test")
    definition = _definition(stored)
    assert definition["requests"] == [{"buyer_id": "B002", "firm_id": "F0002", "by": "buyer"},
                                      {"buyer_id": "B002", "firm_id": "F0002", "by": "firm"}]  # fmt: skip
    assert ["B002", "F0002"] not in definition["refusals"]


@pytest.mark.parametrize(("buyer_id", "firm_id", "change", "words"), [
    ("B009", "F0001", "refuse", "buyer 'B009' is not a participant"),
    ("B001", "F0009", "refuse", "firm 'F0009' is not a participant"),
    ("B001", "F0001", "drop", "Expected a change among"),
])  # fmt: skip
def test_bad_changes_name_the_problem_and_change_nothing(stored, buyer_id, firm_id, change, words):
    with transaction(stored) as session, pytest.raises(store.EventInvalidError, match=words):
        store.change_pair(session, "EV-TEST", buyer_id, firm_id, change, by="staff:test")
    definition = _definition(stored)
    assert definition["requests"] == EVENT["requests"] and definition["refusals"] == EVENT["refusals"]


def test_a_change_discards_the_schedule_and_a_held_schedule_refuses_changes(stored, market, staff):  # noqa: F811
    scheduled = market.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": 10}, headers=staff).json()
    check_schedule(scheduled, EVENT)
    with transaction(stored) as session:
        schedule, names = store.schedule_of(session, "EV-TEST")
    assert len(schedule.meetings) == scheduled["count"] and schedule.status == scheduled["status"]
    assert schedule.objective == pytest.approx(scheduled["objective"]) and names["B001"] == "Canon Vietnam"
    with transaction(stored) as session:
        said = store.change_pair(session, "EV-TEST", "B001", "F0001", "request_firm", by="staff:test")
    assert said.endswith("the schedule computed before was discarded.")
    assert market.get("/api/v1/events/EV-TEST/schedule", headers=staff).status_code == 404
    meeting = market.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": 10}, headers=staff).json()["data"][0]
    held = market.post("/api/v1/events/EV-TEST/meetings/held", headers=staff,
                       json={"buyer_id": meeting["buyer_id"], "firm_id": meeting["firm_id"]})  # fmt: skip
    assert held.status_code == 201
    with transaction(stored) as session, pytest.raises(ConflictError, match="recorded as held"):
        store.change_pair(session, "EV-TEST", "B001", "F0002", "refuse", by="staff:test")
    assert market.get("/api/v1/events/EV-TEST/schedule", headers=staff).status_code == 200
