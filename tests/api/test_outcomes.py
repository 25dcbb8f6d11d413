"""Outcome state machine, /outcomes and /shortlists/{entry_id}/outcome."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from api.storage.errors import IllegalTransitionError
from api.storage.outcomes import UnknownStatusError, allowed_next, check_transition
from api.storage.session import transaction
from tests.api.conftest import bearer, make_buyer, make_firm, make_need, make_shortlist_entry


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
    # Staff names stay with staff: a firm key gets no 'by'.
    assert [o["by"] for o in mine["data"]] == [None]
    assert client.get("/api/v1/outcomes", headers=staff).json()["data"][0]["by"].startswith("staff:")
    other = client.get("/api/v1/outcomes", params={"firm_id": "F0002"}, headers=own).json()
    assert other == {"data": [], "count": 0}
    assert client.post("/api/v1/outcomes", json={**pair, "status": "contacted"}, headers=own).status_code == 403  # fmt: skip


def test_shortlist_entry_outcome(app, client, staff, pair):
    entry_id = make_shortlist_entry(app)
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


def _history_is_a_legal_path(statuses: list[str]) -> bool:
    current = None
    for status in statuses:
        if status not in allowed_next(current):
            return False
        current = status
    return True


def _in_threads(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads started together; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_outcome_writes_move_a_pair_once(client, staff, pair):
    """Several requests moving one pair from the same status: exactly one wins."""
    assert client.post("/api/v1/outcomes", json={**pair, "status": "suggested"}, headers=staff).status_code == 201  # fmt: skip
    for round_, status in enumerate(("contacted", "meeting", "sample")):
        codes = _in_threads(6, lambda _i, s=status: client.post(
            "/api/v1/outcomes", json={**pair, "status": s}, headers=staff).status_code)  # fmt: skip
        assert sorted(codes) == [201] + [409] * 5, (round_, codes)
    history = [o["status"] for o in client.get("/api/v1/outcomes", params=pair, headers=staff).json()["data"]]  # fmt: skip
    assert history == ["suggested", "contacted", "meeting", "sample"]


def test_concurrent_patches_of_one_entry_move_it_once(client, staff, pair):
    body = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 3}, headers=staff).json()
    entry = body["data"][0]
    url = f"/api/v1/shortlists/{entry['entry_id']}/outcome"
    codes = _in_threads(6, lambda _i: client.patch(url, json={"status": "contacted"}, headers=staff).status_code)  # fmt: skip
    assert sorted(codes) == [200] + [409] * 5
    history = client.get("/api/v1/outcomes", params={"need_id": "N-0001", "firm_id": entry["firm_id"]},
                         headers=staff).json()["data"]  # fmt: skip
    assert [o["status"] for o in history] == ["suggested", "contacted"]


def test_outcomes_recorded_while_a_shortlist_is_computed(client, staff, pair):
    """Shortlists computed while staff record the first status of the same pairs: every pair's
    history stays a legal path with one 'suggested', whoever wrote it first."""
    for firm in ("F0003", "F0004"):
        client.post("/api/v1/firms", json=make_firm(firm_id=firm, tax_code=None, name=f"Nhựa {firm}"), headers=staff)  # fmt: skip
    firms = ["F0001", "F0002", "F0003", "F0004"]

    def work(i: int) -> int:
        if i % 2 == 0:
            return client.post("/api/v1/needs/N-0001/shortlist", json={"k": 4}, headers=staff).status_code  # fmt: skip
        firm = firms[(i // 2) % len(firms)]
        first = client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": firm, "status": "suggested"}, headers=staff)  # fmt: skip
        second = client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": firm, "status": "contacted"}, headers=staff)  # fmt: skip
        return 200 if {first.status_code, second.status_code} <= {201, 409} else first.status_code

    codes = _in_threads(8, work)
    assert set(codes) == {200}, codes
    history = client.get("/api/v1/outcomes", params={"need_id": "N-0001"}, headers=staff).json()["data"]
    by_firm: dict[str, list[str]] = {}
    for outcome in history:
        by_firm.setdefault(outcome["firm_id"], []).append(outcome["status"])
    assert by_firm, "nothing recorded"
    for firm, statuses in by_firm.items():
        assert _history_is_a_legal_path(statuses), (firm, statuses)
        assert statuses.count("suggested") == 1, (firm, statuses)


def test_latest_statuses_in_one_query_equal_latest_status_pair_by_pair(app, client, staff, pair):
    from api.storage import repository as repo

    for status in ("suggested", "contacted", "meeting"):
        client.post("/api/v1/outcomes", json={**pair, "status": status}, headers=staff)
    client.post("/api/v1/outcomes", json={"need_id": "N-0001", "firm_id": "F0002", "status": "suggested"}, headers=staff)  # fmt: skip
    firm_ids = ["F0002", "F0001", "F9999"]  # F9999: no history
    with transaction(app.state.sessionmaker) as session:
        batch = repo.latest_statuses(session, "N-0001", firm_ids)
        one_by_one = {f: repo.latest_status(session, "N-0001", f) for f in firm_ids}
        assert repo.latest_statuses(session, "N-0001", []) == {}
    assert batch == one_by_one == {"F0002": "suggested", "F0001": "meeting", "F9999": None}


def test_outcome_funnel_counted_in_the_database_equals_the_definition_over_every_event(app, client, staff, pair):
    """Stages: pairs that reached each stage or beyond; rejected: pairs whose last recorded
    event is a rejection (by row, whatever date an event claims); connected: firms at meeting+."""
    import datetime as dt
    import random

    from api.storage import repository as repo
    from api.storage.models import Outcome
    from api.storage.outcomes import CONNECTED_STATUSES
    from features.columns import OUTCOME_PATH, OUTCOME_STATUSES

    rng = random.Random(3)
    events = []
    for _ in range(8):  # checked after each batch: pairs ending rejected, reopened, never started
        batch = []
        for _ in range(rng.randint(1, 12)):
            firm_id = rng.choice(["F0001", "F0002"])
            status = rng.choice(OUTCOME_STATUSES)
            at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(-400, 400))
            batch.append(("N-0001", firm_id, status, at))
        events += batch
        with transaction(app.state.sessionmaker) as session:
            for need_id, firm_id, status, at in batch:  # one flush each: ids in recorded order
                session.add(Outcome(need_id=need_id, firm_id=firm_id, status=status, at=at, by="test"))
                session.flush()
        furthest, latest, connected = {}, {}, set()
        for need_id, firm_id, status, _ in events:
            latest[(need_id, firm_id)] = status
            if status in OUTCOME_PATH:
                furthest[(need_id, firm_id)] = max(furthest.get((need_id, firm_id), 0), OUTCOME_PATH.index(status))
            if status in CONNECTED_STATUSES:
                connected.add(firm_id)
        expected = {s: sum(1 for i in furthest.values() if i >= OUTCOME_PATH.index(s)) for s in OUTCOME_PATH}
        expected["rejected"] = sum(1 for s in latest.values() if s == "rejected")
        with transaction(app.state.sessionmaker) as session:
            assert repo.outcome_funnel(session) == (expected, len(connected)), f"after {len(events)} events"
    assert sum(expected.values()) > 0


def test_suggest_pairs_records_what_suggest_pair_would_one_by_one(app, client, staff, pair):
    from api.storage import repository as repo
    from api.storage.errors import NotFoundError
    from api.storage.models import AuditLog, Outcome

    client.post("/api/v1/outcomes", json={**pair, "status": "suggested"}, headers=staff)
    client.post("/api/v1/outcomes", json={**pair, "status": "contacted"}, headers=staff)
    with transaction(app.state.sessionmaker) as session:
        made = repo.suggest_pairs(session, "N-0001", [("F0001", None), ("F0002", None), ("F0002", None)], by="staff:t")
        # F0001 keeps 'contacted'; F0002 is suggested once, though listed twice.
        assert [o is not None for o in made] == [False, True, False]
    with transaction(app.state.sessionmaker) as session:
        assert repo.latest_statuses(session, "N-0001", ["F0001", "F0002"]) == {"F0001": "contacted", "F0002": "suggested"}
        audited = session.scalars(select(AuditLog.entity_id).where(AuditLog.entity == "outcome", AuditLog.actor == "staff:t")).all()
        assert audited == ["N-0001/F0002"]
        before = session.scalar(select(func.count()).select_from(Outcome))
    with pytest.raises(NotFoundError, match="F9999"), transaction(app.state.sessionmaker) as session:
        repo.suggest_pairs(session, "N-0001", [("F0002", None), ("F9999", None)], by="staff:t")
    with transaction(app.state.sessionmaker) as session:
        assert session.scalar(select(func.count()).select_from(Outcome)) == before  # nothing half-written
