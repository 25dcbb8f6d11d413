"""The KPI, the repository's certification filter and the ranking answer with one validity
rule (features.certifications.certificate_status) for the same certificate on the same day.

Issue 9: the KPI used the taxonomy (validity years per code, superseded versions) while the
repository filter and the ranking each used a flat 3 x 365 days, and the ranking kept only
the certificate with the latest end per code.
"""

from __future__ import annotations

import datetime as dt

from api.ranking import fit_matcher
from api.storage.models import Firm
from api.storage.repository import list_firms
from api.storage.session import transaction
from matching import NeedQuery
from tests.api.conftest import make_firm, record_firms_on

ON = dt.date(2026, 6, 1)
CODES = ("iso_9001", "iso_17025")
FIRMS = {
    # ISO/IEC 17025 runs five years: valid until 2027-01-09 (a flat 3 x 365 days said 2025-01-09).
    "F1": [{"code": "iso_17025", "issued": "2022-01-10"}],
    # ISO 9001:2008 was superseded on 2018-09-15 (a flat 3 x 365 days said valid until 2028).
    "F2": [{"code": "iso_9001", "version": "2008", "issued": "2025-06-01"}],
    # A valid certificate and its renewal (the ranking kept the renewal: "not yet valid").
    "F3": [{"code": "iso_9001", "valid_until": "2026-06-30", "verified": True},
           {"code": "iso_9001", "issued": "2026-06-15", "valid_until": "2029-06-14"}],
    # Issued after the day: pending.
    "F4": [{"code": "iso_9001", "issued": "2026-09-01"}],
}  # fmt: skip
EXPECTED = {"F1": {"iso_17025"}, "F2": set(), "F3": {"iso_9001"}, "F4": set()}


def test_kpi_filter_and_ranking_agree_on_each_certificate(app, client, staff, analyst):
    from features.certifications import as_certification, international_codes, valid_codes

    for firm_id, certifications in FIRMS.items():
        payload = make_firm(firm_id=firm_id, tax_code=None, certifications=certifications)
        assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
    record_firms_on(app, ON - dt.timedelta(days=30))  # the KPI of a past day counts firms recorded by then

    with transaction(app.state.sessionmaker) as session:
        stored = {f.firm_id: [as_certification(c) for c in f.certifications] for f in session.query(Firm)}
        rule = {firm_id: valid_codes(certs, as_of=ON) for firm_id, certs in stored.items()}

        listed = {code: {f.firm_id for f in list_firms(session, certification=code, today=ON)[0]}
                  for code in CODES}  # fmt: skip
        repository = {firm_id: {c for c in CODES if firm_id in listed[c]} for firm_id in FIRMS}

        matcher = fit_matcher(session, today=ON).matcher
        ranking = {firm_id: set() for firm_id in FIRMS}
        for code in CODES:
            need = NeedQuery("N-1", text="gia công", mandatory_certifications=(code,), as_of=ON)
            ranked = matcher.rank([need], k=len(FIRMS), include_filtered=True)
            for firm_id in ranked.loc[ranked["failed"] == "", "firm_id"]:
                ranking[firm_id].add(code)

    kpi = client.get("/api/v1/kpi", params={"as_of": ON.isoformat()}, headers=analyst).json()
    international = sum(bool(codes & international_codes()) for codes in EXPECTED.values())

    assert rule == EXPECTED
    assert repository == EXPECTED
    assert ranking == EXPECTED
    assert kpi["firms_international_certified"] == international == 2


def test_certificates_expiring_count_a_renewed_certificate_once_at_its_renewals_end(client, staff, analyst):
    payload = make_firm(firm_id="F3", tax_code=None, certifications=FIRMS["F3"])
    assert client.post("/api/v1/firms", json=payload, headers=staff).status_code == 201
    kpi = client.get("/api/v1/kpi", params={"as_of": ON.isoformat()}, headers=analyst).json()
    # The first certificate ends on 2026-06-30, within 90 days, but the renewal carries on.
    assert kpi["certificates_expiring_90_days"] == 0
    later = client.get("/api/v1/kpi", params={"as_of": "2029-04-01"}, headers=analyst).json()
    assert later["certificates_expiring_90_days"] == 1
