"""Property-based API test: Schemathesis over /openapi.json with a staff key.

Fails on any 5xx and on any answer that breaks the published schema (status code,
content type, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import bearer, make_buyer, make_firm, make_need


@pytest.fixture
def staff_key(make_key, client) -> str:
    key = make_key("staff")
    # A few records so that reads, patches and deletes can hit existing rows, and a stored
    # shortlist so that PATCH /shortlists/{entry_id}/outcome meets real entries (ids 1, 2).
    setup = [
        client.post("/api/v1/buyers", json=make_buyer(), headers=bearer(key)),
        client.post("/api/v1/needs", json=make_need(), headers=bearer(key)),
        client.post("/api/v1/firms", json=make_firm(), headers=bearer(key)),
        client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code=None, name="Nhựa Bắc Hà"),
                    headers=bearer(key)),
    ]  # fmt: skip
    for answer in setup:
        assert answer.status_code == 201, answer.text
    shortlist = client.post("/api/v1/needs/N-0001/shortlist", json={"k": 2}, headers=bearer(key))
    assert shortlist.status_code == 200 and shortlist.json()["count"] >= 1, shortlist.text
    assert shortlist.json()["data"][0]["entry_id"] == 1
    return key


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails_and_keeps_its_schema(app, staff_key, mode):
    # Schemathesis' lazy pytest loader does not work with this pytest, so each operation's
    # strategy is run through a Hypothesis test of its own.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])  # fmt: skip
        def check(case):
            response = case.call(headers=bearer(staff_key))
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # Negative mode cannot break an operation without inputs (GET /health).
            assert mode == GenerationMode.NEGATIVE, operation.path
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
