"""/buyers and /needs: CRUD, filters, confidential fields hidden from firms."""

from __future__ import annotations

from tests.api.conftest import bearer, make_buyer, make_firm, make_need


def _seed(client, staff):
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    assert client.post("/api/v1/needs", json=make_need(), headers=staff).status_code == 201


def test_buyer_crud_and_errors(client, staff, analyst):
    created = client.post("/api/v1/buyers", json=make_buyer(), headers=staff)
    assert created.status_code == 201 and created.json()["buyer_id"] == "B001"
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 409
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=analyst).status_code == 403
    patched = client.patch("/api/v1/buyers/B001", json={"country": "KR"}, headers=staff)
    assert patched.status_code == 200 and patched.json()["country"] == "KR"
    listed = client.get("/api/v1/buyers", params={"q": "thang long"}, headers=analyst).json()
    assert listed["count"] == 1
    assert client.get("/api/v1/buyers", params={"country": "jp"}, headers=staff).json()["count"] == 0
    assert client.get("/api/v1/buyers/B999", headers=staff).status_code == 404
    assert client.post("/api/v1/needs", json=make_need(), headers=staff).status_code == 201
    busy = client.delete("/api/v1/buyers/B001", headers=staff)
    assert busy.status_code == 409 and "still has 1 need" in busy.json()["detail"]
    assert client.delete("/api/v1/needs/N-0001", headers=staff).status_code == 204
    assert client.delete("/api/v1/buyers/B001", headers=staff).status_code == 204


def test_need_crud_filters_and_errors(client, staff):
    _seed(client, staff)
    orphan = client.post("/api/v1/needs", json=make_need(need_id="N-0002", buyer_id="B404"), headers=staff)  # fmt: skip
    assert orphan.status_code == 404 and "Buyer B404 not found" in orphan.json()["detail"]
    body = client.get("/api/v1/needs/N-0001", headers=staff).json()
    assert body["target_price_usd"] == 0.42 and "injection_moulding" in body["process_codes"]
    second = make_need(need_id="N-0002", title="Dập vỏ thép", description="Stamping of steel brackets",
                       processes="stamping", materials="carbon_steel", target_price_usd=None)  # fmt: skip
    assert client.post("/api/v1/needs", json=second, headers=staff).status_code == 201
    def ids(**params):
        return [n["need_id"] for n in client.get("/api/v1/needs", params=params, headers=staff).json()["data"]]  # fmt: skip

    assert ids(process="stamping") == ["N-0002"]
    assert ids(q="VO NHUA") == ["N-0001"]
    closed = client.patch("/api/v1/needs/N-0002", json={"status": "closed"}, headers=staff)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert ids(status="open") == ["N-0001"]
    bad = client.patch("/api/v1/needs/N-0001", json={"status": "pending"}, headers=staff)
    assert bad.status_code == 422 and "status" in bad.json()["detail"]


def test_firm_key_never_sees_confidential_fields(client, staff, make_key):
    _seed(client, staff)
    client.post("/api/v1/firms", json=make_firm(), headers=staff)
    firm = bearer(make_key("firm", "F0001"))
    one = client.get("/api/v1/needs/N-0001", headers=firm)
    assert one.status_code == 200
    assert "target_price_usd" not in one.json() and "internal_notes" not in one.json()
    assert "0.42" not in one.text and "Buyer prefers" not in one.text
    listed = client.get("/api/v1/needs", headers=firm).json()
    assert listed["count"] == 1 and "target_price_usd" not in listed["data"][0]
    staff_view = client.get("/api/v1/needs", headers=staff).json()["data"][0]
    assert staff_view["internal_notes"].startswith("Buyer prefers")
    assert client.post("/api/v1/needs", json=make_need(need_id="N-0003"), headers=firm).status_code == 403  # fmt: skip
    assert client.patch("/api/v1/needs/N-0001", json={"title": "x"}, headers=firm).status_code == 403
