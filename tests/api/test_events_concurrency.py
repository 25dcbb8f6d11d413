"""A meeting recorded as held by several requests at once adds its outcomes once (issue 13),
on SQLite and PostgreSQL, served by uvicorn (real concurrent connections)."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.auth import create_key
from api.storage.session import transaction
from tests.api.conftest import bearer, served_in_thread
from tests.api.test_events_api import event, write_market
from tests.api.test_outcome_concurrency import GUARD_SECONDS, _at_once


def test_a_meeting_held_sent_at_once_is_recorded_once(settings):
    app = create_app(settings)
    with served_in_thread(app, timeout=GUARD_SECONDS) as base:
        with transaction(app.state.sessionmaker) as session:
            staff = bearer(create_key(session, "staff")[1])
        with httpx.Client(base_url=base, headers=staff, timeout=GUARD_SECONDS) as client:
            write_market(client, staff)
            assert client.post("/api/v1/events", json=event()).status_code == 201
            assert client.post("/api/v1/events/EV-TEST/schedule", json={"time_limit": 10}).status_code == 200
            held = {"buyer_id": "B001", "firm_id": "F0001"}
            answers = _at_once(6, lambda _: client.post("/api/v1/events/EV-TEST/meetings/held", json=held))
            codes = sorted(a.status_code for a in answers)
            assert codes == [200] * 5 + [201], [a.text for a in answers]
            outcomes = client.get("/api/v1/outcomes", params={"need_id": "N-0001", "firm_id": "F0001"}).json()
            assert [o["status"] for o in outcomes["data"]] == ["suggested", "contacted", "meeting"]
