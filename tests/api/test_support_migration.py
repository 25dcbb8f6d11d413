"""Migration 0009 (the support programme): upgrade from 0008 keeps what was there, the tables
hold their constraints (one nomination per firm and type in a round), the downgrade removes
exactly what 0009 added, and the models agree with the migrations either way, on SQLite and
PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.storage.models import Base
from api.storage.session import alembic_config, make_engine, migrate

SUPPORT_TABLES = {"support_associations", "support_rounds", "support_nominations", "support_decisions",
                  "support_funded_items", "support_milestones", "support_inspections"}


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names(schema=None))


def test_upgrade_to_the_support_programme_and_back(settings):
    engine = make_engine(settings)
    try:
        migrate(engine, "0008")
        assert not SUPPORT_TABLES & _tables(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO firms (firm_id, name, is_demo, sector_codes, process_codes, material_codes, search_text, created_at, updated_at) VALUES ('F0001', 'Firm', false, '', '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))  # fmt: skip
            conn.execute(sa.text("INSERT INTO api_keys (prefix, key_hash, role, created_at) VALUES ('cnht_abc', 'h1', 'staff', CURRENT_TIMESTAMP)"))  # fmt: skip
        migrate(engine)
        assert SUPPORT_TABLES <= _tables(engine)
        assert _schema_diff(engine) == []
        with engine.begin() as conn:
            run = conn.execute
            run(sa.text("INSERT INTO support_associations (association_id, name, created_at) VALUES ('HANSIBA', 'Hiệp hội', CURRENT_TIMESTAMP)"))  # fmt: skip
            # a budget past 2^31 VND
            run(sa.text("INSERT INTO support_rounds (round_id, name, budget_vnd, opens, closes, definition, status, created_at) VALUES ('SR-1', 'Round', 15000000000, '2026-04-01', '2026-06-30', :d, 'open', CURRENT_TIMESTAMP)"),
                {"d": '{"round_id": "SR-1"}'})  # fmt: skip
            nominate = ("INSERT INTO support_nominations (round_pk, nomination_id, firm_id, support_type, units, nominated_by, association_id, justification, status, created_at, updated_at) "
                        "SELECT id, :nid, 'F0001', 'iso_9001_consulting', 1, 'association', 'HANSIBA', '', 'submitted', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM support_rounds")  # fmt: skip
            run(sa.text(nominate), {"nid": "NOM-1"})
            try:  # one nomination per firm and support type in a round
                with conn.begin_nested():
                    run(sa.text(nominate), {"nid": "NOM-2"})
                raise AssertionError("a second nomination of the same firm and type was stored")
            except sa.exc.IntegrityError:
                pass
            assert run(sa.text("SELECT budget_vnd FROM support_rounds")).scalar() == 15_000_000_000
            assert run(sa.text("SELECT association_id FROM api_keys")).scalar() is None
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0008")
        assert not SUPPORT_TABLES & _tables(engine)
        assert "association_id" not in {c["name"] for c in sa.inspect(engine).get_columns("api_keys")}
        with engine.connect() as conn:  # what was there before stays
            assert conn.execute(sa.text("SELECT firm_id FROM firms")).scalars().all() == ["F0001"]
            assert conn.execute(sa.text("SELECT prefix FROM api_keys")).scalars().all() == ["cnht_abc"]
        migrate(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
