"""Imports never lose stored data: partial files, rejected cells, over-long cells, job records.

Each test runs on SQLite and on PostgreSQL (tests/api/conftest.py).
"""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from api.storage.models import Firm, Need
from api.storage.session import transaction
from tests.api.conftest import refuse_insert_of

FULL_FIRM = (
    "firm_id,name,tax_code,district,description,certifications,employees,is_demo\n"
    "F0200,Công ty TNHH Cơ khí Hòa Bình,0100109106,Đông Anh,Gia công CNC phay,"
    "ISO 9001:2015 hết hạn 12/2099,38,true\n"
).encode()
BUYER = b"buyer_id,name,country\nB001,Canon Vietnam,JP\n"
FULL_NEED = (
    "need_id,buyer_id,title,description,annual_volume,deadline,status,target_price_usd,"
    "internal_notes\n"
    "N-0240,B001,Vỏ nhựa ABS,Injection moulding of ABS housings,200000,2026-09-30,closed,0.42,"
    "Buyer prefers Thang Long\n"
).encode()


def _upload(client, headers, kind, content, filename=None):
    files = {"file": (filename or f"{kind}.csv", content, "text/csv")}
    return client.post(f"/api/v1/imports/{kind}", files=files, headers=headers)


def _firm(app, firm_id="F0200") -> dict:
    with transaction(app.state.sessionmaker) as session:
        firm = session.scalar(sa.select(Firm).where(Firm.firm_id == firm_id))
        return {
            "name": firm.name, "tax_code": firm.tax_code, "district": firm.district,
            "description": firm.description, "employees": firm.employees,
            "is_demo": firm.is_demo, "certifications": [c.code for c in firm.certifications],
        }  # fmt: skip


def _need(app, need_id="N-0240") -> dict:
    with transaction(app.state.sessionmaker) as session:
        need = session.scalar(sa.select(Need).where(Need.need_id == need_id))
        return {
            "title": need.title, "description": need.description, "status": need.status,
            "annual_volume": need.annual_volume, "deadline": str(need.deadline),
            "target_price_usd": need.target_price_usd, "internal_notes": need.internal_notes,
        }  # fmt: skip


def test_partial_firm_file_changes_only_its_columns(app, client, staff):
    assert _upload(client, staff, "firms", FULL_FIRM).json()["inserted"] == 1
    before = _firm(app)
    assert before["tax_code"] == "0100109106" and before["certifications"] == ["iso_9001"]
    same_name = "firm_id,name\nF0200,Công ty TNHH Cơ khí Hòa Bình\n".encode()
    body = _upload(client, staff, "firms", same_name).json()
    assert (body["updated"], body["unchanged"]) == (0, 1)
    assert _firm(app) == before
    body = _upload(client, staff, "firms", "firm_id,name,employees\nF0200,Công ty TNHH Cơ khí Hòa Bình,45\n".encode()).json()
    assert body["updated"] == 1, body
    assert _firm(app) == {**before, "employees": 45}


def test_partial_need_file_keeps_confidential_fields_and_status(client, staff, app):
    _upload(client, staff, "buyers", BUYER)
    assert _upload(client, staff, "needs", FULL_NEED).json()["inserted"] == 1
    before = _need(app)
    assert before["status"] == "closed" and before["internal_notes"] == "Buyer prefers Thang Long"
    retitled = "need_id,buyer_id,title\nN-0240,B001,Vỏ nhựa ABS (mới)\n".encode()
    assert _upload(client, staff, "needs", retitled).json()["updated"] == 1
    assert _need(app) == {**before, "title": "Vỏ nhựa ABS (mới)"}  # still closed
    reopened = b"need_id,buyer_id,title,status\nN-0240,B001,Vo nhua,open\n"
    assert _upload(client, staff, "needs", reopened).json()["updated"] == 1
    assert _need(app)["status"] == "open" and _need(app)["target_price_usd"] == 0.42


def test_rejected_cell_keeps_the_stored_value(app, client, staff):
    _upload(client, staff, "firms", FULL_FIRM)
    before = _firm(app)
    bad = "firm_id,name,tax_code,employees\nF0200,Công ty TNHH Cơ khí Hòa Bình,01-0234,nhiều\n"
    body = _upload(client, staff, "firms", bad.encode()).json()
    assert {(r["row"], r["column"]) for r in body["rejects"]} == {(2, "tax_code"), (2, "employees")}
    assert (body["rejected"], body["cells_rejected"], body["unchanged"]) == (0, 2, 1), body
    assert _firm(app) == before  # tax code 0100109106 and 38 employees kept
    fixed = "firm_id,name,tax_code,employees\nF0200,Công ty TNHH Cơ khí Hòa Bình,01-0234,40\n".encode()
    body = _upload(client, staff, "firms", fixed).json()
    assert (body["updated"], body["cells_rejected"]) == (1, 1)
    assert _firm(app) == {**before, "employees": 40}


def test_a_new_firm_with_a_rejected_cell_is_stored_without_it(app, client, staff):
    body = _upload(client, staff, "firms", b"firm_id,name,employees\nF0300,Firm,many\n").json()
    assert (body["inserted"], body["cells_rejected"]) == (1, 1)
    assert _firm(app, "F0300")["employees"] is None


def test_over_long_cell_rejects_the_cell_not_the_import(app, client, staff):
    district = "Đông Anh " * 25  # 225 characters; the column holds 120
    content = f"firm_id,name,district\nF0001,Firm one,Sóc Sơn\nF0002,Firm two,{district}\nF0003,Firm three,\n"
    answer = _upload(client, staff, "firms", content.encode())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["inserted"], body["rejected"], body["cells_rejected"]) == (3, 0, 1)
    [reject] = body["rejects"]
    assert (reject["row"], reject["column"]) == (3, "district")
    assert "120" in reject["reason"] and reject["fix"]
    assert _firm(app, "F0002")["district"] is None and _firm(app, "F0001")["district"] == "Sóc Sơn"
    # On an existing firm the over-long cell leaves the stored district alone.
    again = f"firm_id,name,district\nF0001,Firm one,{district}\n"
    body = _upload(client, staff, "firms", again.encode()).json()
    assert (body["unchanged"], body["cells_rejected"]) == (1, 1)
    assert _firm(app, "F0001")["district"] == "Sóc Sơn"


def test_over_long_name_or_huge_number_rejects_the_row_or_cell(app, client, staff):
    long_name = "Công ty " + "x" * 400
    content = f"firm_id,name,employees\nF0001,{long_name},10\nF0002,Firm two,99999999999\n"
    body = _upload(client, staff, "firms", content.encode()).json()
    assert (body["inserted"], body["rejected"], body["cells_rejected"]) == (1, 1, 1), body
    where = {(r["row"], r["column"]) for r in body["rejects"]}
    assert where == {(2, "name"), (3, "employees")}
    assert _firm(app, "F0002")["employees"] is None


def test_a_row_the_database_refuses_as_data_is_a_row_reject(app, client, staff):
    """Backstop for type checks the import does not know: PostgreSQL's data exceptions."""
    with app.state.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite has no typed data exceptions to raise from a trigger")
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            "IF NEW.firm_id = 'F0002' THEN RAISE EXCEPTION 'too long for the test' "
            "USING ERRCODE = '22001'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON firms FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    content = b"firm_id,name\nF0001,Firm one\nF0002,Firm two\nF0003,Firm three\n"
    body = _upload(client, staff, "firms", content).json()
    assert (body["inserted"], body["rejected"]) == (2, 1), body
    [reject] = body["rejects"]
    assert reject["row"] == 3 and "too long for the test" in reject["reason"]


def test_import_jobs_are_listed_and_a_failed_job_is_reachable(app, client, staff, analyst):
    done = _upload(client, staff, "firms", b"firm_id,name,employees\nF0001,Firm one,many\n").json()
    job = client.get(f"/api/v1/imports/{done['job_id']}", headers=staff)
    assert job.status_code == 200, job.text
    job = job.json()
    assert (job["status"], job["kind"], job["inserted"], job["cells_rejected"]) == ("done", "firms", 1, 1)
    assert job["rejects"][0]["column"] == "employees" and job["rejects"][0]["scope"] == "field"
    refuse_insert_of(app, "F0002")
    failed = _upload(client, staff, "firms", b"firm_id,name\nF0002,Firm two\n", "hai.csv")
    assert failed.status_code == 409
    assert "refused by test trigger" in failed.json()["detail"]
    failed_id = failed.json()["job_id"]
    assert f"/imports/{failed_id}" in failed.json()["detail"]
    job = client.get(f"/api/v1/imports/{failed_id}", headers=staff).json()
    assert (job["status"], job["filename"], job["inserted"]) == ("failed", "hai.csv", 0)
    assert "refused by test trigger" in job["error"]
    listing = client.get("/api/v1/imports", headers=staff).json()
    assert listing["count"] == 2 and [j["job_id"] for j in listing["data"]] == [failed_id, done["job_id"]]
    assert "rejects" not in listing["data"][0]
    only_done = client.get("/api/v1/imports", params={"status": "done"}, headers=staff).json()
    assert [j["job_id"] for j in only_done["data"]] == [done["job_id"]]
    missing = client.get("/api/v1/imports/999999", headers=staff)
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert client.get("/api/v1/imports", headers=analyst).status_code == 403


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_row_limit_is_checked_before_the_cells_are_read(client, staff, settings):
    limit = settings.max_upload_rows
    # No 'name' column: a parser would refuse it for that; the row count must come first.
    csv_rows = b"colour,size\n" + b"red,1\n" * (limit + 5)
    answer = _upload(client, staff, "firms", csv_rows)
    assert answer.status_code == 422 and f"the limit is {limit:,}" in answer.json()["detail"]
    workbook = _xlsx([["colour", "size"], *[["red", i] for i in range(limit + 1)]])
    answer = _upload(client, staff, "firms", workbook, "big.xlsx")
    assert answer.status_code == 422 and f"the limit is {limit:,}" in answer.json()["detail"]


def test_row_limit_counts_rows_not_lines(client, staff, settings):
    limit = settings.max_upload_rows
    # Each row's description spans three lines and blank lines separate rows: more lines
    # than the limit, as many rows as the limit.
    rows = "".join(f'F{i:04d},Firm {i},"line one\nline two\nline three"\n\n' for i in range(1, limit + 1))
    answer = _upload(client, staff, "firms", f"firm_id,name,description\n{rows}".encode())
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == limit
    blank_formatted = _xlsx([["firm_id", "name"], ["F0001", "Firm one"], *[["", " "]] * (limit + 10)])
    answer = _upload(client, staff, "firms", blank_formatted, "blank.xlsx")
    assert answer.status_code == 200, answer.text


DEMO = {
    "buyers.csv": "buyer_id,name\nB001,Canon Vietnam\n",
    "firms.csv": (
        "firm_id,name,employees\nF0001,Firm one,12\nF0002,Firm two,nhiều\nF0001,Firm one again,3\n"
    ),
    "needs.csv": "need_id,buyer_id,title\nN-0001,B001,Vỏ nhựa\n",
}


def test_demo_seeding_reports_the_rows_rejected_on_reading(app, tmp_path):
    from api.cli.commands.serve import demo_summary
    from api.storage.demo import seed_demo

    for name, content in DEMO.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    counts = seed_demo(app.state.sessionmaker, tmp_path)
    firms = counts["firms"]
    assert (firms.read, firms.inserted, firms.read_rejected, firms.rejected) == (3, 2, 1, 0)
    assert (firms.rows_rejected, firms.cells_rejected) == (1, 1)
    lines = demo_summary(counts)
    assert lines[1].startswith("demo firms: 2 inserted") and "1 rows rejected (1 on reading" in lines[1]
    assert "1 cells left out" in lines[1]
    assert any(line.strip().startswith("row 4") and "duplicate of row 2" in line for line in lines)
    assert any(line.strip().startswith("row 3, employees") for line in lines)


def test_cnht_command_names_a_script_that_exists():
    from pathlib import Path

    from api.cli.commands.serve import cnht_command

    command = cnht_command()
    assert command == "cnht" or (Path(command).name == "cnht" and (Path.cwd() / command).is_file())


def test_cli_import_of_a_partial_file_keeps_the_other_columns(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.settings import Settings, get_settings
    from api.storage.session import make_engine, make_sessionmaker

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CNHT_DATABASE_URL", url)
    get_settings.cache_clear()
    full, partial = tmp_path / "full.csv", tmp_path / "partial.csv"
    full.write_bytes(FULL_FIRM)
    partial.write_text("firm_id,name,tax_code,employees\nF0200,Công ty TNHH Cơ khí Hòa Bình,01-0234,40\n",
                       encoding="utf-8")  # fmt: skip
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["import", "firms", str(full), "--lang", "en"])
        assert first.exit_code == 0 and "inserted 1" in first.output, first.output
        second = runner.invoke(cli, ["import", "firms", str(partial), "--lang", "en"])
        assert second.exit_code == 0, second.output
        assert "updated 1" in second.output and "cells rejected 1" in second.output
    finally:
        get_settings.cache_clear()
    engine = make_engine(Settings(database_url=url))
    with transaction(make_sessionmaker(engine)) as session:
        firm = session.scalar(sa.select(Firm).where(Firm.firm_id == "F0200"))
        assert (firm.tax_code, firm.employees, firm.description) == ("0100109106", 40, "Gia công CNC phay")
        assert [c.code for c in firm.certifications] == ["iso_9001"] and firm.is_demo is True
    engine.dispose()
    rejects = (tmp_path / "partial.rejects.csv").read_text(encoding="utf-8-sig")
    assert "tax_code" in rejects and "field" in rejects


def test_an_import_reads_its_rows_texts_before_its_transaction_writes(app, monkeypatch, tmp_path):
    """Taxonomy codes, places and certificates of new rows are read ahead (before SQLite's
    write lock): storing them scans no text; the stored codes are those of a plain create."""
    import features.capabilities as capabilities
    import features.sectors as sectors
    from api.storage.imports import import_result
    from features.ingest import read_table

    sectors._capability_codes.cache_clear()
    path = tmp_path / "firms.csv"
    path.write_text("firm_id,name,address,description,certifications\n"
                    "R0001,Cơ khí Rạng Đông,\"Số 1, Quận Cầu Giấy, Hà Nội\",Dập kim loại tấm và hàn,ISO 9001:2015\n"
                    "R0002,Nhựa Bình Minh,\"KCN Quang Minh, Mê Linh, Hà Nội\",Ép nhựa ABS cho vỏ điện tử,\n",
                    encoding="utf-8")  # fmt: skip
    result = read_table("firms", str(path))
    scans = []
    real = capabilities.extract_capabilities
    # import_result reads ahead first; count the scans made after its first statement.
    from sqlalchemy import event

    engine = app.state.engine
    started = []
    listener = lambda *a, **k: started.append(True)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    monkeypatch.setattr(capabilities, "extract_capabilities",
                        lambda *a, **k: (scans.append(bool(started)), real(*a, **k))[1])  # fmt: skip
    try:
        with transaction(app.state.sessionmaker) as session:
            counts = import_result(session, result, "test")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert counts.inserted == 2
    assert scans and not any(scans), "a text was scanned after the transaction's first statement"
    with transaction(app.state.sessionmaker) as session:
        stored = {f.firm_id: (f.process_codes, f.latitude is not None) for f in session.scalars(sa.select(Firm))}
    assert "stamping" in stored["R0001"][0] and "injection_moulding" in stored["R0002"][0]
    assert stored["R0001"][1] and stored["R0002"][1]


def test_a_rejected_row_inside_a_chunk_leaves_the_chunks_other_rows_stored(app, client, staff, tmp_path):
    """Rows are stored in chunks (one savepoint each); a chunk with a rejected row is stored
    row by row instead, so the rejection costs that row only, in any chunk."""
    from tests.api.conftest import make_firm

    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    assert client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code=None), headers=staff).status_code == 201
    lines = ["firm_id,name,tax_code"] + [f"X{i:04d},Firm {i}," for i in range(450)]
    lines.insert(301, "F0002,Firm two,0100109106")  # F0001's tax code: rejected, in the second chunk
    path = tmp_path / "firms.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from api.storage.imports import import_result
    from features.ingest import read_table

    result = read_table("firms", str(path))
    with transaction(app.state.sessionmaker) as session:
        counts = import_result(session, result, "test")
    assert (counts.inserted, counts.rows_rejected) == (450, 1), counts
    [reject] = counts.rejects
    assert reject["row"] == 302 and reject["column"] == "tax_code" and "F0001" in reject["reason"]
    with transaction(app.state.sessionmaker) as session:
        stored = session.scalar(sa.select(sa.func.count()).select_from(Firm).where(Firm.firm_id.like("X%")))
        assert stored == 450
        assert session.scalar(sa.select(Firm.tax_code).where(Firm.firm_id == "F0002")) is None
