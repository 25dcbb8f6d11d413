"""Every domain error a page user can meet says it in Vietnamese too (issue 14, beyond the support
programme): an AST walk over the storage, auth and ranking modules, then a few pages that show
such an error in Vietnamese, and in English with ``?lang=en``.
"""

from __future__ import annotations

import ast
import inspect
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

import api.auth
import api.ranking.fitting
import api.ranking.reranking
import api.ranking.service
import api.storage.events
import api.storage.imports
import api.storage.interests
import api.storage.outcomes
import api.storage.repository.buyers
import api.storage.repository.certificates
import api.storage.repository.codes
import api.storage.repository.firms
import api.storage.repository.history
import api.storage.repository.needs
import api.storage.repository.outcomes
import api.storage.repository.queries
from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction
from features.exceptions import CnhtError
from tests.api.conftest import make_buyer, make_firm, make_need, make_shortlist_entry

MODULES = [
    api.auth, api.ranking.fitting, api.ranking.reranking, api.ranking.service, api.storage.events,
    api.storage.imports, api.storage.interests, api.storage.outcomes, api.storage.repository.buyers,
    api.storage.repository.certificates, api.storage.repository.codes, api.storage.repository.firms,
    api.storage.repository.history, api.storage.repository.needs, api.storage.repository.outcomes,
    api.storage.repository.queries,
]
# Errors no page shows: a reranker's weights that do not fit are caught in api.ranking.service (the
# shortlist falls back to the base scores); an import's row rejects carry their Vietnamese apart.
NEVER_ON_A_PAGE = {"RerankError", "_RowRejected"}


def _errors_without_vietnamese(source: str, namespace: dict, name: str) -> tuple[int, list[str]]:
    """(how many calls were checked, those missing ``vi=``): each call, raised or returned, of a
    CnhtError subclass (looked up in ``namespace``) whose message is written in ``source`` (a
    literal or an f-string)."""
    checked, missing = 0, []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        kind = namespace.get(node.func.id)
        if not (isinstance(kind, type) and issubclass(kind, CnhtError)) or node.func.id in NEVER_ON_A_PAGE:
            continue
        written = [a for a in node.args if isinstance(a, ast.JoinedStr)
                   or (isinstance(a, ast.Constant) and isinstance(a.value, str))]  # fmt: skip
        if not written:
            continue
        checked += 1
        if not any(k.arg == "vi" for k in node.keywords):
            missing.append(f"{name} line {node.lineno}: {node.func.id}")
    return checked, missing


def test_every_error_written_in_these_modules_has_its_vietnamese():
    counts, missing = {}, []
    for module in MODULES:
        counts[module.__name__], gaps = _errors_without_vietnamese(inspect.getsource(module), vars(module),
                                                                   module.__name__)
        missing += gaps
    assert not missing, missing
    assert sum(counts.values()) >= 50  # the walk finds the calls
    for name in ("api.auth", "api.storage.events", "api.storage.outcomes", "api.storage.repository.needs"):
        assert counts[name] >= 3, (name, counts[name])


def test_the_walk_finds_an_error_without_vietnamese():
    source = ('def f(x):\n    raise CnhtError(f"Bad {x}.")\n\n'
              'def g(x):\n    raise CnhtError("Bad.", vi="Sai.")\n\n'
              'def h(exc):\n    raise CnhtError(str(exc))\n')
    assert _errors_without_vietnamese(source, {"CnhtError": CnhtError}, "fake") == (2, ["fake line 2: CnhtError"])


# --- pages ---------------------------------------------------------------------------


def _error(html: str) -> str:
    found = re.search(r'class="alert error"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)).strip() if found else ""


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
def site(tmp_path):
    """A firm F0001, a buyer B001 with need N-0001, a shortlist entry of the pair, and a client
    signed in as staff; yields (client, staff headers, entry id)."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "staff", None)[1]
        staff = {"Authorization": f"Bearer {key}"}
        for path, body in (("buyers", make_buyer()), ("needs", make_need()), ("firms", make_firm())):
            assert client.post(f"/api/v1/{path}", json=body, headers=staff).status_code == 201
        entry_id = make_shortlist_entry(app)
        assert client.post("/login", data={"key": key, "next": "/"}).status_code == 200
        yield client, staff, entry_id


def test_an_unknown_firm_is_said_in_the_pages_language(site):
    client, staff, _ = site
    page = client.get("/firms/F-NONE")
    assert page.status_code == 404
    assert _error(page.text) == ("Không tìm thấy doanh nghiệp F-NONE. Hãy kiểm tra mã "
                                 "(xem danh sách bằng GET /api/v1/firms).")
    english = client.get("/firms/F-NONE?lang=en")
    assert english.status_code == 404
    assert _error(english.text) == "Firm F-NONE not found. Check the id (list them with GET /api/v1/firms)."
    # the API: detail unchanged, detail_vi added
    answer = client.get("/api/v1/needs/N-NONE", headers=staff).json()
    assert answer["detail"] == "Need N-NONE not found. Check the id (list them with GET /api/v1/needs)."
    assert answer["detail_vi"] == "Không tìm thấy nhu cầu N-NONE. Hãy kiểm tra mã (xem danh sách bằng GET /api/v1/needs)."


def test_an_illegal_outcome_move_is_a_409_with_its_vietnamese_in_the_api(site):
    client, staff, entry_id = site
    url = f"/api/v1/shortlists/{entry_id}/outcome"
    assert client.patch(url, json={"status": "suggested"}, headers=staff).status_code == 200
    answer = client.patch(url, json={"status": "order"}, headers=staff)
    assert answer.status_code == 409
    assert answer.json()["detail"] == "Cannot move to 'order' from 'suggested'. Allowed next: contacted, rejected."
    assert answer.json()["detail_vi"] == ("Không thể chuyển sang 'order' từ 'suggested'. "
                                          "Các trạng thái được phép tiếp theo: contacted, rejected.")


def test_an_illegal_outcome_move_through_the_need_page_is_said_in_vietnamese(site):
    client, _, entry_id = site
    form = {"csrf": _csrf(client.get("/needs/N-0001").text), "status": "suggested"}
    assert client.post(f"/shortlists/{entry_id}/outcome", data=form, follow_redirects=False).status_code == 303
    page = client.post(f"/shortlists/{entry_id}/outcome", data={**form, "status": "order"})
    assert page.status_code == 409
    assert "Không thể chuyển sang 'order' từ 'suggested'" in _error(page.text), _error(page.text)


def test_a_key_page_error_is_said_in_the_pages_language(site):
    client, _, _ = site
    form = {"csrf": _csrf(client.get("/keys").text), "role": "firm", "firm_id": "F-NONE"}
    page = client.post("/keys", data=form)
    assert page.status_code == 404
    assert _error(page.text) == ("Không tìm thấy doanh nghiệp F-NONE; hãy tạo hoặc nhập doanh nghiệp trước "
                                 "khi cấp khóa.")
    no_firm = client.post("/keys", data={**form, "firm_id": ""})
    assert no_firm.status_code == 422 and _error(no_firm.text).startswith("Khóa của doanh nghiệp cần ghi rõ")
    english = client.post("/keys?lang=en", data=form)  # (the language stays chosen: English last)
    assert english.status_code == 404
    assert _error(english.text) == "Firm F-NONE not found; create or import the firm before its key."
