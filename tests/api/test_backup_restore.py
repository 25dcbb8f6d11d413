"""``cnht backup`` / ``cnht restore`` (issue 12): a backup taken from the database, data changed,
the backup restored, the data back; PostgreSQL URLs pointed at pg_dump."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings, get_settings
from api.storage.repository import create_buyer
from api.storage.session import make_engine, make_sessionmaker, migrate, transaction
from tests.api.conftest import make_buyer

runner = CliRunner()


@pytest.fixture(autouse=True)
def _settings_from_each_env():
    get_settings.cache_clear()  # each command reads its own CNHT_DATABASE_URL
    yield
    get_settings.cache_clear()


def _names(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [r[0] for r in connection.execute("SELECT name FROM buyers ORDER BY buyer_id")]


def test_backup_change_restore_brings_the_data_back(tmp_path):
    database = tmp_path / "cnht.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{database}"))
    migrate(engine)
    with transaction(make_sessionmaker(engine)) as session:
        create_buyer(session, make_buyer(buyer_id="B1", name="Canon"), "test")
    env = {"CNHT_DATABASE_URL": f"sqlite:///{database}"}
    copy = tmp_path / "backup" / "cnht-2026-12-01.db"
    copy.parent.mkdir()
    done = runner.invoke(app, ["backup", str(copy)], env=env)
    assert done.exit_code == 0, done.output
    assert _names(copy) == ["Canon"]
    # A second backup to the same file is refused unless asked.
    assert runner.invoke(app, ["backup", str(copy)], env=env).exit_code == 2
    with transaction(make_sessionmaker(engine)) as session:
        create_buyer(session, make_buyer(buyer_id="B2", name="Later"), "test")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE buyers SET name = 'changed' WHERE buyer_id = 'B1'")
    assert _names(database) == ["changed", "Later"]
    done = runner.invoke(app, ["restore", str(copy)], env=env)
    assert done.exit_code == 0, done.output
    assert _names(database) == ["Canon"]
    engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_sqlite_database(tmp_path):
    database = tmp_path / "cnht.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE buyers (buyer_id TEXT, name TEXT)")
        connection.execute("INSERT INTO buyers VALUES ('B1', 'Canon')")
    junk = tmp_path / "notes.db"
    junk.write_text("not a database")
    done = runner.invoke(app, ["restore", str(junk)], env={"CNHT_DATABASE_URL": f"sqlite:///{database}"})
    assert done.exit_code == 2
    assert "not a SQLite database" in done.output
    assert _names(database) == ["Canon"]


def test_a_postgresql_url_is_pointed_at_pg_dump_and_pg_restore(tmp_path):
    env = {"CNHT_DATABASE_URL": "postgresql+psycopg://cnht:secret@db.example/cnht"}
    for command in (["backup", str(tmp_path / "x.db")], ["restore", str(tmp_path / "x.db")]):
        done = runner.invoke(app, command, env=env)
        assert done.exit_code == 2
        assert "pg_dump --format=custom" in done.output and "pg_restore" in done.output
        assert "secret" not in done.output
