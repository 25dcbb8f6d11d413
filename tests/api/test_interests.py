"""POST /needs/{need_id}/interest (a firm key says "we are interested") and GET /needs/{need_id}/interests.

The seeded needs and firms of test_match_suggestions: F0002 lacks N-0001's mandatory ISO 9001
(hidden from it), fits N-0002 (stamping), and N-0003 is closed.
"""

from __future__ import annotations

from tests.api import test_match_suggestions
from tests.api.conftest import bearer

seeded = test_match_suggestions.seeded  # the same fixture: seeded needs and firms


def test_a_firm_says_it_is_interested_once_and_staff_see_it(client, seeded, analyst, make_key):
    firm = bearer(make_key("firm", "F0002"))
    first = client.post("/api/v1/needs/N-0002/interest", json={"note": "Chúng tôi dập thép 2 mm"}, headers=firm)
    assert first.status_code == 201, first.text
    said = first.json()
    assert (said["need_id"], said["firm_id"], said["note"]) == ("N-0002", "F0002", "Chúng tôi dập thép 2 mm")
    assert said["by"].startswith("firm:")
    again = client.post("/api/v1/needs/N-0002/interest", json={"note": "another note"}, headers=firm)
    assert again.status_code == 200 and again.json() == said  # the first is kept, nothing added
    assert client.post("/api/v1/needs/N-0002/interest", headers=firm).json() == said  # no body at all

    for reader in (seeded, analyst):
        listed = client.get("/api/v1/needs/N-0002/interests", headers=reader)
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"data": [said], "count": 1}
    assert client.get("/api/v1/needs/N-0001/interests", headers=seeded).json() == {"data": [], "count": 0}


def test_a_need_not_open_to_the_firm_answers_like_a_missing_one(client, seeded, make_key):
    firm = bearer(make_key("firm", "F0002"))
    missing = client.post("/api/v1/needs/N-9999/interest", headers=firm)
    assert missing.status_code == 404 and "N-9999" in missing.json()["detail"]
    for hidden in ("N-0001", "N-0003"):  # not fitting; closed
        answer = client.post(f"/api/v1/needs/{hidden}/interest", headers=firm)
        assert answer.status_code == 404
        assert answer.json()["detail"] == missing.json()["detail"].replace("N-9999", hidden)
    assert client.get("/api/v1/needs/N-0002/interests", headers=seeded).json()["count"] == 0


def test_only_firm_keys_say_it_and_only_staff_and_analysts_read_it(client, seeded, make_key):
    firm = bearer(make_key("firm", "F0002"))
    refused = client.post("/api/v1/needs/N-0002/interest", headers=seeded)
    assert refused.status_code == 403 and "firm key" in refused.json()["detail"]
    assert client.post("/api/v1/needs/N-0002/interest").status_code == 401
    assert client.get("/api/v1/needs/N-0002/interests", headers=firm).status_code == 403
    assert client.get("/api/v1/needs/N-9999/interests", headers=seeded).status_code == 404
    too_long = client.post("/api/v1/needs/N-0002/interest", json={"note": "x" * 1001}, headers=firm)
    assert too_long.status_code == 422
