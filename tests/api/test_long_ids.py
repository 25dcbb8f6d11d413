"""IDs of up to 64 characters (the user's own) stored, read back and matched on every database.

SQLite never enforces a ``VARCHAR`` length, so the round trips through the API prove the
widening only on PostgreSQL (a column still ``VARCHAR(16)`` there refuses the insert); on SQLite
they check the rest of the path, and the migration test checks the declared types on both.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.storage.models import AUDIT_ENTITY_ID_LENGTH, AuditLog, Base
from api.storage.session import alembic_config, make_engine, migrate, transaction
from features.identity import ID_MAX_LENGTH
from tests.api.conftest import bearer, make_buyer, make_firm, make_need

FIRM_ID = "Công ty TNHH Cơ khí Chính xác Hà Nội - xưởng 2"
BUYER_ID = "Canon Vietnam Thăng Long - nhà máy linh kiện quang học"
NEED_ID = "Vỏ nhựa ABS ép phun cho máy in Canon LBP - đợt đặt hàng 2026 Q03"


def _url(*parts: str) -> str:
    return "/api/v1/" + "/".join(quote(part, safe="") for part in parts)


def _rows(app, statement):
    with transaction(app.state.sessionmaker) as session:
        return session.execute(statement).all()


def test_the_ids_are_long_by_construction():
    assert [len(i) for i in (FIRM_ID, BUYER_ID, NEED_ID)] == [46, 54, ID_MAX_LENGTH]


def test_every_id_column_holds_the_longest_id():
    columns = [(table.name, column) for table in Base.metadata.sorted_tables
               for column in table.columns if column.name in {"firm_id", "buyer_id", "need_id"}]  # fmt: skip
    # 3 keys, 6 foreign keys, api_keys.firm_id, event_meetings' buyer_id, firm_id and need_id,
    # support_nominations.firm_id and support_funded_items.firm_id
    assert len(columns) == 15
    assert {(name, c.name): c.type.length for name, c in columns} == {
        (name, c.name): ID_MAX_LENGTH for name, c in columns
    }
    # an outcome is audited as "need_id/firm_id"
    assert Base.metadata.tables["audit_log"].c.entity_id.type.length == AUDIT_ENTITY_ID_LENGTH
    assert AUDIT_ENTITY_ID_LENGTH == len(f"{NEED_ID}/{'F' * ID_MAX_LENGTH}")


def test_long_ids_are_stored_read_back_shortlisted_and_followed(app, client, staff):
    assert client.post("/api/v1/buyers", json=make_buyer(buyer_id=BUYER_ID), headers=staff).status_code == 201  # fmt: skip
    need = client.post("/api/v1/needs", json=make_need(need_id=NEED_ID, buyer_id=BUYER_ID), headers=staff)  # fmt: skip
    assert need.status_code == 201, need.text
    firm = client.post("/api/v1/firms", json=make_firm(firm_id=FIRM_ID), headers=staff)
    assert firm.status_code == 201, firm.text

    assert client.get(_url("firms", FIRM_ID), headers=staff).json()["firm_id"] == FIRM_ID
    assert client.get(_url("buyers", BUYER_ID), headers=staff).json()["buyer_id"] == BUYER_ID
    read = client.get(_url("needs", NEED_ID), headers=staff).json()
    assert (read["need_id"], read["buyer_id"]) == (NEED_ID, BUYER_ID)

    shortlist = client.post(_url("needs", NEED_ID, "shortlist"), json={"k": 5}, headers=staff)
    assert shortlist.status_code == 200, shortlist.text
    body = shortlist.json()
    assert body["need_id"] == NEED_ID and [e["firm_id"] for e in body["data"]] == [FIRM_ID]
    assert client.get(_url("needs", NEED_ID, "shortlist"), headers=staff).json() == body

    entry_id = body["data"][0]["entry_id"]
    contacted = client.patch(f"/api/v1/shortlists/{entry_id}/outcome", json={"status": "contacted"}, headers=staff)  # fmt: skip
    assert contacted.status_code == 200 and contacted.json()["status"] == "contacted"
    meeting = client.post("/api/v1/outcomes", json={"need_id": NEED_ID, "firm_id": FIRM_ID, "status": "meeting"}, headers=staff)  # fmt: skip
    assert meeting.status_code == 201, meeting.text
    history = client.get("/api/v1/outcomes", headers=staff).json()["data"]
    assert [(o["need_id"], o["firm_id"], o["status"]) for o in history] == [
        (NEED_ID, FIRM_ID, "suggested"), (NEED_ID, FIRM_ID, "contacted"), (NEED_ID, FIRM_ID, "meeting"),
    ]  # fmt: skip

    audited = _rows(app, sa.select(AuditLog.entity, AuditLog.entity_id).order_by(AuditLog.id))
    assert ("buyer", BUYER_ID) in audited and ("need", NEED_ID) in audited
    assert ("firm", FIRM_ID) in audited and ("shortlist", NEED_ID) in audited
    assert ("outcome", f"{NEED_ID}/{FIRM_ID}") in audited


def test_list_filters_take_long_ids(client, staff):
    client.post("/api/v1/buyers", json=make_buyer(buyer_id=BUYER_ID), headers=staff)
    client.post("/api/v1/needs", json=make_need(need_id=NEED_ID, buyer_id=BUYER_ID), headers=staff)
    client.post("/api/v1/firms", json=make_firm(firm_id=FIRM_ID), headers=staff)
    client.post("/api/v1/outcomes", json={"need_id": NEED_ID, "firm_id": FIRM_ID, "status": "suggested"}, headers=staff)  # fmt: skip
    needs = client.get("/api/v1/needs", params={"buyer_id": BUYER_ID}, headers=staff)
    assert needs.status_code == 200 and needs.json()["count"] == 1
    outcomes = client.get("/api/v1/outcomes", params={"need_id": NEED_ID, "firm_id": FIRM_ID}, headers=staff)  # fmt: skip
    assert outcomes.status_code == 200 and outcomes.json()["count"] == 1


def test_a_firm_key_of_a_long_id_sees_its_outcomes(client, staff, make_key):
    client.post("/api/v1/buyers", json=make_buyer(buyer_id=BUYER_ID), headers=staff)
    client.post("/api/v1/needs", json=make_need(need_id=NEED_ID, buyer_id=BUYER_ID), headers=staff)
    client.post("/api/v1/firms", json=make_firm(firm_id=FIRM_ID), headers=staff)
    client.post("/api/v1/outcomes", json={"need_id": NEED_ID, "firm_id": FIRM_ID, "status": "suggested"}, headers=staff)  # fmt: skip
    own = client.get("/api/v1/outcomes", headers=bearer(make_key("firm", FIRM_ID))).json()
    assert own["count"] == 1 and own["data"][0]["firm_id"] == FIRM_ID


def _insert_firm(conn, firm_id: str) -> None:
    conn.execute(sa.text(
        "INSERT INTO firms (firm_id, name, is_demo, sector_codes, process_codes, material_codes, "
        "search_text, created_at, updated_at) VALUES (:firm_id, 'Firm', false, '', '', '', '', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ), {"firm_id": firm_id})  # fmt: skip


def _downgrade(engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_upgrade_widens_in_place_and_downgrade_refuses_long_ids(settings):
    """A database at 0003 with a firm and its certificate: the upgrade keeps both, then a
    64-character ID fits; the downgrade refuses while such an ID is stored and narrows after."""
    engine = make_engine(settings)
    try:
        migrate(engine, "0003")
        with engine.begin() as conn:
            _insert_firm(conn, "F0001")
            conn.execute(sa.text("INSERT INTO firm_certifications (firm_pk, code, verified) "
                                 "SELECT id, 'iso_9001', false FROM firms"))  # fmt: skip
        migrate(engine)
        assert _schema_diff(engine) == []
        longest = "F" * ID_MAX_LENGTH
        with engine.begin() as conn:
            _insert_firm(conn, longest)
            firms = conn.execute(sa.text("SELECT firm_id FROM firms ORDER BY id")).scalars().all()
            certificates = conn.execute(sa.text("SELECT COUNT(*) FROM firm_certifications")).scalar()
        assert firms == ["F0001", longest] and certificates == 1

        with pytest.raises(RuntimeError, match="1 row.* of 'firms' have a 'firm_id' longer than 16"):
            _downgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM firms WHERE firm_id = :id"), {"id": longest})
        _downgrade(engine, "0003")
        # Type changes only: at 0003 the columns of later migrations (0005, 0006) are missing too.
        narrowed = {(d[0][2], d[0][3]): (d[0][5].length, d[0][6].length) for d in _schema_diff(engine)
                    if isinstance(d, list) and d[0][0] == "modify_type"}
        assert narrowed[("firms", "firm_id")] == (16, ID_MAX_LENGTH)
        assert narrowed[("audit_log", "entity_id")] == (40, AUDIT_ENTITY_ID_LENGTH)
        assert len(narrowed) == 11
        migrate(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
