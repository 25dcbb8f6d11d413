"""Outcome state machine, /outcomes and /shortlists/{entry_id}/outcome."""

from __future__ import annotations

import pytest

from api.storage.errors import IllegalTransitionError
from api.storage.models import ShortlistEntry
from api.storage.outcomes import UnknownStatusError, allowed_next, check_transition
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need


def test_state_machine_path_and_rejection():
    status = None
    for step in ("suggested", "contacted", "meeting", "sample", "audit", "order"):
        status = check_transition(status, step)
    assert allowed_next("order") == ()
    assert allowed_next("audit") == ("order", "rejected")
    assert check_transition("meeting", "rejected", reason="price too high") == "rejected"
    with pytest.raises(IllegalTransitionError, match="Allowed next: meeting, rejected") as info:
        check_transition("contacted", "sample")
    assert info.value.allowed == ("meeting", "rejected")
    with pytest.raises(IllegalTransitionError, match="'order' is final"):
        check_transition("order", "rejected", reason="late")
    with pytest.raises(IllegalTransitionError, match="first status"):
        check_transition(None, "meeting")
    with pytest.raises(UnknownStatusError, match="needs a reason"):
        check_transition("suggested", "rejected", reason="  ")
    with pytest.raises(UnknownStatusError, match="got 'won'"):
        check_transition("audit", "won")


@pytest.fixture
def pair(client, staff):
    client.post("/api/v1/buyers", json=make_buyer(), headers=staff)
    client.post("/api/v1/needs", json=make_need(), headers=staff)
    client.post("/api/v1/firms", json=make_firm(), headers=staff)
    client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code=None, certifications=[]), headers=staff)  # fmt: skip
    return {"need_id": "N-0001", "firm_id": "F0001"}


def test_post_and_list_outcomes(client, staff, analyst, pair):
    for status in ("suggested", "contacted"):
        answer = client.post("/api/v1/outcomes", json={**pair, "status": status}, headers=staff)
        assert answer.status_code == 201, answer.text
    skip = client.post("/api/v1/outcomes", json={**pair, "status": "order"}, headers=staff)
    assert skip.status_code == 409
    assert skip.json()["allowed"] == ["meeting", "rejected"]
    assert "Allowed next: meeting, rejected" in skip.json()["detail"]
    no_reason = client.post("/api/v1/outcomes", json={**pair, "status": "rejected"}, headers=staff)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    unknown = client.post("/api/v1/outcomes", json={"need_id": "N-9999", "firm_id": "F0001", "status": "suggested"}, headers=staff)  # fmt: skip
    assert unknown.status_code == 404 and "N-9999" in unknown.json()["detail"]
    history = client.get("/api/v1/outcomes", params=pair, headers=analyst).json()
    assert [o["status"] for o in history["data"]] == ["suggested", "contacted"]
    assert history["count"] == 2 and history["data"][0]["by"].startswith("staff:")
    assert client.post("/api/v1/outcomes", json={**pair, "status": "meeting"}, headers=analyst).status_code == 403  # fmt: skip


def test_firm_key_sees_only_its_outcomes(client, staff, make_key, pair):
    client.post("/api/v1/outcomes", json={**pair, "status": "suggested"}, headers=staff)
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0002", "status": "suggested"}, headers=staff)  # fmt: skip
    own = bearer(make_key("firm", "F0001"))
    mine = client.get("/api/v1/outcomes", headers=own).json()
    assert {o["firm_id"] for o in mine["data"]} == {"F0001"} and mine["count"] == 1
    other = client.get("/api/v1/outcomes", params={"firm_id": "F0002"}, headers=own).json()
    assert other == {"data": [], "count": 0}
    assert client.post("/api/v1/outcomes", json={**pair, "status": "contacted"}, headers=own).status_code == 403  # fmt: skip


def test_shortlist_entry_outcome(app, client, staff, pair):
    with transaction(app.state.sessionmaker) as session:
        entry = ShortlistEntry(need_id="N-0001", firm_id="F0001", rank=1, score=0.87,
                               components={"process_fit": 0.5}, reasons=["ép nhựa ↔ injection moulding"],
                               model_version="test-1")  # fmt: skip
        session.add(entry)
        session.flush()
        entry_id = entry.id
    first = client.patch(f"/api/v1/shortlists/{entry_id}/outcome", json={"status": "suggested"}, headers=staff)  # fmt: skip
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "suggested" and first.json()["reasons"] == ["ép nhựa ↔ injection moulding"]
    bad = client.patch(f"/api/v1/shortlists/{entry_id}/outcome", json={"status": "audit"}, headers=staff)  # fmt: skip
    assert bad.status_code == 409 and bad.json()["allowed"] == ["contacted", "rejected"]
    rejected = client.patch(f"/api/v1/shortlists/{entry_id}/outcome", json={"status": "rejected", "reason": "no IATF"}, headers=staff)  # fmt: skip
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.patch("/api/v1/shortlists/999/outcome", json={"status": "suggested"}, headers=staff).status_code == 404  # fmt: skip
    history = client.get("/api/v1/outcomes", params=pair, headers=staff).json()
    assert [o["status"] for o in history["data"]] == ["suggested", "rejected"]
