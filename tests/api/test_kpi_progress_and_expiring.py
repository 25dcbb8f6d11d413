"""GET /kpi/progress and GET /kpi/expiring: the dashboard's chart and list, from the KPI's own rule.

Firms whose answers are known by construction, recorded on chosen days (``created_at``):

* F1, recorded 2026-01-10: ISO 9001 (international) issued 2025-01-01, valid until 2026-12-20,
  renewed from 2026-12-01 to 2029-11-30: valid all year, never expiring within 90 days.
* F2, recorded 2026-03-05: ISO 14001 (international) issued 2026-04-15, valid until 2027-01-31:
  certified from the end of April on; expires within 90 days of 2026-11-30 (62 days left).
* F3, recorded 2026-06-20: IATF 16949 that expired 2026-05-31, before it was recorded.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from api.storage.certificate_dates import month_ends
from api.storage.models import Firm
from api.storage.session import transaction
from features import clock
from tests.api.conftest import bearer, make_firm

TODAY = dt.date(2026, 11, 30)
HANOI_NOON = dt.time(12, 0)
FIRMS = {
    "F1": (dt.date(2026, 1, 10), [
        {"code": "iso_9001", "issued": "2025-01-01", "valid_until": "2026-12-20", "verified": True},
        {"code": "iso_9001", "issued": "2026-12-01", "valid_until": "2029-11-30"},
    ]),
    "F2": (dt.date(2026, 3, 5), [{"code": "iso_14001", "issued": "2026-04-15", "valid_until": "2027-01-31"}]),
    "F3": (dt.date(2026, 6, 20), [{"code": "iatf_16949", "issued": "2023-06-01", "valid_until": "2026-05-31"}]),
}  # fmt: skip


@pytest.fixture
def recorded(app, client, staff):
    """The three firms, each recorded (created_at) at noon Hanoi time on its day."""
    for firm_id, (_, certifications) in FIRMS.items():
        payload = make_firm(firm_id=firm_id, name=f"Công ty {firm_id}", tax_code=None,
                            certifications=certifications)  # fmt: skip
        assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
    with transaction(app.state.sessionmaker) as session:
        for firm_id, (day, _) in FIRMS.items():
            at = dt.datetime.combine(day, HANOI_NOON, tzinfo=clock.TIME_ZONE)
            session.execute(update(Firm).where(Firm.firm_id == firm_id).values(created_at=at))


def test_month_ends_are_the_last_twelve_with_this_month_at_today():
    days = month_ends(dt.date(2026, 3, 15))
    assert len(days) == 12
    assert days[0] == dt.date(2025, 4, 30)
    assert days[-3:] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 15)]


def test_progress_counts_firms_recorded_by_each_month_end_and_their_valid_international_certificates(
    recorded, client, analyst
):
    answer = client.get("/api/v1/kpi/progress", params={"as_of": TODAY.isoformat()}, headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["firms_target"] == 900 and body["international_certified_target"] == 400
    assert body["count"] == 12
    points = {p["on"]: (p["firms_total"], p["firms_international_certified"]) for p in body["data"]}
    assert list(points)[0] == "2025-12-31" and list(points)[-1] == "2026-11-30"
    assert points["2025-12-31"] == (0, 0)  # nobody recorded yet
    assert points["2026-01-31"] == (1, 1)  # F1 with ISO 9001
    assert points["2026-03-31"] == (2, 1)  # F2 recorded, its ISO 14001 not issued yet
    assert points["2026-04-30"] == (2, 2)
    assert points["2026-06-30"] == (3, 2)  # F3's IATF 16949 expired on 31/05
    assert points["2026-11-30"] == (3, 2)


def test_progress_ends_on_the_kpi_of_the_day(recorded, client, analyst):
    # The firms were recorded in 2026: on a later day, every one is in the field.
    with clock.frozen(dt.date(2027, 1, 15)):
        kpi = client.get("/api/v1/kpi", headers=analyst).json()
        last = client.get("/api/v1/kpi/progress", headers=analyst).json()["data"][-1]
    assert last["on"] == kpi["as_of"] == "2027-01-15"
    assert (last["firms_total"], last["firms_international_certified"]) == (
        kpi["firms_total"], kpi["firms_international_certified"]) == (3, 2)  # fmt: skip


def test_expiring_lists_what_the_kpi_counts(recorded, client, analyst):
    params = {"as_of": TODAY.isoformat()}
    kpi = client.get("/api/v1/kpi", params=params, headers=analyst).json()
    answer = client.get("/api/v1/kpi/expiring", params=params, headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # F1's first ISO 9001 ends on 20/12 but its renewal carries on: not expiring.
    assert [(c["firm_id"], c["code"], c["valid_until"], c["days_left"]) for c in body["data"]] == [
        ("F2", "iso_14001", "2027-01-31", 62)]  # fmt: skip
    assert body["data"][0]["label"] == "ISO 14001"
    assert body["data"][0]["firm_name"] == "Công ty F2"
    assert body["count"] == kpi["certificates_expiring_90_days"] == 1
    assert body["window_days"] == 90


def test_progress_and_expiring_are_for_staff_and_analysts(recorded, client, make_key):
    firm_key = bearer(make_key("firm", "F1"))
    for path in ("/api/v1/kpi/progress", "/api/v1/kpi/expiring"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=firm_key).status_code == 403
