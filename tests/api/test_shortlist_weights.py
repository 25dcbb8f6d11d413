"""POST /needs/{need_id}/shortlist with an active weights version (matching.tuning.save_weights_version).

The firms and need of ``test_shortlist_reranker``: the hand-weighted matcher ranks the ABS
moulder F0004 first; F0001 is the nearest of the three to the buyer's park. A weights version
with only ``distance`` must therefore put F0001 first, record ``+weights:V`` on its run, keep
each entry's contributions summing to its score, and ``rollback`` must bring back the order
of the version active before it.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import tests.api.test_shortlist_reranker as reranker_tests
from matching.rerank import ModelStore
from matching.tuning import save_weights_version
from tests.api.test_shortlist_reranker import _order, _shortlist

# The reranker tests' fixtures: the conftest's database with this module's models folder
# (``store`` below), and the buyer, its need and the four firms.
settings = reranker_tests.settings
seeded = reranker_tests.seeded


@pytest.fixture
def store(tmp_path) -> tuple[ModelStore, dict[str, str]]:
    """A models folder with two weights versions (distance only; the defaults), none active."""
    models = ModelStore(tmp_path / "models")
    created = pd.Timestamp("2026-12-01T10:00:00", tz="UTC").to_pydatetime()
    versions = {
        "distance": save_weights_version(models, {"distance": 1.0}, created=created),
        "text": save_weights_version(models, {"text": 1.0}, created=created + pd.Timedelta(seconds=1)),
    }
    return models, versions


def _distance_values(body: dict) -> dict[str, float]:
    return {e["firm_id"]: e["components"]["distance"] for e in body["data"]}


def test_a_weights_version_changes_the_shortlist_and_rollback_restores_it(client, seeded, store, analyst):
    models, versions = store
    plain = _shortlist(client, seeded)
    assert _order(plain)[0] == "F0004" and "+" not in plain["model_version"]

    models.activate(versions["distance"])
    near = _shortlist(client, seeded)
    assert near["model_version"].endswith(f"+weights:{versions['distance']}") and len(near["model_version"]) <= 60
    assert {e["model_version"] for e in near["data"]} == {near["model_version"]}
    # Only distance weighs: the order is by distance (from the hand-weighted run's values).
    by_distance = sorted(_distance_values(plain), key=lambda firm: -_distance_values(plain)[firm])
    assert _order(near) == by_distance and _order(near)[0] == "F0001" != _order(plain)[0]
    for entry in near["data"]:
        assert abs(sum(entry["components"].values()) - entry["score"]) < 1e-9
        assert set(entry["components"]) >= {"text", "distance"} and entry["components"]["text"] == 0.0
        assert entry["reasons"] and entry["rerank_score"] is None
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=analyst).json() == near

    models.activate(versions["text"])
    text = _shortlist(client, seeded)
    assert text["model_version"].endswith(f"+weights:{versions['text']}") and _order(text)[0] == "F0004"

    assert models.rollback() == versions["distance"]
    back = _shortlist(client, seeded)
    assert back["model_version"] == near["model_version"] and _order(back) == _order(near)


def test_a_run_of_a_weights_version_keeps_its_weights_in_its_parameters(app, client, seeded, store):
    from sqlalchemy import select

    from api.storage.models import ShortlistRun
    from api.storage.session import transaction

    models, versions = store
    models.activate(versions["distance"])
    _shortlist(client, seeded)
    with transaction(app.state.sessionmaker) as session:
        run = session.scalars(select(ShortlistRun).order_by(ShortlistRun.id.desc())).first()
        assert run.parameters["weights"]["version"] == versions["distance"]
        assert run.parameters["weights"]["weights"]["distance"] == 1.0 and "rerank" not in run.parameters


def test_a_weights_version_of_unknown_components_falls_back_with_a_warning(client, seeded, store, caplog):
    models, _ = store
    version = models.save({"colour": 1.0}, {"kind": "weights"})  # as an older or foreign file would be
    plain = _shortlist(client, seeded)
    models.activate(version)
    with caplog.at_level(logging.WARNING):
        answer = _shortlist(client, seeded)
    assert _order(answer) == _order(plain) and answer["model_version"] == plain["model_version"]
    assert any("event=rerank_fallback" in r.getMessage() and version in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("damage", ["tamper", "delete"])
def test_a_broken_weights_version_falls_back_with_a_warning(client, seeded, store, caplog, damage):
    models, versions = store
    plain = _shortlist(client, seeded)
    models.activate(versions["distance"])
    path = models.folder / versions["distance"] / "model.joblib"
    if damage == "tamper":
        path.write_bytes(path.read_bytes() + b"\0")
    else:
        path.unlink()
    with caplog.at_level(logging.WARNING):
        answer = _shortlist(client, seeded)
    assert _order(answer) == _order(plain) and answer["model_version"] == plain["model_version"]
    assert any("event=rerank_fallback" in r.getMessage() for r in caplog.records)
