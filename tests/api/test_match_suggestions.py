"""POST /match (nothing stored), firm suggestions and upgrades, and `cnht import` into the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.storage.models import ShortlistEntry
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need

# F0001 moulds ABS with ISO 9001; F0002 moulds ABS without a certificate; F0003 stamps metal.
FIRMS = [
    make_firm(),
    make_firm(firm_id="F0002", tax_code=None, certifications=[], name="Nhựa Bắc Hà",
              description="Ép nhựa ABS cho vỏ máy"),
    make_firm(firm_id="F0003", tax_code=None, name="Dập Kim Long",
              description="Dập kim loại tấm, sơn tĩnh điện", products="giá đỡ thép"),
]  # fmt: skip


@pytest.fixture
def seeded(client, staff):
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    # N-0001 asks ISO 9001 (mandatory); N-0002 asks only for stamping; N-0003 is closed.
    needs = [make_need(),
             make_need(need_id="N-0002", title="Giá đỡ thép dập", description="Metal stamping brackets",
                       processes="stamping", materials=None, mandatory_certifications=None),
             make_need(need_id="N-0003", status="closed")]  # fmt: skip
    for need in needs:
        assert client.post("/api/v1/needs", json=need, headers=staff).status_code == 201
    for firm in FIRMS:
        assert client.post("/api/v1/firms", json=firm, headers=staff).status_code == 201
    return staff


def _shortlist_rows(app) -> int:
    with transaction(app.state.sessionmaker) as session:
        return session.scalar(select(func.count()).select_from(ShortlistEntry))


def test_match_ranks_without_storing(app, client, seeded, analyst):
    body = {"description": "vo nhua ABS ep phun", "mandatory_certifications": "ISO 9001", "k": 5}
    for headers in (seeded, analyst):
        answer = client.post("/api/v1/match", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["data"][0]["firm_id"] == "F0001"
        assert "F0002" not in [e["firm_id"] for e in result["data"]]  # no ISO 9001
        assert "injection_moulding" in result["process_codes"] and result["mandatory_certifications"] == ["iso_9001"]  # fmt: skip
    # With and without diacritics, and structured aliases, the same firm leads.
    accented = client.post("/api/v1/match", json={"processes": "ép nhựa", "materials": "ABS"}, headers=seeded).json()  # fmt: skip
    folded = client.post("/api/v1/match", json={"processes": "ep nhua", "materials": "abs"}, headers=seeded).json()  # fmt: skip
    assert [e["firm_id"] for e in accented["data"]] == [e["firm_id"] for e in folded["data"]]
    assert _shortlist_rows(app) == 0


def test_match_says_what_it_understood(client, seeded):
    body = {"description": "stamped steel brackets, SPCC, IATF 16949, 20,000 pcs/month, near Thang Long IP, "
                           "KCN Xyz", "k": 3}  # fmt: skip
    answer = client.post("/api/v1/match", json=body, headers=seeded)
    assert answer.status_code == 200, answer.text
    understood = answer.json()["understood"]
    processes = {p["code"]: p for p in understood["processes"]}
    assert processes["stamping"]["en"] == "Metal stamping" and processes["stamping"]["vi"] == "Dập kim loại"
    assert [m["code"] for m in understood["materials"]] == ["carbon_steel"]  # SPCC is a carbon steel
    assert understood["quantity"]["per_month"] == 20000
    assert understood["place"]["park_id"] == "thang_long"
    certificates = understood["certifications"]["mandatory"] + understood["certifications"]["preferred"]
    assert [c["code"] for c in certificates] == ["iatf_16949"]
    assert any("Xyz" in w for w in understood["warnings"])  # an unknown park is said, not dropped


def test_match_errors(client, seeded, make_key):
    empty = client.post("/api/v1/match", json={"k": 3}, headers=seeded)
    assert empty.status_code == 422 and "expected a title/description" in empty.json()["detail"]
    alias = client.post("/api/v1/match", json={"processes": "làm bánh mì"}, headers=seeded)
    assert alias.status_code == 422 and "process" in alias.json()["detail"]
    park = client.post("/api/v1/match", json={"description": "ép nhựa", "park_id": "nowhere_park"}, headers=seeded)  # fmt: skip
    assert park.status_code == 422 and "nowhere_park" in park.json()["detail"]
    assert client.post("/api/v1/match", json={"description": "x", "k": 0}, headers=seeded).status_code == 422
    firm = bearer(make_key("firm", "F0001"))
    assert client.post("/api/v1/match", json={"description": "ép nhựa"}, headers=firm).status_code == 403


def test_suggestions_for_a_firm(client, seeded, make_key):
    own = bearer(make_key("firm", "F0001"))
    answer = client.get("/api/v1/firms/F0001/suggestions", params={"k": 5}, headers=own)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    needs = [s["need_id"] for s in result["data"]]
    assert needs[0] == "N-0001" and "N-0003" not in needs  # closed needs are not suggested
    first = result["data"][0]
    assert any(r["component"] == "process_fit" for r in first["reasons"])
    assert all({"vi", "en", "blocking"} <= set(g) for g in first["gaps"])
    assert "target_price_usd" not in answer.text and "internal_notes" not in answer.text
    assert "0.42" not in answer.text and "Buyer prefers" not in answer.text
    # F0002 lacks the mandatory ISO 9001: N-0001 is not suggested; N-0002's gaps name stamping.
    other = client.get("/api/v1/firms/F0002/suggestions", headers=seeded).json()
    assert "N-0001" not in [s["need_id"] for s in other["data"]]
    n2 = next(s for s in other["data"] if s["need_id"] == "N-0002")
    assert any("Stamping" in g["en"] or "stamping" in g["en"].lower() for g in n2["gaps"])
    # A firm key sees nothing of another firm: the same 404 as a missing firm.
    hidden = client.get("/api/v1/firms/F0002/suggestions", headers=own)
    missing = client.get("/api/v1/firms/F9998/suggestions", headers=seeded)
    assert hidden.status_code == 404 and hidden.json()["detail"] == missing.json()["detail"].replace("F9998", "F0002")
    assert client.get("/api/v1/firms/F0002/upgrades", headers=own).status_code == 404
    assert client.get("/api/v1/firms/F9999/suggestions", headers=seeded).status_code == 404
    assert client.get("/api/v1/firms/F0001/suggestions", params={"k": 0}, headers=own).status_code == 422


def test_upgrades_name_the_missing_certificate(client, seeded, analyst, make_key):
    answer = client.get("/api/v1/firms/F0002/upgrades", params={"k": 1}, headers=analyst)
    assert answer.status_code == 200, answer.text
    upgrades = answer.json()["data"]
    iso = next(u for u in upgrades if u["code"] == "iso_9001")
    assert iso["kind"] == "certification" and iso["needs"] == ["N-0001"] and iso["new_shortlists"] == 1
    assert "ISO 9001" in iso["label_vi"] and iso["label_en"].startswith("add")
    own = bearer(make_key("firm", "F0002"))
    assert client.get("/api/v1/firms/F0002/upgrades", params={"k": 1}, headers=own).json()["data"] == upgrades


def test_firm_key_sees_only_needs_it_is_suggested_for(client, seeded, make_key):
    stamper = bearer(make_key("firm", "F0003"))
    # F0003 holds ISO 9001, so it passes N-0001's constraints as well as N-0002's.
    listed = client.get("/api/v1/needs", headers=stamper).json()
    assert {n["need_id"] for n in listed["data"]} == {"N-0001", "N-0002"}
    uncertified = bearer(make_key("firm", "F0002"))
    assert [n["need_id"] for n in client.get("/api/v1/needs", headers=uncertified).json()["data"]] == ["N-0002"]  # fmt: skip
    hidden = client.get("/api/v1/needs/N-0001", headers=uncertified)
    assert hidden.status_code == 404 and "N-0001" in hidden.json()["detail"]
    # Once staff put it on N-0001's shortlist (even past its constraints), it sees N-0001.
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0002", "status": "suggested"}, headers=seeded)  # fmt: skip
    shown = client.get("/api/v1/needs/N-0001", headers=uncertified)
    assert shown.status_code == 200 and "target_price_usd" not in shown.json()


FIRMS_CSV = (
    "firm_id,name,tax_code,district,description,certifications\n"
    "F0101,Công ty Cơ khí An Phát,0100109106,Đông Anh,Phay CNC nhôm,ISO 9001:2015\n"
    "F0102,Nhựa Hòa Bình,,Gia Lâm,Ép nhựa ABS,\n"
    "F0103,,01-0234,Gia Lâm,Dập,\n"
)


def test_cli_import_stores_into_the_database(tmp_path, monkeypatch):
    from api.cli import app as cli
    from api.settings import Settings, get_settings
    from api.storage.models import Firm, ImportJob
    from api.storage.session import make_engine, make_sessionmaker

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CNHT_DATABASE_URL", url)
    get_settings.cache_clear()
    path = tmp_path / "firms.csv"
    path.write_text(FIRMS_CSV, encoding="utf-8")
    runner = CliRunner()
    try:
        first = runner.invoke(cli, ["import", "firms", str(path), "--lang", "en"])
        assert first.exit_code == 0, first.output
        assert "inserted 2" in first.output and "rejected 1" in first.output
        assert (tmp_path / "firms.rejects.csv").exists()
        again = runner.invoke(cli, ["import", "firms", str(path), "--lang", "en"])
        assert again.exit_code == 0, again.output
        assert "inserted 0" in again.output and "updated 0" in again.output and "unchanged 2" in again.output
    finally:
        get_settings.cache_clear()
    engine = make_engine(Settings(database_url=url))
    with transaction(make_sessionmaker(engine)) as session:
        assert sorted(session.scalars(select(Firm.firm_id))) == ["F0101", "F0102"]
        jobs = session.scalars(select(ImportJob).order_by(ImportJob.id)).all()
        assert [(j.inserted, j.unchanged, j.rejected) for j in jobs] == [(2, 0, 1), (0, 2, 1)]
    engine.dispose()


def test_suggestions_list_open_needs_unless_all_asked(client, seeded, analyst):
    """Closed and past-deadline needs are left out by default; ``?all=true`` adds them, marked.

    The rule is :func:`matching.need_state.need_state`, the one ``cnht suggest`` uses.
    """
    from datetime import date

    from features import clock

    late = make_need(need_id="N-0004", deadline="2027-01-15", title="Vỏ nhựa ABS đợt 2")
    assert client.post("/api/v1/needs", json=late, headers=seeded).status_code == 201
    url = "/api/v1/firms/F0001/suggestions"
    with clock.frozen(date(2027, 2, 1)):  # N-0004's deadline has passed; N-0003 is closed
        default = client.get(url, params={"k": 10}, headers=analyst)
        assert default.status_code == 200, default.text
        listed = {s["need_id"]: s["state"] for s in default.json()["data"]}
        assert "N-0001" in listed and "N-0003" not in listed and "N-0004" not in listed
        assert set(listed.values()) == {"open"}
        everything = client.get(url, params={"k": 10, "all": "true"}, headers=analyst)
        assert everything.status_code == 200, everything.text
        states = {s["need_id"]: s["state"] for s in everything.json()["data"]}
    assert states["N-0003"] == "closed" and states["N-0004"] == "past_deadline"
    assert states["N-0001"] == "open"
    with clock.frozen(date(2027, 1, 15)):  # on its deadline day a need is still open
        on_the_day = client.get(url, params={"k": 10}, headers=analyst).json()
    assert {s["need_id"]: s["state"] for s in on_the_day["data"]}["N-0004"] == "open"
