"""The plan's figures over time (issue 14), on SQLite and PostgreSQL, with hand-computed answers:
firms in the field against 900 and meeting international standards against 400 at each month end,
by sector and district, equal to GET /kpi/progress; what a round's funded certificates contributed
by their own validity dates (one without an issue day from its milestone's day); the CLI says the
same; client mistakes answer 422 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from api.storage.models import Firm
from api.storage.session import transaction
from api.storage.support_tables import SupportFundedItem, SupportMilestone
from tests.api.test_support_api import API, _nominate, programme  # noqa: F401 - the fixture

UTC = dt.UTC


@pytest.fixture
def history(app, client, staff, programme):  # noqa: F811 - the imported fixture
    """F1 recorded 2025-01-05 with ISO 9001 to 2025-02-20; F2 (Gia Lâm) 2025-02-15 with ISO 14001
    2025-01-01..2028-01-01; F3 2025-03-20 with nothing; F4 2025-04-10. Round SR-T funds ISO 9001
    consulting for F1 and F3 on 2025-03-01: F3's certificate issued 2025-03-05 (recorded through the
    API, linked), F1's recorded on 2025-03-15 with no issue day. Returns F1's funded item id."""
    patches = {"F1": {"certifications": [{"code": "iso_9001", "issued": "2024-06-01", "valid_until": "2025-02-20"}]},
               "F2": {"district": "Gia Lâm",
                      "certifications": [{"code": "iso_14001", "issued": "2025-01-01", "valid_until": "2028-01-01"}]}}
    for firm_id, body in patches.items():
        answer = client.patch(f"/api/v1/firms/{firm_id}", json=body, headers=staff)
        assert answer.status_code == 200, answer.text
    for firm_id in ("F1", "F3"):
        assert _nominate(client, programme["HANSIBA"], firm_id=firm_id, support_type="iso_9001_consulting").status_code == 201
    proposal = client.post(f"{API}/rounds/SR-T/proposal", headers=staff).json()
    assert sum(d["selected"] for d in proposal["data"]) == 2
    assert client.post(f"{API}/rounds/SR-T/decide", json={"funded_on": "2025-03-01"}, headers=staff).status_code == 200
    items = {i["firm_id"]: i["item_id"] for i in client.get(f"{API}/rounds/SR-T/report", headers=staff).json()["funded_items"]}
    answer = client.post(f"{API}/items/{items['F3']}/milestones/certificate_issued", headers=staff,
                         json={"done_on": "2025-03-10", "certificate": {"issued": "2025-03-05", "valid_until": "2028-03-04"}})
    assert answer.status_code == 200 and answer.json()["certificate_pk"] is not None
    recorded = {"F1": dt.datetime(2025, 1, 5, 3, tzinfo=UTC), "F2": dt.datetime(2025, 2, 15, 3, tzinfo=UTC),
                "F3": dt.datetime(2025, 3, 20, 3, tzinfo=UTC), "F4": dt.datetime(2025, 4, 10, 3, tzinfo=UTC)}
    with transaction(app.state.sessionmaker) as session:
        for firm in session.scalars(select(Firm)):
            firm.created_at = recorded[firm.firm_id]
        milestone = session.scalar(select(SupportMilestone).join(SupportFundedItem).where(
            SupportFundedItem.firm_id == "F1", SupportMilestone.kind == "certificate_issued"))
        milestone.done_on = dt.date(2025, 3, 15)
        milestone.certificate = {"code": "iso_9001", "valid_until": "2028-01-01"}
    return items["F1"]


def test_the_plan_over_time_and_what_the_round_contributed(client, staff, history):
    answer = client.get(f"{API}/plan/progress", params={"from": "2025-01-01", "to": "2025-03-31"}, headers=staff)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["firms_target"], body["international_target"]) == (900, 400)
    assert [(p["on"], p["firms_total"], p["firms_international"]) for p in body["data"]] == [
        ("2025-01-31", 1, 1), ("2025-02-28", 2, 1), ("2025-03-31", 3, 2)]
    # the same firms as GET /kpi/progress
    kpi = client.get("/api/v1/kpi/progress", params={"as_of": "2025-03-31"}, headers=staff).json()["data"][-3:]
    assert [(p["on"], p["firms_total"], p["firms_international_certified"]) for p in kpi] == [
        (p["on"], p["firms_total"], p["firms_international"]) for p in body["data"]]
    march = body["data"][-1]
    assert {g["group"]: (g["firms"], g["international"]) for g in march["by_district"]} == {
        "Đông Anh": (2, 1), "Gia Lâm": (1, 1)}
    assert [(g["firms"], g["international"]) for g in march["by_sector"]] == [(3, 2)]
    (funded,) = body["rounds"]
    assert funded["round_id"] == "SR-T" and funded["certificates_issued"] == 2
    assert funded["counted_from_milestone"] == [history] and "milestone" in body["note"]
    assert [(p["on"], p["certificates_valid"], p["firms"]) for p in funded["data"]] == [
        ("2025-01-31", 0, 0), ("2025-02-28", 0, 0), ("2025-03-31", 2, 2)]
    # by each certificate's own days: on 12 March F3's (issued the 5th) counts, F1's (recorded the 15th) not yet
    day = client.get(f"{API}/plan/progress", params={"from": "2025-03-12", "to": "2025-03-12"}, headers=staff).json()
    assert [p["certificates_valid"] for p in day["rounds"][0]["data"]] == [1] and day["days"] == ["2025-03-12"]


def test_every_figure_of_a_day_counts_the_firms_recorded_by_then(client, staff, history):
    """GET /kpi?as_of=, the last point of /kpi/progress, /support/plan, /support/plan/progress and the
    round report's plan answer the same on past days: the firms recorded by the day, judged by the
    one validity rule (GET /kpi once counted every stored firm on a past day)."""
    expected = {"2025-01-10": (1, 1), "2025-02-20": (2, 2), "2025-02-21": (2, 1), "2025-03-31": (3, 2),
                "2025-04-30": (4, 2)}
    for day, (firms, international) in expected.items():
        kpi = client.get("/api/v1/kpi", params={"as_of": day}, headers=staff).json()
        last = client.get("/api/v1/kpi/progress", params={"as_of": day}, headers=staff).json()["data"][-1]
        plan = client.get(f"{API}/plan", params={"as_of": day}, headers=staff).json()
        over_time = client.get(f"{API}/plan/progress", params={"to": day}, headers=staff).json()["data"][-1]
        report = client.get(f"{API}/rounds/SR-T/report", params={"as_of": day}, headers=staff).json()["plan"]
        assert (kpi["firms_total"], kpi["firms_international_certified"]) == (firms, international), day
        assert (last["firms_total"], last["firms_international_certified"]) == (firms, international), day
        for figures in (plan, over_time, report):
            assert (figures["firms_total"], figures["firms_international"]) == (firms, international), day
        assert sum(kpi["firms_by_sector"].values()) == sum(g["firms"] for g in plan["by_sector"]), day


def test_plan_progress_mistakes_answer_422_naming_the_field(client, staff, history):
    cases = [({"from": "2025-04-01", "to": "2025-03-01"}, "from"), ({"from": "1990-01-01", "to": "2025-03-01"}, "ten years"),
             ({"to": "9999-01-01"}, "to"), ({"from": "2025-13-01"}, "from")]
    for params, words in cases:
        answer = client.get(f"{API}/plan/progress", params=params, headers=staff)
        assert answer.status_code == 422 and words in answer.text, (params, answer.text)
    assert client.get(f"{API}/plan/progress", headers={}).status_code == 401
    default = client.get(f"{API}/plan/progress", headers=staff).json()
    assert len(default["data"]) == 12  # the last 12 month ends, as GET /kpi/progress


def test_the_command_line_prints_the_same_figures(settings, history, monkeypatch):
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    try:
        said = CliRunner().invoke(cli, ["support", "plan", "--from", "2025-01-01", "--to", "2025-03-31"])
        wrong = CliRunner().invoke(cli, ["support", "plan", "--from", "2025-04-01", "--to", "2025-03-01"])
        ancient = CliRunner().invoke(cli, ["support", "plan", "--to", "0001-01-31"])
    finally:
        get_settings.cache_clear()
    assert said.exit_code == 0, said.output
    assert "2025-02-28: 1 / 400; 2 / 900" in said.stdout and "2025-03-31: 2 / 400; 3 / 900" in said.stdout
    assert "By district on 2025-03-31: Gia Lâm 1/1; Đông Anh 1/2" in said.stdout
    assert "funded certificates valid: 2025-01-31 0, 2025-02-28 0, 2025-03-31 2" in said.stdout
    assert f"items [{history}]: no issue day, counted from the milestone's day" in said.stdout
    assert wrong.exit_code == 2 and "'from' on or before 'to'" in " ".join(wrong.output.replace("│", " ").split())
    assert ancient.exit_code == 2 and "Expected 'to' between 1900-01-01" in " ".join(ancient.output.replace("│", " ").split())


def test_the_plan_targets_live_in_one_place_and_storage_imports_no_route():
    import ast
    from pathlib import Path

    import api.routes.kpi
    import features.demo.summary
    import features.plan

    assert (features.plan.FIRMS_TARGET, features.plan.INTERNATIONAL_TARGET) == (900, 400)
    assert api.routes.kpi.FIRMS_TARGET is features.plan.FIRMS_TARGET is features.demo.summary.PLAN_FIRMS
    assert api.routes.kpi.INTERNATIONAL_TARGET is features.plan.INTERNATIONAL_TARGET
    storage = Path(__file__).resolve().parents[2] / "api" / "storage"
    imported = {(p.name, node.module if isinstance(node, ast.ImportFrom) else alias.name)
                for p in storage.rglob("*.py") for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names}
    assert ("support.py", "features.plan") in imported
    assert [(name, module) for name, module in imported if (module or "").startswith("api.routes")] == []
