"""Health, authentication and the key lifecycle."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from api.auth import revoke_key
from api.storage.models import ApiKey, AuditLog
from api.storage.session import transaction
from tests.api.conftest import bearer, make_firm


def test_health_needs_no_key_and_checks_the_database(client, settings):
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    expected = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    assert answer.json() == {"status": "ok", "database": expected}


def test_missing_and_wrong_keys_answer_401(client):
    missing = client.get("/api/v1/firms")
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["detail"]
    wrong = client.get("/api/v1/firms", headers=bearer("cnht_not-a-key"))
    assert wrong.status_code == 401
    assert "Unknown or revoked" in wrong.json()["detail"]
    basic = client.get("/api/v1/firms", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_keys_are_stored_hashed_and_revocable(app, client, make_key):
    key = make_key("staff")
    assert client.get("/api/v1/firms", headers=bearer(key)).status_code == 200
    with transaction(app.state.sessionmaker) as session:
        row = session.scalar(sa.select(ApiKey))
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.prefix == key[: len(row.prefix)] and len(row.prefix) < len(key)
        stored = [str(v) for v in (row.prefix, row.key_hash, row.role, row.label)]
        assert key not in stored
        revoke_key(session, row.prefix)
    assert client.get("/api/v1/firms", headers=bearer(key)).status_code == 401
    with transaction(app.state.sessionmaker) as session:
        logged = session.execute(
            sa.select(AuditLog.action, AuditLog.entity_id).where(AuditLog.entity == "api_key")
        ).all()
    assert sorted(logged) == [("create", row.prefix), ("revoke", row.prefix)]


def test_cli_keys_create_list_revoke(settings, monkeypatch, client, staff):
    # The CLI reads the environment: point it at the test database.
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    from api.cli import app as cli
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        created = runner.invoke(cli, ["keys", "create", "--role", "analyst"])
        assert created.exit_code == 0, created.output
        key = created.output.strip().splitlines()[-1]
        assert client.get("/api/v1/needs", headers=bearer(key)).status_code == 200
        listed = runner.invoke(cli, ["keys", "list"])
        assert key[:10] in listed.output and key not in listed.output
        no_firm = runner.invoke(cli, ["keys", "create", "--role", "firm"])
        assert no_firm.exit_code == 2 and "--firm" in no_firm.output
        client.post("/api/v1/firms", json=make_firm(), headers=staff)
        firm_key = runner.invoke(cli, ["keys", "create", "--role", "firm", "--firm", "F0001"])
        assert firm_key.exit_code == 0, firm_key.output
        revoked = runner.invoke(cli, ["keys", "revoke", key])
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/api/v1/needs", headers=bearer(key)).status_code == 401
    finally:
        get_settings.cache_clear()


def test_body_that_is_not_json_says_so(client, staff):
    broken = client.post("/api/v1/buyers", content=b'{"buyer_id": "B001",', headers={**staff, "Content-Type": "application/json"})  # fmt: skip
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("the request body is not valid JSON")
    assert "field '0'" not in broken.json()["detail"]
    array = client.post("/api/v1/buyers", json=["B001"], headers=staff)
    assert array.status_code == 422 and "not a JSON object" in array.json()["detail"]


def test_key_creation_forgives_case_and_spaces(app, client, staff):
    from api.auth import cli_command, create_key

    client.post("/api/v1/firms", json=make_firm(), headers=staff)
    with transaction(app.state.sessionmaker) as session:
        row, key = create_key(session, " Firm ", " f0001 ")
        assert (row.role, row.firm_id) == ("firm", "F0001")
    assert client.get("/api/v1/firms/F0001", headers=bearer(key)).status_code == 200
    # The hint names a command that exists: 'cnht' on PATH or the script next to Python.
    hint = cli_command("keys create --role staff")
    program = hint.split()[0]
    assert hint.endswith("cnht keys create --role staff")
    assert program == "cnht" or Path(program).is_file()
    assert hint in client.get("/api/v1/firms").json()["detail"]
