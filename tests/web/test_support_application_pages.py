"""The support programme's pages for associations and firms in-process (TestClient, issue 14).

The tiny programme of tests/api/test_support_api.py: four firms (F4 has no tax code, so the
tax-code rule refuses it), round SR-T open today with ISO 9001 consulting and training, the
associations HANSIBA and VAMI. Each page is checked against the JSON API's own answer.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction
from api.web.routes import _PageRoute
from tests.api.conftest import bearer, make_firm
from tests.api.test_support_api import FIRMS, make_round

API = "/api/v1/support"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _error(html: str) -> str:
    found = re.search(r'class="alert error[^"]*"[^>]*>(.*?)</(?:p|div)>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _rows(html: str) -> list[str]:
    """The nomination IDs listed on the page (its own nominations or applications)."""
    return re.findall(r'data-nomination="([^"]+)"', html)


class _Site:
    def __init__(self, app, client: TestClient, keys: dict[str, str]) -> None:
        self.app, self.api, self.keys = app, client, keys
        self.staff = bearer(keys["staff"])

    def signed_in(self, who: str) -> TestClient:
        """A browser of its own (cookies apart) signed in with ``who``'s key."""
        browser = TestClient(self.app)
        answer = browser.post("/login", data={"key": self.keys[who], "next": "/"}, follow_redirects=False)
        assert answer.status_code == 303, answer.text[:300]
        return browser

    def nominations(self, who: str = "staff") -> list[dict]:
        headers = self.staff if who == "staff" else bearer(self.keys[who])
        answer = self.api.get(f"{API}/rounds/SR-T/nominations", headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def nominate(self, who: str, **body) -> dict:
        answer = self.api.post(f"{API}/rounds/SR-T/nominations", json=body, headers=bearer(self.keys[who]))
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def site(tmp_path):
    """The tiny programme stored; keys of staff, both associations and firms F1, F2."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            keys = {"staff": create_key(session, "staff")[1], "analyst": create_key(session, "analyst")[1]}
        staff = bearer(keys["staff"])
        for firm_id, tax in FIRMS.items():
            payload = make_firm(firm_id=firm_id, tax_code=tax, name=f"Công ty Cơ khí {firm_id}", certifications=[])
            assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
        assert client.post(f"{API}/rounds", json=make_round(), headers=staff).status_code == 201
        with transaction(app.state.sessionmaker) as session:
            for association in ("HANSIBA", "VAMI"):
                keys[association] = create_key(session, "association", association_id=association)[1]
            for firm_id in ("F1", "F2"):
                keys[firm_id] = create_key(session, "firm", firm_id)[1]
        yield _Site(app, client, keys)
    app.state.engine.dispose()


# --- an association ------------------------------------------------------------------


def test_an_association_signs_in_to_its_page_with_the_round_its_rules_and_the_form(site):
    hansiba = site.signed_in("HANSIBA")
    home = hansiba.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/association"
    page = hansiba.get("/association")
    assert page.status_code == 200
    html = page.text
    assert "Hiệp hội CNHT Hà Nội" in html  # its name
    assert 'id="round-SR-T"' in html and "Ngân sách" in html and "300.000.000 đ" in html
    assert "120.000.000 đ" in html and "30.000.000 đ" in html and "2 suất" in html  # unit cost and cap
    assert "Chưa được hỗ trợ cùng loại trong 3 năm" in html and "Có mã số thuế hợp lệ." in html
    assert 'action="/association/rounds/SR-T/nominations#nominate-SR-T"' in html and 'name="firm_id"' in html
    assert 'href="/association" aria-current="page"' in html  # its menu, marked current
    english = hansiba.get("/association?lang=en").text
    assert "Rounds open for nominations" in english and "300,000,000 VND" in english
    assert "Not funded for the same type in the 3 years" in english and "Rounds open for nominations" not in html


def test_an_association_sees_only_its_own_nominations_and_anothers_urls_are_404_pages(site):
    mine = site.nominate("HANSIBA", firm_id="F1", support_type="iso_9001_consulting", justification="Cung ứng Canon")
    theirs = site.nominate("VAMI", firm_id="F2", support_type="training", justification="Bí mật của VAMI")
    assert mine["nomination_id"] != theirs["nomination_id"]
    hansiba = site.signed_in("HANSIBA")
    html = hansiba.get("/association").text
    assert _rows(html) == [mine["nomination_id"]]
    assert "Cung ứng Canon" in html and "Bí mật của VAMI" not in html and 'data-firm="F2"' not in html
    own = hansiba.get(f"/association/rounds/SR-T/nominations/{mine['nomination_id']}", follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"].endswith(f"#n-SR-T-{mine['nomination_id']}")
    other = hansiba.get(f"/association/rounds/SR-T/nominations/{theirs['nomination_id']}")
    missing = hansiba.get("/association/rounds/SR-T/nominations/NOM-9999")
    assert other.status_code == missing.status_code == 404
    assert other.headers["content-type"].startswith("text/html") and "Không tìm thấy" in _error(other.text)
    assert _error(other.text).replace(theirs["nomination_id"], "X") == _error(missing.text).replace("NOM-9999", "X")
    token = _csrf(html)
    for action in ("save", "withdraw"):
        answer = hansiba.post(f"/association/rounds/SR-T/nominations/{theirs['nomination_id']}",
                              data={"csrf": token, "justification": "đổi", "action": action})
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    stored = next(n for n in site.nominations() if n["nomination_id"] == theirs["nomination_id"])
    assert stored["justification"] == "Bí mật của VAMI" and stored["status"] == "submitted"


def test_a_nomination_sent_through_the_form_is_in_the_apis_list(site):
    hansiba = site.signed_in("HANSIBA")
    token = _csrf(hansiba.get("/association").text)
    answer = hansiba.post("/association/rounds/SR-T/nominations", follow_redirects=False, data={
        "csrf": token, "firm_id": "F2", "support_type": "training", "units": "2", "justification": "Đào tạo QC"})
    assert answer.status_code == 303, _error(answer.text)
    (sent,) = site.nominations("HANSIBA")
    assert (sent["firm_id"], sent["support_type"], sent["units"], sent["association_id"], sent["justification"]) == (
        "F2", "training", 2, "HANSIBA", "Đào tạo QC")
    assert answer.headers["location"] == f"/association?saved=sent&id={sent['nomination_id']}#round-SR-T"
    page = hansiba.get(answer.headers["location"]).text
    assert f"Đã gửi đề cử {sent['nomination_id']}." in page and _rows(page) == [sent["nomination_id"]]
    assert site.nominations("VAMI") == []  # under its own association only


@pytest.mark.parametrize(("form", "rule", "vi", "en"), [
    ({"firm_id": "F4", "support_type": "iso_9001_consulting"}, "tax_code", "mã số thuế không hợp lệ", "invalid tax code"),
    ({"firm_id": "F2", "support_type": "training", "units": "3"}, "cap_per_firm",
     "vượt mức tối đa mỗi doanh nghiệp", "over the type's cap per firm"),
    ({"firm_id": "F-NONE", "support_type": "training"}, "unknown_firm", "doanh nghiệp không có trong dữ liệu",
     "firm not in the data"),
])  # fmt: skip
def test_a_refused_nomination_names_the_rule_in_words_keeps_the_form_and_stores_nothing(site, form, rule, vi, en):
    hansiba = site.signed_in("HANSIBA")
    for lang, words in (("vi", vi), ("en", en)):
        token = _csrf(hansiba.get(f"/association?lang={lang}").text)
        typed = {"units": "1", "justification": f"Lý do đã gõ {lang}", **form}
        answer = hansiba.post(f"/association/rounds/SR-T/nominations?lang={lang}", data={"csrf": token, **typed})
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
        assert f'data-rule="{rule}"' in answer.text and words in _error(answer.text)
        assert ("Quy tắc không đạt" if lang == "vi" else "Rule not met") in _error(answer.text)
        assert f"Lý do đã gõ {lang}</textarea>" in answer.text
        assert f'name="firm_id" value="{form["firm_id"]}"' in answer.text
        assert f'<option value="{form["support_type"]}" selected>' in answer.text
        assert f'name="units" value="{typed["units"]}"' in answer.text
    assert site.nominations() == []


def test_a_duplicate_is_refused_and_bad_values_give_a_page_naming_them(site):
    site.nominate("HANSIBA", firm_id="F1", support_type="training")
    hansiba = site.signed_in("HANSIBA")
    token = _csrf(hansiba.get("/association").text)
    for form, status, words in [
        ({"firm_id": "F1", "support_type": "training"}, 422, "trùng đề cử"),
        ({"firm_id": "F2", "support_type": "training", "units": "abc"}, 422, "Số suất phải là số nguyên"),
        ({"firm_id": "F2", "support_type": "welding"}, 422, "unknown support type 'welding'"),
        ({"firm_id": "", "support_type": "training"}, 422, "Nhập mã doanh nghiệp"),
        ({"firm_id": "F2", "support_type": "training", "justification": "x" * 4001}, 422, "tối đa 4000 ký tự"),
    ]:
        answer = hansiba.post("/association/rounds/SR-T/nominations", data={"csrf": token, "units": "1", **form})
        assert answer.status_code == status and words in _error(answer.text), (form, _error(answer.text))
    answer = hansiba.post("/association/rounds/SR-NOPE/nominations",
                          data={"csrf": token, "firm_id": "F2", "support_type": "training", "units": "1"})
    assert answer.status_code == 404 and "Không tìm thấy đợt hỗ trợ SR-NOPE" in _error(answer.text)
    assert len(site.nominations()) == 1


def test_an_association_changes_its_justification_then_withdraws(site):
    mine = site.nominate("HANSIBA", firm_id="F1", support_type="training", justification="cũ")
    hansiba = site.signed_in("HANSIBA")
    url = f"/association/rounds/SR-T/nominations/{mine['nomination_id']}"
    token = _csrf(hansiba.get("/association").text)
    answer = hansiba.post(url, data={"csrf": token, "justification": "mới: đơn hàng Honda", "action": "save"},
                          follow_redirects=False)
    assert answer.status_code == 303
    (stored,) = site.nominations("HANSIBA")
    assert stored["justification"] == "mới: đơn hàng Honda" and stored["status"] == "submitted"
    page = hansiba.get(answer.headers["location"]).text
    assert "Đã lưu lý do" in page and f'action="{url}#' in page
    hansiba.post(url, data={"csrf": token, "justification": "", "action": "withdraw"})
    (stored,) = site.nominations("HANSIBA")
    assert stored["status"] == "withdrawn" and stored["justification"] == "mới: đơn hàng Honda"
    page = hansiba.get("/association").text
    assert "Đã rút" in page and f'action="{url}#' not in page  # no form on a withdrawn one
    again = hansiba.post(url, data={"csrf": token, "justification": "lại", "action": "save"})
    assert again.status_code == 409 and "đã được rút" in _error(again.text)


def test_the_firm_search_shows_public_parts_only_and_never_searches_the_tax_code(site):
    hansiba = site.signed_in("HANSIBA")
    page = hansiba.get("/association", params={"q": "co khi"}).text  # without diacritics
    found = re.findall(r'<tr data-firm="([^"]+)"', page)
    assert found == ["F1", "F2", "F3", "F4"]
    profile = site.api.get(f"{API}/firms/F1", headers=bearer(site.keys["HANSIBA"])).json()
    assert profile["name"] in page and profile["district"] in page
    for secret in FIRMS.values():
        if secret:
            assert secret not in page
    assert "Đường" not in page and "@" not in page  # no address, no contact
    by_tax = hansiba.get("/association", params={"q": FIRMS["F1"]}).text
    assert 'id="found-none"' in by_tax and 'data-firm="F1"' not in by_tax
    chosen = hansiba.get("/association", params={"firm": "F2"}).text
    assert 'name="firm_id" value="F2"' in chosen


def test_decisions_show_with_their_reason_in_the_pages_language_and_only_the_callers_own(site):
    site.nominate("HANSIBA", firm_id="F1", support_type="iso_9001_consulting")
    site.nominate("HANSIBA", firm_id="F2", support_type="iso_9001_consulting")
    site.nominate("HANSIBA", firm_id="F3", support_type="iso_9001_consulting")
    theirs = site.nominate("VAMI", firm_id="F1", support_type="training")
    answer = site.api.post(f"{API}/rounds/SR-T/proposal", json={"time_limit": 30}, headers=site.staff)
    assert answer.status_code == 200, answer.text
    own = site.api.get(f"{API}/rounds/SR-T/decisions", headers=bearer(site.keys["HANSIBA"])).json()["data"]
    assert len(own) == 3
    hansiba = site.signed_in("HANSIBA")
    vi, en = hansiba.get("/association").text, hansiba.get("/association?lang=en").text
    assert theirs["nomination_id"] not in _rows(vi)
    for decision in own:
        row = re.search(rf'id="n-SR-T-{decision["nomination_id"]}".*?</tr>', vi, re.S).group(0)
        assert unescape(decision["reason_vi"]) in unescape(row)
        assert ("Dự kiến được hỗ trợ" if decision["selected"] else "Dự kiến không được hỗ trợ") in row
        row = re.search(rf'id="n-SR-T-{decision["nomination_id"]}".*?</tr>', en, re.S).group(0)
        assert unescape(decision["reason_en"]) in unescape(row)
    assert "sa-edit" not in vi  # the round is no longer open: nothing to change
    # the firm F1 sees the decisions of both nominations of it (HANSIBA's and VAMI's), no other firm's
    of_f1 = site.api.get(f"{API}/rounds/SR-T/decisions", headers=bearer(site.keys["F1"])).json()["data"]
    assert sorted(d["association_id"] for d in of_f1) == ["HANSIBA", "VAMI"]
    firm_page = site.signed_in("F1").get("/portal/support").text
    assert sorted(_rows(firm_page)) == sorted(d["nomination_id"] for d in of_f1)
    for decision in of_f1:
        row = re.search(rf'id="n-SR-T-{decision["nomination_id"]}".*?</tr>', firm_page, re.S).group(0)
        assert unescape(decision["reason_vi"]) in unescape(row)
    site.api.post(f"{API}/rounds/SR-T/decide", json={}, headers=site.staff)
    decided = hansiba.get("/association?lang=vi").text  # the choice of English is kept in a cookie
    assert "Đã quyết định" in decided and ("Được hỗ trợ" in decided or "Không được hỗ trợ" in decided)
    assert "Dự kiến" not in decided


# --- a firm --------------------------------------------------------------------------


def test_a_firm_sees_only_its_own_applications_and_changes_only_those_it_sent(site):
    by_hansiba = site.nominate("HANSIBA", firm_id="F1", support_type="iso_9001_consulting", justification="Hội đề cử")
    other_firm = site.nominate("F2", support_type="training", justification="Của F2")
    f1 = site.signed_in("F1")
    page = f1.get("/portal/support")
    assert page.status_code == 200
    assert 'href="/portal/support" aria-current="page"' in page.text  # its menu item marked current
    assert _rows(page.text) == [by_hansiba["nomination_id"]] and "Của F2" not in page.text
    assert "Hiệp hội CNHT Hà Nội" in page.text and "Hiệp hội gửi; liên hệ hiệp hội" in page.text
    assert 'name="firm_id"' not in page.text and 'id="find"' not in page.text  # no firm field, no search
    token = _csrf(page.text)
    answer = f1.post("/portal/support/rounds/SR-T/applications", follow_redirects=False, data={
        "csrf": token, "support_type": "training", "units": "1", "justification": "Tự đăng ký đào tạo",
        "firm_id": "F2"})  # a firm_id typed into the request is ignored: always its own
    assert answer.status_code == 303, _error(answer.text)
    own = [n for n in site.nominations("F1") if n["nominated_by"] == "self"]
    assert [(n["firm_id"], n["support_type"], n["association_id"]) for n in own] == [("F1", "training", None)]
    page = f1.get(answer.headers["location"]).text
    assert "Đã gửi đăng ký" in page and sorted(_rows(page)) == sorted([by_hansiba["nomination_id"],
                                                                       own[0]["nomination_id"]])
    # the association's nomination of it: read only, refused like PATCH refuses it
    refused = f1.post(f"/portal/support/rounds/SR-T/applications/{by_hansiba['nomination_id']}",
                      data={"csrf": token, "action": "withdraw"})
    assert refused.status_code == 403 and "association HANSIBA" in _error(refused.text)
    assert site.nominations("HANSIBA")[0]["status"] == "submitted"
    # its own: change, withdraw
    url = f"/portal/support/rounds/SR-T/applications/{own[0]['nomination_id']}"
    assert f1.post(url, data={"csrf": token, "justification": "sửa", "action": "save"}).status_code == 200
    f1.post(url, data={"csrf": token, "action": "withdraw"})
    mine = {n["nomination_id"]: n for n in site.nominations("F1")}
    assert mine[own[0]["nomination_id"]]["status"] == "withdrawn"
    assert mine[own[0]["nomination_id"]]["justification"] == "sửa"
    # another firm's application: the page of one that does not exist
    for answer in (f1.get(f"/portal/support/rounds/SR-T/applications/{other_firm['nomination_id']}"),
                   f1.post(f"/portal/support/rounds/SR-T/applications/{other_firm['nomination_id']}",
                           data={"csrf": token, "action": "withdraw"})):
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert site.nominations("F2")[0]["status"] == "submitted"
    english = unescape(f1.get("/portal/support?lang=en").text)
    assert "Your firm's applications" in english and "Apply for your firm" in english


def test_a_firms_refused_application_names_the_rule(site):
    with transaction(site.app.state.sessionmaker) as session:
        site.keys["F4"] = create_key(session, "firm", "F4")[1]
    f4 = site.signed_in("F4")
    token = _csrf(f4.get("/portal/support").text)
    answer = f4.post("/portal/support/rounds/SR-T/applications",
                     data={"csrf": token, "support_type": "training", "units": "1", "justification": "xin"})
    assert answer.status_code == 422 and 'data-rule="tax_code"' in answer.text
    assert "mã số thuế không hợp lệ" in _error(answer.text) and "xin</textarea>" in answer.text
    assert site.nominations() == []


# --- who may -------------------------------------------------------------------------


def _routes(routes):
    """Every route, those of included routers too (FastAPI keeps them apart in ``original_router``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)  # the pages' routers are included without a prefix
        else:
            yield route


def _page_urls(app) -> list[tuple[str, str]]:
    """(method, path) of every page but the association's own, the firm's support page and
    signing in or out, their IDs filled with stored ones where the test stores any."""
    fill = {"firm_id": "F1", "round_id": "SR-T", "nomination_id": "NOM-0001", "prefix": "cnht_x", "kind": "firms"}
    own = ("/association", "/portal/support", "/login", "/logout", "/docs", "/redoc")
    urls = set()
    for route in _routes(app.routes):
        if not isinstance(route, _PageRoute) or route.path == "/" or route.path.startswith(own):
            continue
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: fill.get(m.group(1), "1"), route.path)
        urls.update((method, path) for method in route.methods)
    return sorted(urls)


def test_an_association_key_opens_no_staff_analyst_or_firm_page(site):
    site.nominate("HANSIBA", firm_id="F1", support_type="training")
    hansiba = site.signed_in("HANSIBA")
    token = _csrf(hansiba.get("/association").text)
    urls = _page_urls(site.app)
    paths = {path for _, path in urls}
    assert {"/dashboard", "/needs", "/firms", "/firms/F1", "/keys", "/imports", "/events", "/portal"} <= paths
    for method, path in urls:
        if method == "GET":
            answer = hansiba.get(path, follow_redirects=False)
        else:
            # with a file, so that the upload forms check the role rather than a missing field
            answer = hansiba.request(method, path, data={"csrf": token}, files={"file": ("a.csv", b"firm_id\n")},
                                     follow_redirects=False)
        assert answer.status_code in (303, 403), (method, path, answer.status_code)
        if answer.status_code == 303:  # never to content: sign-in or its own page
            assert answer.headers["location"].startswith(("/login", "/association")), (path, answer.headers)
        else:
            assert answer.headers["content-type"].startswith("text/html") and _error(answer.text)
    assert hansiba.get("/portal/support").status_code == 403


def test_a_firm_staff_and_analysts_get_403_on_the_association_page(site):
    for who in ("F1", "staff", "analyst"):
        browser = site.signed_in(who)
        answer = browser.get("/association")
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html"), who
        token = _csrf(browser.get("/").text) if who != "F1" else _csrf(browser.get("/portal").text)
        answer = browser.post("/association/rounds/SR-T/nominations",
                              data={"csrf": token, "firm_id": "F1", "support_type": "training", "units": "1"})
        assert answer.status_code == 403, who
    assert site.signed_in("staff").get("/portal/support").status_code == 403
    assert site.nominations() == []


def test_a_form_without_its_token_is_refused_and_stores_nothing(site):
    mine = site.nominate("HANSIBA", firm_id="F1", support_type="training", justification="giữ nguyên")
    hansiba = site.signed_in("HANSIBA")
    answer = hansiba.post("/association/rounds/SR-T/nominations",
                          data={"firm_id": "F2", "support_type": "training", "units": "1"})
    assert answer.status_code == 403 and "token" in _error(answer.text)
    answer = hansiba.post(f"/association/rounds/SR-T/nominations/{mine['nomination_id']}",
                          data={"csrf": "wrong", "action": "withdraw"})
    assert answer.status_code == 403
    token = _csrf(hansiba.get("/association").text)
    answer = hansiba.post("/association/rounds/SR-T/nominations", headers={"Origin": "https://evil.example"},
                          data={"csrf": token, "firm_id": "F2", "support_type": "training", "units": "1"})
    assert answer.status_code == 403 and "another site" in _error(answer.text)
    f1 = site.signed_in("F1")
    assert f1.post("/portal/support/rounds/SR-T/applications",
                   data={"support_type": "training", "units": "1"}).status_code == 403
    assert [(n["nomination_id"], n["status"]) for n in site.nominations()] == [(mine["nomination_id"], "submitted")]


def test_staff_create_an_association_key_on_the_keys_page_and_it_signs_in(site):
    staff = site.signed_in("staff")
    page = staff.get("/keys").text
    assert '<option value="association">Hiệp hội (association)</option>' in page
    assert '<option value="VAMI">' in page  # the stored associations to pick from
    answer = staff.post("/keys", data={"csrf": _csrf(page), "role": "association", "association_id": "VAMI",
                                       "label": "Chị Lan, VAMI"})
    assert answer.status_code == 201, _error(answer.text)
    key = re.search(r'id="new-key-value">([^<]+)<', answer.text).group(1)
    site.keys["new"] = key
    assert site.signed_in("new").get("/association").status_code == 200
    refused = staff.post("/keys", data={"csrf": _csrf(page), "role": "association", "association_id": ""})
    assert refused.status_code == 422 and "--association" in _error(refused.text)
