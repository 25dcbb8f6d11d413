"""The support programme's monitoring and plan pages in-process (TestClient, issue 14): every figure
equals the API's JSON for the same day, a certificate recorded through the form moves the plan's
"meeting international standards" figure, overdue items are flagged and filtered, roles and the
form token hold, unknown rounds and items answer the 404 page, both languages.

The market: F1, F2, F3 without certificates (tests/api/test_support_api.py's round SR-T: ISO 9001
consulting 120 tr.đ, training 30 tr.đ, 300 tr.đ budget, contracts due 10 days after the decision).
F1 and F2 are nominated for ISO 9001 consulting, F3 for training; the round is decided 20 days ago,
so every contract is overdue today until recorded.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction
from features import clock
from features.numbers import format_number
from tests.api.conftest import bearer, make_firm
from tests.api.test_support_api import API, FIRMS, make_round

TODAY = clock.today()
FUNDED_ON = TODAY - dt.timedelta(days=20)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _error(html: str) -> str:
    found = re.search(r'class="alert error"[^>]*>(.*?)</p>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _figure(html: str, name: str) -> str:
    """The text of the first element marked ``data-figure="name"``."""
    found = re.search(rf'data-figure="{name}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no figure {name} on the page"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _vi(n: int) -> str:
    return format_number(n, "vi", 0)


def _item(html: str, item_id: int) -> str:
    return re.search(rf'<article[^>]*data-item="{item_id}".*?</article>', html, re.S).group(0)


@pytest.fixture
def site(tmp_path):
    """The market and the decided round SR-T; a client signed in to the pages as staff; the API's
    staff headers; keys of an analyst, a firm and an association."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            keys = {role: create_key(session, role, None)[1] for role in ("staff", "analyst")}
            keys["firm"] = None
        staff = bearer(keys["staff"])
        for firm_id in ("F1", "F2", "F3"):
            answer = client.post("/api/v1/firms", json=make_firm(firm_id=firm_id, tax_code=FIRMS[firm_id],
                                                                  name=f"Công ty {firm_id}", certifications=[]),
                                 headers=staff)
            assert answer.status_code == 201, answer.text
        assert client.post(f"{API}/rounds", json=make_round(), headers=staff).status_code == 201
        with transaction(app.state.sessionmaker) as session:
            keys["firm"] = create_key(session, "firm", "F1")[1]
            keys["association"] = create_key(session, "association", association_id="HANSIBA")[1]
        for firm_id, kind in (("F1", "iso_9001_consulting"), ("F2", "iso_9001_consulting"), ("F3", "training")):
            answer = client.post(f"{API}/rounds/SR-T/nominations", headers=staff,
                                 json={"firm_id": firm_id, "support_type": kind, "association_id": "HANSIBA"})
            assert answer.status_code == 201, answer.text
        proposal = client.post(f"{API}/rounds/SR-T/proposal", headers=staff)
        assert proposal.status_code == 200 and sum(d["selected"] for d in proposal.json()["data"]) == 3
        assert client.post(f"{API}/rounds/SR-T/decide", json={"funded_on": FUNDED_ON.isoformat()},
                           headers=staff).status_code == 200
        assert client.post("/login", data={"key": keys["staff"], "next": "/"}).status_code == 200
        yield client, staff, keys


def _report(client, staff, **params) -> dict:
    answer = client.get(f"{API}/rounds/SR-T/report", params=params, headers=staff)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _items(report: dict) -> dict[str, dict]:
    return {row["firm_id"]: row for row in report["funded_items"]}


def test_the_monitoring_page_shows_the_reports_figures_for_the_same_day(site):
    client, staff, _ = site
    for day in (None, TODAY + dt.timedelta(days=200)):
        params = {"as_of": day.isoformat()} if day else {}
        report = _report(client, staff, **params)
        answer = client.get("/support/rounds/SR-T/monitoring", params=params)
        assert answer.status_code == 200, answer.text
        html = answer.text
        assert f'id="as-of">{(day or TODAY):%d/%m/%Y}<' in html
        for name in ("budget_vnd", "allocated_vnd"):
            assert _figure(html, name) == f"{_vi(report[name])} ₫"
        for name in ("nominations", "selected", "overdue_milestones", "funded_firms",
                     "funded_firms_meeting_international_standards"):
            assert _figure(html, name) == _vi(report[name]), name
        assert _figure(html, "funded_items") == _vi(len(report["funded_items"]))
        assert _figure(html, "plan_international") == _vi(report["plan"]["firms_international"])
        assert _figure(html, "plan_firms") == _vi(report["plan"]["firms_total"])
        for row in report["funded_items"]:
            block = _item(html, row["item_id"])
            assert f"Công ty {row['firm_id']}" in block and _figure(block, "amount_vnd") == _vi(row["amount_vnd"])
            kinds = re.findall(r'<tr data-kind="([a-z_]+)" data-overdue="(\d)"', block)
            assert kinds == [(m["kind"], str(int(m["overdue"]))) for m in row["milestones"]]
            assert int(re.search(r'data-overdue="(\d+)"', block).group(1)) == sum(m["overdue"] for m in row["milestones"])
    # 200 days on (220 after the decision): every contract and every consulting (due at 180 days) late,
    # not the audits (240); training has these two milestones only
    late = _report(client, staff, as_of=(TODAY + dt.timedelta(days=200)).isoformat())
    assert late["overdue_milestones"] == 6
    assert [m["kind"] for m in _items(late)["F3"]["milestones"]] == ["contract", "consulting_done"]


def test_overdue_items_are_flagged_and_the_filter_keeps_only_them(site):
    client, staff, _ = site
    report = _report(client, staff)
    assert report["overdue_milestones"] == 3  # the three contracts, due 10 days ago
    f1 = _items(report)["F1"]["item_id"]
    answer = client.post(f"{API}/items/{f1}/milestones/contract", json={"done_on": TODAY.isoformat()}, headers=staff)
    assert answer.status_code == 200
    html = client.get("/support/rounds/SR-T/monitoring").text
    assert html.count("sm-item sm-late") == 2 and "10 ngày" in html  # "Quá hạn 10 ngày"
    assert "Quá hạn 10 ngày" in _item(html, _items(report)["F2"]["item_id"])
    assert "sm-late" not in re.search(rf'<article[^>]*data-item="{f1}"', html).group(0)
    filtered = client.get("/support/rounds/SR-T/monitoring", params={"overdue": "1"}).text
    shown = [int(i) for i in re.findall(r'<article[^>]*data-item="(\d+)"', filtered)]
    assert sorted(shown) == sorted(_items(report)[f]["item_id"] for f in ("F2", "F3"))
    assert 'id="overdue" name="overdue" value="1" checked' in filtered and "2 / 3 hạng mục" in filtered
    # a day when nothing is late yet: the filter says so
    early = client.get("/support/rounds/SR-T/monitoring", params={"overdue": "1", "as_of": FUNDED_ON.isoformat()}).text
    assert 'id="no-overdue"' in early and "<article" not in early


def test_recording_a_certificate_through_the_form_moves_the_plans_figure(site):
    client, staff, _ = site
    before = client.get(f"{API}/plan", headers=staff).json()
    plan_page = client.get("/support/plan").text
    assert re.search(r'id="plan-international" data-value="(\d+)"', plan_page).group(1) == str(before["firms_international"])
    item = _items(_report(client, staff))["F2"]
    assert item["certification"] == "iso_9001" and not item["meets_international_standards"]
    page = client.get("/support/rounds/SR-T/monitoring").text
    assert 'name="certificate_valid_until"' in _item(page, item["item_id"])
    until = TODAY + dt.timedelta(days=3 * 365)
    answer = client.post(f"/support/items/{item['item_id']}/milestones", follow_redirects=False, data={
        "csrf": _csrf(page), "kind": "certificate_issued", "done_on": f"{TODAY:%d/%m/%Y}", "note": "Cấp tại QUACERT",
        "certificate_issued": f"{TODAY:%d/%m/%Y}", "certificate_valid_until": f"{until:%d/%m/%Y}",
        "certificate_issuer": "QUACERT", "certificate_version": "2015"})
    assert answer.status_code == 303, _error(answer.text)
    assert answer.headers["location"] == f"/support/rounds/SR-T/monitoring?saved=milestone#item-{item['item_id']}"
    after = client.get(f"{API}/plan", headers=staff).json()
    assert after["firms_international"] == before["firms_international"] + 1
    plan_page = client.get("/support/plan").text
    assert re.search(r'id="plan-international" data-value="(\d+)"', plan_page).group(1) == str(after["firms_international"])
    html = client.get(answer.headers["location"]).text
    assert "Đã ghi nhận mốc." in html
    block = _item(html, item["item_id"])
    assert "Đạt tiêu chuẩn quốc tế" in block and "QUACERT" in block and f"{until:%d/%m/%Y}" in block
    assert _figure(html, "firms_turned_international") == "1" and 'data-firm="F2"' in html
    # recorded once: a second time is refused in the page, with the date it was recorded
    again = client.post(f"/support/items/{item['item_id']}/milestones", data={
        "csrf": _csrf(html), "kind": "certificate_issued", "done_on": f"{TODAY:%d/%m/%Y}",
        "certificate_valid_until": f"{until:%d/%m/%Y}"})
    assert again.status_code == 409 and "đã được ghi nhận ngày" in _error(again.text)


def test_form_mistakes_are_shown_in_the_page_naming_the_field(site):
    client, staff, _ = site
    item = _items(_report(client, staff))["F1"]["item_id"]
    page = client.get("/support/rounds/SR-T/monitoring").text
    token = _csrf(page)
    cases = [
        ({"kind": "certificate_issued", "done_on": f"{TODAY:%d/%m/%Y}"}, 422, "valid-until"),
        ({"kind": "certificate_issued", "certificate_valid_until": "31/02/2030", "certificate_issuer": "VinaCert"},
         422, "Valid until"),
        ({"kind": "contract", "done_on": "tomorrow"}, 422, "Done on"),
        ({"kind": "contract", "done_on": f"{TODAY + dt.timedelta(days=3):%d/%m/%Y}"}, 422, "in the future"),
        ({"kind": "launch"}, 422, "Expected a milestone among"),
        ({"kind": "contract", "note": "x" * 2001}, 422, "note"),
    ]
    for fields, status, words in cases:
        answer = client.post(f"/support/items/{item}/milestones?lang=en", data={"csrf": token, **fields})
        assert answer.status_code == status and words in _error(answer.text), (fields, _error(answer.text))
        assert answer.headers["content-type"].startswith("text/html")
        block = _item(answer.text, item)
        assert '<details class="sm-record" open>' in block  # the form open again, with what was typed
        for name in ("certificate_valid_until", "certificate_issuer", "done_on"):
            if fields.get(name):
                assert f'name="{name}" value="{fields[name]}"' in block, name
    for fields, words in [({"visited_on": f"{TODAY:%d/%m/%Y}", "inspector": "", "satisfactory": "yes"}, "inspector"),
                          ({"visited_on": f"{TODAY:%d/%m/%Y}", "inspector": "A"}, "satisfactory or not"),
                          ({"visited_on": "2026-13-01", "inspector": "A", "satisfactory": "no"}, "Visited on")]:
        answer = client.post(f"/support/items/{item}/inspections?lang=en", data={"csrf": token, **fields})
        assert answer.status_code == 422 and words in _error(answer.text), (fields, _error(answer.text))
    assert _report(client, staff)["funded_items"][0]["inspections"] == []


def test_an_inspection_recorded_through_the_form_is_listed_as_the_api_reports_it(site):
    client, staff, _ = site
    item = _items(_report(client, staff))["F3"]["item_id"]
    page = client.get("/support/rounds/SR-T/monitoring", params={"overdue": "1"}).text
    answer = client.post(f"/support/items/{item}/inspections", follow_redirects=False, data={
        "csrf": _csrf(page), "visited_on": f"{TODAY:%d/%m/%Y}", "inspector": "Nguyễn Văn A",
        "findings": "Chậm ký hợp đồng", "satisfactory": "no", "overdue": "1"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/support/rounds/SR-T/monitoring?saved=inspection&overdue=1#item-{item}"
    (visit,) = _items(_report(client, staff))["F3"]["inspections"]
    assert visit == {"visited_on": TODAY.isoformat(), "inspector": "Nguyễn Văn A", "findings": "Chậm ký hợp đồng",
                     "satisfactory": False}
    block = _item(client.get(answer.headers["location"]).text, item)
    assert "Nguyễn Văn A" in block and "Chậm ký hợp đồng" in block and "Chưa đạt" in block


def test_the_plan_page_shows_the_apis_figures_by_group_and_over_time(site):
    client, staff, _ = site
    start, end = (TODAY - dt.timedelta(days=70)).replace(day=1), TODAY
    figures = client.get(f"{API}/plan", params={"as_of": end.isoformat()}, headers=staff).json()
    progress = client.get(f"{API}/plan/progress", params={"from": start.isoformat(), "to": end.isoformat()},
                          headers=staff).json()
    html = client.get("/support/plan", params={"from": f"{start:%d/%m/%Y}", "to": end.isoformat()}).text
    assert f'id="plan-day">{end:%d/%m/%Y}<' in html
    for id_, value, target in (("plan-international", "firms_international", "international_target"),
                               ("plan-firms", "firms_total", "firms_target")):
        found = re.search(rf'id="{id_}" data-value="(\d+)" data-target="(\d+)"', html)
        assert found.groups() == (str(figures[value]), str(figures[target]))
    assert figures["international_target"] == 400 and figures["firms_target"] == 900
    for table, key in (("by-sector", "by_sector"), ("by-district", "by_district")):
        body = re.search(rf'id="{table}">(.*?)</table>', html, re.S).group(1)
        rows = re.findall(r'<tr data-group="([^"]*)">.*?data-figure="firms">([^<]*)<.*?data-figure="international">([^<]*)<',
                          body, re.S)
        # every group of the API with its figures, the largest first
        assert sorted((unescape(g), f, i) for g, f, i in rows) == sorted(
            (g["group"], _vi(g["firms"]), _vi(g["international"])) for g in figures[key])
        shown = [int(f.replace(".", "")) for _, f, _ in rows]
        assert shown == sorted(shown, reverse=True) and len(rows) == len(figures[key]) > 0
    # the chart's points and the table are the progress' days and figures
    chart = re.search(r'id="trend-international".*?</svg>', html, re.S).group(0)
    points = re.findall(r'<g data-on="([\d-]+)" data-value="(\d+)"', chart)
    assert points == [(p["on"], str(p["firms_international"])) for p in progress["data"]]
    chart = re.search(r'id="trend-firms".*?</svg>', html, re.S).group(0)
    assert re.findall(r'data-value="(\d+)"', chart) == [str(p["firms_total"]) for p in progress["data"]]
    (contribution,) = progress["rounds"]
    row = re.search(r'<tr data-round="SR-T">(.*?)</tr>', html, re.S).group(1)
    assert _figure(row, "funded_items") == _vi(contribution["funded_items"]) == "3"
    assert _figure(row, "firms") == _vi(contribution["data"][-1]["firms"])
    dots = re.findall(r'class="sm-dot" data-on="([\d-]+)" data-value="(\d+)"', html)
    assert dots == [(p["on"], str(p["firms"])) for p in contribution["data"]]
    assert 'href="/support"' in html


def test_plan_range_mistakes_show_the_page_with_the_message(site):
    client, _, _ = site
    answer = client.get("/support/plan", params={"from": "2026-05-01", "to": "2026-01-01", "lang": "en"})
    assert answer.status_code == 422 and "swap them" in _error(answer.text) and 'id="headline"' in answer.text
    answer = client.get("/support/plan", params={"from": "30/02/2026", "lang": "en"})
    assert answer.status_code == 422 and "From: expected a day as dd/mm/yyyy" in _error(answer.text)
    answer = client.get("/support/plan", params={"from": "2000-01-01", "to": "2020-01-01", "lang": "en"})
    assert answer.status_code == 422 and "ten years" in _error(answer.text)
    answer = client.get("/support/rounds/SR-T/monitoring", params={"as_of": "soon", "lang": "en"})
    assert answer.status_code == 422 and "As of: expected a day" in _error(answer.text)
    assert 'value="soon"' in answer.text


def test_roles_the_form_token_and_unknown_rounds_or_items(site):
    client, staff, keys = site
    item = _items(_report(client, staff))["F1"]["item_id"]
    staff_page = client.get("/support/rounds/SR-T/monitoring").text
    assert staff_page.count('data-form="milestone"') == 3 and staff_page.count('data-form="inspection"') == 3
    # no form token, another session's, or one too long: refused in the page, nothing stored
    for token in ("", "forged", "x" * 500):
        answer = client.post(f"/support/items/{item}/milestones", data={"csrf": token, "kind": "contract"})
        assert answer.status_code == 403 and "token" in _error(answer.text)
    answer = client.post(f"/support/items/{item}/milestones", data={"csrf": _csrf(staff_page), "kind": "contract"},
                         headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 403
    assert not any(m["done_on"] for m in _items(_report(client, staff))["F1"]["milestones"])
    # unknown round and items: the 404 page
    for path in ("/support/rounds/SR-NONE/monitoring", "/support/rounds/" + "S" * 300 + "/monitoring",
                 "/support/rounds/%20SR-T/monitoring"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
    answer = client.get("/support/rounds/%00/monitoring")  # the app's own refusal of a NUL, as a page
    assert answer.status_code == 422 and "NUL" in _error(answer.text)
    for bad in ("999999", "abc", "0", "99999999999999"):
        answer = client.post(f"/support/items/{bad}/milestones", data={"csrf": _csrf(staff_page), "kind": "contract"})
        assert answer.status_code == 404 and "text/html" in answer.headers["content-type"], bad
        answer = client.post(f"/support/items/{bad}/inspections", data={"csrf": _csrf(staff_page)})
        assert answer.status_code == 404
    # an analyst reads both pages, without forms, and may not post
    client.post("/logout", data={"csrf": _csrf(staff_page)})
    assert client.post("/login", data={"key": keys["analyst"], "next": "/"}).status_code == 200
    page = client.get("/support/rounds/SR-T/monitoring").text
    assert 'data-form="milestone"' not in page and 'data-item="' in page
    assert client.get("/support/plan").status_code == 200
    answer = client.post(f"/support/items/{item}/milestones", data={"csrf": _csrf(page), "kind": "contract"})
    assert answer.status_code == 403 and "Chỉ cán bộ" in _error(answer.text)
    answer = client.post(f"/support/items/{item}/inspections", data={
        "csrf": _csrf(page), "inspector": "A", "satisfactory": "yes"})
    assert answer.status_code == 403
    assert _items(_report(client, staff))["F1"]["inspections"] == []
    # a firm key gets the 403 page on both (an association key too, when it may sign in at all)
    for role in ("firm", "association"):
        client.post("/logout", data={"csrf": _csrf(page)})
        signed_in = client.post("/login", data={"key": keys[role], "next": "/"}, follow_redirects=False)
        if role == "association" and signed_in.status_code == 401:
            continue
        assert signed_in.status_code == 303, role
        for path in ("/support/rounds/SR-T/monitoring", "/support/plan"):
            answer = client.get(path)
            assert answer.status_code == 403 and "text/html" in answer.headers["content-type"], (role, path)
        page = client.get("/portal" if role == "firm" else "/association").text


def test_both_languages(site):
    client, _, _ = site
    english = client.get("/support/rounds/SR-T/monitoring?lang=en").text
    assert "Monitoring: Đợt thử" in english and "Funded items" in english and "Contract signed" in english
    assert "days overdue" in english and "Record a milestone reached" in english and "Allocated / budget" in english
    vietnamese = client.get("/support/rounds/SR-T/monitoring?lang=vi").text
    assert "Theo dõi thực hiện" in vietnamese and "Ký hợp đồng" in vietnamese and "Ghi nhận mốc hoàn thành" in vietnamese
    plan_en = client.get("/support/plan?lang=en").text
    assert "Progress of the supporting-industry plan" in plan_en and "By district" in plan_en
    assert "What each support round contributed" in plan_en
    plan_vi = client.get("/support/plan?lang=vi").text
    assert "Tiến độ Kế hoạch phát triển công nghiệp hỗ trợ" in plan_vi and "Theo quận/huyện" in plan_vi
    # numbers in each language's separators
    assert "300.000.000 ₫" in vietnamese and "300,000,000 ₫" in english
