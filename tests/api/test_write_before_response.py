"""A 201 means the write is stored: the request's transaction commits before the response.

The request's session used to be a request-scoped yield dependency, whose exit (the commit)
FastAPI runs after the response is sent: a client could read 201 while the row was not yet
in the database, and lose it if the commit then failed. The served app here commits slowly
(a patched ``Session.commit``), so a commit left until after the response is caught every time.
"""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.api.conftest import make_buyer, make_firm
from tests.api.test_reliability import REQUEST_TIMEOUT, _key, serve  # noqa: F401 (fixture)

SLOW_COMMIT_SECONDS = 0.5


@pytest.fixture
def slow_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    commit = Session.commit

    def slow_commit(self: Session) -> None:
        time.sleep(SLOW_COMMIT_SECONDS)
        commit(self)

    monkeypatch.setattr(Session, "commit", slow_commit)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_created_record_is_in_the_database_when_201_arrives(serve, settings, slow_commits):  # noqa: F811
    app, base = serve()
    staff = _key(app, "staff")
    path = settings.database_url.removeprefix("sqlite:///")
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        for firm_id, tax_code in (("F9001", "0100109106"), ("F9002", "0101248141")):
            created = client.post(f"{base}/firms", json=make_firm(firm_id=firm_id, tax_code=tax_code), headers=staff)
            assert created.status_code == 201, created.text
            # A second connection, straight after the answer: the row is already committed.
            with sqlite3.connect(path) as other:
                rows = other.execute("SELECT name FROM firms WHERE firm_id = ?", (firm_id,)).fetchall()
            assert rows == [(created.json()["name"],)], f"{firm_id} not stored when 201 arrived"
        buyer = client.post(f"{base}/buyers", json=make_buyer(buyer_id="B9001"), headers=staff)
        assert buyer.status_code == 201
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT count(*) FROM buyers WHERE buyer_id = 'B9001'").fetchone() == (1,)
