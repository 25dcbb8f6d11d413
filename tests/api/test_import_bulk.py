"""A firms import writes each chunk of rows in a few multi-row statements, and stores exactly
what the row-by-row path stores: the same firms, certificates, counts and audit rows.

Each test runs on SQLite and on PostgreSQL (tests/api/conftest.py).
"""

from __future__ import annotations

import gc
import io
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import api.storage.imports as imports
from api.settings import Settings
from api.storage.imports import import_result, upsert_table
from api.storage.models import AuditLog, Firm
from api.storage.repository import certification_tuple
from api.storage.session import make_engine, make_sessionmaker, migrate, transaction
from features.ingest import read_table

DEMO_FIRMS = Path(__file__).resolve().parents[2] / "data" / "demo" / "firms.csv"


@pytest.fixture
def twin(settings: Settings, tmp_path):
    """A second empty database on the same backend as ``settings`` (migrated), and the first."""
    first = make_engine(settings)
    migrate(first)
    admin = schema = None
    if settings.database_url.startswith("sqlite"):
        other = Settings(database_url=f"sqlite:///{tmp_path / 'twin.db'}")
    else:
        schema = f"cnht_twin_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(settings.database_url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        other = Settings(database_url=settings.database_url, database_schema=schema)
    second = make_engine(other)
    migrate(second)
    try:
        yield make_sessionmaker(first), make_sessionmaker(second)
    finally:
        first.dispose()
        second.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _demo() -> pd.DataFrame:
    return pd.read_csv(DEMO_FIRMS, dtype=str, keep_default_na=False)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _changed(frame: pd.DataFrame) -> pd.DataFrame:
    """Descriptions, phones and certificates changed; tax codes moved between firms in a chunk;
    a row naming a stored firm by its tax code under another firm id."""
    out = frame.copy()
    every_seventh = out.index % 7 == 2
    out.loc[every_seventh, "description"] = out.loc[every_seventh, "description"] + " Nhận gia công theo bản vẽ."
    out.loc[out.index % 11 == 4, "phone"] = "024 3999 0000"
    out.loc[out.index % 13 == 5, "certifications"] = "ISO 9001:2015 cấp ngày 01/03/2025, hiệu lực đến 28/02/2028"
    out.loc[out.index % 17 == 6, "certifications"] = ""
    # Row 20 gives up its tax code, which row 30 then takes (same chunk, in that order).
    given_up = out.loc[20, "tax_code"]
    out.loc[20, "tax_code"] = ""
    out.loc[30, "tax_code"] = given_up
    # A firm named by its tax code under an id the database does not know: that firm is updated.
    out.loc[250, "firm_id"] = "F9250"
    out.loc[250, "name"] = out.loc[250, "name"] + " (đổi tên)"
    return out


def _import(factory, content: bytes, *, row_by_row: bool, monkeypatch) -> dict:
    result = read_table("firms", content, filename="firms.csv")
    stored_whole = []
    real = imports._store_chunk
    with monkeypatch.context() as patch:
        if row_by_row:  # every chunk "has a problem": the rows are stored one by one
            patch.setattr(imports, "_store_chunk", lambda *args, **kwargs: False)
        else:
            patch.setattr(imports, "_store_chunk",
                          lambda *args, **kwargs: stored_whole.append(real(*args, **kwargs)) or stored_whole[-1])
        with transaction(factory) as session:
            counts = import_result(session, result, "test")
    # These files have no row to reject: every chunk is stored whole (not row by row).
    assert all(stored_whole), stored_whole
    return {
        "inserted": counts.inserted, "updated": counts.updated, "unchanged": counts.unchanged,
        "rejected": counts.rows_rejected, "rejects": counts.rejects,
    }  # fmt: skip


def _without_times(snapshot: dict | None) -> dict | None:
    if snapshot is None:
        return None
    for name in ("created_at", "updated_at"):
        assert isinstance(snapshot.pop(name), str), name
    return snapshot


def _stored(factory) -> tuple[dict, list]:
    skip = {"id", "created_at", "updated_at"}
    with transaction(factory) as session:
        firms = {
            firm.firm_id: {
                **{c.key: getattr(firm, c.key) for c in Firm.__table__.columns if c.key not in skip},
                "certifications": [certification_tuple(c) for c in firm.certifications],
            }
            for firm in session.scalars(sa.select(Firm))
        }
        audit = [
            (row.actor, row.action, row.entity, row.entity_id, _without_times(row.before), _without_times(row.after))
            for row in session.scalars(sa.select(AuditLog).order_by(AuditLog.id))
        ]  # fmt: skip
    return firms, audit


def test_chunks_store_what_the_row_by_row_path_stores(twin, monkeypatch):
    """New firms, a re-import, changes (tax codes moving between firms in one chunk), a partial
    file: chunked and row by row give the same counts, rows, certificates and audit rows."""
    chunked, row_by_row = twin
    demo = _demo()
    partial = demo[["firm_id", "name", "phone"]].iloc[300:600].copy()
    partial.loc[partial.index % 3 == 0, "phone"] = "0243 777 8888"
    for content in (_csv(demo), _csv(demo), _csv(_changed(demo)), _csv(partial)):
        counts = _import(chunked, content, row_by_row=False, monkeypatch=monkeypatch)
        assert counts == _import(row_by_row, content, row_by_row=True, monkeypatch=monkeypatch)
        assert _stored(chunked) == _stored(row_by_row)
    firms, audit = _stored(chunked)
    assert len(firms) > 800 and "F9250" not in firms
    assert firms["F0031"]["tax_code"] == demo.loc[20, "tax_code"]  # moved from F0021
    assert firms["F0021"]["tax_code"] is None
    assert firms[demo.loc[250, "firm_id"]]["name"].endswith("(đổi tên)")
    assert {a[1] for a in audit} == {"create", "update"}


def test_an_import_sends_a_few_statements_per_chunk(app, monkeypatch):
    """906 new firms, then the same file again: a handful of statements per chunk of 200 rows
    (lookup, certificates, inserts of firms, certificates and audit rows), none per row."""
    statements = []
    listener = lambda *args, **kwargs: statements.append(args[2])  # noqa: E731
    content = DEMO_FIRMS.read_bytes()
    sa.event.listen(app.state.engine, "before_cursor_execute", listener)
    try:
        for expected in ("inserted", "unchanged"):
            statements.clear()
            counts = _import(app.state.sessionmaker, content, row_by_row=False, monkeypatch=monkeypatch)
            assert counts[expected] > 800, counts
            assert len(statements) < 0.05 * counts[expected], statements[:20]
    finally:
        sa.event.remove(app.state.engine, "before_cursor_execute", listener)


def test_a_firm_named_twice_in_one_chunk_is_stored_row_by_row(app):
    """upsert_table takes any frame: a firm id twice in a chunk (the second row finds the firm
    the first created) is stored as the row-by-row path stores it."""
    frame = pd.DataFrame(
        {"firm_id": ["D0001", "D0002", "D0001"], "name": ["Một", "Hai", "Một (sửa)"],
         "tax_code": [None, None, None]},
        index=[2, 3, 4],
    )  # fmt: skip
    with transaction(app.state.sessionmaker) as session:
        counts = upsert_table(session, "firms", frame, "test")
    assert (counts.inserted, counts.updated, counts.rejected) == (2, 1, 0)
    with transaction(app.state.sessionmaker) as session:
        assert session.scalar(sa.select(Firm.name).where(Firm.firm_id == "D0001")) == "Một (sửa)"


def test_the_collector_is_handed_its_objects_back(app):
    """The import freezes the process's older objects for the collector while it writes, and
    unfreezes them after; objects a process froze itself stay frozen."""
    content = io.BytesIO(b"firm_id,name\nG0001,Firm one\n")
    result = read_table("firms", content, filename="firms.csv")
    with transaction(app.state.sessionmaker) as session:
        import_result(session, result, "test")
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        result = read_table("firms", io.BytesIO(b"firm_id,name\nG0002,Firm two\n"), filename="firms.csv")
        with transaction(app.state.sessionmaker) as session:
            import_result(session, result, "test")
        assert gc.get_freeze_count() > 0  # not unfrozen by the import
    finally:
        gc.unfreeze()
