"""/firms: CRUD, filters, diacritic-free search, role limits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.storage.models import AuditLog, Firm
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need


def _create(client, headers, **overrides):
    answer = client.post("/api/v1/firms", json=make_firm(**overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_create_read_update_delete_with_audit(app, client, staff):
    created = _create(client, staff)
    assert created["firm_id"] == "F0001"
    assert "injection_moulding" in created["process_codes"]
    assert "mechanical" in created["sector_codes"]
    assert created["certifications"][0]["code"] == "iso_9001"
    assert client.get("/api/v1/firms/F0001", headers=staff).json()["name"] == created["name"]

    patched = client.patch("/api/v1/firms/F0001", json={"employees": 150, "description": "Dập kim loại tấm"}, headers=staff)  # fmt: skip
    assert patched.status_code == 200
    assert patched.json()["employees"] == 150
    assert "stamping" in patched.json()["process_codes"]
    assert "injection_moulding" not in patched.json()["process_codes"]

    assert client.delete("/api/v1/firms/F0001", headers=staff).status_code == 204
    gone = client.get("/api/v1/firms/F0001", headers=staff)
    assert gone.status_code == 404 and "F0001 not found" in gone.json()["detail"]
    with transaction(app.state.sessionmaker) as session:
        actions = session.execute(
            sa.select(AuditLog.action, AuditLog.entity_id, AuditLog.actor)
            .where(AuditLog.entity == "firm")
            .order_by(AuditLog.id)
        ).all()
        before_delete = session.scalar(sa.select(AuditLog.before).where(AuditLog.action == "delete"))
    assert [a[0] for a in actions] == ["create", "update", "delete"]
    assert {a[1] for a in actions} == {"F0001"} and actions[0][2].startswith("staff:cnht_")
    assert before_delete["employees"] == 150


def test_duplicate_id_and_tax_code_conflict(client, staff):
    _create(client, staff)
    again = client.post("/api/v1/firms", json=make_firm(), headers=staff)
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    same_tax = client.post("/api/v1/firms", json=make_firm(firm_id="F0002"), headers=staff)
    assert same_tax.status_code == 409 and "belongs to firm F0001" in same_tax.json()["detail"]


def test_validation_errors_name_the_field(client, staff):
    bad_tax = client.post("/api/v1/firms", json=make_firm(tax_code="0100109107"), headers=staff)
    assert bad_tax.status_code == 422
    assert "tax_code" in bad_tax.json()["detail"] and "check digit" in bad_tax.json()["detail"]
    for firm_id, why in (("", "non-empty"), ("x" * 500, "at most 64 characters"),
                         ("acme/plant 2", "without '/'")):
        bad_id = client.post("/api/v1/firms", json=make_firm(firm_id=firm_id), headers=staff)
        assert bad_id.status_code == 422, (firm_id, bad_id.text)
        assert "firm_id" in bad_id.json()["detail"] and why in bad_id.json()["detail"]
    unknown = client.post("/api/v1/firms", json=make_firm(colour="red"), headers=staff)
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
    limit = client.get("/api/v1/firms?limit=501", headers=staff)
    assert limit.status_code == 422 and "limit" in limit.json()["detail"]
    missing = client.patch("/api/v1/firms/F9999", json={"employees": 3}, headers=staff)
    assert missing.status_code == 404


@pytest.mark.parametrize("firm_id", ["VN-0001", "SHTP-001", "acme plant 2", "Cơ khí #7?"])
def test_any_stable_id_works_in_bodies_and_urls(client, staff, firm_id):
    from urllib.parse import quote

    created = _create(client, staff, firm_id=f"  {firm_id} ")  # trimmed like an import
    assert created["firm_id"] == firm_id
    url = f"/api/v1/firms/{quote(firm_id, safe='')}"
    assert client.get(url, headers=staff).json()["firm_id"] == firm_id
    patched = client.patch(url, json={"employees": 7}, headers=staff)
    assert patched.status_code == 200 and patched.json()["employees"] == 7
    assert client.get(url + "/suggestions", headers=staff).status_code == 200
    assert client.delete(url, headers=staff).status_code == 204


def test_id_path_parameter_follows_the_same_rule(client, staff):
    too_long = client.get("/api/v1/firms/" + "x" * 65, headers=staff)
    assert too_long.status_code == 422 and "firm_id" in too_long.json()["detail"]


def test_search_ignores_diacritics_case_and_tone_placement(client, staff):
    _create(client, staff)
    _create(client, staff, firm_id="F0002", tax_code=None, name="Công ty Điện tử Khoẻ Mạnh",
            district="Thanh Xuân", description="Lắp ráp SMT bo mạch", sectors="điện tử",
            certifications=[])  # fmt: skip
    for q in ("hòa bình", "HOA BINH", "hoà bình", "Hoa   Binh"):
        found = client.get("/api/v1/firms", params={"q": q}, headers=staff).json()
        assert [f["firm_id"] for f in found["data"]] == ["F0001"], q
    nfd = "kho\u0309e"  # NFD, new-style tone placement
    assert client.get("/api/v1/firms", params={"q": nfd}, headers=staff).json()["count"] == 1
    assert client.get("/api/v1/firms", params={"q": "dien tu"}, headers=staff).json()["count"] == 1
    assert client.get("/api/v1/firms", params={"q": "Đông Anh"}, headers=staff).json()["count"] == 1
    assert client.get("/api/v1/firms", params={"q": "100%"}, headers=staff).json()["count"] == 0


def test_filters_and_pagination(client, staff):
    _create(client, staff)
    _create(client, staff, firm_id="F0002", tax_code=None, district="Thanh Xuân",
            description="Lắp ráp SMT bo mạch điện tử", sectors="điện tử", products=None,
            certifications=[{"code": "iso_9001", "valid_until": "2020-01-01"}])  # fmt: skip
    _create(client, staff, firm_id="F0003", tax_code=None, district="Thanh Xuan",
            description="Mạ điện kẽm", sectors="cơ khí", products=None, certifications=[])  # fmt: skip
    def ids(**params):
        body = client.get("/api/v1/firms", params=params, headers=staff).json()
        return [f["firm_id"] for f in body["data"]], body["count"]

    assert ids(process="smt_assembly") == (["F0002"], 1)
    assert ids(sector="mechanical") == (["F0001", "F0003"], 2)
    assert ids(certification="iso_9001") == (["F0001"], 1)  # F0002's expired
    assert ids(district="thanh xuan") == (["F0002", "F0003"], 2)
    assert ids(limit=1, offset=1) == (["F0002"], 3)
    assert ids(limit=2, offset=2) == (["F0003"], 3)


def test_analyst_reads_but_cannot_write(client, staff, analyst):
    _create(client, staff)
    assert client.get("/api/v1/firms/F0001", headers=analyst).status_code == 200
    assert client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code=None), headers=analyst).status_code == 403  # fmt: skip
    denied = client.patch("/api/v1/firms/F0001", json={"employees": 1}, headers=analyst)
    assert denied.status_code == 403 and "Analysts read only" in denied.json()["detail"]
    assert client.delete("/api/v1/firms/F0001", headers=analyst).status_code == 403


def test_firm_key_sees_and_edits_only_itself(client, staff, make_key):
    _create(client, staff)
    _create(client, staff, firm_id="F0002", tax_code=None, name="Công ty Khác", certifications=[])
    own = bearer(make_key("firm", "F0001"))
    listed = client.get("/api/v1/firms", headers=own).json()
    assert listed["count"] == 1 and listed["data"][0]["firm_id"] == "F0001"
    other = client.get("/api/v1/firms/F0002", headers=own)
    assert other.status_code == 404 and "Công ty Khác" not in other.text
    assert client.patch("/api/v1/firms/F0002", json={"phone": "1"}, headers=own).status_code == 404
    edited = client.patch("/api/v1/firms/F0001", json={"phone": "024 3333 4444"}, headers=own)
    assert edited.status_code == 200 and edited.json()["phone"] == "024 3333 4444"
    assert client.post("/api/v1/firms", json=make_firm(firm_id="F0009", tax_code=None), headers=own).status_code == 403  # fmt: skip
    assert client.delete("/api/v1/firms/F0001", headers=own).status_code == 403


def test_firm_key_cannot_verify_a_certificate(client, staff, make_key):
    _create(client, staff)
    own = bearer(make_key("firm", "F0001"))
    new_cert = {"code": "iatf_16949", "valid_until": "2099-01-01", "verified": True}
    kept = make_firm()["certifications"]
    denied = client.patch("/api/v1/firms/F0001", json={"certifications": kept + [new_cert]}, headers=own)  # fmt: skip
    assert denied.status_code == 403 and "Only staff verify" in denied.json()["detail"]
    new_cert.pop("verified")
    added = client.patch("/api/v1/firms/F0001", json={"certifications": kept + [new_cert]}, headers=own)  # fmt: skip
    assert added.status_code == 200
    flags = {c["code"]: c["verified"] for c in added.json()["certifications"]}
    assert flags == {"iso_9001": True, "iatf_16949": False}  # staff's flag kept, firm's not set


def test_location_from_the_address_unless_coordinates_are_given(client, staff):
    placed = _create(client, staff, district=None, address="KCN Thăng Long, Dong Anh, HN")
    assert placed["district_legacy"] == "Đông Anh" and placed["geo_precision"] in ("ward", "district")
    assert 20.5 < placed["latitude"] < 21.5 and 105.0 < placed["longitude"] < 106.5
    found = client.get("/api/v1/firms", params={"district": "Đông Anh"}, headers=staff).json()
    assert [f["firm_id"] for f in found["data"]] == ["F0001"]
    given = _create(client, staff, firm_id="F0002", tax_code=None, district="Đông Anh",
                    latitude=21.0, longitude=105.8, certifications=[])  # fmt: skip
    assert (given["latitude"], given["longitude"], given["geo_precision"]) == (21.0, 105.8, "given")
    moved = client.patch("/api/v1/firms/F0001", json={"address": "Số 1, Không rõ"}, headers=staff).json()  # fmt: skip
    assert moved["latitude"] is None and moved["geo_precision"] is None


def test_filters_take_aliases_and_refuse_unknown_values(client, staff):
    _create(client, staff)
    _create(client, staff, firm_id="F0002", tax_code=None, district="Thanh Xuân",
            description="Lắp ráp SMT bo mạch điện tử", sectors="điện tử", products=None,
            certifications=[])  # fmt: skip

    def ids(**params):
        answer = client.get("/api/v1/firms", params=params, headers=staff)
        assert answer.status_code == 200, answer.text
        return [f["firm_id"] for f in answer.json()["data"]]

    assert ids(certification="ISO 9001") == ids(certification="iso_9001") == ["F0001"]
    assert ids(certification="iso 9001:2015") == ["F0001"]
    assert ids(sector="điện tử") == ids(sector="dien tu") == ids(sector="electronics") == ["F0002"]
    assert ids(process="ép nhựa") == ids(process="ep nhua") == ["F0001"]
    for field, value in (("sector", "nonexistent"), ("process", "ép nhựa xyz"),
                         ("certification", "ISO 99999"), ("certification", "iso_%"),
                         ("process", "_")):  # fmt: skip
        answer = client.get("/api/v1/firms", params={field: value}, headers=staff)
        assert answer.status_code == 422, (field, value, answer.text)
        assert f"'{field}'" in answer.json()["detail"] and "Close codes" in answer.json()["detail"]
    close = client.get("/api/v1/firms", params={"certification": "ISO 9002"}, headers=staff)
    assert "iso_9001" in close.json()["detail"]


def test_certificates_are_checked_on_create(client, staff):
    unknown = client.post("/api/v1/firms", json=make_firm(certifications=[{"code": "iso_99999"}]), headers=staff)  # fmt: skip
    assert unknown.status_code == 422
    assert "certifications.0.code" in unknown.json()["detail"] and "iso_99999" in unknown.json()["detail"]
    backwards = make_firm(certifications=[{"code": "iso_9001", "issued": "2025-05-01", "valid_until": "2024-05-01"}])  # fmt: skip
    answer = client.post("/api/v1/firms", json=backwards, headers=staff)
    assert answer.status_code == 422
    assert "'issued'" in answer.json()["detail"] and "valid_until" in answer.json()["detail"]
    named = client.post("/api/v1/firms", json=make_firm(certifications=[{"code": "IATF 16949"}]), headers=staff)  # fmt: skip
    assert named.status_code == 201 and named.json()["certifications"][0]["code"] == "iatf_16949"


def test_firm_with_match_history_is_not_deleted(app, client, staff):
    _create(client, staff)
    client.post("/api/v1/buyers", json=make_buyer(), headers=staff)
    client.post("/api/v1/needs", json=make_need(), headers=staff)
    for status in ("suggested", "contacted"):
        client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0001", "status": status}, headers=staff)  # fmt: skip
    refused = client.delete("/api/v1/firms/F0001", headers=staff)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Firm F0001 has 2 recorded outcome(s) and 0 shortlist entries")
    history = client.get("/api/v1/outcomes", params={"firm_id": "F0001"}, headers=staff).json()
    assert history["count"] == 2
    # The database refuses it too (RESTRICT), whoever tries.
    with pytest.raises(sa.exc.IntegrityError):
        with transaction(app.state.sessionmaker) as session:
            session.execute(sa.delete(Firm).where(Firm.firm_id == "F0001"))
