"""Access that cannot drift (issue 12): firm keys bound to their firm, one 404 for hidden and
missing records, and what a firm key reads bounded whatever the firm declares about itself."""

from __future__ import annotations

import sqlalchemy as sa

from api.ranking import FIRM_VISIBLE_NEEDS
from tests.api.conftest import bearer, make_buyer, make_firm, make_need


def test_deleting_a_firm_revokes_its_keys_and_a_recreated_id_does_not_revive_them(client, staff, make_key):
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    old = bearer(make_key("firm", "F0001"))
    assert client.get("/api/v1/firms/F0001", headers=old).status_code == 200
    assert client.delete("/api/v1/firms/F0001", headers=staff).status_code == 204
    refused = client.get("/api/v1/firms/F0001", headers=old)
    assert refused.status_code == 401
    assert "Unknown or revoked API key" in refused.json()["detail"]
    keys = client.app.state.engine.connect()
    with keys:
        revoked = keys.execute(sa.text("SELECT revoked_at FROM api_keys WHERE role = 'firm'")).scalar_one()
    assert revoked is not None
    # Another company gets the ID: the old key still reads nothing of it, a new key does.
    other = make_firm(name="Công ty TNHH Nhựa Khác", tax_code="0101248141")
    assert client.post("/api/v1/firms", json=other, headers=staff).status_code == 201
    assert client.get("/api/v1/firms/F0001", headers=old).status_code == 401
    assert client.patch("/api/v1/firms/F0001", json={"name": "x"}, headers=old).status_code == 401
    new = bearer(make_key("firm", "F0001"))
    assert client.get("/api/v1/firms/F0001", headers=new).json()["name"] == "Công ty TNHH Nhựa Khác"


def test_a_firm_key_is_refused_when_its_id_names_another_row(client, staff, make_key):
    # A firm removed outside the API (no revocation) and its ID re-created: the key remembers
    # the row it was issued for.
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    old = bearer(make_key("firm", "F0001"))
    with client.app.state.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM firm_certifications"))
        conn.execute(sa.text("DELETE FROM firms WHERE firm_id = 'F0001'"))
    refused = client.get("/api/v1/firms/F0001", headers=old)
    assert refused.status_code == 401
    assert "firm F0001 was deleted or replaced" in refused.json()["detail"]
    other = make_firm(name="Another company", tax_code="0101248141")
    assert client.post("/api/v1/firms", json=other, headers=staff).status_code == 201
    assert client.get("/api/v1/firms/F0001", headers=old).status_code == 401


def _statements(engine, client, url: str, headers: dict[str, str]) -> tuple[object, list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.get(url, headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return answer, seen


def test_hidden_and_missing_records_answer_the_same_404_with_the_same_queries(client, staff, make_key):
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    assert client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code="0101248141"),
                       headers=staff).status_code == 201  # fmt: skip
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    assert client.post("/api/v1/needs", json=make_need(), headers=staff).status_code == 201
    # Closed and never shortlisted: hidden from the firm.
    assert client.patch("/api/v1/needs/N-0001", json={"status": "closed"}, headers=staff).status_code == 200
    firm = bearer(make_key("firm", "F0001"))
    engine = client.app.state.engine
    for hidden, missing, label in (("N-0001", "N-9999", "Need"), ("F0002", "F9999", "Firm")):
        path = "/api/v1/needs/" if label == "Need" else "/api/v1/firms/"
        client.get(path + missing, headers=firm)  # warm caches alike
        hidden_answer, hidden_queries = _statements(engine, client, path + hidden, firm)
        missing_answer, missing_queries = _statements(engine, client, path + missing, firm)
        assert hidden_answer.status_code == missing_answer.status_code == 404
        assert hidden_answer.json()["detail"].replace(hidden, "ID") == missing_answer.json()["detail"].replace(missing, "ID")
        assert hidden_answer.json().keys() == missing_answer.json().keys()
        assert hidden_queries == missing_queries
    # Staff see the hidden need; their 404 for a missing one has the same words.
    assert client.get("/api/v1/needs/N-0001", headers=staff).status_code == 200
    assert client.get("/api/v1/needs/N-9999", headers=staff).json()["detail"] == \
        client.get("/api/v1/needs/N-9999", headers=firm).json()["detail"]


def test_declaring_every_trade_does_not_open_the_register_to_a_firm(client, staff, make_key):
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    total = FIRM_VISIBLE_NEEDS + 5
    for number in range(total):
        need = make_need(need_id=f"N-{number:04d}", mandatory_certifications=None)
        assert client.post("/api/v1/needs", json=need, headers=staff).status_code == 201
    firm = bearer(make_key("firm", "F0001"))
    # The firm declares all it can about itself: it fits every need...
    declared = {"sectors": "electronics, cơ khí", "description": "ép nhựa ABS injection moulding",
                "materials": "abs", "monthly_capacity": 10_000_000}  # fmt: skip
    assert client.patch("/api/v1/firms/F0001", json=declared, headers=firm).status_code == 200
    suggested = client.get("/api/v1/firms/F0001/suggestions?k=100", headers=staff).json()["count"]
    assert suggested == total, "the fixture should let the firm fit every need"
    # ... and still reads at most FIRM_VISIBLE_NEEDS of them.
    listed = client.get("/api/v1/needs?limit=500", headers=firm).json()
    assert listed["count"] == FIRM_VISIBLE_NEEDS
    assert client.get("/api/v1/firms/F0001/suggestions?k=100", headers=firm).json()["count"] == FIRM_VISIBLE_NEEDS
    readable = [n for n in range(total)
                if client.get(f"/api/v1/needs/N-{n:04d}", headers=firm).status_code == 200]  # fmt: skip
    assert len(readable) == FIRM_VISIBLE_NEEDS
