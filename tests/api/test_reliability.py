"""No request can starve the others (issue 12): the real app served by uvicorn on 127.0.0.1.

Each test serves the app in a thread, sends concurrent requests from client threads and
bounds every wait with a generous timeout, so a regression fails instead of hanging; no
test asserts how fast anything is (speed is measured in ``benchmarks/``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import READ_ONLY, transaction
from tests.api.conftest import bearer, make_buyer, make_firm, served_in_thread

# Longest any single request of these tests may take before the test fails (not a speed goal:
# the stalls of issue 12 lasted the pool's 30 s timeout, and a deadlock forever).
REQUEST_TIMEOUT = 60.0


@pytest.fixture
def serve(settings: Settings) -> Iterator[Callable[..., tuple[object, str]]]:
    """``serve(**settings_overrides)`` serves a fresh app on 127.0.0.1; returns (app, base URL)."""
    with ExitStack() as running:

        def _serve(**overrides: object) -> tuple[object, str]:
            app = create_app(settings.model_copy(update=overrides))
            root = running.enter_context(served_in_thread(app, timeout=REQUEST_TIMEOUT))
            return app, f"{root}/api/v1"

        yield _serve


def _key(app, role: str) -> dict[str, str]:
    with transaction(app.state.sessionmaker) as session:
        return bearer(create_key(session, role)[1])


def _raw_request(base: str, head: str) -> tuple[int, dict]:
    """Send only the request line and headers ``head`` (no body); the status and JSON answered."""
    host, port = base.removeprefix("http://").split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        header, body = data.split(b"\r\n\r\n", 1)
        lines = header.decode("latin-1").split("\r\n")
        length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length:"))
        while len(body) < length:
            body += sock.recv(65536)
    return int(lines[0].split(" ")[1]), json.loads(body)


def _concurrently(requests: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Send all ``requests`` at once from their own threads; each bounded by REQUEST_TIMEOUT."""
    start = threading.Barrier(len(requests))

    def send(request: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait(timeout=REQUEST_TIMEOUT)
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(send, r) for r in requests]
        return [f.result(timeout=2 * REQUEST_TIMEOUT) for f in futures]


def test_wrong_keys_answer_401_while_the_pool_is_busy(serve):
    # Two pooled connections, both held by other work for the whole flood, and 40 clients at
    # once: before issue 12 each request held a connection while its key check waited for a
    # second one, and the flood answered 500 after the pool's 30 s timeout.
    app, base = serve(database_pool_size=2, queue_wait_seconds=30, auth_failures_per_minute=1000)
    staff = _key(app, "staff")
    held = [app.state.engine.connect().execution_options(**{READ_ONLY: True}) for _ in range(2)]
    try:
        for connection in held:
            connection.exec_driver_sql("SELECT 1")
        wrong = bearer("cnht_not-a-key")
        with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
            answers = _concurrently(
                [lambda: client.get(f"{base}/firms", headers=wrong)] * 36
                + [lambda: client.post(f"{base}/buyers", json=make_buyer(), headers=wrong)] * 2
                + [lambda: client.get(f"{base}/firms", headers=staff)] * 2
            )
    finally:
        for connection in held:
            connection.close()
    statuses = [a.status_code for a in answers]
    assert statuses[:38] == [401] * 38, statuses
    assert all("Unknown or revoked API key" in a.json()["detail"] for a in answers[:38])
    assert statuses[38:] == [200, 200]
    # The refused POSTs wrote nothing.
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        assert client.get(f"{base}/buyers", headers=staff).json()["count"] == 0


def test_a_busy_ranking_answers_503_with_retry_after_then_ranks(serve):
    app, base = serve(ranking_concurrency=1, queue_wait_seconds=0.5)
    staff = _key(app, "staff")
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        assert client.post(f"{base}/firms", json=make_firm(), headers=staff).status_code == 201
        need = {"description": "ép nhựa ABS injection moulding", "k": 5}
        # The only ranking slot is taken (as by a long ranking) for longer than the queue wait.
        with app.state.ranking.slot():
            busy = client.post(f"{base}/match", json=need, headers=staff)
            # Other requests still answer while ranking is saturated.
            assert client.get(f"{base}/firms", headers=staff).status_code == 200
            assert client.get(f"{base}/health").status_code == 200
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert "ranking_concurrency" in busy.json()["detail"]
        assert "queue_wait_seconds" in busy.json()["detail"]
        ranked = client.post(f"{base}/match", json=need, headers=staff)
    assert ranked.status_code == 200, ranked.text
    assert [e["firm_id"] for e in ranked.json()["data"]] == ["F0001"]


def test_concurrent_rankings_beyond_the_slots_are_served_or_told_to_retry(serve):
    app, base = serve(ranking_concurrency=1, queue_wait_seconds=30)
    staff = _key(app, "staff")
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        for n in range(1, 4):
            firm = make_firm(firm_id=f"F000{n}", tax_code=None, name=f"Công ty ép nhựa {n}")
            assert client.post(f"{base}/firms", json=firm, headers=staff).status_code == 201, n
        need = {"description": "ép nhựa ABS injection moulding", "k": 3}
        answers = _concurrently([lambda: client.post(f"{base}/match", json=need, headers=staff)] * 8)
    # One slot, a queue wait longer than eight rankings: all are served, one after another.
    assert [a.status_code for a in answers] == [200] * 8
    assert len({tuple(e["firm_id"] for e in a.json()["data"]) for a in answers}) == 1


def test_requests_waiting_past_the_queue_wait_for_a_connection_answer_503(serve, settings):
    # One connection, held by a write that waits for a lock the test holds; the next request
    # (even one with a wrong key) waits for the connection no longer than the queue wait.
    app, base = serve(database_pool_size=1, queue_wait_seconds=0.5)
    staff = _key(app, "staff")
    blocker = app.state.engine.connect()
    if blocker.dialect.name == "sqlite":
        blocker.exec_driver_sql("SELECT 1")  # begins with BEGIN IMMEDIATE: the write lock
    else:
        blocker.exec_driver_sql("LOCK TABLE buyers IN ACCESS EXCLUSIVE MODE")
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client, ThreadPoolExecutor(1) as pool:
        try:
            write = pool.submit(client.post, f"{base}/buyers", json=make_buyer(), headers=staff)
            deadline = time.monotonic() + REQUEST_TIMEOUT
            while True:  # until the write holds the connection (it then waits for the lock)
                refused = client.get(f"{base}/firms", headers=bearer("cnht_not-a-key"))
                if refused.status_code != 401 or time.monotonic() > deadline:
                    break
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "1"
            assert "database_pool_size" in refused.json()["detail"]
            assert client.get(f"{base}/health").status_code == 200
        finally:
            blocker.rollback()
            blocker.close()
        assert write.result(timeout=REQUEST_TIMEOUT).status_code == 201
        assert client.get(f"{base}/firms", headers=bearer("cnht_not-a-key")).status_code == 401


def test_ready_answers_once_the_database_answers_and_the_matcher_is_fitted(serve, settings):
    app, base = serve()
    staff = _key(app, "staff")
    dialect = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        empty = client.get(f"{base}/ready")
        assert empty.status_code == 200, empty.text
        assert empty.json() == {"status": "ready", "database": dialect,
                                "matcher": "none (no firms yet)"}  # fmt: skip
        assert client.post(f"{base}/firms", json=make_firm(), headers=staff).status_code == 201
        deadline = time.monotonic() + REQUEST_TIMEOUT
        answer = client.get(f"{base}/ready")
        while answer.status_code == 503 and time.monotonic() < deadline:
            # Not fitted yet: the reason and when to retry, and a fit runs in the background.
            assert "matcher is not fitted yet" in answer.json()["detail"]
            assert int(answer.headers["Retry-After"]) >= 1
            time.sleep(0.2)
            answer = client.get(f"{base}/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json()["matcher"].startswith("SupplierMatcher-")
    assert app.state.ranking.fitted.matcher.n_firms_fit_ == 1


def test_ready_answers_503_naming_the_database_when_it_is_unreachable(tmp_path):
    # A database file in a folder that does not exist cannot be opened.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'cnht.db'}")
    app = create_app(settings, migrate_database=False)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        answer = client.get("/api/v1/ready")
        assert client.get("/api/v1/health").status_code == 200
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("The database is unreachable (OperationalError")
    assert answer.headers["Retry-After"] == "2"
    app.state.engine.dispose()


def test_a_body_without_a_key_is_refused_before_it_is_read(serve):
    _app, base = serve()
    # 200 MB announced, none sent: the answer comes without the server waiting for the body.
    status, body = _raw_request(base, "POST /api/v1/firms HTTP/1.1\nHost: x\n"
                                      "Content-Type: application/json\nContent-Length: 200000000\n")  # fmt: skip
    assert status == 401 and "the body was not read" in body["detail"]


def test_bodies_over_the_limit_answer_413_naming_it(serve):
    app, base = serve(max_body_bytes=1000)
    staff = _key(app, "staff")
    status, body = _raw_request(base, "POST /api/v1/firms HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                      f"Authorization: {staff['Authorization']}\nContent-Length: 200000000\n")  # fmt: skip
    assert status == 413 and "1,000 bytes (max_body_bytes)" in body["detail"]

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(100):
            yield b" " * 100

    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        streamed = client.post(f"{base}/firms", content=chunks(),
                               headers={**staff, "Content-Type": "application/json"})  # fmt: skip
        assert streamed.status_code == 413 and "max_body_bytes" in streamed.json()["detail"]
        small = client.post(f"{base}/firms", json=make_firm(description="ép nhựa"), headers=staff)
        assert small.status_code == 201, small.text


def test_failed_authentication_is_rate_limited_per_client_with_429(serve):
    app, base = serve(auth_failures_per_minute=3)
    staff = _key(app, "staff")
    wrong = bearer("cnht_not-a-key")
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        statuses = [client.get(f"{base}/firms", headers=wrong).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        limited = client.get(f"{base}/firms", headers=staff)  # the address, not the key, is limited
        assert limited.status_code == 429
        assert "auth_failures_per_minute" in limited.json()["detail"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert client.get(f"{base}/health").status_code == 200
        assert client.get(f"{base}/ready").status_code == 200
