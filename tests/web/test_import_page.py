"""The import page in-process (TestClient): the stage a running import reports, then its result;
the rejects table's row numbers as the spreadsheet shows them.

In-process so the import can be held half-way: the store step waits on an event until the
test has looked at the page and at its ``status.json``.
"""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient

import api.routes.imports as import_route
from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction

CSV = ("firm_id,name,employees\n"
       "PRG-1,Công ty Một,10\n"
       "PRG-2,Công ty Hai,20\n"
       "PRG-3,,30\n").encode()  # fmt: skip


@pytest.fixture
def staff_client(tmp_path):
    """A client signed in to the pages with a staff key, on a fresh SQLite database."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "staff", None)[1]
        assert client.post("/login", data={"key": key, "next": "/imports"}).status_code == 200
        yield client
    app.state.engine.dispose()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_a_running_import_shows_its_stage_then_its_result(staff_client, monkeypatch):
    client = staff_client
    release, storing = threading.Event(), threading.Event()
    store = import_route.import_result

    def held_store(session, result, actor):
        storing.set()
        assert release.wait(timeout=30), "the test never released the import"
        return store(session, result, actor)

    monkeypatch.setattr(import_route, "import_result", held_store)
    page = client.get("/imports")
    preview = client.post("/imports", data={"kind": "firms", "csrf": _csrf(page.text)},
                          files={"file": ("ba-dong.csv", CSV, "text/csv")})  # fmt: skip
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    confirmed = client.post("/imports/confirm", data={"csrf": _csrf(preview.text), "token": token},
                            follow_redirects=False)  # fmt: skip
    try:
        # The page answered while the store was held, so not after the rows were stored; on a busy
        # machine it may answer (after its 1 s wait) before the job has even reached the storing.
        assert confirmed.status_code == 303 and not release.is_set()
        assert storing.wait(timeout=30), "the import never reached the storing"
        job_url = confirmed.headers["location"]
        status = client.get(f"{job_url}/status.json").json()
        assert {k: status[k] for k in ("status", "stage", "read")} == {"status": "running", "stage": "storing", "read": 3}
        running = client.get(job_url).text
        assert 'id="import-running"' in running and 'id="counts"' not in running
        steps = re.findall(r'<li data-step="(\w+)" class="([\w-]+)"', running)
        assert steps == [("reading", "step-done"), ("storing", "step-now"), ("done", "step-todo")]
        assert "3 dòng đã đọc" in running
        assert '<meta http-equiv="refresh"' in running  # the page reloads itself without JavaScript too
    finally:
        release.set()
    for _ in range(100):
        if client.get(f"{job_url}/status.json").json()["status"] != "running":
            break
        time.sleep(0.1)
    done = client.get(job_url).text
    assert 'id="import-running"' not in done and '<meta http-equiv="refresh"' not in done
    counts = dict(re.findall(r'data-count="(\w+)">([^<]+)<', done))
    assert (counts["read"], counts["inserted"], counts["rejected"]) == ("3", "2", "1")


def test_the_status_of_a_missing_job_is_404_and_needs_a_signed_in_key(staff_client):
    assert staff_client.get("/imports/999/status.json").status_code == 404
    staff_client.cookies.clear()
    answer = staff_client.get("/imports/1/status.json", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def _import(client, name: str, data: bytes) -> str:
    """Upload, confirm, and return the finished job's page."""
    page = client.get("/imports")
    preview = client.post("/imports", data={"kind": "firms", "csrf": _csrf(page.text)},
                          files={"file": (name, data, "application/octet-stream")})  # fmt: skip
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    job = client.post("/imports/confirm", data={"csrf": _csrf(preview.text), "token": token})
    for _ in range(100):
        if 'id="import-running"' not in job.text:
            return job.text
        time.sleep(0.1)
        job = client.get(str(job.url))
    raise AssertionError("the import did not finish")


def test_rejects_give_the_row_as_the_spreadsheet_numbers_it(staff_client):
    """A title row above the headers, the template's help rows, an STT column: a reject names
    the row number Excel shows on the left of the bad cell."""
    from openpyxl import load_workbook

    book = load_workbook("data/demo/templates/firms_template.xlsx")
    sheet = book.worksheets[0]
    sheet.insert_cols(1)
    sheet.cell(row=1, column=1, value="STT")
    sheet.insert_rows(1)
    sheet.cell(row=1, column=1, value="DANH SÁCH DOANH NGHIỆP CÔNG NGHIỆP HỖ TRỢ")
    first = sheet.max_row + 1
    rows = [[1, "ROW-1", "Công ty Một", None, "1 Lê Lợi", "Đông Anh", 2005, 80],
            [2, "ROW-2", "Công ty Hai", "01-0234", "2 Lê Lợi", "Đông Anh", 2006, "abc"],
            [3, "ROW-3", None, None, "3 Lê Lợi", "Gia Lâm", 2007, 10]]  # fmt: skip
    for number, values in enumerate(rows, start=first):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    # Where Excel shows each id: the number on the left of its row.
    shown = {row[1].value: row[1].row for row in load_workbook(out).worksheets[0].iter_rows(min_row=1)}

    page = _import(staff_client, "mau-co-tieu-de.xlsx", out.getvalue())
    table = page[page.index('id="rejects"'):]
    found = re.findall(r'data-label="Dòng">(\d+)</td><td data-label="Cột">(\w+)<', table)
    assert (str(shown["ROW-2"]), "tax_code") in found
    assert (str(shown["ROW-2"]), "employees") in found
    assert (str(shown["ROW-3"]), "name") in found
    assert {number for number, _ in found} == {str(shown["ROW-2"]), str(shown["ROW-3"])}


def test_rows_numbered_in_advance_are_neither_previewed_nor_rejected(staff_client):
    """The project's template filled below its help rows, its STT column numbered down to 30:
    the preview shows the one filled row and the import rejects nothing."""
    from openpyxl import load_workbook

    book = load_workbook("data/demo/templates/firms_template.xlsx")
    sheet = book.worksheets[0]
    sheet.insert_cols(1)
    sheet.cell(row=1, column=1, value="STT")
    first = sheet.max_row + 1
    for column, value in enumerate([1, "STT-1", "Công ty Một", None, "1 Lê Lợi", "Đông Anh"], start=1):
        sheet.cell(row=first, column=column, value=value)
    for number in range(2, 31):
        sheet.cell(row=first + number - 1, column=1, value=number)
    out = io.BytesIO()
    book.save(out)

    page = staff_client.get("/imports")
    preview = staff_client.post("/imports", data={"kind": "firms", "csrf": _csrf(page.text)},
                                files={"file": ("danh-so-truoc.xlsx", out.getvalue(), "application/octet-stream")})  # fmt: skip
    rows = re.findall(r'<tr><td class="num">(\d+)</td>', preview.text[preview.text.index('id="preview-rows"'):])
    assert rows == [str(first)]
    assert "(1)" in re.search(r'id="confirm-form".*?</button>', preview.text, re.S).group(0)

    done = _import(staff_client, "danh-so-truoc.xlsx", out.getvalue())
    counts = dict(re.findall(r'data-count="(\w+)">([^<]+)<', done))
    assert (counts["read"], counts["inserted"], counts["rejected"]) == ("1", "1", "0")
    assert 'id="rejects"' not in done


def test_the_page_offers_the_projects_templates_to_download(staff_client):
    from pathlib import Path

    page = staff_client.get("/imports").text
    links = re.findall(r'<a href="(/imports/templates/\w+\.xlsx)" download>([^<]+)</a>', page)
    assert [href for href, _ in links] == [f"/imports/templates/{k}.xlsx" for k in ("firms", "buyers", "needs", "outcomes")]
    assert links[0][1] == "Doanh nghiệp"
    answer = staff_client.get("/imports/templates/firms.xlsx")
    assert answer.status_code == 200
    assert 'filename="firms_template.xlsx"' in answer.headers["content-disposition"]
    assert answer.content == Path("data/demo/templates/firms_template.xlsx").read_bytes()
    assert staff_client.get("/imports/templates/passwords.xlsx").status_code in (404, 422)


def test_the_header_names_the_role_in_the_pages_language(staff_client):
    assert re.search(r'class="who"[^>]*>Cán bộ Sở · cnht_', staff_client.get("/imports").text)
    assert re.search(r'class="who"[^>]*>Staff · cnht_', staff_client.get("/imports?lang=en").text)
