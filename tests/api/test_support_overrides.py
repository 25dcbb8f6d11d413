"""Staff overrides stand through a new proposal (issue 14), on SQLite and PostgreSQL: ``propose``
again keeps every override with its reason on top of the new solver proposal, says which
nominations are held (and what the solver alone would do), lifts an override whose nomination has
become ineligible, and the audit log keeps the overrides and both proposals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from api.storage.models import AuditLog
from api.storage.session import transaction
from tests.api.test_support_api import API, TODAY, _nominate, programme  # noqa: F401 - the fixture


def _audit(app, entity: str) -> list[AuditLog]:
    with transaction(app.state.sessionmaker) as session:
        return session.scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)).all()


@pytest.fixture
def overridden(client, staff, programme):  # noqa: F811 - the imported fixture
    """F1, F2, F3 nominated for ISO 9001 consulting (120 tr.đ each), F1 for training (30 tr.đ),
    proposed in 300 tr.đ (two ISO and the training), then one selected put out and the one left out
    put in, each with its reason. Returns (put out, put in)."""
    for firm_id in ("F1", "F2", "F3"):
        assert _nominate(client, programme["HANSIBA"], firm_id=firm_id, support_type="iso_9001_consulting").status_code == 201
    assert _nominate(client, programme["VAMI"], firm_id="F1", support_type="training").status_code == 201
    first = client.post(f"{API}/rounds/SR-T/proposal", headers=staff).json()
    out = next(d for d in first["data"] if d["selected"] and d["support_type"] == "iso_9001_consulting")
    (left,) = [d for d in first["data"] if not d["selected"]]
    for nomination, selected, reason in ((out, False, "DN đang bị thanh tra thuế"), (left, True, "Ưu tiên FDI")):
        answer = client.post(f"{API}/rounds/SR-T/decisions/{nomination['nomination_id']}/override",
                             json={"selected": selected, "reason": reason}, headers=staff)
        assert answer.status_code == 200, answer.text
    return out, left


def test_a_new_proposal_keeps_every_override_with_its_reason(app, client, staff, overridden):
    out, put_in = overridden
    again = client.post(f"{API}/rounds/SR-T/proposal", headers=staff)
    assert again.status_code == 200, again.text
    body = again.json()
    by_id = {d["nomination_id"]: d for d in body["data"]}
    assert by_id[out["nomination_id"]]["selected"] is False and by_id[put_in["nomination_id"]]["selected"] is True
    assert by_id[out["nomination_id"]]["override_reason"] == "DN đang bị thanh tra thuế"
    assert by_id[out["nomination_id"]]["reason_code"] == "override_out" and "thanh tra" in by_id[out["nomination_id"]]["reason_vi"]
    assert by_id[put_in["nomination_id"]]["reason_code"] == "override_in"
    assert by_id[out["nomination_id"]]["overridden_by"].startswith("staff:")
    # which are held, and what the solver alone would do (the first proposal's choice: nothing changed)
    assert {d["nomination_id"] for d in body["data"] if d["held_by_override"]} == {out["nomination_id"],
                                                                                   put_in["nomination_id"]}
    assert by_id[out["nomination_id"]]["proposed"] is True and by_id[put_in["nomination_id"]]["proposed"] is False
    held = {h["nomination_id"]: h for h in body["summary"]["held_by_override"]}
    assert held[out["nomination_id"]] | {"by": None} == {"nomination_id": out["nomination_id"], "firm_id": out["firm_id"],
                                                        "selected": False, "solver_proposed": True,
                                                        "reason": "DN đang bị thanh tra thuế", "by": None}
    assert body["summary"]["overrides_lifted"] == []
    # the rest chosen around the holds, within the budget: the third ISO firm and the training
    chosen = [d for d in body["data"] if d["selected"]]
    assert sum(d["cost_vnd"] for d in chosen) == body["summary"]["spent"] == 270_000_000
    assert body["summary"]["selected"] == 3
    # the audit log keeps the two overrides and both proposals
    overrides = _audit(app, "support_decision")
    assert [(r.action, r.after["reason"]) for r in overrides] == [("override", "DN đang bị thanh tra thuế"),
                                                                  ("override", "Ưu tiên FDI")]
    proposals = [r.after for r in _audit(app, "support_round") if r.action == "propose"]
    assert len(proposals) == 2 and proposals[0]["held_by_override"] == []
    assert {h["nomination_id"] for h in proposals[1]["held_by_override"]} == set(held)
    # a third proposal still holds them (overrides are not consumed)
    third = client.post(f"{API}/rounds/SR-T/proposal", headers=staff).json()
    assert sum(d["held_by_override"] for d in third["data"]) == 2


def test_an_override_whose_nomination_became_ineligible_is_lifted_and_said(app, client, staff, overridden):
    _, put_in = overridden
    certificate = [{"code": "iso_9001", "valid_until": (TODAY + dt.timedelta(days=700)).isoformat(),
                    "issuer": "QUACERT"}]
    assert client.patch(f"/api/v1/firms/{put_in['firm_id']}", json={"certifications": certificate},
                        headers=staff).status_code == 200
    body = client.post(f"{API}/rounds/SR-T/proposal", headers=staff).json()
    (lifted,) = body["summary"]["overrides_lifted"]
    assert lifted["nomination_id"] == put_in["nomination_id"] and "already holds" in lifted["lifted_because"]
    row = next(d for d in body["data"] if d["nomination_id"] == put_in["nomination_id"])
    assert row["selected"] is False and row["held_by_override"] is False and row["rule"] == "already_certified"
    assert len(body["summary"]["held_by_override"]) == 1
    (audited,) = [r for r in _audit(app, "support_decision") if r.action == "override_lifted"]
    assert audited.before == {"selected": True, "reason": "Ưu tiên FDI"}


def test_the_command_line_says_which_nominations_are_held(settings, client, staff, overridden, monkeypatch, tmp_path):
    out, put_in = overridden
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["support", "propose", "SR-T", "--out", str(tmp_path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    said = result.stdout
    assert f"Held by override: {out['nomination_id']} {out['firm_id']} không chọn / out" in said
    assert "(mô hình / solver: chọn / in): DN đang bị thanh tra thuế" in said
    assert f"Held by override: {put_in['nomination_id']}" in said and "Ưu tiên FDI" in said
    line = next(x for x in said.splitlines() if x.strip().startswith(f"✗ {out['nomination_id']}"))
    assert "Cán bộ điều chỉnh (không chọn): DN đang bị thanh tra thuế" in line


def test_a_proposal_computed_before_an_override_is_not_stored_over_it(app, client, staff, overridden):
    from api.ranking import fit_matcher
    from api.storage import support as store
    from api.storage.errors import ConflictError

    out, put_in = overridden
    with transaction(app.state.sessionmaker) as session:
        selection = store.propose(session, "SR-T", fit_matcher(session).matcher, store.open_needs(session))
    other = next(d for d in client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]
                 if d["selected"] and not d["held_by_override"])
    answer = client.post(f"{API}/rounds/SR-T/decisions/{other['nomination_id']}/override",
                         json={"selected": False, "reason": "Thiếu hồ sơ"}, headers=staff)
    assert answer.status_code == 200
    with transaction(app.state.sessionmaker) as session, pytest.raises(ConflictError, match="propose again"):
        store.store_proposal(session, "SR-T", selection, by="staff:test")
    kept = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()
    assert sum(d["held_by_override"] for d in kept["data"]) == 3
