"""`cnht match --need-id` and `cnht suggest` on the service's database (issue 9).

They read only the demo CSVs before: a need created through the API was unknown to the CLI,
and suggestions listed closed and past-deadline needs with no flag.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from tests.api.conftest import make_buyer, make_firm, make_need

runner = CliRunner()


@pytest.fixture
def database(settings, client, staff, monkeypatch):
    """The service's database with two firms, one buyer and open, closed and past-deadline needs,
    all written through the API; the CLI pointed at it by CNHT_DATABASE_URL."""
    client.post("/api/v1/firms", json=make_firm(), headers=staff).raise_for_status()
    client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code=None, sectors="dệt may",
                                                description="May áo sơ mi xuất khẩu", products="áo sơ mi",
                                                certifications=[]), headers=staff).raise_for_status()  # fmt: skip
    client.post("/api/v1/buyers", json=make_buyer(), headers=staff).raise_for_status()
    for need_id, extra in (("N-0901", {}), ("N-0902", {"status": "closed"}), ("N-0903", {"deadline": "2020-01-31"})):
        client.post("/api/v1/needs", json=make_need(need_id=need_id, **extra), headers=staff).raise_for_status()
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_a_need_created_through_the_api_is_known_to_cnht_match(database):
    result = runner.invoke(cli, ["match", "--need-id", "N-0901", "--format", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert [r["firm_id"] for r in results] == ["F0001"]  # F0002 lacks the mandatory ISO 9001
    unknown = runner.invoke(cli, ["match", "--need-id", "N-9999", "--format", "json"], env={"COLUMNS": "300"})
    assert unknown.exit_code == 2 and "N-9999 not found" in unknown.output


def test_suggest_lists_open_needs_by_default_and_the_others_marked_on_request(database):
    result = runner.invoke(cli, ["suggest", "--firm-id", "F0001", "--format", "json"])
    assert result.exit_code == 0, result.output
    needs = json.loads(result.stdout)["needs"]
    assert [(n["need_id"], n["state"]) for n in needs] == [("N-0901", "open")]
    everything = runner.invoke(cli, ["suggest", "--firm-id", "F0001", "--format", "json", "--all"])
    assert everything.exit_code == 0, everything.output
    states = {n["need_id"]: n["state"] for n in json.loads(everything.stdout)["needs"]}
    assert states == {"N-0901": "open", "N-0902": "closed", "N-0903": "past_deadline"}
    table = runner.invoke(cli, ["suggest", "--firm-id", "F0001", "--all"], env={"COLUMNS": "300"})
    assert table.exit_code == 0 and "đã đóng / closed" in table.stdout and "quá hạn / past deadline" in table.stdout


def test_no_database_yet_is_said_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("CNHT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["suggest", "--firm-id", "F0001"], env={"COLUMNS": "300"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "has no tables yet" in result.output
