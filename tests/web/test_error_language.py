"""Domain errors in the page's language (issue 14): a Vietnamese page shows the Vietnamese an
error was raised with, ``?lang=en`` the English, and the API keeps ``detail`` English and adds
``detail_vi``. The programme is tests/web/test_support_round_pages.py's: a budget of 300 tr.đ,
three nominations selected (270 tr.đ), one consulting (120 tr.đ) left out over budget.
"""

from __future__ import annotations

import ast
import inspect

import api.storage.support as support_store
from api.storage.errors import ServiceError
from features.exceptions import CnhtError
from features.numbers import format_number
from tests.web import test_support_round_pages as round_pages

API = "/api/v1/support"
site = round_pages.site  # the stored programme and a client signed in as staff


def _over_budget(client, staff) -> tuple[str, int, int]:
    """The nomination left out by the proposal, its cost and what selecting it would spend."""
    round_pages._propose(client)
    decisions = client.get(f"{API}/rounds/SR-T/decisions", headers=staff).json()["data"]
    left_out = next(d for d in decisions if not d["selected"])
    spent = sum(d["cost_vnd"] for d in decisions if d["selected"])
    return left_out["nomination_id"], left_out["cost_vnd"], spent + left_out["cost_vnd"]


def test_an_override_over_budget_is_said_in_the_pages_language_and_the_api_gives_both(site):
    client, staff, _, _ = site
    nomination_id, cost, total = _over_budget(client, staff)
    assert total > 300_000_000  # over the budget by construction
    vi = (f"Chọn {nomination_id} ({format_number(cost, 'vi')} VNĐ) sẽ đưa tổng kinh phí lên "
          f"{format_number(total, 'vi')} VNĐ, vượt ngân sách 300.000.000 VNĐ; hãy bỏ chọn một đề cử khác trước.")
    en = (f"Selecting {nomination_id} ({cost:,} VND) would spend {total:,} of the budget 300,000,000 VND; "
          "put another nomination out first.")
    url = f"/support/rounds/SR-T/decisions/{nomination_id}/override"
    form = {"csrf": round_pages._csrf(client.get("/support/rounds/SR-T").text), "selected": "1", "reason": "ưu tiên"}
    page = client.post(url, data=form)
    assert page.status_code == 422 and round_pages._error(page.text) == vi
    english = client.post(url + "?lang=en", data=form)
    assert english.status_code == 422 and round_pages._error(english.text) == en
    answer = client.post(f"{API}/rounds/SR-T/decisions/{nomination_id}/override", headers=staff,
                         json={"selected": True, "reason": "ưu tiên"})
    assert answer.status_code == 422 and answer.json()["detail"] == en and answer.json()["detail_vi"] == vi


def test_a_conflict_answers_409_with_detail_unchanged_and_detail_vi(site):
    client, staff, _, keys = site
    nomination_id, _, _ = _over_budget(client, staff)
    answer = client.post(f"{API}/rounds/SR-T/decisions/{nomination_id}/override", headers=staff,
                         json={"selected": False, "reason": "lần nữa"})
    assert answer.status_code == 409
    assert answer.json()["detail"] == f"Nomination {nomination_id} is already not selected; nothing to override."
    assert answer.json()["detail_vi"] == (f"Đề cử {nomination_id} đã ở trạng thái không được chọn; "
                                          "không cần điều chỉnh.")
    # an error raised without Vietnamese adds no detail_vi
    refused = client.patch("/api/v1/firms/F1", headers={"Authorization": f"Bearer {keys['analyst']}"}, json={})
    assert refused.status_code == 403 and "detail_vi" not in refused.json()


def test_an_error_page_says_the_error_in_the_pages_language(site):
    client, _, _, _ = site
    page = client.get("/support/rounds/SR-NONE")
    assert page.status_code == 404
    assert round_pages._error(page.text).startswith("Không tìm thấy đợt hỗ trợ SR-NONE.")
    english = client.get("/support/rounds/SR-NONE?lang=en")
    assert english.status_code == 404 and round_pages._error(english.text).startswith("Support round SR-NONE not found.")


def test_the_openapi_error_bodies_document_detail_vi(site):
    client, _, _, _ = site
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("Message", "HTTPValidationError"):
        assert schemas[name]["required"] == ["detail"] and "detail_vi" in schemas[name]["properties"]


def test_every_error_the_support_storage_raises_has_its_vietnamese():
    """An AST walk: each service error raised in api/storage/support.py is called with ``vi=``;
    the only others are an ID error (its own Vietnamese arguments) and a ValueError caught at once."""
    tree = ast.parse(inspect.getsource(support_store))
    missing, others, checked = [], set(), 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        name = ast.unparse(node.exc.func)
        kind = getattr(support_store, name, None)
        if isinstance(kind, type) and issubclass(kind, ServiceError):
            checked += 1
            if not any(k.arg == "vi" for k in node.exc.keywords):
                missing.append(f"line {node.lineno}: {name}")
        else:
            others.add(name)
    assert checked >= 50 and not missing, missing
    assert others == {"InvalidIdError", "ValueError"}  # a new kind of error raised here: give it its Vietnamese
    assert issubclass(support_store.NominationRefusedError, CnhtError)


def test_a_round_id_not_in_stored_form_is_a_422_in_both_languages(site):
    client, staff, _, _ = site
    answer = client.post(f"{API}/rounds", headers=staff, json=round_pages.make_round(round_id=" SR-Z "))
    assert answer.status_code == 422, answer.text  # was a TypeError (500): InvalidIdError given one argument
    assert answer.json()["detail"].startswith("round_id ' SR-Z ' is not written as stored")
    assert answer.json()["detail_vi"].startswith("round_id ' SR-Z ' không viết đúng dạng lưu")
