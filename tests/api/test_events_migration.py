"""Migration 0008 (events, event_meetings): upgrade from 0007 keeps what was there, the
downgrade removes exactly the two tables, and the models agree with the migrations after
either way, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.storage.models import Base
from api.storage.session import alembic_config, make_engine, migrate

_NOW = "CURRENT_TIMESTAMP"


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names(schema=None))


def test_upgrade_to_events_and_back(settings):
    engine = make_engine(settings)
    try:
        migrate(engine, "0007")
        assert "events" not in _tables(engine)
        with engine.begin() as conn:
            run = conn.execute
            run(sa.text(f"INSERT INTO buyers (buyer_id, name, is_demo, search_text, created_at, updated_at) VALUES ('B001', 'Canon', false, '', {_NOW}, {_NOW})"))  # fmt: skip
            run(sa.text(f"INSERT INTO needs (need_id, buyer_id, title, status, is_demo, sector_codes, process_codes, material_codes, search_text, created_at, updated_at) VALUES ('N-0001', 'B001', 'Vỏ nhựa', 'open', false, '', '', '', '', {_NOW}, {_NOW})"))  # fmt: skip
            run(sa.text(f"INSERT INTO firms (firm_id, name, is_demo, sector_codes, process_codes, material_codes, search_text, created_at, updated_at) VALUES ('F0001', 'Firm', false, '', '', '', '', {_NOW}, {_NOW})"))  # fmt: skip
            run(sa.text("INSERT INTO outcomes (need_id, firm_id, status, at) VALUES ('N-0001', 'F0001', 'meeting', '2026-02-02 10:00:00')"))  # fmt: skip
        migrate(engine)
        assert _schema_diff(engine) == []
        with engine.begin() as conn:
            run = conn.execute
            run(sa.text("INSERT INTO events (event_id, name, definition, created_at) VALUES ('EV-1', 'Day', :definition, CURRENT_TIMESTAMP)"),
                {"definition": '{"event_id": "EV-1", "tables": 1}'})  # fmt: skip
            run(sa.text("INSERT INTO event_meetings (event_pk, slot_id, day, start, \"end\", table_number, buyer_id, firm_id, need_id, value, requested_by, outcome_id) "
                        "SELECT id, 'D1-01', '2026-03-12', '09:00', '09:20', 1, 'B001', 'F0001', 'N-0001', 0.5, '', (SELECT MAX(id) FROM outcomes) FROM events"))  # fmt: skip
            # a pair meets at most once per event
            try:
                with conn.begin_nested():
                    run(sa.text("INSERT INTO event_meetings (event_pk, slot_id, day, start, \"end\", table_number, buyer_id, firm_id, value, requested_by) "
                                "SELECT id, 'D1-02', '2026-03-12', '09:20', '09:40', 1, 'B001', 'F0001', 0.5, '' FROM events"))  # fmt: skip
                raise AssertionError("a second meeting of the same pair in one event was stored")
            except sa.exc.IntegrityError:
                pass
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM event_meetings")).scalar() == 1
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        assert not {"events", "event_meetings"} & _tables(engine)
        with engine.connect() as conn:  # what was there before stays
            assert conn.execute(sa.text("SELECT status FROM outcomes")).scalars().all() == ["meeting"]
        # at 0007 the models lack the tables of 0008 and 0009, and 0009's api_keys.association_id
        assert {d[0] for d in _schema_diff(engine)} == {"add_table", "add_index", "add_column"}
        migrate(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
