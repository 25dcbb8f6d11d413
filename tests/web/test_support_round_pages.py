"""The support rounds' pages in-process (TestClient, issue 14): the rounds with the plan's
figures, a round with its nominations and the proposal run as a background job, overrides and
the decision through forms, a nomination's dossier, and bad input as a page in words (never
JSON, never 500).

The programme of tests/api/test_support_api.py: firms F1-F3 (valid tax codes, no certificate)
nominated for ISO 9001 consulting (120 tr.đ each) and F1 for training (30 tr.đ); the budget of
300 tr.đ holds two consultings and the training, so one consulting is left out over budget.
"""

from __future__ import annotations

import io
import json
import re
import time
from html import unescape

import openpyxl
import pytest
from fastapi.testclient import TestClient

import api.web.support_rounds as round_pages
from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction
from api.web.jobs import PageJobs
from tests.api.conftest import bearer, make_firm
from tests.api.test_support_api import FIRMS, make_round

API = "/api/v1/support"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _error(html: str) -> str:
    found = re.search(r'class="alert error"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)) if found else ""


def _figure(html: str, name: str) -> str:
    return unescape(re.search(rf'data-figure="{name}">([^<]*)<', html).group(1)).strip()


def _vnd(text: str) -> int:
    """A VND amount as the Vietnamese page writes it (1.234.567)."""
    return int(text.replace(".", "").replace(",", "").strip())


@pytest.fixture
def site(tmp_path, monkeypatch):
    """The programme stored (four nominations, SR-T open), a client signed in to the pages as
    staff, the API's staff headers, the app, and keys of the other roles."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    monkeypatch.setattr(round_pages, "_JOBS", PageJobs(round_pages._JOBS.doing))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            keys = {role: create_key(session, role, None)[1] for role in ("staff", "analyst")}
        staff = bearer(keys["staff"])
        for firm_id, tax in FIRMS.items():
            payload = make_firm(firm_id=firm_id, tax_code=tax, name=f"Công ty {firm_id}", certifications=[])
            assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
        with transaction(app.state.sessionmaker) as session:
            keys["firm"] = create_key(session, "firm", "F1")[1]
        assert client.post(f"{API}/rounds", json=make_round(), headers=staff).status_code == 201
        for firm_id, kind, association in (("F1", "iso_9001_consulting", "HANSIBA"),
                                           ("F2", "iso_9001_consulting", "HANSIBA"),
                                           ("F3", "iso_9001_consulting", "HANSIBA"), ("F1", "training", "VAMI")):
            answer = client.post(f"{API}/rounds/SR-T/nominations", headers=staff, json={
                "firm_id": firm_id, "support_type": kind, "association_id": association,
                "justification": f"Đề cử {firm_id}"})  # fmt: skip
            assert answer.status_code == 201, answer.text
        assert client.post("/login", data={"key": keys["staff"], "next": "/support"}).status_code == 200
        yield client, staff, app, keys
    app.state.engine.dispose()


def _sign_in_as(client, key: str) -> None:
    client.cookies.clear()
    assert client.post("/login", data={"key": key, "next": "/"}).status_code == 200


def _propose(client) -> None:
    page = client.get("/support/rounds/SR-T")
    answer = client.post("/support/rounds/SR-T/proposal", data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/support/rounds/SR-T#proposal"
    for _ in range(600):
        status = client.get("/support/rounds/SR-T/proposal/status.json").json()
        if status["status"] != "running":
            break
        time.sleep(0.1)
    assert status["status"] == "done", (status, round_pages._JOBS.get("SR-T").error)
    assert status["round_status"] == "proposed"


def _decision_rows(html: str) -> dict[str, str]:
    table = re.search(r'id="decision-rows"(.*?)</table>', html, re.S).group(1)
    return dict(re.findall(r'<tr id="d-[^"]+" data-nomination="([^"]+)"(.*?)</tr>', table, re.S))


# --- the rounds ------------------------------------------------------------------------


def test_the_list_shows_the_round_and_the_plans_figures_as_the_api_gives_them(site):
    client, staff, _, _ = site
    html = client.get("/support").text
    assert 'href="/support" aria-current="page"' in html
    row = re.search(r'<tr data-round="SR-T">(.*?)</tr>', html, re.S).group(1)
    assert "Đợt thử" in row and 'href="/support/rounds/SR-T"' in row and 'href="/support/rounds/SR-T/monitoring"' in row
    assert _vnd(_figure(row, "budget")) == 300_000_000 and _figure(row, "budget") == "300.000.000"
    assert _figure(row, "nominations") == "4" and _figure(row, "selected") == "—" and "Đang nhận đề cử" in row
    plan = client.get(f"{API}/plan", headers=staff).json()
    assert _figure(html, "firms_international") == str(plan["firms_international"])
    assert _figure(html, "firms_total") == str(plan["firms_total"]) == "4"
    assert "/ 400" in html and "/ 900" in html and 'href="/support/plan"' in html
    assert 'id="round-form"' in html and "sr_" not in html  # staff may add a round; every word defined
    english = client.get("/support?lang=en").text
    assert "Support rounds" in english and "Open for nominations" in english and "300,000,000" in english


def test_the_round_page_shows_its_terms_and_nominations(site):
    client, _, _, _ = site
    html = client.get("/support/rounds/SR-T").text
    types = re.search(r'id="support-types">(.*?)</table>', html, re.S).group(1)
    assert "iso_9001_consulting" in types and "120.000.000" in types and "30.000.000" in types
    assert "Không nhận cùng loại hỗ trợ trong 3 năm trước" in html
    nominations = re.search(r'id="nomination-rows">(.*?)</table>', html, re.S).group(1)
    assert nominations.count("<tr data-nomination=") == 4
    assert 'href="/firms/F2"' in nominations and "Hiệp hội CNHT Hà Nội" in nominations and "Đề cử F3" in nominations
    assert 'id="not-proposed"' in html and 'id="propose-form"' in html and 'id="decide-form"' not in html


def test_proposing_runs_in_the_background_and_the_page_shows_the_apis_decisions(site):
    client, staff, _, _ = site
    _propose(client)
    api = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()
    chosen = [d for d in api["data"] if d["selected"]]
    html = client.get("/support/rounds/SR-T").text
    assert 'id="proposal-running"' not in html and 'id="decide-form"' in html
    summary = re.search(r'id="decision-summary">(.*?)</dl>', html, re.S).group(1)
    assert _vnd(_figure(summary, "spent")) == sum(d["cost_vnd"] for d in chosen) == api["summary"]["spent"]
    assert _figure(summary, "selected") == str(len(chosen)) == "3"
    assert _figure(summary, "firms_turned_international") == str(api["summary"]["firms_turned_international"])
    rows = _decision_rows(html)
    assert list(rows) == [d["nomination_id"] for d in api["data"]]  # the API's order
    for d in api["data"]:
        assert unescape(re.search(r'class="sr-reason">([^<]*)<', rows[d["nomination_id"]]).group(1)) == d["reason_vi"]
        assert f'data-selected="{str(d["selected"]).lower()}"' in html
    assert "sr_" not in html and "sr_" not in client.get("/support/rounds/SR-T/nominations/NOM-0001").text  # every word defined
    english_html = client.get("/support/rounds/SR-T?lang=en").text
    assert "sr_" not in english_html
    english = _decision_rows(english_html)
    for d in api["data"]:
        assert unescape(re.search(r'class="sr-reason">([^<]*)<', english[d["nomination_id"]]).group(1)) == d["reason_en"]
    # the list page counts the same
    row = re.search(r'<tr data-round="SR-T">(.*?)</tr>', client.get("/support").text, re.S).group(1)
    assert _figure(row, "selected") == "3" and _vnd(_figure(row, "spent")) == api["summary"]["spent"]
    # filters
    out = _decision_rows(client.get("/support/rounds/SR-T?show=not_selected").text)
    assert list(out) == [d["nomination_id"] for d in api["data"] if not d["selected"]]
    ranked = _decision_rows(client.get("/support/rounds/SR-T?sort=rank&show=selected").text)
    assert list(ranked) == [d["nomination_id"] for d in sorted(chosen, key=lambda d: d["rank"])]


def test_an_override_through_the_form_changes_the_decision_the_api_gives(site):
    client, staff, app, _ = site
    _propose(client)
    api = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]
    out = next(d for d in api if d["selected"] and d["support_type"] == "iso_9001_consulting")["nomination_id"]
    left_out = next(d for d in api if not d["selected"])["nomination_id"]
    page = client.get("/support/rounds/SR-T")
    url = f"/support/rounds/SR-T/decisions/{out}/override"
    # a reason is required; the storage's own checks come back as a page in words
    empty = client.post(url, data={"csrf": _csrf(page.text), "selected": "0", "reason": "  "})
    assert empty.status_code == 422 and "Ghi lý do" in _error(empty.text) and empty.headers["content-type"].startswith("text/html")
    bad = client.post(url, data={"csrf": _csrf(page.text), "selected": "maybe", "reason": "x"})
    assert bad.status_code == 422 and "'maybe'" in _error(bad.text)
    over = client.post(f"/support/rounds/SR-T/decisions/{left_out}/override",
                       data={"csrf": _csrf(page.text), "selected": "1", "reason": "ưu tiên"})
    assert over.status_code == 422 and "vượt ngân sách" in _error(over.text)
    done = client.post(url, data={"csrf": _csrf(page.text), "selected": "0", "reason": "DN đang bị thanh tra thuế"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/support/rounds/SR-T?saved=override#d-{out}"
    after = {d["nomination_id"]: d for d in client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]}
    assert after[out]["selected"] is False and after[out]["override_reason"] == "DN đang bị thanh tra thuế"
    assert after[out]["held_by_override"] is True and after[out]["overridden_by"].startswith("staff:")
    html = client.get("/support/rounds/SR-T?show=overridden").text
    rows = _decision_rows(html)
    assert list(rows) == [out] and "Cán bộ điều chỉnh" in rows[out] and "thanh tra thuế" in rows[out]
    assert "Điều chỉnh bởi Cán bộ Sở" in rows[out] and "mô hình đề xuất: Được chọn" in rows[out]
    assert _figure(html, "overridden") == "1"
    # the page's selected count and spending follow the override, as the API's decisions do
    chosen = [d for d in after.values() if d["selected"]]
    assert _figure(html, "selected").startswith(str(len(chosen)))
    assert _vnd(_figure(html, "spent").split("/")[0]) == sum(d["cost_vnd"] for d in chosen)
    # the same change twice is refused by the storage (409), said in words
    again = client.post(url, data={"csrf": _csrf(page.text), "selected": "0", "reason": "lần nữa"})
    assert again.status_code == 409 and "đã ở trạng thái không được chọn" in _error(again.text)
    assert client.post("/support/rounds/SR-T/decisions/NOM-0099/override",
                       data={"csrf": _csrf(page.text), "selected": "1", "reason": "x"}).status_code == 404


def test_proposing_again_keeps_the_override_and_says_what_the_solver_alone_would_do(site):
    client, staff, _, _ = site
    _propose(client)
    api = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]
    out = next(d for d in api if d["selected"] and d["support_type"] == "iso_9001_consulting")["nomination_id"]
    page = client.get("/support/rounds/SR-T")
    client.post(f"/support/rounds/SR-T/decisions/{out}/override",
                data={"csrf": _csrf(page.text), "selected": "0", "reason": "thanh tra"})
    _propose(client)
    html = client.get("/support/rounds/SR-T").text
    held = re.search(r'id="held-by-override">(.*?)</ul>', html, re.S).group(1)
    assert f'data-nomination="{out}"' in held and "cán bộ quyết định Không chọn; mô hình tự đề xuất Được chọn" in held


def test_deciding_needs_the_confirmation_then_closes_the_round(site):
    client, staff, _, _ = site
    _propose(client)
    page = client.get("/support/rounds/SR-T")
    refused = client.post("/support/rounds/SR-T/decide", data={"csrf": _csrf(page.text)})
    assert refused.status_code == 422 and "xác nhận" in _error(refused.text)
    assert client.get(f"{API}/rounds/SR-T", headers=staff).json()["status"] == "proposed"
    done = client.post("/support/rounds/SR-T/decide", data={"csrf": _csrf(page.text), "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and "saved=decided" in done.headers["location"]
    assert client.get(f"{API}/rounds/SR-T", headers=staff).json()["status"] == "decided"
    html = client.get("/support/rounds/SR-T").text
    assert 'id="decided-note"' in html and "Đã chốt quyết định" in html
    assert 'id="propose-form"' not in html and 'id="decide-form"' not in html and "sr-override-form" not in html
    # a decided round cannot be proposed again: a page says so
    again = client.post("/support/rounds/SR-T/proposal", data={"csrf": _csrf(html)})
    assert again.status_code == 409 and "đã chốt" in _error(again.text)
    # the workbook is the API's
    workbook = client.get("/support/rounds/SR-T/decision.xlsx")
    assert workbook.status_code == 200 and workbook.headers["content-disposition"].endswith('SR-T_quyet_dinh.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["Quyết định"]
    api_sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{API}/rounds/SR-T/decision.xlsx", headers=staff).content))["Quyết định"]
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [[c.value for c in r] for r in api_sheet.iter_rows()]
    assert sheet.max_row == 5


def test_a_failed_proposal_says_why_on_the_page(site, monkeypatch):
    client, _, _, _ = site
    from api.storage.support import SupportInvalidError

    def failing(**kwargs):
        raise SupportInvalidError("Round SR-T has no submitted nomination to decide on.",
                                  vi="Đợt SR-T chưa có đề cử nào đã nộp để quyết định.")

    monkeypatch.setattr(round_pages, "propose_route", failing)
    page = client.get("/support/rounds/SR-T")
    client.post("/support/rounds/SR-T/proposal", data={"csrf": _csrf(page.text)})
    for _ in range(100):
        if client.get("/support/rounds/SR-T/proposal/status.json").json()["status"] != "running":
            break
        time.sleep(0.05)
    html = client.get("/support/rounds/SR-T").text
    failed = unescape(re.search(r'id="proposal-failed">([^<]*)<', html).group(1))
    assert failed.startswith("Không đề xuất được:") and "chưa có đề cử nào đã nộp" in failed
    assert 'id="propose-form"' in html and 'id="decision-summary"' not in html
    english = unescape(re.search(r'id="proposal-failed">([^<]*)<', client.get("/support/rounds/SR-T?lang=en").text).group(1))
    assert "no submitted nomination" in english and "chưa có" not in english

    def broken(**kwargs):
        raise RuntimeError("a bug")  # never shown: the page says the log has it

    monkeypatch.setattr(round_pages, "propose_route", broken)
    client.post("/support/rounds/SR-T/proposal", data={"csrf": _csrf(html)})
    for _ in range(100):
        if client.get("/support/rounds/SR-T/proposal/status.json").json()["status"] != "running":
            break
        time.sleep(0.05)
    failed = unescape(re.search(r'id="proposal-failed">([^<]*)<', client.get("/support/rounds/SR-T?lang=vi").text).group(1))
    assert "Lỗi hệ thống khi đề xuất đợt hỗ trợ" in failed and "a bug" not in failed


# --- one nomination --------------------------------------------------------------------


def test_the_nomination_page_shows_the_apis_dossier_and_its_decision(site):
    client, staff, _, _ = site
    expired = [{"code": "iso_14001", "valid_until": "2020-01-31", "issuer": "QUACERT"}]
    assert client.patch("/api/v1/firms/F1", json={"certifications": expired}, headers=staff).status_code == 200
    html = client.get("/support/rounds/SR-T/nominations/NOM-0001").text
    dossier = client.get(f"{API}/rounds/SR-T/nominations/NOM-0001/dossier", headers=staff).json()
    assert dossier["firm"]["tax_code"] in html and "Công ty F1" in html and 'href="/firms/F1"' in html
    cert = re.search(r'<tr data-code="iso_14001">(.*?)</tr>', html, re.S).group(1)
    assert "Không hiệu lực" in cert and unescape(dossier["certificates"][0]["vi"]) in unescape(cert)
    assert 'id="check-state">Đủ điều kiện' in html and dossier["check"]["eligible"] is True
    assert "Đề cử F1" in html and 'id="no-decision"' in html
    assert ('id="upgrades"' in html) == bool(dossier["best_upgrades"])
    _propose(client)
    decision = next(d for d in client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]
                    if d["nomination_id"] == "NOM-0001")
    html = client.get("/support/rounds/SR-T/nominations/NOM-0001").text
    assert unescape(re.search(r'id="decision-reason">([^<]*)<', html).group(1)) == decision["reason_vi"]
    english = client.get("/support/rounds/SR-T/nominations/NOM-0001?lang=en").text
    assert unescape(re.search(r'id="decision-reason">([^<]*)<', english).group(1)) == decision["reason_en"]
    assert "The matcher's view" in unescape(english)


# --- rounds added from a file ----------------------------------------------------------


def _upload(client, content: bytes, name: str = "round.json"):
    page = client.get("/support")
    return client.post("/support/rounds", data={"csrf": _csrf(page.text)}, files={"file": (name, content, "application/json")},
                       follow_redirects=False)  # fmt: skip


def test_a_round_added_from_its_file_opens_and_mistakes_are_said_in_the_page(site):
    client, staff, _, _ = site
    added = _upload(client, json.dumps(make_round(round_id="SR-NEW", name="Đợt mới")).encode())
    assert added.status_code == 303 and added.headers["location"] == "/support/rounds/SR-NEW?saved=round"
    assert client.get(f"{API}/rounds/SR-NEW", headers=staff).json()["name"] == "Đợt mới"
    assert "Đã lưu đợt hỗ trợ" in client.get(added.headers["location"]).text
    rounds = re.findall(r'<tr data-round="([^"]+)">', client.get("/support").text)
    assert rounds == ["SR-NEW", "SR-T"]  # newest first, as the API lists them
    for content, status, words in [(b"{not json", 422, "không phải JSON"),
                                   (json.dumps(make_round(round_id="SR-X", budget_vnd=-5)).encode(), 422, "budget"),
                                   (json.dumps(make_round(round_id="SR-X", nominations=[{"firm_id": "F1"}])).encode(), 422, "từng cái một"),
                                   (json.dumps([1, 2]).encode(), 422, "đối tượng JSON"),
                                   (json.dumps(make_round()).encode(), 409, "đã có trong hệ thống")]:
        answer = _upload(client, content)
        assert answer.status_code == status and words in _error(answer.text), (content, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")
    assert client.get(f"{API}/rounds/SR-X", headers=staff).status_code == 404
    # the form sent without its file: a page in words, not the JSON of a missing field
    answer = client.post("/support/rounds", data={"csrf": _csrf(client.get("/support").text)})
    assert answer.status_code == 422 and "Chọn tệp JSON" in _error(answer.text)
    assert answer.headers["content-type"].startswith("text/html")


# --- roles, tokens, unknown pages ------------------------------------------------------


def test_an_analyst_reads_but_has_no_forms_and_cannot_post(site):
    client, staff, _, keys = site
    _propose(client)
    _sign_in_as(client, keys["analyst"])
    html = client.get("/support/rounds/SR-T").text
    assert 'id="decision-rows"' in html and "sr-override-form" not in html and 'id="propose-form"' not in html
    assert 'id="decide-form"' not in html and 'id="round-form"' not in client.get("/support").text
    assert client.get("/support/rounds/SR-T/nominations/NOM-0002").status_code == 200
    assert client.get("/support/rounds/SR-T/decision.xlsx").status_code == 200
    nid = next(iter(_decision_rows(html)))
    for path, data in ((f"/support/rounds/SR-T/decisions/{nid}/override", {"selected": "0", "reason": "x"}),
                       ("/support/rounds/SR-T/proposal", {}), ("/support/rounds/SR-T/decide", {"confirm": "yes"})):
        answer = client.post(path, data={"csrf": _csrf(html), **data})
        assert answer.status_code == 403 and "Chỉ cán bộ" in _error(answer.text), path
    answer = client.post("/support/rounds", data={"csrf": _csrf(html)}, files={"file": ("r.json", b"{}")})
    assert answer.status_code == 403
    assert client.get(f"{API}/rounds/SR-T", headers=staff).json()["status"] == "proposed"


@pytest.mark.parametrize("path", ["/support", "/support/rounds/SR-T", "/support/rounds/SR-T/nominations/NOM-0001",
                                  "/support/rounds/SR-T/decision.xlsx"])
def test_a_firm_key_gets_the_403_page(site, path):
    client, _, _, keys = site
    _sign_in_as(client, keys["firm"])
    answer = client.get(path)
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html") and _error(answer.text)


def test_a_form_without_its_token_is_refused(site):
    client, staff, _, _ = site
    _propose(client)
    nid = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"][0]["nomination_id"]
    answer = client.post(f"/support/rounds/SR-T/decisions/{nid}/override", data={"selected": "0", "reason": "x"})
    assert answer.status_code == 403 and "token" in _error(answer.text)
    answer = client.post("/support/rounds/SR-T/decide", data={"csrf": "old", "confirm": "yes"})
    assert answer.status_code == 403 and "token" in _error(answer.text)
    # a token that cannot be ours (long, not ASCII) is refused the same way: the 403 page, not JSON nor a 500
    for token in ("x" * 5000, "é" * 40):
        answer = client.post(f"/support/rounds/SR-T/decisions/{nid}/override",
                             data={"csrf": token, "selected": "0", "reason": "x"})  # fmt: skip
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
        assert "token" in _error(answer.text)
    assert client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"][0]["override_reason"] is None
    assert client.get(f"{API}/rounds/SR-T", headers=staff).json()["status"] == "proposed"


@pytest.mark.parametrize(("path", "status"), [
    ("/support/rounds/SR-NOPE", 404), ("/support/rounds/SR-NOPE/nominations/NOM-0001", 404),
    ("/support/rounds/SR-T/nominations/NOM-0099", 404), ("/support/rounds/SR-NOPE/decision.xlsx", 404),
    ("/support/rounds/SR-T/decision.xlsx", 404), ("/support/rounds/SR-NOPE/proposal/status.json", 404),
    ("/support/rounds/" + "x" * 300, 404),
])  # fmt: skip
def test_unknown_rounds_and_nominations_are_pages_in_words(site, path, status):
    client, _, _, _ = site
    answer = client.get(path)
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html"), answer.text[:300]
    assert _error(answer.text)
    english = client.get(path + "?lang=en")
    assert english.status_code == status and "<h1>Page not found <" in english.text and _error(english.text)


def test_forms_for_an_unknown_round_or_nomination_answer_the_404_page(site):
    client, _, _, _ = site
    token = _csrf(client.get("/support").text)
    for path, data in (("/support/rounds/SR-NOPE/proposal", {}), ("/support/rounds/SR-NOPE/decide", {"confirm": "yes"}),
                       ("/support/rounds/SR-NOPE/decide", {}),
                       ("/support/rounds/SR-NOPE/decisions/NOM-0001/override", {"selected": "1", "reason": "x"}),
                       ("/support/rounds/SR-T/decisions/NOM-0001/override", {"selected": "1", "reason": "x"})):
        answer = client.post(path, data={"csrf": token, **data})
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), (path, answer.text[:300])
        assert _error(answer.text), path
