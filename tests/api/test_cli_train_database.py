"""``cnht train`` without files learns from the configured database (CNHT_DATABASE_URL): the
demo market cut to 80 firms, seeded as ``cnht serve --demo`` does, gives a version whose
metadata names the database and counts its rows; an empty database says how to fix it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from api.storage.demo import seed_demo
from matching.rerank import ModelStore
from tests.matching.conftest import DEMO

runner = CliRunner()


@pytest.fixture
def small_database(app, settings, tmp_path, monkeypatch):
    folder = tmp_path / "demo_small"
    folder.mkdir()
    read = lambda name: pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    firms = read("firms").head(80)
    outcomes = read("outcomes")
    outcomes = outcomes[outcomes["firm_id"].isin(firms["firm_id"])]
    needs = read("needs")
    needs = needs[needs["need_id"].isin(outcomes["need_id"])]
    for name, table in (("firms", firms), ("outcomes", outcomes), ("needs", needs), ("buyers", read("buyers"))):
        table.to_csv(folder / f"{name}.csv", index=False)
    counts = seed_demo(app.state.sessionmaker, folder)
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    yield counts
    get_settings.cache_clear()


def test_train_without_files_learns_from_the_database(small_database, tmp_path):
    models = tmp_path / "models"
    result = runner.invoke(cli, ["train", "--models-dir", str(models), "--candidates", "20", "--no-activate",
                                 "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    meta = ModelStore(models).metadata(out["version"])
    assert "database" in meta["data"] and "files" not in meta["data"]
    stored = {kind: small_database[kind].inserted for kind in ("firms", "needs", "outcomes")}
    assert {kind: meta["data"]["rows"][kind] for kind in stored} == stored
    assert meta["data"]["train_pairs"] > 0 and meta["data"]["test_needs"] > 0
    assert meta["data"]["train_outcomes_to"] < meta["data"]["split_date"] + "T23:59"
    assert {"reranker", "matcher"} <= set(meta["metrics"]) and meta["importance"]


def test_train_on_a_database_without_outcomes_says_how_to_fix_it(app, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["train", "--models-dir", str(tmp_path / "models")], env={"COLUMNS": "300"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "--data data/demo" in " ".join(result.output.split())
