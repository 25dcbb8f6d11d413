"""Every answer names its request and carries the security headers; a bug is a 500 that shows
nothing of the code (issue 12, :mod:`api.request_context`)."""

from __future__ import annotations

import logging

import pytest

from api.request_context import API_POLICY, PAGE_POLICY, KeyValueFormatter, RequestIdFilter
from api.routes import firms as firm_routes
from api.routes import imports as import_routes
from tests.api.conftest import bearer

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def test_the_request_id_comes_back_and_is_in_every_error_body(client, staff):
    given = client.get("/api/v1/firms", headers={**staff, "X-Request-ID": "office-42.a_b"})
    assert given.status_code == 200
    assert given.headers["X-Request-ID"] == "office-42.a_b"
    made_up = client.get("/api/v1/firms", headers={**staff, "X-Request-ID": "bad id!" * 20})
    assert made_up.headers["X-Request-ID"] != "bad id!" * 20
    assert len(made_up.headers["X-Request-ID"]) == 32
    for answer in (
        client.get("/api/v1/firms"),  # 401 from the key check
        client.get("/api/v1/firms", headers=bearer("cnht_wrong")),
        client.get("/api/v1/firms/F404", headers=staff),  # 404
        client.get("/api/v1/firms?limit=0", headers=staff),  # 422
        client.post("/api/v1/firms", content=b"x" * 2_000_000, headers=staff),  # 413 (middleware)
        client.get("/api/v1/nowhere"),  # Starlette's 404
    ):
        assert answer.status_code >= 400
        body = answer.json()
        assert body["request_id"] == answer.headers["X-Request-ID"], (answer.status_code, body)
        assert body["detail"]
        assert int(answer.headers["content-length"]) == len(answer.content)


def test_security_headers_on_api_answers_pages_and_static_files(client, staff):
    for answer, policy in (
        (client.get("/api/v1/health"), API_POLICY),
        (client.get("/api/v1/firms"), API_POLICY),
        (client.get("/openapi.json"), API_POLICY),
        (client.get("/docs"), PAGE_POLICY),
        (client.get("/login"), PAGE_POLICY),
    ):
        assert answer.status_code in (200, 401), answer.request.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Content-Security-Policy"] == policy, answer.request.url
        assert "frame-ancestors 'none'" in policy


def test_a_bug_is_a_500_with_the_request_id_and_nothing_of_the_code(client, staff, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("/srv/cnht/secret.py line 12 went wrong")

    monkeypatch.setattr(firm_routes.repo, "list_firms", broken)
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="api.requests"):
        answer = client.get("/api/v1/firms", headers={**staff, "X-Request-ID": "bug-1"})
    assert answer.status_code == 500
    assert answer.json()["request_id"] == "bug-1"
    assert "bug-1" in answer.json()["detail"]
    for leak in ("RuntimeError", "/srv", "secret", "Traceback", ".py"):
        assert leak not in answer.text
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # The log has the traceback and the request line, both with the request ID.
    errors = [r for r in caplog.records if "unhandled_error" in r.getMessage()]
    assert errors and errors[0].request_id == "bug-1" and errors[0].exc_info
    requests = [r for r in caplog.records if r.getMessage().startswith("event=request")]
    assert requests[-1].request_id == "bug-1" and "status=500" in requests[-1].getMessage()
    line = KeyValueFormatter().format(errors[0])
    assert "request_id=bug-1" in line and "RuntimeError" in line


def test_imports_answer_422_for_a_bad_file_and_500_for_a_bug(client, staff, monkeypatch):
    bad = client.post("/api/v1/imports/firms", files={"file": ("firms.xlsx", b"PK\x03\x04 not a zip")},
                      headers=staff)  # fmt: skip
    assert bad.status_code == 422, bad.text
    assert "request_id" in bad.json()

    def broken(*_args, **_kwargs):
        raise KeyError("internal column")

    monkeypatch.setattr(import_routes, "read_table", broken)
    answer = client.post("/api/v1/imports/firms", files={"file": ("firms.csv", b"firm_id,name\nF1,A\n")},
                         headers={**staff, "X-Request-ID": "imp-7"})  # fmt: skip
    assert answer.status_code == 500
    assert "KeyError" not in answer.text and "internal column" not in answer.text
    jobs = client.get("/api/v1/imports", headers=staff).json()["data"]
    assert jobs[0]["status"] == "failed"
    assert jobs[0]["error"] == "internal error while reading (request ID imp-7)"
