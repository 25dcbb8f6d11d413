"""The outcome state machine under concurrent moves and future-dated events (issue 12).

The app is served by uvicorn on 127.0.0.1 (a real server, real concurrent connections) on
SQLite and PostgreSQL. Every wait is bounded by a generous guard so a deadlock fails the
test instead of hanging it; nothing here asserts a speed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage import repository as repo
from api.storage.models import Outcome
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need, served_in_thread

GUARD_SECONDS = 60.0  # longest one request may take: a hang guard, not a speed goal


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """(app, base URL, staff headers) of the app served on 127.0.0.1 with one need, one
    buyer and 40 firms (F0001-F0040)."""
    app = create_app(settings.model_copy(update={"max_upload_rows": 1000, "max_upload_bytes": 1 << 20}))
    with served_in_thread(app, timeout=GUARD_SECONDS) as root:
        base = f"{root}/api/v1"
        with transaction(app.state.sessionmaker) as session:
            staff = bearer(create_key(session, "staff")[1])
        with httpx.Client(base_url=base, headers=staff, timeout=GUARD_SECONDS) as client:
            assert client.post("/buyers", json=make_buyer()).status_code == 201
            assert client.post("/needs", json=make_need()).status_code == 201
            for n in range(1, 41):
                firm = make_firm(firm_id=f"F{n:04d}", tax_code=None, certifications=[])
                assert client.post("/firms", json=firm).status_code == 201
        yield app, base, staff


def _at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(i)`` for i < count in threads released together; the results, in order."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=GUARD_SECONDS)
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return [f.result(timeout=2 * GUARD_SECONDS) for f in futures]


def _statuses(app, need_id: str, firm_id: str, expected: int | None = None) -> list[str]:
    """The pair's recorded statuses, in recording order.

    With ``expected``, waits (within the guard) until that many are stored: the request's
    session commits after its answer was sent (api.deps.get_session is a request-scoped
    dependency), so the last 201 may be read before its commit.
    """
    deadline = time.monotonic() + GUARD_SECONDS
    while True:
        with transaction(app.state.sessionmaker) as session:
            rows = session.query(Outcome).filter_by(need_id=need_id, firm_id=firm_id)
            statuses = [o.status for o in rows.order_by(Outcome.id)]
        if expected is None or len(statuses) >= expected or time.monotonic() > deadline:
            return statuses
        time.sleep(0.05)


def test_twenty_concurrent_moves_apply_exactly_once(served):
    app, base, staff = served
    pair = {"need_id": "N-0001", "firm_id": "F0001"}

    def move(status: str, reason: str | None = None) -> Callable[[int], int]:
        def call(_i: int) -> int:
            body = {**pair, "status": status, "reason": reason}
            return httpx.post(f"{base}/outcomes", json=body, headers=staff, timeout=GUARD_SECONDS).status_code
        return call

    path = ["suggested", "contacted", "meeting", "sample", "audit", "order"]
    for status in path:  # 20 requests making the same move: it applies once
        codes = _at_once(20, move(status))
        assert sorted(codes) == [201] + [409] * 19, (status, codes)
    # 'order' is final: 20 rejections (each legal from every status but a final one) all fail.
    assert _at_once(20, move("rejected", "price")) == [409] * 20
    assert _statuses(app, **pair, expected=len(path)) == path


def test_a_future_dated_event_cannot_reopen_moves(served):
    app, base, staff = served
    pair = {"need_id": "N-0001", "firm_id": "F0002"}
    # An event stored with a date in 2199 (as imports could store before issue 12).
    with transaction(app.state.sessionmaker) as session:
        repo.record_outcome(session, **pair, status="suggested", reason=None, by="import",
                            at=dt.datetime(2199, 1, 1, tzinfo=dt.UTC))  # fmt: skip
    with httpx.Client(base_url=base, headers=staff, timeout=GUARD_SECONDS) as client:
        first = client.post("/outcomes", json={**pair, "status": "contacted"})
        assert first.status_code == 201, first.text
        for _ in range(3):
            again = client.post("/outcomes", json={**pair, "status": "contacted"})
            assert again.status_code == 409 and again.json()["current"] == "contacted"
        assert client.post("/outcomes", json={**pair, "status": "meeting"}).status_code == 201
    assert _statuses(app, **pair, expected=3) == ["suggested", "contacted", "meeting"]


def test_an_import_refuses_a_future_dated_event(served):
    app, base, staff = served
    rows = ("need_id,firm_id,status,at,by\n"
            "N-0001,F0003,suggested,01/01/2025,an\n"
            "N-0001,F0003,contacted,01/01/2199,an\n")  # fmt: skip
    answer = httpx.post(f"{base}/imports/outcomes", headers=staff, timeout=GUARD_SECONDS,
                        files={"file": ("outcomes.csv", rows.encode(), "text/csv")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["inserted"], body["rejected"]) == (1, 1)
    [reject] = [r for r in body["rejects"] if r["scope"] == "row"]
    assert reject["column"] == "at" and "in the future" in reject["reason"]
    assert _statuses(app, "N-0001", "F0003") == ["suggested"]


def test_an_outcomes_import_and_concurrent_moves_never_both_apply(served):
    """An import moving 40 pairs to 'contacted' while 40 requests move the same pairs: every
    pair ends with exactly one 'contacted' (on PostgreSQL the import holds the outcome-import
    lock from loading the history to committing; on SQLite the write lock)."""
    app, base, staff = served
    firms = [f"F{n:04d}" for n in range(1, 41)]
    with transaction(app.state.sessionmaker) as session:
        for firm_id in firms:
            repo.record_outcome(session, "N-0001", firm_id, "suggested", reason=None, by="test")
    file = "need_id,firm_id,status,at,by\n" + "".join(f"N-0001,{f},contacted,01/01/2025,an\n" for f in firms)

    def work(i: int) -> Any:
        if i == 0:
            return httpx.post(f"{base}/imports/outcomes", headers=staff, timeout=GUARD_SECONDS,
                              files={"file": ("o.csv", file.encode(), "text/csv")})  # fmt: skip
        body = {"need_id": "N-0001", "firm_id": firms[i - 1], "status": "contacted"}
        return httpx.post(f"{base}/outcomes", json=body, headers=staff, timeout=GUARD_SECONDS)

    answers = _at_once(41, work)
    imported = answers[0].json()
    assert answers[0].status_code == 200, answers[0].text
    moved = sum(a.status_code == 201 for a in answers[1:])
    assert all(a.status_code in (201, 409) for a in answers[1:])
    assert imported["inserted"] + moved == 40 and imported["rejected"] == 40 - imported["inserted"]
    for firm_id in firms:
        assert _statuses(app, "N-0001", firm_id, expected=2) == ["suggested", "contacted"], firm_id
