"""GET /kpi, migrations in step with the models, demo seeding and `cnht serve`."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.demo import seed_demo
from api.storage.models import Base
from api.storage.session import make_engine, migrate, transaction
from features.ingest import read_firms
from tests.api.conftest import bearer, make_buyer, make_firm, make_need, record_firms_on

AS_OF = "2026-06-01"


def _firm(client, staff, firm_id, sectors, certifications):
    payload = make_firm(firm_id=firm_id, tax_code=None, sectors=sectors, description=None,
                        products=None, certifications=certifications)  # fmt: skip
    assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
    record_firms_on(client.app, dt.date.fromisoformat(AS_OF) - dt.timedelta(days=30))


def test_kpi_counts_known_by_construction(client, staff, analyst, make_key):
    _firm(client, staff, "F0001", "cơ khí", [{"code": "iso_9001", "valid_until": "2099-12-31", "verified": True}])  # fmt: skip
    _firm(client, staff, "F0002", "điện tử", [{"code": "amfori_bsci", "valid_until": "2099-12-31"}])
    _firm(client, staff, "F0003", "điện tử; cơ khí", [{"code": "iso_14001", "valid_until": "2026-07-15"}])  # fmt: skip
    _firm(client, staff, "F0004", "dệt may", [{"code": "iatf_16949", "valid_until": "2025-01-01"}])
    client.post("/api/v1/buyers", json=make_buyer(), headers=staff)
    client.post("/api/v1/needs", json=make_need(), headers=staff)
    for status in ("suggested", "contacted", "meeting"):
        client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0001", "status": status}, headers=staff)  # fmt: skip
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0002", "status": "suggested"}, headers=staff)  # fmt: skip
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0002", "status": "rejected", "reason": "no capacity"}, headers=staff)  # fmt: skip

    answer = client.get("/api/v1/kpi", params={"as_of": AS_OF}, headers=analyst)
    assert answer.status_code == 200, answer.text
    kpi = answer.json()
    assert kpi["firms_total"] == 4 and kpi["firms_target"] == 900
    assert kpi["firms_by_sector"] == {"electronics": 2, "mechanical": 2, "textile_garment": 1}
    # iso_9001 (F0001) and iso_14001 still valid (F0003); BSCI is not an international standard
    # and F0004's IATF expired.
    assert kpi["firms_international_certified"] == 2
    assert kpi["international_certified_target"] == 400
    assert kpi["firms_connected_to_multinationals"] == 1
    # Pairs that reached each stage or beyond: F0001 (meeting) and F0002 (suggested, rejected).
    assert kpi["outcome_funnel"] == {"suggested": 2, "contacted": 1, "meeting": 1, "sample": 0,
                                     "audit": 0, "order": 0, "rejected": 1}  # fmt: skip
    assert kpi["certificates_expiring_90_days"] == 1  # F0003's ISO 14001 on 2026-07-15
    later = client.get("/api/v1/kpi", params={"as_of": "2026-07-16"}, headers=staff).json()
    assert later["firms_international_certified"] == 1
    assert client.get("/api/v1/kpi", headers=bearer(make_key("firm", "F0001"))).status_code == 403


def test_kpi_follows_certificate_changes_after_an_answer(client, staff):
    """The certificate counts are kept between answers; a firm's write renews them."""
    _firm(client, staff, "F0001", "cơ khí", [{"code": "iso_9001", "valid_until": "2099-12-31"}])
    kpi = client.get("/api/v1/kpi", params={"as_of": AS_OF}, headers=staff).json()
    assert kpi["firms_international_certified"] == 1 and kpi["certificates_expiring_90_days"] == 0
    expiring = [{"code": "iso_9001", "valid_until": "2026-07-01"}]
    answer = client.patch("/api/v1/firms/F0001", json={"certifications": expiring}, headers=staff)
    assert answer.status_code == 200, answer.text
    kpi = client.get("/api/v1/kpi", params={"as_of": AS_OF}, headers=staff).json()
    assert kpi["firms_international_certified"] == 1 and kpi["certificates_expiring_90_days"] == 1
    _firm(client, staff, "F0002", "điện tử", [{"code": "iso_14001", "valid_until": "2099-12-31"}])
    kpi = client.get("/api/v1/kpi", params={"as_of": AS_OF}, headers=staff).json()
    assert kpi["firms_international_certified"] == 2
    assert client.delete("/api/v1/firms/F0001", headers=staff).status_code in (200, 204)
    kpi = client.get("/api/v1/kpi", params={"as_of": AS_OF}, headers=staff).json()
    assert kpi["firms_international_certified"] == 1 and kpi["certificates_expiring_90_days"] == 0


def test_migrations_match_the_models(app):
    with app.state.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_parameters_with_nul_answer_422(client, staff):
    answer = client.get("/api/v1/firms", params={"q": "a\x00b"}, headers=staff)
    assert answer.status_code == 422 and "'q'" in answer.json()["detail"]


DEMO = {
    "buyers.csv": "buyer_id,name,country,park_id,sector\nB001,Demo Buyer,JP,thang_long,electronics\n",
    "firms.csv": "firm_id,name,description,certifications\nF0001,Công ty Demo,Ép nhựa,ISO 9001 hết hạn 12/2099\nF0002,Công ty Demo 2,Dập,\n",
    "needs.csv": "need_id,buyer_id,title,processes\nN-0001,B001,Vỏ nhựa,injection_moulding\n",
    "outcomes.csv": "need_id,firm_id,status,reason,at,by\nN-0001,F0001,suggested,,2026-01-05 09:00,demo\n",
}


def test_seed_demo_fills_an_empty_database_once(app, tmp_path):
    for name, content in DEMO.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    counts = seed_demo(app.state.sessionmaker, tmp_path)
    assert {kind: c.inserted for kind, c in counts.items()} == {"buyers": 1, "firms": 2, "needs": 1, "outcomes": 1}  # fmt: skip
    assert seed_demo(app.state.sessionmaker, tmp_path) is None  # not empty any more


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response from ``sock`` (headers, then Content-Length bytes of body): a
    busy server may send the headers and the body in two segments; b"" when the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.slow
def test_cnht_serve_migrates_seeds_and_serves(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    for name, content in DEMO.items():
        (demo / name).write_text(content, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "CNHT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "CNHT_DEMO_FOLDER": str(demo)}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port), "--demo"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        health = None
        for _ in range(200):  # wait for the server to come up, whatever the machine's speed
            if process.poll() is not None:
                break
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json() == {"status": "ok", "database": "sqlite"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/firms").status_code == 401
        # An idle keep-alive connection outlives a client's own 5 s expiry (httpx's default,
        # uvicorn's too: reusing one just as the server closes it dropped a request).
        request = f"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for pause in (0, 6):
                time.sleep(pause)
                sock.sendall(request)
                assert _response(sock).startswith(b"HTTP/1.1 200"), f"closed after {pause} s idle"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "demo firms: 2 inserted" in output
    assert f"http://127.0.0.1:{port}" in output and "cnht keys create --role staff" in output


@pytest.mark.slow
def test_cnht_serve_with_two_workers_serves_once_both_are_fitted(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    for name, content in DEMO.items():
        (demo / name).write_text(content, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "CNHT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "CNHT_DEMO_FOLDER": str(demo)}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port),
             "--demo", "--workers", "2"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if log.read_text().count("Application startup complete") >= 2:
                break
            time.sleep(0.2)
        text = log.read_text()
        assert text.count("Fitted SupplierMatcher") == 2, text  # each worker fits its own
        for _ in range(6):  # fresh connections, whichever worker takes them
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
                assert http.get("/api/v1/ready").json()["status"] == "ready"
                assert http.get("/api/v1/firms").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    assert "demo firms: 2 inserted" in text and "2 worker processes" in text
    assert text.count("demo firms") == 1  # seeded once, by the parent


def test_cnht_serve_refuses_workers_on_an_in_memory_database(monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app as cli

    monkeypatch.setenv("CNHT_DATABASE_URL", "sqlite:///:memory:")
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 2 and "in-memory" in result.output


@pytest.mark.slow
def test_real_demo_data_seeds_and_reimports_unchanged(tmp_path):
    folder = Path(__file__).resolve().parents[2] / "data" / "demo"
    if not (folder / "firms.csv").is_file():
        pytest.fail(f"the demo data is missing from {folder}; run `cnht demo`")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"))
    counts = seed_demo(app.state.sessionmaker, folder)
    accepted = read_firms(folder / "firms.csv").rows_accepted
    assert counts["firms"].inserted == accepted and counts["firms"].rejected == 0
    assert counts["outcomes"].inserted > 0 and counts["needs"].inserted > 0
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "staff")[1]
        files = {"file": ("firms.csv", (folder / "firms.csv").read_bytes(), "text/csv")}
        again = client.post("/api/v1/imports/firms", files=files, headers=bearer(key)).json()
        assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, accepted)
    app.state.engine.dispose()


def test_upgrade_keeps_existing_shortlists_and_outcomes(settings):
    """A database at 0002 with data: after the upgrade every row is there, old lists became
    runs, outcomes still point at their entries, and history can no longer be cascaded away."""
    engine = make_engine(settings)
    try:
        migrate(engine, "0002")
        now = "CURRENT_TIMESTAMP"
        with engine.begin() as conn:
            run = conn.execute
            run(sa.text(f"INSERT INTO buyers (buyer_id, name, is_demo, search_text, created_at, updated_at) VALUES ('B001', 'Canon', false, '', {now}, {now})"))  # fmt: skip
            run(sa.text(f"INSERT INTO needs (need_id, buyer_id, title, status, is_demo, sector_codes, process_codes, material_codes, search_text, created_at, updated_at) VALUES ('N-0001', 'B001', 'Vỏ nhựa', 'open', false, '', '', '', '', {now}, {now})"))  # fmt: skip
            for firm_id in ("F0001", "F0002"):
                run(sa.text(f"INSERT INTO firms (firm_id, name, is_demo, sector_codes, process_codes, material_codes, search_text, created_at, updated_at) VALUES ('{firm_id}', 'Firm {firm_id}', false, '', '', '', '', {now}, {now})"))  # fmt: skip
            entries = [(1, "F0001", "v1", "2026-01-01 09:00:00"), (2, "F0002", "v1", "2026-01-01 09:00:00"),
                       (3, "F0001", "v2", "2026-02-01 09:00:00")]  # fmt: skip
            for entry_id, firm_id, version, at in entries:
                run(sa.text("INSERT INTO shortlists (id, need_id, firm_id, rank, score, components, reasons, model_version, created_at) "
                            "VALUES (:id, 'N-0001', :firm, 1, 0.5, '{}', '[]', :version, :at)"),
                    {"id": entry_id, "firm": firm_id, "version": version, "at": at})  # fmt: skip
            for firm_id, status, entry_id in (("F0001", "suggested", 1), ("F0002", "suggested", 2), ("F0001", "contacted", 3)):  # fmt: skip
                run(sa.text("INSERT INTO outcomes (need_id, firm_id, status, at, shortlist_entry_id) "
                            "VALUES ('N-0001', :firm, :status, '2026-02-02 10:00:00', :entry)"),
                    {"firm": firm_id, "status": status, "entry": entry_id})  # fmt: skip
        migrate(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, run_id, firm_id, model_version FROM shortlists ORDER BY id")).all()  # fmt: skip
            runs = conn.execute(sa.text("SELECT id, need_id, model_version, k FROM shortlist_runs ORDER BY id")).all()  # fmt: skip
            links = conn.execute(sa.text("SELECT firm_id, status, shortlist_entry_id FROM outcomes ORDER BY id")).all()  # fmt: skip
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [(r.id, r.firm_id, r.model_version) for r in rows] == [(1, "F0001", "v1"), (2, "F0002", "v1"), (3, "F0001", "v2")]  # fmt: skip
        assert [(r.need_id, r.model_version, r.k) for r in runs] == [("N-0001", "v1", 2), ("N-0001", "v2", 1)]
        assert [r.run_id for r in rows] == [runs[0].id, runs[0].id, runs[1].id]
        assert [tuple(r) for r in links] == [("F0001", "suggested", 1), ("F0002", "suggested", 2), ("F0001", "contacted", 3)]  # fmt: skip
        assert diff == []
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM firms WHERE firm_id = 'F0001'"))
        if engine.dialect.name == "sqlite":  # ids of deleted rows are never handed out again
            with engine.connect() as conn:
                table = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'shortlists'")).scalar()  # fmt: skip
            assert "AUTOINCREMENT" in table
    finally:
        engine.dispose()
