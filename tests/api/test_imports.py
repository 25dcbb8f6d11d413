"""POST /imports/{kind}: upsert in one transaction, idempotent re-import, limits, failure."""

from __future__ import annotations

import io
import threading

import openpyxl
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.storage.models import Firm, FirmCertification, ImportJob
from api.storage.session import transaction
from tests.api.conftest import refuse_insert_of

FIRMS_CSV = """firm_id,name,tax_code,district,sectors,description,certifications,employees
F0001,Công ty TNHH Cơ khí Hòa Bình,0100109106,Đông Anh,cơ khí,Gia công CNC phay,ISO 9001:2015 hết hạn 12/2099,12
F0002,Công ty Điện tử Sông Hồng,,Thanh Xuân,điện tử,Lắp ráp SMT,,abc
F0003,,,,,,,
""".encode()

BUYERS_CSV = b"buyer_id,name,country,park_id,sector\nB001,Canon Vietnam,JP,thang_long,electronics\n"
NEEDS_CSV = """need_id,buyer_id,title,processes,target_price_usd
N-0001,B001,Vỏ nhựa ABS,injection_moulding,0.4
N-0002,B777,Giá đỡ thép,stamping,
""".encode()
OUTCOMES_CSV = b"""need_id,firm_id,status,reason,at,by
N-0001,F0001,suggested,,2026-01-05 09:00,an
N-0001,F0001,contacted,,2026-01-06 10:00,an
N-0001,F0002,meeting,,2026-01-06 10:00,an
"""


def _upload(client, headers, kind, content, filename=None):
    files = {"file": (filename or f"{kind}.csv", content, "text/csv")}
    return client.post(f"/api/v1/imports/{kind}", files=files, headers=headers)


def _firm_rows(app):
    with transaction(app.state.sessionmaker) as session:
        return {f.firm_id: (f.name, f.employees, f.tax_code) for f in session.scalars(sa.select(Firm))}


def test_import_firms_counts_rejects_and_certificates(app, client, staff):
    answer = _upload(client, staff, "firms", FIRMS_CSV)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["read"], body["inserted"], body["updated"], body["unchanged"], body["rejected"]) == (3, 2, 0, 0, 1)  # fmt: skip
    columns = {(r["row"], r["column"]) for r in body["rejects"]}
    assert {(3, "employees"), (4, "name")} <= columns
    assert all(r["reason"] for r in body["rejects"])
    firm = client.get("/api/v1/firms/F0001", headers=staff).json()
    assert firm["certifications"][0]["code"] == "iso_9001"
    assert firm["certifications"][0]["valid_until"] == "2099-12-31"
    assert "cnc_milling" in firm["process_codes"]
    assert client.get("/api/v1/firms", params={"q": "song hong"}, headers=staff).json()["count"] == 1


def test_reimport_changes_nothing_and_keeps_verification(app, client, staff):
    _upload(client, staff, "firms", FIRMS_CSV)
    cert = client.get("/api/v1/firms/F0001", headers=staff).json()["certifications"][0]
    client.patch("/api/v1/firms/F0001", json={"certifications": [{**cert, "verified": True}]}, headers=staff)  # fmt: skip
    before = _firm_rows(app)
    again = _upload(client, staff, "firms", FIRMS_CSV).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert _firm_rows(app) == before
    assert client.get("/api/v1/firms/F0001", headers=staff).json()["certifications"][0]["verified"] is True


def test_reimport_by_tax_code_updates_the_firm(app, client, staff):
    _upload(client, staff, "firms", FIRMS_CSV)
    renamed = "firm_id,name,tax_code,employees\nF0099,Công ty TNHH Cơ khí Hòa Bình (mới),0100109106,40\n"
    body = _upload(client, staff, "firms", renamed.encode()).json()
    assert (body["inserted"], body["updated"]) == (0, 1)
    rows = _firm_rows(app)
    assert "F0099" not in rows and rows["F0001"][1] == 40 and rows["F0001"][0].endswith("(mới)")


def test_xlsx_with_vietnamese_headers(client, staff):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã doanh nghiệp", "Tên doanh nghiệp", "Mô tả năng lực"])
    sheet.append(["F0007", "Công ty Dập Kim loại Đông Anh", "Dập, đột, hàn"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = _upload(client, staff, "firms", buffer.getvalue(), "mau.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1
    assert "stamping" in client.get("/api/v1/firms/F0007", headers=staff).json()["process_codes"]


def test_needs_of_unknown_buyer_are_rejected_rows_and_outcomes_follow_the_state_machine(client, staff):
    _upload(client, staff, "firms", FIRMS_CSV)
    assert _upload(client, staff, "buyers", BUYERS_CSV).json()["inserted"] == 1
    needs = _upload(client, staff, "needs", NEEDS_CSV).json()
    assert (needs["inserted"], needs["rejected"]) == (1, 1)
    assert [(r["row"], r["column"]) for r in needs["rejects"]] == [(3, "buyer_id")]
    outcomes = _upload(client, staff, "outcomes", OUTCOMES_CSV).json()
    assert (outcomes["inserted"], outcomes["rejected"]) == (2, 1)
    assert outcomes["rejects"][0]["row"] == 4 and "first status" in outcomes["rejects"][0]["reason"]
    again = _upload(client, staff, "outcomes", OUTCOMES_CSV).json()
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 2, 1)
    history = client.get("/api/v1/outcomes", params={"need_id": "N-0001"}, headers=staff).json()
    assert [o["status"] for o in history["data"]] == ["suggested", "contacted"]


def test_upload_limits_and_bad_files(client, staff, analyst, settings):
    too_big = _upload(client, staff, "firms", b"firm_id,name\n" + b"F0001,x\n" * 3000)
    assert too_big.status_code == 413 and f"{settings.max_upload_bytes:,} bytes" in too_big.json()["detail"]
    many = b"firm_id,name\n" + b"".join(f"F{i:04d},Firm {i}\n".encode() for i in range(1, 60))
    too_many = _upload(client, staff, "firms", many)
    assert too_many.status_code == 422
    assert f"more than {settings.max_upload_rows:,} rows" in too_many.json()["detail"]
    assert _upload(client, staff, "firms", b"").status_code == 422
    no_name = _upload(client, staff, "firms", b"colour,size\nred,1\n")
    assert no_name.status_code == 422 and no_name.json()["detail"]
    wrong_kind = _upload(client, staff, "suppliers", FIRMS_CSV)
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json()["detail"]
    assert _upload(client, analyst, "firms", FIRMS_CSV).status_code == 403
    no_file = client.post("/api/v1/imports/firms", headers=staff)
    assert no_file.status_code == 422 and "file" in no_file.json()["detail"]


def test_failure_half_way_leaves_the_database_as_before(app, client, staff):
    _upload(client, staff, "firms", b"firm_id,name\nF0050,Firm already there\n")
    before = _firm_rows(app)
    refuse_insert_of(app, "F0002")  # the second row of FIRMS_CSV
    answer = _upload(client, staff, "firms", FIRMS_CSV + b"F0050,Firm renamed by the batch\n")
    assert answer.status_code == 409
    assert "rolled back" in answer.json()["detail"] and "refused by test trigger" in answer.json()["detail"]
    assert _firm_rows(app) == before  # F0001 (inserted before the failure) is gone too
    with transaction(app.state.sessionmaker) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(FirmCertification)) == 0
        job = session.scalars(sa.select(ImportJob).order_by(ImportJob.id.desc())).first()
        assert job.status == "failed" and "refused" in job.error


def test_two_concurrent_imports_leave_consistent_data(app, staff):
    first = "firm_id,name,employees\n" + "".join(f"F{i:04d},Firm {i},{i}\n" for i in range(1, 31))
    second = "firm_id,name,employees\n" + "".join(f"F{i:04d},Firm {i},{i * 10}\n" for i in range(16, 46))
    answers: dict[str, dict] = {}

    def run(name: str, content: str) -> None:
        with TestClient(app) as own_client:  # one client per thread
            answer = _upload(own_client, staff, "firms", content.encode())
            answers[name] = {**answer.json(), "http": answer.status_code}

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["a"]["http"] == answers["b"]["http"] == 200, answers
    rows = _firm_rows(app)
    assert sorted(rows) == [f"F{i:04d}" for i in range(1, 46)]
    inserted = answers["a"]["inserted"] + answers["b"]["inserted"]
    assert inserted == 45  # the 15 shared ids were inserted once and updated once
    assert answers["a"]["updated"] + answers["b"]["updated"] == 15
    overlap = {rows[f"F{i:04d}"][1] for i in range(16, 31)}
    # Whichever import ran last wrote all 15 shared firms: never a mix of the two.
    assert overlap in ({i for i in range(16, 31)}, {i * 10 for i in range(16, 31)})


def test_reads_do_not_wait_for_a_writer(app, client, staff):
    _upload(client, staff, "firms", b"firm_id,name\nF0001,Firm one\n")
    with transaction(app.state.sessionmaker) as writer:
        writer.add(Firm(firm_id="F0002", name="Uncommitted firm"))
        writer.flush()  # the write lock is held (SQLite) / the row is not committed (PostgreSQL)
        listed = client.get("/api/v1/firms", headers=staff)
        assert listed.status_code == 200 and listed.json()["count"] == 1


def test_certificates_the_text_says_are_not_held_are_not_stored(app, client, staff):
    csv_text = (
        "firm_id,name,certifications\n"
        'F0001,Công ty TNHH Cơ khí Hòa Bình,"ISO 9001:2015; không có IATF 16949; đang xây dựng ISO 14001"\n'
    )
    answer = _upload(client, staff, "firms", csv_text.encode())
    assert answer.status_code == 200, answer.text
    firm = client.get("/api/v1/firms/F0001", headers=staff).json()
    assert [c["code"] for c in firm["certifications"]] == ["iso_9001"]
    assert "IATF 16949" in firm["certifications_text"]  # what was written is kept
    ranked = client.get("/api/v1/firms", params={"certification": "iatf_16949"}, headers=staff).json()
    assert ranked["count"] == 0
