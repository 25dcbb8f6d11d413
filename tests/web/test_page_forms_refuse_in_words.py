"""Every form of the pages answers a page, never JSON and never 500, whatever a client sends:
a form token of non-ASCII characters (hmac.compare_digest raised TypeError: a 500), a token
longer than the declared limit or a missing upload (FastAPI's JSON 422), a query value out of
range. Walks every POST route of the pages, signed in as staff."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction
from api.web.routes import _PageRoute


@pytest.fixture
def staff_client(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    with TestClient(app) as client:
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "staff", None)[1]
        assert client.post("/login", data={"key": key, "next": "/"}).status_code == 200
        yield client


def _page_posts(app) -> list[str]:
    """Every POST route of the pages' routers (those :func:`api.web.routes.install` includes)."""
    from api.web import (
        events,
        portal,
        routes,
        staff,
        support_applications,
        support_monitor,
        support_rounds,
    )

    paths = []
    for module in (routes, staff, portal, events, support_rounds, support_monitor, support_applications):
        for route in module.router.routes:
            if isinstance(route, _PageRoute) and "POST" in route.methods and route.path not in ("/login", "/logout"):
                paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return sorted(set(paths))


@pytest.mark.parametrize("token", ["é" * 40, "a" * 500, ""])
def test_a_bad_form_token_is_the_403_page_on_every_form(staff_client, token):
    posts = _page_posts(staff_client.app)
    assert len(posts) > 20  # the walk finds the forms (staff, events, support pages)
    for path in posts:
        answer = staff_client.post(path, data={"csrf": token}, files={"file": ("x.json", b"{}")})
        assert answer.headers["content-type"].startswith("text/html"), (path, answer.status_code, answer.text[:200])
        assert answer.status_code == 403, (path, answer.status_code)
        assert "session token" in answer.text or "token" in answer.text, path


def test_a_form_without_its_upload_or_with_a_bad_value_is_a_page(staff_client):
    page = staff_client.get("/events").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    for path in ("/events", "/imports", "/support/rounds"):
        answer = staff_client.post(path, data={"csrf": token})
        assert answer.headers["content-type"].startswith("text/html"), (path, answer.text[:200])
        assert answer.status_code == 422 and 'class="alert error"' in answer.text or "<h1" in answer.text, path
    answer = staff_client.get("/needs", params={"page": "-4"})
    assert answer.headers["content-type"].startswith("text/html") and answer.status_code in (200, 422)
