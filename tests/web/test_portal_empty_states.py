"""The firm portal in-process (TestClient): what a firm reads where it has nothing yet."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.session import transaction


def test_a_firm_without_certificates_reads_what_to_do_in_its_portal(tmp_path):
    from tests.api.conftest import make_firm

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'cnht.db'}"))
    with transaction(app.state.sessionmaker) as session:
        staff = create_key(session, "staff", None)[1]
    with TestClient(app) as client:
        firm = make_firm(firm_id="F0009", tax_code=None, certifications=[])
        assert client.post("/api/v1/firms", json=firm, headers={"Authorization": f"Bearer {staff}"}).status_code == 201
        with transaction(app.state.sessionmaker) as session:
            key = create_key(session, "firm", "F0009")[1]
        assert client.post("/login", data={"key": key, "next": "/portal"}).status_code == 200
        html = client.get("/portal").text
        assert "Chưa có chứng chỉ nào" in html
        assert "No certificate yet" in client.get("/portal?lang=en").text
