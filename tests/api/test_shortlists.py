"""POST/GET /needs/{need_id}/shortlist: computed, stored, explained, and moved through outcomes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.storage.models import Outcome, ShortlistEntry
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need

# By construction: F0001 moulds ABS and holds a valid ISO 9001 (the need's mandatory
# certificate); F0002 moulds plastics too but holds no certificate; F0003 only stamps metal,
# with ISO 9001, and is the only electronics firm; F0004 moulds ABS with ISO 9001 but sits in another district.
FIRMS = [
    make_firm(),
    make_firm(firm_id="F0002", tax_code=None, certifications=[], name="Nhựa Bắc Hà",
              description="Ép nhựa ABS, PP cho vỏ máy"),
    make_firm(firm_id="F0003", tax_code=None, name="Dập Kim Long", district="Gia Lâm",
              sectors="điện tử", description="Dập kim loại tấm, sơn tĩnh điện",
              products="linh kiện điện tử"),
    make_firm(firm_id="F0004", tax_code=None, name="Nhựa Sóc Sơn", district="Sóc Sơn",
              description="ép phun nhựa ABS chính xác", products="vỏ nhựa"),
]  # fmt: skip


@pytest.fixture
def seeded(client, staff):
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    assert client.post("/api/v1/needs", json=make_need(), headers=staff).status_code == 201
    for firm in FIRMS:
        answer = client.post("/api/v1/firms", json=firm, headers=staff)
        assert answer.status_code == 201, answer.text
    return staff


def _count(app, model) -> int:
    with transaction(app.state.sessionmaker) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_shortlist_is_ranked_explained_stored_and_suggested(app, client, seeded, analyst):
    answer = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 5}, headers=seeded)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    firms = [e["firm_id"] for e in body["data"]]
    # F0002 lacks the mandatory ISO 9001: never listed; the ABS moulders lead the metal stamper.
    assert "F0002" not in firms and set(firms[:2]) == {"F0001", "F0004"}
    assert body["model_version"].startswith("SupplierMatcher-") and body["count"] == len(firms)
    first = body["data"][0]
    assert first["rank"] == 1 and first["status"] == "suggested" and first["entry_id"] >= 1
    assert abs(sum(first["components"].values()) - first["score"]) < 1e-9
    assert any("ISO 9001" in r["vi"] and "ISO 9001" in r["en"] for r in first["reasons"])
    assert any(r["component"] == "process_fit" and r["positive"] for r in first["reasons"])
    assert first["firm_name"]
    assert body["understood"]["processes"] and "warnings" in body["understood"]
    stored = client.get("/api/v1/needs/N-0001/shortlist", headers=analyst)
    assert stored.status_code == 200 and stored.json() == body
    assert _count(app, ShortlistEntry) == len(firms)
    history = client.get("/api/v1/outcomes", params={"need_id": "N-0001"}, headers=seeded).json()
    assert sorted(o["firm_id"] for o in history["data"]) == sorted(firms)
    assert {o["status"] for o in history["data"]} == {"suggested"}


def test_shortlist_outcome_flow(client, seeded):
    body = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded).json()
    entry_id = body["data"][0]["entry_id"]
    url = f"/api/v1/shortlists/{entry_id}/outcome"
    contacted = client.patch(url, json={"status": "contacted"}, headers=seeded)
    assert contacted.status_code == 200 and contacted.json()["status"] == "contacted"
    meeting = client.patch(url, json={"status": "meeting"}, headers=seeded)
    assert meeting.status_code == 200 and meeting.json()["status"] == "meeting"
    illegal = client.patch(url, json={"status": "order"}, headers=seeded)
    assert illegal.status_code == 409 and illegal.json()["allowed"] == ["sample", "rejected"]
    assert "Allowed next: sample, rejected" in illegal.json()["detail"]
    # Computing again keeps the pair's status instead of restarting it at 'suggested'.
    again = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded).json()
    statuses = {e["firm_id"]: e["status"] for e in again["data"]}
    assert statuses[body["data"][0]["firm_id"]] == "meeting"
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=seeded).json() == again


def test_shortlist_filters_and_diversity(client, seeded):
    def firms(**request):
        answer = client.post("/api/v1/needs/N-0001/shortlist", json=request, headers=seeded)
        assert answer.status_code == 200, answer.text
        return [e["firm_id"] for e in answer.json()["data"]]

    assert firms(filters={"district": "soc son"}) == ["F0004"]  # without diacritics
    assert firms(filters={"district": "Sóc Sơn"}) == ["F0004"]
    assert "F0001" not in firms(filters={"exclude_firms": ["F0001"]})
    assert firms(filters={"sector": "dien tu"}) == ["F0003"]  # an alias without diacritics
    assert "F0003" not in firms(filters={"sector": "mechanical"})
    assert len(firms(k=2, diversity=True)) == 2
    bad = client.post("/api/v1/needs/N-0001/shortlist", json={"filters": {"sector": "bánh kẹo xyz"}}, headers=seeded)  # fmt: skip
    assert bad.status_code == 422 and "sector" in bad.json()["detail"]


def test_shortlist_errors_and_roles(client, seeded, analyst, make_key):
    missing = client.post("/api/v1/needs/N-9999/shortlist", json={}, headers=seeded)
    assert missing.status_code == 404 and missing.json()["detail"].startswith("Need N-9999 not found")
    assert client.get("/api/v1/needs/N-9999/shortlist", headers=seeded).status_code == 404
    none_yet = client.get("/api/v1/needs/N-0001/shortlist", headers=seeded)
    assert none_yet.status_code == 404 and "no stored shortlist" in none_yet.json()["detail"]
    forbidden = client.post("/api/v1/needs/N-0001/shortlist", json={}, headers=analyst)
    assert forbidden.status_code == 403 and "staff" in forbidden.json()["detail"]
    firm = bearer(make_key("firm", "F0001"))
    assert client.post("/api/v1/needs/N-0001/shortlist", json={}, headers=firm).status_code == 403
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=firm).status_code == 403
    for k in (0, 101, "ten"):
        answer = client.post("/api/v1/needs/N-0001/shortlist", json={"k": k}, headers=seeded)
        assert answer.status_code == 422 and "'k'" in answer.json()["detail"]
    unknown = client.post("/api/v1/needs/N-0001/shortlist", json={"top": 3}, headers=seeded)
    assert unknown.status_code == 422 and "top" in unknown.json()["detail"]
    assert client.post("/api/v1/needs/N-0001/shortlist", json={}).status_code == 401


def test_cache_refits_only_when_firms_change(app, client, seeded):
    cache = app.state.ranking
    client.post("/api/v1/needs/N-0001/shortlist", json={"k": 10}, headers=seeded)
    client.post("/api/v1/needs/N-0001/shortlist", json={"k": 10}, headers=seeded)
    assert cache.fits == 1
    newcomer = make_firm(firm_id="F0005", tax_code=None, name="Nhựa Thăng Long Mới",
                         description="ép phun nhựa ABS, vỏ máy in, khuôn mẫu chính xác")  # fmt: skip
    assert client.post("/api/v1/firms", json=newcomer, headers=seeded).status_code == 201
    body = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 10}, headers=seeded).json()
    assert cache.fits == 2 and "F0005" in [e["firm_id"] for e in body["data"]]
    # A new model version: the latest shortlist is the new one, the old stays stored.
    assert _count(app, ShortlistEntry) > body["count"]
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=seeded).json() == body
    assert _count(app, Outcome) == body["count"]  # one 'suggested' per pair, never twice


@pytest.mark.slow
def test_demo_shortlists_fit_once(tmp_path):
    """On the demo database: shortlists for several needs reuse one fit; every list is valid."""
    from pathlib import Path

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from api.storage.demo import seed_demo
    from api.storage.models import Need

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"))
    seed_demo(app.state.sessionmaker, demo)
    with transaction(app.state.sessionmaker) as session:
        staff = bearer(create_key(session, "staff")[1])
        need_ids = list(session.scalars(select(Need.need_id).where(Need.status == "open").order_by(Need.need_id).limit(3)))  # fmt: skip
    with TestClient(app) as client:
        for need_id in need_ids:
            answer = client.post(f"/api/v1/needs/{need_id}/shortlist", json={"k": 10}, headers=staff)
            assert answer.status_code == 200, answer.text
            scores = [e["score"] for e in answer.json()["data"]]
            assert scores == sorted(scores, reverse=True) and len(scores) >= 1
    assert app.state.ranking.fits == 1
    app.state.engine.dispose()


def test_recompute_keeps_every_entry_addressable(app, client, seeded):
    """Each computation is a new run: no entry is deleted, no id reused for another pair."""
    first = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded).json()
    pairs = {e["entry_id"]: ("N-0001", e["firm_id"]) for e in first["data"]}
    assert len(pairs) == 3
    top = first["data"][0]
    met = client.patch(f"/api/v1/shortlists/{top['entry_id']}/outcome", json={"status": "contacted"}, headers=seeded)  # fmt: skip
    assert met.status_code == 200 and met.json()["latest_run"] is True
    again = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 2}, headers=seeded).json()
    assert again["run_id"] > first["run_id"] and again["count"] == 2
    second_need = make_need(need_id="N-0002", title="Vỏ nhựa ABS cho máy scan")
    assert client.post("/api/v1/needs", json=second_need, headers=seeded).status_code == 201
    other = client.post("/api/v1/needs/N-0002/shortlist", json={"k": 2}, headers=seeded).json()
    new_ids = [e["entry_id"] for e in again["data"] + other["data"]]
    assert min(new_ids) > max(pairs) and len(set(new_ids)) == len(new_ids)
    # An entry of the older run still names its own pair, and says a newer list exists.
    old = first["data"][-1]
    moved = client.patch(f"/api/v1/shortlists/{old['entry_id']}/outcome", json={"status": "contacted"}, headers=seeded)  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert (moved.json()["need_id"], moved.json()["firm_id"]) == pairs[old["entry_id"]]
    assert moved.json()["latest_run"] is False
    with transaction(app.state.sessionmaker) as session:
        links = dict(session.execute(
            select(Outcome.firm_id, Outcome.shortlist_entry_id)
            .where(Outcome.need_id == "N-0001", Outcome.status == "suggested")
        ).all())  # fmt: skip
        stored = session.scalar(select(func.count()).select_from(ShortlistEntry))
    # The 'suggested' of each first-run pair still points at the entry it came from.
    assert {links[firm] for _, firm in pairs.values()} == set(pairs)
    assert stored == 3 + 2 + other["count"]


def test_an_earlier_run_reads_back_with_its_own_entries_and_todays_statuses(client, seeded):
    first = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded).json()
    top = first["data"][0]
    client.patch(f"/api/v1/shortlists/{top['entry_id']}/outcome", json={"status": "contacted"}, headers=seeded)
    latest = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 2}, headers=seeded).json()
    earlier = client.get("/api/v1/needs/N-0001/shortlist", params={"run_id": first["run_id"]}, headers=seeded)
    assert earlier.status_code == 200, earlier.text
    body = earlier.json()
    assert body["run_id"] == first["run_id"] and body["count"] == 3
    assert [e["entry_id"] for e in body["data"]] == [e["entry_id"] for e in first["data"]]
    assert body["data"][0]["status"] == "contacted"  # the pair's status now, not when it was listed
    default = client.get("/api/v1/needs/N-0001/shortlist", headers=seeded).json()
    assert default["run_id"] == latest["run_id"]
    missing = client.get("/api/v1/needs/N-0001/shortlist", params={"run_id": 999_999}, headers=seeded)
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert client.get("/api/v1/needs/N-0001/shortlist", params={"run_id": 0}, headers=seeded).status_code == 422
    # Past what the id column holds (PostgreSQL's integer): the client's mistake, not a 500.
    huge = client.get("/api/v1/needs/N-0001/shortlist", params={"run_id": 4_334_969_729}, headers=seeded)
    assert huge.status_code == 422 and "run_id" in huge.text


def test_recompute_matching_nothing_is_the_latest_list(client, seeded):
    full = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded).json()
    assert full["count"] >= 1
    empty = client.post("/api/v1/needs/N-0001/shortlist",
                        json={"filters": {"district": "Hoàn Kiếm"}}, headers=seeded)  # fmt: skip
    assert empty.status_code == 200 and empty.json()["count"] == 0
    latest = client.get("/api/v1/needs/N-0001/shortlist", headers=seeded).json()
    assert latest["count"] == 0 and latest["run_id"] == empty.json()["run_id"] > full["run_id"]
    # The older list's entries are still there and still move.
    entry_id = full["data"][0]["entry_id"]
    assert client.patch(f"/api/v1/shortlists/{entry_id}/outcome", json={"status": "contacted"}, headers=seeded).status_code == 200  # fmt: skip


def test_need_with_history_cannot_be_deleted(client, seeded):
    client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=seeded)
    refused = client.delete("/api/v1/needs/N-0001", headers=seeded)
    assert refused.status_code == 409
    assert "Need N-0001 has 3 recorded outcome(s)" in refused.json()["detail"]
    assert "close it" in refused.json()["detail"].lower()
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=seeded).json()["count"] == 3
    refused_firm = client.delete("/api/v1/firms/F0001", headers=seeded)
    assert refused_firm.status_code == 409 and "Firm F0001 has 1 recorded outcome(s)" in refused_firm.json()["detail"]
