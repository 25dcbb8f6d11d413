"""Issue 14: the plan's figure — firms meeting international standards, against 400 — is one
number wherever it is shown: the dashboard, the support rounds list, the plan page, a round's
monitoring page, GET /kpi, GET /support/plan, the round report and ``cnht support report``; and all
of them move together when a funded certificate is recorded (the one validity rule)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

from typer.testing import CliRunner

from api.cli import app as cli
from features import clock
from tests.api.conftest import make_firm
from tests.api.test_support_api import API
from tests.web.test_support_monitor_pages import _items, _report, site  # noqa: F401 - the fixture

TODAY = clock.today()


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def _text(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, f"not on the page: {pattern}"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _everywhere(client, staff, settings_env: dict[str, str], monkeypatch) -> dict[str, int]:
    """The figure as each place shows it."""
    dashboard = client.get("/dashboard").text
    rounds = client.get("/support").text
    plan = client.get("/support/plan").text
    monitoring = client.get("/support/rounds/SR-T/monitoring").text
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    printed = CliRunner().invoke(cli, ["support", "report", "SR-T", "--json"])
    assert printed.exit_code == 0, printed.output
    return {
        "dashboard page": _number(_text(dashboard, r'<figcaption id="kpi-international-caption">.*?<strong>(.*?)</strong>')),
        "rounds page": _number(_text(rounds, r'data-figure="firms_international">(.*?)<span')),
        "plan page": int(re.search(r'id="plan-international" data-value="(\d+)"', plan).group(1)),
        "plan page text": _number(_text(plan, r'<figcaption id="plan-international-caption">.*?<strong>(.*?)</strong>')),
        "monitoring page": _number(_text(monitoring, r'data-figure="plan_international"[^>]*>(.*?)</')),
        "GET /kpi": client.get("/api/v1/kpi", headers=staff).json()["firms_international_certified"],
        "GET /kpi/progress": client.get("/api/v1/kpi/progress", headers=staff).json()["data"][-1][
            "firms_international_certified"],
        "GET /support/plan": client.get(f"{API}/plan", headers=staff).json()["firms_international"],
        "round report": _report(client, staff)["plan"]["firms_international"],
        # stdout alone: a log line on stderr (a logger configured by an earlier test) is not the JSON
        "cnht support report": json.JSONDecoder().raw_decode(printed.stdout[printed.stdout.index("{"):])[0][
            "plan"]["firms_international"],
    }


def test_one_figure_on_every_page_and_answer_and_it_moves_with_a_funded_certificate(site, monkeypatch):  # noqa: F811
    client, staff, _ = site
    env = {"CNHT_DATABASE_URL": str(client.app.state.settings.database_url)}
    # two firms already certified, one of them by a code that is not an international standard
    for firm_id, code in (("F8", "iso_14001"), ("F9", "bsci")):
        certificate = {"code": code, "issued": "2025-01-01", "valid_until": (TODAY + dt.timedelta(days=400)).isoformat()}
        answer = client.post("/api/v1/firms", headers=staff,
                             json=make_firm(firm_id=firm_id, tax_code=None, certifications=[certificate]))
        assert answer.status_code == 201, answer.text
    before = _everywhere(client, staff, env, monkeypatch)
    assert set(before.values()) == {1}, before

    item = _items(_report(client, staff))["F2"]
    assert item["certification"] == "iso_9001" and not item["meets_international_standards"]
    answer = client.post(f"{API}/items/{item['item_id']}/milestones/certificate_issued", headers=staff, json={
        "done_on": TODAY.isoformat(), "certificate": {"issued": TODAY.isoformat(),
                                                      "valid_until": (TODAY + dt.timedelta(days=1000)).isoformat()}})
    assert answer.status_code == 200, answer.text

    after = _everywhere(client, staff, env, monkeypatch)
    assert after == {place: value + 1 for place, value in before.items()}, (before, after)
