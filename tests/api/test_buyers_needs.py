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


def test_needs_that_cannot_be_ranked_are_refused(client, staff):
    _seed(client, staff)
    for field, value in (("processes", "bogus thing"), ("mandatory_certifications", "ISO 99999"),
                         ("materials", "unobtainium"), ("sector", "bánh kẹo xyz")):  # fmt: skip
        answer = client.post("/api/v1/needs", json=make_need(need_id="N-0009", **{field: value}), headers=staff)  # fmt: skip
        assert answer.status_code == 422, (field, answer.text)
        assert f"Field '{field}'" in answer.json()["detail"], answer.json()["detail"]
        patched = client.patch("/api/v1/needs/N-0001", json={field: value}, headers=staff)
        assert patched.status_code == 422 and f"Field '{field}'" in patched.json()["detail"]
    assert client.get("/api/v1/needs/N-0009", headers=staff).status_code == 404
    # Aliases with or without diacritics are fine, and the need ranks.
    ok = make_need(need_id="N-0009", processes="ép nhựa; cnc turning", mandatory_certifications="ISO 9001:2015")  # fmt: skip
    assert client.post("/api/v1/needs", json=ok, headers=staff).status_code == 201
    fine = client.patch("/api/v1/needs/N-0001", json={"processes": "ep nhua"}, headers=staff)
    assert fine.status_code == 200 and "injection_moulding" in fine.json()["process_codes"]
    assert client.get("/api/v1/needs", params={"process": "bogus"}, headers=staff).status_code == 422
    assert [n["need_id"] for n in client.get("/api/v1/needs", params={"process": "ép nhựa"}, headers=staff).json()["data"]] == ["N-0001", "N-0009"]  # fmt: skip


def test_firm_key_sees_only_buyers_of_its_needs(client, staff, make_key):
    _seed(client, staff)
    other = make_buyer(buyer_id="B002", name="Samsung Yên Phong", country="KR", park_id=None)
    assert client.post("/api/v1/buyers", json=other, headers=staff).status_code == 201
    client.post("/api/v1/firms", json=make_firm(), headers=staff)
    firm = bearer(make_key("firm", "F0001"))
    listed = client.get("/api/v1/buyers", headers=firm)
    assert listed.status_code == 200
    assert [b["buyer_id"] for b in listed.json()["data"]] == ["B001"] and listed.json()["count"] == 1
    assert client.get("/api/v1/buyers/B001", headers=firm).status_code == 200
    hidden = client.get("/api/v1/buyers/B002", headers=firm)
    assert hidden.status_code == 404 and "Samsung" not in hidden.text
    assert client.get("/api/v1/buyers", headers=staff).json()["count"] == 2


def test_buyers_and_needs_keep_their_own_ids(client, staff):
    from urllib.parse import quote

    buyer = client.post("/api/v1/buyers", json=make_buyer(buyer_id="CANON TL"), headers=staff)
    assert buyer.status_code == 201, buyer.text
    need = client.post("/api/v1/needs", json=make_need(need_id="REQ-2026-07", buyer_id="CANON TL"),
                       headers=staff)
    assert need.status_code == 201, need.text
    assert client.get(f"/api/v1/buyers/{quote('CANON TL')}", headers=staff).status_code == 200
    read = client.get("/api/v1/needs/REQ-2026-07", headers=staff)
    assert read.status_code == 200 and read.json()["buyer_id"] == "CANON TL"
    bad = client.post("/api/v1/needs", json=make_need(need_id="a/b"), headers=staff)
    assert bad.status_code == 422 and "need_id" in bad.json()["detail"]


def test_an_unknown_park_is_refused_with_the_known_ones(client, staff):
    refused = client.post("/api/v1/buyers", json=make_buyer(buyer_id="B-PARK", park_id="nowhere_park"), headers=staff)
    assert refused.status_code == 422
    assert "nowhere_park" in refused.json()["detail"] and "thang_long" in refused.json()["detail"]
    named = client.post("/api/v1/buyers", json=make_buyer(buyer_id="B-PARK", park_id="KCN Thăng Long"), headers=staff)
    assert named.status_code == 201 and named.json()["park_id"] == "thang_long"
    moved = client.patch("/api/v1/buyers/B-PARK", json={"park_id": "atlantis"}, headers=staff)
    assert moved.status_code == 422 and "noi_bai" in moved.json()["detail"]
