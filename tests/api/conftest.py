"""Fixtures of the service tests: one app per test on SQLite and on PostgreSQL.

Each PostgreSQL test gets a schema of its own (``search_path``) that is dropped afterwards,
so parallel runs never collide; each SQLite test gets a file in ``tmp_path`` (WAL needs a
file, not ``:memory:``).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path) -> Iterator[Settings]:
    """Settings of a fresh, empty database on the parametrized backend."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'cnht.db'}", max_upload_bytes=20_000,
                       max_upload_rows=50)  # fmt: skip
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"cnht_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        # A models folder of the test's own: never a models/ that a `cnht train` left in the clone.
        yield Settings(database_url=url, database_schema=schema, max_upload_bytes=20_000,
                       max_upload_rows=50, models_dir=str(tmp_path / "models"))  # fmt: skip
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the time of the call."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_in_thread(app, *, timeout: float = 60.0) -> Iterator[str]:
    """``app`` served by uvicorn (real connections) on a free port of 127.0.0.1, in a thread;
    yields ``http://127.0.0.1:PORT``. On exit the server stops and the app's engine is
    disposed. ``timeout`` bounds the start and the stop (a hang guard, not a speed goal)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        app.state.engine.dispose()


@pytest.fixture
def app(settings: Settings):
    """The service on the test database, migrated to head."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """An HTTP client without credentials."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_key(app) -> Callable[..., str]:
    """``make_key(role, firm_id=None)`` creates a key through the storage layer and returns it."""

    def _make(role: str, firm_id: str | None = None) -> str:
        with transaction(app.state.sessionmaker) as session:
            return create_key(session, role, firm_id)[1]

    return _make


def bearer(key: str) -> dict[str, str]:
    """Authorization header of ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def staff(make_key) -> dict[str, str]:
    """Headers of a staff key."""
    return bearer(make_key("staff"))


@pytest.fixture
def analyst(make_key) -> dict[str, str]:
    """Headers of an analyst key."""
    return bearer(make_key("analyst"))


def make_firm(**overrides: Any) -> dict[str, Any]:
    """A valid FirmCreate payload; ``overrides`` replace fields."""
    firm = {
        "firm_id": "F0001",
        "name": "Công ty TNHH Cơ khí Chính xác Hòa Bình",
        "tax_code": "0100109106",
        "district": "Đông Anh",
        "sectors": "cơ khí",
        "description": "Gia công CNC phay tiện, ép nhựa ABS, khuôn mẫu",
        "products": "vỏ nhựa, bánh răng",
        "employees": 120,
        "monthly_capacity": 50000,
        "ownership": "domestic_private",
        "certifications": [
            {"code": "iso_9001", "version": "2015", "valid_until": "2099-12-31",
             "issuer": "QUACERT", "verified": True},
        ],
    }  # fmt: skip
    firm.update(overrides)
    return firm


def make_buyer(**overrides: Any) -> dict[str, Any]:
    """A valid BuyerCreate payload."""
    buyer = {"buyer_id": "B001", "name": "Canon Vietnam Thăng Long", "country": "JP",
             "park_id": "thang_long", "sector": "electronics"}  # fmt: skip
    buyer.update(overrides)
    return buyer


def make_need(**overrides: Any) -> dict[str, Any]:
    """A valid NeedCreate payload (with confidential fields)."""
    need = {
        "need_id": "N-0001",
        "buyer_id": "B001",
        "title": "Vỏ nhựa ABS ép phun cho máy in",
        "description": "Injection moulding of ABS housings, tolerance 0.05 mm",
        "sector": "electronics",
        "processes": "injection_moulding",
        "materials": "abs",
        "mandatory_certifications": "iso_9001",
        "annual_volume": 200000,
        "target_price_usd": 0.42,
        "internal_notes": "Buyer prefers suppliers near Thang Long",
    }
    need.update(overrides)
    return need


def refuse_insert_of(app, firm_id: str) -> None:
    """Install a database trigger that refuses the insert of ``firm_id`` (SQLite or PostgreSQL)."""
    with app.state.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON firms WHEN NEW.firm_id = '{firm_id}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.firm_id = '{firm_id}' THEN RAISE EXCEPTION 'refused by test trigger'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON firms FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


def record_firms_on(app, day: dt.date) -> None:
    """Date every stored firm's record ``day`` (noon in Hanoi), as if entered then.

    The figures of a past day count the firms in the field that day (recorded by then,
    :func:`api.storage.certificate_dates.firms_in_field`); a test asking about a past day with
    firms it has just stored dates them first.
    """
    moment = dt.datetime.combine(day, dt.time(5, 0), tzinfo=dt.UTC)
    from api.storage.models import Firm

    with app.state.engine.begin() as conn:
        conn.execute(sa.update(Firm).values(created_at=moment))


def make_shortlist_entry(app, need_id: str = "N-0001", firm_id: str = "F0001") -> int:
    """Store a one-entry shortlist run of ``need_id`` with ``firm_id`` first; returns the entry's id."""
    from api.storage.models import ShortlistEntry, ShortlistRun

    with transaction(app.state.sessionmaker) as session:
        run = ShortlistRun(need_id=need_id, model_version="test-1", k=1)
        session.add(run)
        session.flush()
        entry = ShortlistEntry(run_id=run.id, need_id=need_id, firm_id=firm_id, rank=1, score=0.87,
                               components={"process_fit": 0.5}, reasons=["ép nhựa ↔ injection moulding"],
                               model_version="test-1")  # fmt: skip
        session.add(entry)
        session.flush()
        return entry.id
