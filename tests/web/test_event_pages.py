"""The event pages in-process (TestClient, issue 13): list, event page, requests and refusals by
hand, the schedule run as a background job, the files, the follow-up report, and bad input as
a page in words (never JSON, never 500).

The tiny market of tests/api/test_events_api.py: buyer B001 needs ABS housings with ISO 9001
(only F0001 holds it), B002 needs CNC shafts and asked for F0002 by hand; B001-F0003 is refused.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import zipfile
from collections import OrderedDict
from html import unescape

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

import api.web.events as event_pages
from api.app import create_app
from api.auth import create_key
from api.cli import app as cli
from api.settings import Settings, get_settings
from api.storage.session import transaction
from api.web.jobs import PageJobs
from tests.api.conftest import bearer
from tests.api.test_events_api import (
    AWAY,
    EVENT,
    check_schedule,
    event,
    forget_vietnamese,
    write_market,
)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _error(html: str) -> str:
    found = re.search(r'class="alert error"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)) if found else ""


@pytest.fixture
def site(tmp_path, monkeypatch):
    """The tiny market and EV-TEST stored, a client signed in to the pages as staff, the API's
    staff headers and the database URL (the CLI pointed at it)."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    app = create_app(Settings(database_url=url))
    monkeypatch.setattr(event_pages, "_JOBS", PageJobs(event_pages._JOBS.doing))
    monkeypatch.setattr(event_pages, "_PROPOSALS", OrderedDict())
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "staff", None)[1]
        staff = bearer(key)
        write_market(client, staff)
        assert client.post("/api/v1/events", json=EVENT, headers=staff).status_code == 201
        assert client.post("/login", data={"key": key, "next": "/events"}).status_code == 200
        monkeypatch.setenv("CNHT_DATABASE_URL", url)
        get_settings.cache_clear()
        yield client, staff, app
    get_settings.cache_clear()
    app.state.engine.dispose()


def _schedule(client, *, time_limit: str = "10") -> None:
    page = client.get("/events/EV-TEST")
    answer = client.post("/events/EV-TEST/schedule", data={"csrf": _csrf(page.text), "time_limit": time_limit},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/events/EV-TEST#schedule"
    for _ in range(300):
        status = client.get("/events/EV-TEST/schedule/status.json").json()
        if status["status"] != "running":
            break
        time.sleep(0.1)
    assert status["status"] == "done", status


def test_the_list_names_the_event_with_its_days_participants_and_state(site):
    client, _, _ = site
    html = client.get("/events").text
    assert 'href="/events"' in html and 'aria-current="page"' in html  # in the staff navigation
    row = re.search(r'<tr data-event="EV-TEST">(.*?)</tr>', html, re.S).group(1)
    assert "Ngày kết nối thử" in row and "12/03/2026" in row and 'href="/events/EV-TEST"' in row
    assert [int(n) for n in re.findall(r'class="num"[^>]*>(\d+)<', row)] == [2, 3]  # buyers, firms
    assert "Chưa xếp lịch" in row
    # The tab's title is words, and the add-event form is on the page once (it once sat inside
    # the title block too, markup in the browser's tab).
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and title.strip().endswith("cnht-match")
    assert html.count('id="event-form"') == 1 and html.count("/static/import.js") == 1
    english = client.get("/events?lang=en").text
    assert "Business-matching events" in english and "Not scheduled" in english


def test_the_event_page_shows_participants_proposals_with_reasons_and_the_pairs_set_by_hand(site):
    client, _, _ = site
    html = client.get("/events/EV-TEST").text
    buyers = re.search(r'id="buyer-rows">(.*?)</table>', html, re.S).group(1)
    assert "Canon Vietnam" in buyers and 'href="/needs/N-0001"' in buyers and "Vỏ nhựa ABS ép phun" in buyers
    assert "bận 1 khung giờ" in buyers  # B002 is away for D1-01
    firms = re.search(r'id="firm-rows">(.*?)</table>', html, re.S).group(1)
    assert all(f'data-firm="{f}"' in firms for f in ("F0001", "F0002", "F0003"))
    proposals = re.search(r'id="proposal-rows">(.*?)</table>', html, re.S).group(1)
    b001 = re.search(r'<tbody data-buyer="B001">(.*?)</tbody>', proposals, re.S).group(1)
    # Only F0001 holds the ISO 9001 that N-0001 requires: it is B001's proposal, with its reasons.
    assert 'data-firm="F0001"' in b001 and 'data-firm="F0003"' not in b001
    assert 'class="pro"' in b001 and "ISO 9001" in b001
    requests = re.search(r'id="request-list">(.*?)</ul>', html, re.S).group(1)
    assert 'data-buyer="B002" data-firm="F0002"' in requests and "Bên mua yêu cầu" in requests
    refusals = re.search(r'id="refusal-list">(.*?)</ul>', html, re.S).group(1)
    assert 'data-buyer="B001" data-firm="F0003"' in refusals
    assert "Chưa có lịch" in html and 'id="schedule-form"' in html and 'id="report-none"' in html


def test_scheduling_runs_in_the_background_and_the_page_shows_the_result_and_its_files(site):
    client, staff, _ = site
    _schedule(client)
    html = client.get("/events/EV-TEST").text
    stored = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()
    check_schedule(stored, EVENT)  # the API's stored schedule is the page's
    summary = re.search(r'id="schedule-summary">(.*?)</dl>', html, re.S).group(1)
    assert re.search(r'data-figure="meetings">(\d+)<', summary).group(1) == str(stored["count"])
    assert "Tối ưu (đã chứng minh)" in summary and 'data-figure="gap">0,00 %<' in summary
    grid = re.search(r'id="schedule-grid">(.*?)</table>', html, re.S).group(1)
    cells = re.findall(r'<td class="meeting[^"]*" data-buyer="(\w+)" data-firm="(\w+)"', grid)
    assert sorted(cells) == sorted((m["buyer_id"], m["firm_id"]) for m in stored["data"])
    assert grid.count("<tr>") == 3 + 1 and "Bàn 2" in grid  # 3 slots (and the head), 2 tables
    assert ("B001", "F0003") not in cells  # refused
    assert 'id="below-minimum-none"' in html or 'id="below-minimum"' in html
    # The files the CLI writes, for the stored schedule.
    book = load_workbook(io.BytesIO(client.get("/events/EV-TEST/schedule.xlsx").content))
    assert book.sheetnames[:3] == ["Theo người - By participant", "Theo bàn - By table", "Chưa xếp - Given up"]
    assert book["Theo bàn - By table"].max_row == stored["count"] + 1
    for which in ("hall", "participants"):
        answer = client.get(f"/events/EV-TEST/{which}.pdf")
        assert answer.headers["content-type"] == "application/pdf"
        assert "Canon Vietnam" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    names = zipfile.ZipFile(io.BytesIO(client.get("/events/EV-TEST/calendars.zip").content)).namelist()
    assert "buyer_B001.ics" in names and "firm_F0001.ics" in names
    one = client.get("/events/EV-TEST/calendars/buyer/B001.ics")
    assert one.headers["content-type"].startswith("text/calendar") and one.text.startswith("BEGIN:VCALENDAR")
    assert 'href="/events/EV-TEST/calendars/buyer/B001.ics"' in html
    assert "Đã xếp lịch" in client.get("/events").text


def _given_up(html: str) -> tuple[list[str], list[str], list[str]]:
    """The page's warnings, and the reasons of its firms below the minimum and requests not placed."""
    def reasons(table_id: str) -> list[str]:
        table = re.search(rf'id="{table_id}">(.*?)</table>', html, re.S).group(1)
        return [unescape(r) for r in re.findall(r'class="reason">([^<]*)</td>', table)]

    warnings = [unescape(w) for w in re.findall(r'<p class="alert warn">([^<]*)</p>', html)]
    return warnings, reasons("below-minimum"), reasons("unplaced")


def test_what_was_given_up_reads_in_the_pages_language_and_an_older_schedule_in_english(site):
    """F0003 away all day, B001 asked for two firms with room for one: the reasons in Vietnamese
    on the Vietnamese page, in English on the English one; a schedule stored before the
    Vietnamese was kept shows its English."""
    client, staff, app = site
    assert client.post("/api/v1/events", json=event(**AWAY), headers=staff).status_code == 201
    stored = client.post("/api/v1/events/EV-AWAY/schedule", json={"time_limit": 10}, headers=staff).json()
    english = (stored["warnings"], [r["reason"] for r in stored["firms_below_minimum"]],
               [r["reason"] for r in stored["unplaced_requests"]])
    vi = _given_up(client.get("/events/EV-AWAY?lang=vi").text)
    assert vi[0] == ["Doanh nghiệp F0003 bận ở mọi khung giờ: không xếp được buổi gặp nào."]
    assert "bận ở mọi khung giờ" in vi[1] and "unavailable in every slot (bận cả ngày)" not in vi[1]
    assert len(vi[2]) == 1 and vi[2][0].startswith("bên mua B001 có 2 yêu cầu gặp nhưng chỉ gặp được tối đa 1 buổi")
    assert _given_up(client.get("/events/EV-AWAY?lang=en").text) == english
    assert "unavailable in every slot (bận cả ngày)" in english[1]
    sheet = list(load_workbook(io.BytesIO(client.get("/events/EV-AWAY/schedule.xlsx").content))["Chưa xếp - Given up"].values)
    assert ("F0003", "unavailable in every slot (bận cả ngày)", "bận ở mọi khung giờ") in {
        (row[sheet[0].index("firm_id")], row[sheet[0].index("reason")], row[sheet[0].index("reason_vi")]) for row in sheet}

    forget_vietnamese(app, "EV-AWAY")
    for lang in ("vi", "en"):
        older = client.get(f"/events/EV-AWAY?lang={lang}")
        assert older.status_code == 200 and _given_up(older.text) == english
    book = load_workbook(io.BytesIO(client.get("/events/EV-AWAY/schedule.xlsx").content))
    sheet = list(book["Chưa xếp - Given up"].values)
    reason, reason_vi = sheet[0].index("reason"), sheet[0].index("reason_vi")
    assert all(row[reason_vi] == row[reason] for row in sheet[1:]) and len(sheet) == 1 + len(english[1] + english[2])


def test_a_running_schedule_shows_on_the_page_until_it_is_stored(site, monkeypatch):
    client, _, _ = site
    release, solving = threading.Event(), threading.Event()
    solve = event_pages.schedule_event

    def held(**kwargs):
        solving.set()
        assert release.wait(timeout=60), "the test never released the solver"
        return solve(**kwargs)

    monkeypatch.setattr(event_pages, "schedule_event", held)
    page = client.get("/events/EV-TEST")
    answer = client.post("/events/EV-TEST/schedule", data={"csrf": _csrf(page.text), "time_limit": "10"},
                         follow_redirects=False)  # fmt: skip
    try:
        assert answer.status_code == 303 and solving.is_set()
        assert client.get("/events/EV-TEST/schedule/status.json").json()["status"] == "running"
        running = client.get("/events/EV-TEST").text
        assert 'id="schedule-running"' in running and 'data-status-url="/events/EV-TEST/schedule/status.json"' in running
        assert 'id="schedule-form"' not in running and '<meta http-equiv="refresh"' in running
        assert '<script src="/static/job.js" defer></script>' in running
        assert "Đang xếp lịch…" in client.get("/events").text
        # A second press while it runs starts nothing more.
        again = client.post("/events/EV-TEST/schedule", data={"csrf": _csrf(page.text)}, follow_redirects=False)
        assert again.status_code == 303
    finally:
        release.set()
    for _ in range(300):
        if client.get("/events/EV-TEST/schedule/status.json").json()["status"] != "running":
            break
        time.sleep(0.1)
    done = client.get("/events/EV-TEST").text
    assert 'id="schedule-running"' not in done and 'id="schedule-summary"' in done


def test_a_refused_pair_is_never_scheduled_and_a_change_discards_the_old_schedule(site):
    client, staff, _ = site
    _schedule(client)
    before = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()
    pair = next((m["buyer_id"], m["firm_id"]) for m in before["data"])
    page = client.get("/events/EV-TEST")
    answer = client.post("/events/EV-TEST/pairs", follow_redirects=False, data={
        "csrf": _csrf(page.text), "buyer_id": pair[0], "firm_id": pair[1], "change": "refuse"})  # fmt: skip
    assert answer.status_code == 303 and "saved=pair_discarded" in answer.headers["location"]
    html = client.get(answer.headers["location"]).text
    assert "Lịch cũ đã bị xóa" in html and f'data-buyer="{pair[0]}" data-firm="{pair[1]}"' in \
        re.search(r'id="refusal-list">(.*?)</ul>', html, re.S).group(1)  # fmt: skip
    assert client.get("/api/v1/events/EV-TEST/schedule", headers=staff).status_code == 404
    _schedule(client)
    after = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()
    assert pair not in {(m["buyer_id"], m["firm_id"]) for m in after["data"]}
    # The refused pair cannot be requested until the refusal is lifted.
    page = client.get("/events/EV-TEST")
    refused = client.post("/events/EV-TEST/pairs", data={
        "csrf": _csrf(page.text), "buyer_id": pair[0], "firm_id": pair[1], "change": "request_firm"})  # fmt: skip
    assert refused.status_code == 422 and "hãy bỏ từ chối trước" in _error(refused.text)
    lifted = client.post("/events/EV-TEST/pairs", follow_redirects=False, data={
        "csrf": _csrf(page.text), "buyer_id": pair[0], "firm_id": pair[1], "change": "lift_refusal"})  # fmt: skip
    assert lifted.status_code == 303
    mutual = [client.post("/events/EV-TEST/pairs", follow_redirects=False, data={
        "csrf": _csrf(page.text), "buyer_id": pair[0], "firm_id": pair[1], "change": change})  # fmt: skip
        for change in ("request_buyer", "request_firm")]
    assert all(m.status_code == 303 for m in mutual)
    html = client.get("/events/EV-TEST").text
    requests = re.search(r'id="request-list">(.*?)</ul>', html, re.S).group(1)
    assert re.search(rf'data-buyer="{pair[0]}" data-firm="{pair[1]}">.*?Cả hai yêu cầu', requests, re.S)


@pytest.mark.parametrize(("path", "form", "status", "words"), [
    ("/events/EV-TEST/pairs", {"buyer_id": "B001", "firm_id": "F0001", "change": "delete_all"}, 422, "Thao tác phải là"),
    ("/events/EV-TEST/pairs", {"buyer_id": "B001", "firm_id": "F9999", "change": "refuse"}, 422, "không tham gia sự kiện"),
    ("/events/EV-TEST/pairs", {"buyer_id": "", "firm_id": "F0001", "change": "refuse"}, 422, "Chọn một bên mua"),
    ("/events/EV-TEST/schedule", {"time_limit": "abc"}, 422, "từ 1 đến 300"),
    ("/events/EV-TEST/schedule", {"time_limit": "0"}, 422, "từ 1 đến 300"),
    ("/events/EV-TEST/schedule", {"time_limit": "9999"}, 422, "từ 1 đến 300"),
    ("/events/EV-TEST/schedule", {"time_limit": "9" * 500}, 422, "từ 1 đến 300"),
    ("/events/EV-TEST/pairs", {"buyer_id": "B" * 5000, "firm_id": "F0001", "change": "refuse"}, 422, "không tham gia sự kiện"),
    ("/events/EV-TEST/pairs", {"buyer_id": "B001", "firm_id": "F0001", "change": "x" * 5000}, 422, "Thao tác phải là"),
    ("/events/EV-TEST/held", {"buyer_id": "B001", "firm_id": "F0001"}, 404, "không có cuộc gặp giữa bên mua B001"),
    ("/events/EV-NOPE/schedule", {"time_limit": "10"}, 404, "Không tìm thấy sự kiện EV-NOPE"),
    ("/events/EV-NOPE/pairs", {"buyer_id": "B001", "firm_id": "F0001", "change": "refuse"}, 404, "Không tìm thấy sự kiện EV-NOPE."),
])  # fmt: skip
def test_bad_form_values_give_a_page_naming_the_problem_and_change_nothing(site, path, form, status, words):
    client, staff, _ = site
    page = client.get("/events/EV-TEST")
    answer = client.post(path, data={"csrf": _csrf(page.text), **form})
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html")
    assert words in _error(answer.text), _error(answer.text)
    stored = client.get("/api/v1/events/EV-TEST", headers=staff).json()["definition"]
    assert stored["refusals"] == EVENT["refusals"] and stored["requests"] == EVENT["requests"]
    assert client.get("/events/EV-TEST/schedule/status.json").json()["status"] == "none"


@pytest.mark.parametrize(("path", "status"), [
    ("/events/EV-NOPE", 404), ("/events/EV-NOPE/schedule.xlsx", 404), ("/events/EV-TEST/schedule.xlsx", 404),
    ("/events/EV-TEST/hall.pdf", 404), ("/events/EV-TEST/other.pdf", 404), ("/events/EV-TEST/calendars.zip", 404),
    ("/events/EV-NOPE/schedule/status.json", 404), ("/events/" + "x" * 300, 404), ("/events/%00", 422),
])  # fmt: skip
def test_unknown_events_and_files_not_yet_made_are_pages_in_words(site, path, status):
    client, _, _ = site
    answer = client.get(path)
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html"), answer.text[:300]
    assert _error(answer.text)


def test_a_form_without_its_token_is_refused(site):
    client, staff, _ = site
    answer = client.post("/events/EV-TEST/pairs", data={"buyer_id": "B001", "firm_id": "F0001", "change": "refuse"})
    assert answer.status_code in (400, 403) and "token" in _error(answer.text)
    assert client.get("/api/v1/events/EV-TEST", headers=staff).json()["definition"]["refusals"] == EVENT["refusals"]


def test_the_report_shows_the_figures_of_cnht_event_report(site):
    client, staff, _ = site
    _schedule(client)
    meeting = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()["data"][0]
    page = client.get("/events/EV-TEST")
    held = client.post("/events/EV-TEST/held", follow_redirects=False, data={
        "csrf": _csrf(page.text), "buyer_id": meeting["buyer_id"], "firm_id": meeting["firm_id"]})  # fmt: skip
    assert held.status_code == 303 and "saved=held" in held.headers["location"]
    client.post("/api/v1/outcomes", headers=staff, json={"need_id": meeting["need_id"], "firm_id": meeting["firm_id"],
                                                        "status": "sample"}).raise_for_status()  # fmt: skip
    html = client.get("/events/EV-TEST").text
    # Held: the schedule is the record now; no rescheduling nor changes by hand, more meetings can be held.
    assert 'id="held-note"' in html and 'id="schedule-form"' not in html and 'id="pair-form"' not in html
    assert "Ghi nhận đã gặp" in html
    report = re.search(r'id="report">(.*?)</section>', html, re.S).group(1)
    printed = CliRunner().invoke(cli, ["event", "report", "EV-TEST"])
    assert printed.exit_code == 0, printed.output
    held_line = re.search(r"Meetings held: (\d+) of (\d+)", printed.stdout).groups()
    assert re.search(r'data-figure="meetings_held">(\d+) / (\d+)<', report).groups() == held_line == ("1", str(
        client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()["count"]))  # fmt: skip
    follow = dict(re.findall(r"(\w+) (\d+)", printed.stdout.split("Follow-ups: ")[1].splitlines()[0]))
    assert follow["sample"] == "1"
    assert {s: n for s, n in re.findall(r'data-figure="follow_(\w+)">(\d+)<', report)} == follow
    for kind, label in (("scheduled", "scheduled"), ("held", "held")):
        line = re.search(rf"\({label}\): (\d+) of (\d+) registered \((\d+)%\), Gini ([\d.]+)", printed.stdout).groups()
        row = re.search(rf'<tr data-exposure="{kind}">(.*?)</tr>', report, re.S).group(1)
        cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row)
        assert [cells[1], cells[0], cells[2].removesuffix(" %"), cells[3].replace(",", ".")] == list(line)


def test_an_analyst_reads_the_event_but_has_no_forms_and_cannot_post(site, tmp_path):
    client, _, app = site
    with transaction(app.state.sessionmaker) as session:
        key = create_key(session, "analyst", None)[1]
    client.post("/logout", data={"csrf": _csrf(client.get("/events").text)})
    assert client.post("/login", data={"key": key, "next": "/events/EV-TEST"}).status_code == 200
    html = client.get("/events/EV-TEST").text
    assert 'id="proposal-rows"' in html and 'id="schedule-form"' not in html and 'id="pair-form"' not in html
    answer = client.post("/events/EV-TEST/schedule", data={"csrf": _csrf(html), "time_limit": "10"})
    assert answer.status_code == 403 and "Chỉ cán bộ" in _error(answer.text)


def test_a_failed_schedule_says_why_on_the_page(site, monkeypatch):
    client, _, _ = site
    from api.storage.events import EventInvalidError

    def failing(**kwargs):
        raise EventInvalidError("Event EV-TEST: firms ['F0002'] (1 in all) are no longer in the database.")

    monkeypatch.setattr(event_pages, "schedule_event", failing)
    page = client.get("/events/EV-TEST")
    client.post("/events/EV-TEST/schedule", data={"csrf": _csrf(page.text), "time_limit": "10"})
    for _ in range(100):
        if client.get("/events/EV-TEST/schedule/status.json").json()["status"] != "running":
            break
        time.sleep(0.05)
    html = client.get("/events/EV-TEST").text
    failed = re.search(r'id="schedule-failed">([^<]*)<', html).group(1)
    assert failed.startswith("Không xếp được lịch:") and "no longer in the database" in failed
    assert 'id="schedule-form"' in html and 'id="schedule-summary"' not in html  # try again, nothing stored


def test_staff_store_an_event_from_its_json_file_and_land_on_its_page(site):
    client, staff, _ = site
    page = client.get("/events")
    assert 'id="event-form"' in page.text
    second = {**EVENT, "event_id": "EV-TWO", "name": "Ngày thứ hai / Second day", "refusals": []}
    answer = client.post("/events", data={"csrf": _csrf(page.text)}, follow_redirects=False,
                         files={"file": ("ngay-hai.json", json.dumps(second, ensure_ascii=False).encode(), "application/json")})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/events/EV-TWO?saved=event"
    assert "Đã lưu sự kiện" in client.get(answer.headers["location"]).text
    assert client.get("/api/v1/events/EV-TWO", headers=staff).json()["definition"]["name"] == second["name"]


@pytest.mark.parametrize(("content", "status", "words"), [
    (b"{not json", 422, "không phải JSON"),
    (b"[" * 100_000, 422, "không phải JSON"),
    (b"\xff\xfe bytes", 422, "không phải JSON"),
    (json.dumps({**EVENT, "tables": "many"}).encode(), 422, "tables"),
    (json.dumps({**EVENT, "event_id": "EV-3", "tables": 0}).encode(), 422, "tables >= 1"),
    (json.dumps({**EVENT, "event_id": "EV-4", "firms": ["F0001", "F7777"], "requests": [], "refusals": []}).encode(),
     422, "F7777"),
    (json.dumps(EVENT).encode(), 409, "đã có trong hệ thống"),
])  # fmt: skip
def test_a_bad_event_file_gives_the_list_with_the_problem_named(site, content, status, words):
    client, staff, _ = site
    page = client.get("/events")
    answer = client.post("/events", data={"csrf": _csrf(page.text)}, files={"file": ("e.json", content, "application/json")})
    assert answer.status_code == status and words in _error(answer.text), _error(answer.text)
    assert 'data-event="EV-TEST"' in answer.text  # the list is still there
    assert client.get("/api/v1/events", headers=staff).json()["count"] == 1
