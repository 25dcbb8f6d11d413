"""``cnht support ...`` on the service's database (issue 14), on SQLite and PostgreSQL: the same
storage as ``/api/v1/support``, so the CLI and the API say the same thing; the file form of
``cnht support propose`` is read by tests/matching/test_support_round.py's demo round."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from tests.api.test_support_api import API, TODAY, make_round, programme  # noqa: F401 - the fixture

runner = CliRunner()


@pytest.fixture
def database(settings, programme, monkeypatch):  # noqa: F811 - the imported fixture
    """The round of test_support_api stored, the CLI pointed at its database."""
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    yield programme
    get_settings.cache_clear()


def _cnht(*arguments: str):
    return runner.invoke(cli, ["support", *arguments])


def _said(result) -> str:
    """The output as one line: the error box's borders and line breaks removed."""
    return " ".join(result.output.replace("│", " ").split())


def test_nominate_propose_override_decide_and_report_from_the_command_line(database, client, staff, tmp_path):
    for firm_id in ("F1", "F2", "F3"):
        done = _cnht("nominate", "SR-T", firm_id, "iso_9001_consulting", "--association", "HANSIBA",
                     "--justification", "Cung ứng FDI")
        assert done.exit_code == 0, done.output
    assert "NOM-0003" in done.stdout
    refused = _cnht("nominate", "SR-T", "F4", "training")
    assert refused.exit_code == 2 and "rule 'tax_code'" in _said(refused)
    unknown = _cnht("nominate", "SR-none", "F1", "training")
    assert unknown.exit_code == 2 and "SR-none not found" in _said(unknown)
    out = tmp_path / "de_xuat"
    proposed = _cnht("propose", "SR-T", "--out", str(out), "--json")
    assert proposed.exit_code == 0, proposed.output
    summary = json.loads(proposed.stdout[proposed.stdout.index("{"):])
    assert summary["selected"] == 2 and summary["spent"] <= 300_000_000 and summary["status"] == "optimal"
    sheet = openpyxl.load_workbook(out / "SR-T_de_xuat.xlsx")["Quyết định"]
    assert [c.value for c in sheet[1]][:3] == ["Hạng", "Mã đề cử", "Mã DN"] and sheet.max_row == 4
    # the API sees what the CLI stored
    decisions = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()
    assert sum(d["selected"] for d in decisions["data"]) == 2
    chosen = next(d["nomination_id"] for d in decisions["data"] if d["selected"])
    no_way = _cnht("override", "SR-T", chosen, "--reason", "x")
    assert no_way.exit_code == 2 and "--in" in _said(no_way)
    no_reason = _cnht("override", "SR-T", chosen, "--out")
    assert no_reason.exit_code == 2 and "needs its reason" in _said(no_reason)
    overridden = _cnht("override", "SR-T", chosen, "--out", "--reason", "Hồ sơ chưa đủ")
    assert overridden.exit_code == 0 and "Hồ sơ chưa đủ" in overridden.stdout
    decided = _cnht("decide", "SR-T", "--funded-on", TODAY.isoformat())
    assert decided.exit_code == 0 and "1 hạng mục" in decided.stdout
    later = (TODAY + dt.timedelta(days=11)).isoformat()
    report = _cnht("report", "SR-T", "--as-of", later, "--out", str(tmp_path))
    assert report.exit_code == 0, report.output
    assert "OVERDUE" in report.stdout and "contract" in report.stdout and "/ 400" in report.stdout
    assert (tmp_path / "SR-T_quyet_dinh.xlsx").exists()
    as_json = json.loads(_cnht("report", "SR-T", "--json").stdout)
    item = as_json["funded_items"][0]
    valid_until = (TODAY + dt.timedelta(days=1000)).isoformat()
    certificate = _cnht("milestone", str(item["item_id"]), "certificate_issued", "--done-on", TODAY.isoformat(),
                        "--valid-until", valid_until, "--issuer", "QUACERT")
    assert certificate.exit_code == 0 and "certificate #" in certificate.stdout
    after = json.loads(_cnht("report", "SR-T", "--json").stdout)
    assert after["plan"]["firms_international"] == as_json["plan"]["firms_international"] + 1
    kpi = client.get("/api/v1/kpi", headers=staff).json()
    assert kpi["firms_international_certified"] == after["plan"]["firms_international"]
    bad = _cnht("milestone", str(item["item_id"]), "lunch", "--done-on", TODAY.isoformat())
    assert bad.exit_code == 2 and "no milestone 'lunch'" in _said(bad)


def test_rounds_and_associations_are_stored_and_listed(database, tmp_path):
    path = tmp_path / "round.json"
    path.write_text(json.dumps(make_round(round_id="SR-2", associations=[{"association_id": "HAEI", "name": "Điện tử"}]),
                               ensure_ascii=False), encoding="utf-8")
    added = _cnht("round", "add", str(path))
    assert added.exit_code == 0 and "Stored: SR-2" in added.stdout
    again = _cnht("round", "add", str(path))
    assert again.exit_code == 2 and "already stored" in _said(again)
    listed = _cnht("rounds")
    assert "SR-2" in listed.stdout and "SR-T" in listed.stdout
    assert "HAEI" in _cnht("associations").stdout
    new = _cnht("association", "add", "VCCI-HN", "Chi nhánh VCCI")
    assert new.exit_code == 0 and "--role association --association VCCI-HN" in new.stdout
    key = runner.invoke(cli, ["keys", "create", "--role", "association", "--association", "VCCI-HN"])
    assert key.exit_code == 0 and key.stdout.strip().splitlines()[-1].startswith("cnht_")
    missing = runner.invoke(cli, ["keys", "create", "--role", "association"])
    assert missing.exit_code == 2 and "--association" in _said(missing)
    for command in (["--help"], ["nominate", "--help"], ["propose", "--help"], ["report", "--help"]):
        assert _cnht(*command).exit_code == 0
