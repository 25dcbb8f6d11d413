"""A meeting recorded as held by several requests at once adds its outcomes once (issue 13),
on SQLite and PostgreSQL, served by uvicorn (real concurrent connections)."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from api.app import create_app
from api.auth import create_key
from api.storage.session import transaction
from tests.api.conftest import bearer
from tests.api.test_events_api import event, write_market
from tests.api.test_outcome_concurrency import GUARD_SECONDS, _at_once, _free_port


def test_a_meeting_held_sent_at_once_is_recorded_once(settings):
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + GUARD_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        with transaction(app.state.sessionmaker) as session:
            staff = bearer(create_key(session, "staff")[1])
        base = f"http://127.0.0.1:{server.config.port}"
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
    finally:
        server.should_exit = True
        thread.join(timeout=GUARD_SECONDS)
        app.state.engine.dispose()
