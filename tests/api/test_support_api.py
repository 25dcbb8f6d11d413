"""``/support`` (issue 14) on SQLite and PostgreSQL: roles hold, refusals name their rule, the
proposal stays within the budget with a reason for everyone, overrides are audited, a funded
certificate moves the plan's figure as the KPI counts it, and client mistakes answer 4xx."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from api.auth import create_key
from api.storage.models import AuditLog
from api.storage.session import transaction
from features import clock
from tests.api.conftest import bearer, make_firm

API = "/api/v1/support"
TODAY = clock.today()


def make_round(**overrides) -> dict:
    """A round open today: ISO 9001 consulting (120 tr.đ), training (30 tr.đ), 300 tr.đ budget."""
    data = {
        "round_id": "SR-T", "name": "Đợt thử", "budget_vnd": 300_000_000,
        "opens": (TODAY - dt.timedelta(days=10)).isoformat(), "closes": (TODAY + dt.timedelta(days=30)).isoformat(),
        "support_types": [
            {"code": "iso_9001_consulting", "unit_cost_vnd": 120_000_000, "certification": "iso_9001"},
            {"code": "training", "unit_cost_vnd": 30_000_000, "cap_per_firm": 2, "base_value": 0.05}],
        "eligibility": {"not_funded_within_years": 3},
        "associations": [{"association_id": "HANSIBA", "name": "Hiệp hội CNHT Hà Nội"},
                         {"association_id": "VAMI", "name": "Hội Cơ khí"}],
        "milestone_days": {"contract": 10},
    }
    data.update(overrides)
    return data


FIRMS = {  # firm_id -> tax code (valid check digits) ; F4 has none: refused by the tax-code rule
    "F1": "0100109106", "F2": "0100100079", "F3": "0100100015", "F4": None,
}


@pytest.fixture
def programme(app, client, staff):
    """Four firms without certificates, the round stored, keys for each association and two firms."""
    for firm_id, tax in FIRMS.items():
        payload = make_firm(firm_id=firm_id, tax_code=tax, name=f"=HYPERLINK(\"x\") {firm_id}" if firm_id == "F3"
                            else f"Công ty {firm_id}", certifications=[])
        answer = client.post("/api/v1/firms", json=payload, headers=staff)
        assert answer.status_code == 201, answer.text
    answer = client.post(f"{API}/rounds", json=make_round(), headers=staff)
    assert answer.status_code == 201, answer.text
    keys = {}
    with transaction(app.state.sessionmaker) as session:
        for association in ("HANSIBA", "VAMI"):
            keys[association] = bearer(create_key(session, "association", association_id=association)[1])
        for firm_id in ("F1", "F2"):
            keys[firm_id] = bearer(create_key(session, "firm", firm_id)[1])
    return keys


def _nominate(client, headers, **body):
    return client.post(f"{API}/rounds/SR-T/nominations", json=body, headers=headers)


def test_an_association_sees_and_edits_only_its_own_nominations(client, staff, analyst, programme):
    hansiba, vami = programme["HANSIBA"], programme["VAMI"]
    mine = _nominate(client, hansiba, firm_id="F1", support_type="iso_9001_consulting", justification="FDI")
    assert mine.status_code == 201 and mine.json()["association_id"] == "HANSIBA"
    theirs = _nominate(client, vami, firm_id="F2", support_type="iso_9001_consulting")
    assert theirs.status_code == 201
    # not under another association's name
    assert _nominate(client, hansiba, firm_id="F3", support_type="training", association_id="VAMI").status_code == 403
    listed = client.get(f"{API}/rounds/SR-T/nominations", headers=hansiba).json()
    assert [n["firm_id"] for n in listed["data"]] == ["F1"]
    other = theirs.json()["nomination_id"]
    assert client.get(f"{API}/rounds/SR-T/nominations/{other}", headers=hansiba).status_code == 404
    assert client.patch(f"{API}/rounds/SR-T/nominations/{other}", json={"withdraw": True},
                        headers=hansiba).status_code == 404
    changed = client.patch(f"{API}/rounds/SR-T/nominations/{mine.json()['nomination_id']}",
                           json={"justification": "Cung ứng cho Canon"}, headers=hansiba)
    assert changed.status_code == 200 and changed.json()["justification"] == "Cung ứng cho Canon"
    # staff and analysts see all
    assert client.get(f"{API}/rounds/SR-T/nominations", headers=analyst).json()["count"] == 2
    # a nominated firm keeps its record
    refused = client.delete("/api/v1/firms/F1", headers=staff)
    assert refused.status_code == 409 and "support programme" in refused.json()["detail"]
    assert client.get("/api/v1/firms/F1", headers=staff).status_code == 200
    # an association key opens nothing outside /support
    for path in ("/api/v1/firms", "/api/v1/needs", "/api/v1/kpi", "/api/v1/firms/F1"):
        answer = client.get(path, headers=hansiba)
        assert answer.status_code == 403 and "/api/v1/support" in answer.json()["detail"]
    # public parts of a profile only; and no staff work
    profile = client.get(f"{API}/firms/F1", headers=hansiba)
    assert profile.status_code == 200 and "tax_code" not in profile.json() and "phone" not in profile.json()
    assert client.post(f"{API}/rounds/SR-T/proposal", headers=hansiba).status_code == 403
    assert client.get(f"{API}/rounds/SR-T/report", headers=hansiba).status_code == 403
    assert client.post(f"{API}/associations", json={"association_id": "X", "name": "X"}, headers=hansiba).status_code == 403


def test_a_firm_sees_only_its_own_applications(client, staff, programme):
    f1, f2 = programme["F1"], programme["F2"]
    own = _nominate(client, f1, support_type="training", justification="Tự đăng ký")
    assert own.status_code == 201 and own.json()["nominated_by"] == "self" and own.json()["firm_id"] == "F1"
    assert _nominate(client, f1, firm_id="F2", support_type="training").status_code == 403
    assert _nominate(client, f1, support_type="iso_9001_consulting", association_id="HANSIBA").status_code == 403
    assert _nominate(client, programme["HANSIBA"], firm_id="F2", support_type="training").status_code == 201
    assert [n["firm_id"] for n in client.get(f"{API}/rounds/SR-T/nominations", headers=f1).json()["data"]] == ["F1"]
    # F2 sees the association's nomination of it, but may not withdraw it
    (of_f2,) = client.get(f"{API}/rounds/SR-T/nominations", headers=f2).json()["data"]
    assert client.patch(f"{API}/rounds/SR-T/nominations/{of_f2['nomination_id']}", json={"withdraw": True},
                        headers=f2).status_code == 403
    assert client.get(f"{API}/rounds/SR-T/nominations/{own.json()['nomination_id']}", headers=f2).status_code == 404
    assert client.get(f"{API}/firms/F2", headers=f1).status_code == 404
    assert client.get(f"{API}/firms/F1", headers=f1).status_code == 200
    # firm keys still see only their own elsewhere
    assert client.get("/api/v1/firms/F2", headers=f1).status_code in (403, 404)


def test_refused_nominations_name_the_rule_and_store_nothing(client, staff, programme):
    hansiba = programme["HANSIBA"]
    assert _nominate(client, hansiba, firm_id="F1", support_type="iso_9001_consulting").status_code == 201
    cases = [({"firm_id": "F1", "support_type": "iso_9001_consulting"}, "duplicate"),
             ({"firm_id": "F4", "support_type": "iso_9001_consulting"}, "tax_code"),
             ({"firm_id": "F2", "support_type": "training", "units": 3}, "cap_per_firm"),
             ({"firm_id": "F-none", "support_type": "training"}, "unknown_firm")]
    for body, rule in cases:
        answer = _nominate(client, hansiba, **body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["rule"] == rule and f"rule '{rule}'" in answer.json()["detail"]
    answer = _nominate(client, hansiba, firm_id="F2", support_type="welding")
    assert answer.status_code == 422 and "unknown support type 'welding'" in answer.json()["detail"]
    assert client.get(f"{API}/rounds/SR-T/nominations", headers=staff).json()["count"] == 1


def test_proposal_override_decision_and_the_plan_figure(app, client, staff, programme):
    hansiba, vami = programme["HANSIBA"], programme["VAMI"]
    for firm_id in ("F1", "F2", "F3"):
        assert _nominate(client, hansiba, firm_id=firm_id, support_type="iso_9001_consulting",
                         justification="=1+1").status_code == 201
    assert _nominate(client, vami, firm_id="F1", support_type="training").status_code == 201
    # what staff verify a nomination with; not for associations
    expired = [{"code": "iso_14001", "valid_until": "2020-01-31", "issuer": "QUACERT"}]
    assert client.patch("/api/v1/firms/F1", json={"certifications": expired}, headers=staff).status_code == 200
    dossier = client.get(f"{API}/rounds/SR-T/nominations/NOM-0001/dossier", headers=staff)
    assert dossier.status_code == 200, dossier.text
    body = dossier.json()
    assert body["firm"]["tax_code"] == "0100109106" and body["check"] == {
        "eligible": True, "rule": "", "rule_vi": "", "rule_en": ""}
    (certificate,) = body["certificates"]
    assert body["meets_international_standards"] is False and certificate["code"] == "iso_14001"
    assert certificate["valid"] is False and "01/2020" in certificate["vi"]
    assert body["outcomes"] == {} and isinstance(body["best_upgrades"], list)
    assert client.get(f"{API}/rounds/SR-T/nominations/NOM-0001/dossier", headers=hansiba).status_code == 403
    assert client.get(f"{API}/rounds/SR-T/nominations/NOM-0099/dossier", headers=staff).status_code == 404
    proposal = client.post(f"{API}/rounds/SR-T/proposal", json={"time_limit": 30}, headers=staff)
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()
    assert body["status"] == "proposed" and body["count"] == 4
    chosen = [d for d in body["data"] if d["selected"]]
    assert sum(d["cost_vnd"] for d in chosen) <= 300_000_000
    assert all(d["reason_vi"] and d["reason_en"] for d in body["data"])
    # two of three firms turned international (120 tr.đ each) plus the training fit in 300 tr.đ
    assert sum(d["target_gain"] for d in chosen) == 2
    (left_out,) = [d for d in body["data"] if not d["selected"]]
    assert left_out["reason_code"] == "over_budget"
    # the association sees its own decisions, with reasons, not the summary
    own = client.get(f"{API}/rounds/SR-T/decisions", headers=vami).json()
    assert [d["support_type"] for d in own["data"]] == ["training"] and own["summary"] is None
    # overrides: a reason is required; over budget refused; out then in works and is audited
    out = chosen[0]["nomination_id"]
    assert client.post(f"{API}/rounds/SR-T/decisions/{out}/override", json={"selected": False, "reason": ""},
                       headers=staff).status_code == 422
    over = client.post(f"{API}/rounds/SR-T/decisions/{left_out['nomination_id']}/override",
                       json={"selected": True, "reason": "ưu tiên"}, headers=staff)
    assert over.status_code == 422 and "budget" in over.json()["detail"]
    answer = client.post(f"{API}/rounds/SR-T/decisions/{out}/override",
                         json={"selected": False, "reason": "DN đang bị thanh tra thuế"}, headers=staff)
    assert answer.status_code == 200 and answer.json()["reason_code"] == "override_out"
    assert answer.json()["proposed"] is True and "thanh tra" in answer.json()["reason_vi"]
    answer = client.post(f"{API}/rounds/SR-T/decisions/{left_out['nomination_id']}/override",
                         json={"selected": True, "reason": "thay thế"}, headers=staff)
    assert answer.status_code == 200
    with transaction(app.state.sessionmaker) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == "support_decision")
                               .order_by(AuditLog.id)).all()
        assert [(r.entity_id, r.after["selected"], r.after["reason"]) for r in rows] == [
            (f"SR-T/{out}", False, "DN đang bị thanh tra thuế"), (f"SR-T/{left_out['nomination_id']}", True, "thay thế")]
        assert rows[0].actor.startswith("staff:") and rows[0].at is not None and rows[0].before["selected"] is True
    # the workbook: Vietnamese, every reason, formulas neutralised
    workbook = client.get(f"{API}/rounds/SR-T/decision.xlsx", headers=staff)
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["Quyết định"]
    header = [c.value for c in sheet[1]]
    assert {"Lý do", "Quyết định", "Lý do điều chỉnh"} <= set(header)
    cells = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in cells) and "'=1+1" in cells
    # decide, then the certificate: the plan's figure moves as the KPI counts it
    kpi_before = client.get("/api/v1/kpi", headers=staff).json()["firms_international_certified"]
    decided = client.post(f"{API}/rounds/SR-T/decide", json={"funded_on": TODAY.isoformat()}, headers=staff)
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert client.post(f"{API}/rounds/SR-T/proposal", headers=staff).status_code == 409
    report = client.get(f"{API}/rounds/SR-T/report", headers=staff).json()
    item = next(i for i in report["funded_items"] if i["certification"] == "iso_9001")
    assert [m["kind"] for m in item["milestones"]] == ["contract", "consulting_done", "audit", "certificate_issued"]
    assert report["plan"]["firms_international"] == kpi_before
    for bad in ({"valid_until": "31/12/2029"}, {"valid_until": "2029-12-31", "issuer": {"x": 1}},
                {"valid_until": "2029-12-31", "colour": "red"}, {"issuer": "QUACERT"}):
        answer = client.post(f"{API}/items/{item['item_id']}/milestones/certificate_issued",
                             json={"done_on": TODAY.isoformat(), "certificate": bad}, headers=staff)
        assert answer.status_code == 422, (bad, answer.text)
    certificate = {"valid_until": (TODAY + dt.timedelta(days=3 * 365)).isoformat(), "issuer": "QUACERT"}
    answer = client.post(f"{API}/items/{item['item_id']}/milestones/certificate_issued",
                         json={"done_on": TODAY.isoformat(), "certificate": certificate}, headers=staff)
    assert answer.status_code == 200 and answer.json()["certificate_pk"] is not None
    assert client.get("/api/v1/kpi", headers=staff).json()["firms_international_certified"] == kpi_before + 1
    report = client.get(f"{API}/rounds/SR-T/report", headers=staff).json()
    assert report["plan"]["firms_international"] == kpi_before + 1 and report["firms_turned_international"] == [item["firm_id"]]
    by_district = sum(g["international"] for g in report["plan"]["by_district"])
    assert by_district == report["plan"]["firms_international"] and report["plan"]["international_target"] == 400
    # overdue: the contract (10 days) is late 11 days on
    later = (TODAY + dt.timedelta(days=11)).isoformat()
    report = client.get(f"{API}/rounds/SR-T/report", params={"as_of": later}, headers=staff).json()
    assert report["overdue_milestones"] == len(report["funded_items"])  # every contract, nothing else yet
    visit = client.post(f"{API}/items/{item['item_id']}/inspections",
                        json={"visited_on": TODAY.isoformat(), "inspector": "Nguyễn Văn A", "findings": "Đúng tiến độ"},
                        headers=staff)
    assert visit.status_code == 201


def test_client_mistakes_answer_4xx_naming_what_to_fix(client, staff, programme):
    for body, words in [({"round_id": "SR-X"}, "lacks"), (make_round(round_id="SR-X", support_types="abc"), "cannot be read"),
                        (make_round(round_id="SR-X", budget_vnd=-5), "budget"),
                        (make_round(round_id="SR-X", fairness=[{"by": "district", "max_share": 2}]), "max_share"),
                        (make_round(round_id="SR-X", milestone_days={"audit": -1}), "milestone_days"),
                        (make_round(round_id="SR-X", milestone_days={"audit": 10**9}), "milestone_days"),
                        (make_round(round_id="S" * 70), "round_id"),
                        (make_round(round_id="SR-X", budget_vnd=10**19), "budget"),
                        (make_round(round_id="SR-X", nominations=[{"firm_id": "F1"}]), "one by one"),
                        ([1, 2], "object")]:
        answer = client.post(f"{API}/rounds", json=body, headers=staff)
        assert answer.status_code == 422 and words in answer.json()["detail"], (body, answer.text)
    assert client.post(f"{API}/rounds", json=make_round(), headers=staff).status_code == 409
    assert client.get(f"{API}/rounds/SR-none", headers=staff).status_code == 404
    assert client.get(f"{API}/rounds/SR-T/decisions", headers=staff).status_code == 404  # not proposed yet
    assert client.post(f"{API}/rounds/SR-T/proposal", headers=staff).status_code == 422  # no nominations
    assert client.post(f"{API}/rounds/SR-T/decide", headers=staff).status_code == 409
    assert client.post(f"{API}/items/99/milestones/audit", json={"done_on": TODAY.isoformat()},
                       headers=staff).status_code == 404
    assert client.post(f"{API}/items/1/milestones/lunch", json={"done_on": TODAY.isoformat()},
                       headers=staff).status_code == 422
    assert client.get(f"{API}/rounds", headers={}).status_code == 401
    assert client.get(f"{API}/plan", params={"as_of": "9999-12-31"}, headers=staff).status_code == 422
    plan = client.get(f"{API}/plan", params={"as_of": "2199-12-31"}, headers=staff)
    assert plan.status_code == 200 and plan.json()["firms_total"] == 4
