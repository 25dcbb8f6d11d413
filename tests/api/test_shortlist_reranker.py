"""POST /needs/{need_id}/shortlist with the active re-ranker version (cnht models).

Two small versions are trained here with :mod:`matching.rerank` on the firms of
``test_shortlists`` (same text, as an import table) and saved with :class:`ModelStore`: by
construction one learned that buyers order from the metal stamper F0003 (the matcher's last),
the other from the Sóc Sơn moulder F0004. Which one is active decides the order the service
returns and the version its run records; a tampered file or none active leaves the
hand-weighted order.
"""

from __future__ import annotations

import copy
import logging

import pandas as pd
import pytest
from sqlalchemy import func, select

from api.app import create_app
from api.settings import Settings
from api.storage.models import Outcome
from api.storage.session import transaction
from matching.rerank import ModelStore, OutcomeReranker
from tests.api.conftest import make_buyer, make_need
from tests.api.test_shortlists import FIRMS

_TEXT_FIELDS = ("firm_id", "name", "district", "sectors", "description", "products", "employees",
                "monthly_capacity", "ownership")  # fmt: skip


def _firms_table() -> pd.DataFrame:
    """The firms of test_shortlists in the import format (certificates as written)."""
    rows = []
    for firm in FIRMS:
        row = {name: firm.get(name) for name in _TEXT_FIELDS}
        row["certifications"] = "; ".join("ISO 9001:2015 hết hạn 31/12/2099" for c in firm["certifications"]
                                          if c["code"] == "iso_9001") or None  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def _train(ordered_from: str) -> OutcomeReranker:
    """A re-ranker fitted on 6 copies of the need where only ``ordered_from`` got an order.

    Every need is created before any outcome, so no training pair sees history (the
    service's database has none either): the model learns from the pairs' own features.
    """
    need = make_need()
    needs = pd.DataFrame([{**need, "need_id": f"T-{i}", "created": "2025-01-01"} for i in range(6)])
    firm_ids = [f["firm_id"] for f in FIRMS]
    outcomes = pd.DataFrame([
        {"need_id": f"T-{i}", "firm_id": firm, "status": "order" if firm == ordered_from else "rejected",
         "reason": "", "at": f"2025-02-0{1 + i}T10:00:00+07:00"}
        for i in range(6) for firm in firm_ids
    ])  # fmt: skip
    buyers = pd.DataFrame([{key: make_buyer()[key] for key in ("buyer_id", "country", "park_id")}])
    reranker = OutcomeReranker(n_candidates=10, max_iter=30, learning_rate=0.3, min_samples_leaf=2)
    return reranker.fit(_firms_table(), outcomes=outcomes, buyers=buyers, needs=needs)


@pytest.fixture(scope="module")
def trained() -> dict[str, OutcomeReranker]:
    return {"F0003": _train("F0003"), "F0004": _train("F0004")}


@pytest.fixture
def store(tmp_path, trained) -> tuple[ModelStore, dict[str, str]]:
    """A models folder with both versions saved, none active."""
    models = ModelStore(tmp_path / "models")
    created = pd.Timestamp("2026-12-01T10:00:00", tz="UTC").to_pydatetime()
    versions = {firm: models.save(model, {"kind": "outcome_reranker"}, created=created + pd.Timedelta(seconds=i))
                for i, (firm, model) in enumerate(trained.items())}  # fmt: skip
    return models, versions


@pytest.fixture
def settings(settings: Settings, store) -> Settings:
    """The conftest's database, with the models folder of ``store``."""
    return settings.model_copy(update={"models_dir": str(store[0].folder)})


@pytest.fixture
def seeded(client, staff):
    assert client.post("/api/v1/buyers", json=make_buyer(), headers=staff).status_code == 201
    assert client.post("/api/v1/needs", json=make_need(created="2026-12-15"), headers=staff).status_code == 201
    for firm in FIRMS:
        answer = client.post("/api/v1/firms", json=firm, headers=staff)
        assert answer.status_code == 201, answer.text
    return staff


def _shortlist(client, staff, k: int = 3) -> dict:
    answer = client.post("/api/v1/needs/N-0001/shortlist", json={"k": k}, headers=staff)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _order(body: dict) -> list[str]:
    return [entry["firm_id"] for entry in body["data"]]


def test_activate_and_rollback_change_the_shortlist_and_its_version(client, seeded, store, analyst):
    models, versions = store
    plain = _shortlist(client, seeded)
    assert plain["model_version"].startswith("SupplierMatcher-") and "+rerank:" not in plain["model_version"]
    assert _order(plain)[-1] == "F0003" and all(e["rerank_score"] is None for e in plain["data"])

    models.activate(versions["F0003"])
    stamper = _shortlist(client, seeded)
    assert stamper["model_version"].endswith(f"+rerank:{versions['F0003']}")
    assert len(stamper["model_version"]) <= 60
    assert _order(stamper)[0] == "F0003" and sorted(_order(stamper)) == sorted(_order(plain))
    first = stamper["data"][0]
    # The matcher's explanation is kept: its components still sum to its score.
    assert abs(sum(first["components"].values()) - first["score"]) < 1e-9
    assert first["matcher_rank"] == 3 and first["reasons"]
    scores = [e["rerank_score"] for e in stamper["data"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert {e["model_version"] for e in stamper["data"]} == {stamper["model_version"]}
    assert client.get("/api/v1/needs/N-0001/shortlist", headers=analyst).json() == stamper

    models.activate(versions["F0004"])
    moulder = _shortlist(client, seeded)
    assert moulder["model_version"].endswith(f"+rerank:{versions['F0004']}") and _order(moulder)[0] == "F0004"

    assert models.rollback() == versions["F0003"]
    back = _shortlist(client, seeded)
    assert back["model_version"] == stamper["model_version"] and _order(back) == _order(stamper)


def test_no_active_version_is_the_hand_weighted_matcher(app, client, seeded, settings, staff):
    with_folder = _shortlist(client, seeded, k=5)
    plain_app = create_app(settings.model_copy(update={"models_dir": str(settings.models_dir) + "-none"}),
                           migrate_database=False)  # fmt: skip
    try:
        from fastapi.testclient import TestClient

        with TestClient(plain_app) as plain_client:
            without = _shortlist(plain_client, staff, k=5)
    finally:
        plain_app.state.engine.dispose()
    assert "+rerank:" not in with_folder["model_version"]
    assert with_folder["model_version"] == without["model_version"]
    strip = ("entry_id", "run_id", "created_at")
    assert [{k: v for k, v in e.items() if k not in strip} for e in with_folder["data"]] == \
        [{k: v for k, v in e.items() if k not in strip} for e in without["data"]]
    assert all(e["rerank_score"] is None and e["matcher_rank"] is None for e in without["data"])


@pytest.mark.parametrize("damage", ["tampered", "missing"])
def test_a_broken_active_version_falls_back_with_a_warning(client, seeded, store, caplog, damage):
    models, versions = store
    plain = _shortlist(client, seeded)
    models.activate(versions["F0003"])
    assert _order(_shortlist(client, seeded))[0] == "F0003"
    model_file = models.folder / versions["F0003"] / "model.joblib"
    if damage == "tampered":
        model_file.write_bytes(model_file.read_bytes() + b"\0")
    else:
        model_file.unlink()
    with caplog.at_level(logging.WARNING, logger="api.ranking.reranking"):
        fallback = _shortlist(client, seeded)
    assert fallback["model_version"] == plain["model_version"] and _order(fallback) == _order(plain)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("event=rerank_fallback" in m and versions["F0003"] in m
               and ("SHA-256" in m if damage == "tampered" else "model file" in m) for m in warnings), warnings
    # Rolling back to a usable version (here: none before it) or activating one re-enables it.
    models.activate(versions["F0004"])
    assert _order(_shortlist(client, seeded))[0] == "F0004"


def test_the_reranker_counts_the_outcomes_recorded_in_the_database(app, client, seeded, store):
    models, versions = store
    models.activate(versions["F0003"])
    later = [pd.Timestamp("2100-01-01", tz="UTC").value]

    def suggested(firm_id: str) -> float:
        with transaction(app.state.sessionmaker) as session:
            active = app.state.ranking.reranker(session)
        return float(active.history.counts([firm_id], later)["hist_suggested"][0])

    assert suggested("F0003") == 0.0
    _shortlist(client, seeded)  # records each listed pair's first outcome, 'suggested'
    assert suggested("F0003") == 1.0 and suggested("F0002") == 0.0
    with transaction(app.state.sessionmaker) as session:
        assert session.scalar(select(func.count()).select_from(Outcome)) == 3


def test_a_version_that_does_not_fit_the_matcher_falls_back_with_a_warning(client, seeded, trained, store, caplog):
    models, _ = store
    odd = copy.deepcopy(trained["F0003"])
    odd.feature_names_ = [*odd.feature_names_, "value_colour_match"]  # a component this matcher lacks
    version = models.save(odd, {"kind": "outcome_reranker"})
    plain = _shortlist(client, seeded)
    models.activate(version)
    with caplog.at_level(logging.WARNING, logger="api.ranking.service"):
        fallback = _shortlist(client, seeded)
    assert fallback["model_version"] == plain["model_version"] and _order(fallback) == _order(plain)
    assert any("event=rerank_fallback" in r.getMessage() and "value_colour_match" in r.getMessage()
               for r in caplog.records)


def test_a_version_with_buyer_features_ranks_with_the_buyers_history_of_the_database(
        app, client, seeded, store, caplog):
    # A version trained with --buyer-history reads each buyer's earlier pairs: the service
    # builds them from the database's outcomes and needs, so it re-ranks (no fallback) and a
    # recorded shortlist becomes the buyer's history for its later needs.
    models, _ = store
    need = make_need()
    needs = pd.DataFrame([{**need, "need_id": f"T-{i}", "created": f"2025-0{1 + i}-01"} for i in range(6)])
    outcomes = pd.DataFrame([
        {"need_id": f"T-{i}", "firm_id": firm["firm_id"], "status": "order" if firm["firm_id"] == "F0003" else "rejected",
         "reason": "", "at": f"2025-0{1 + i}-02T10:00:00+07:00"}
        for i in range(6) for firm in FIRMS
    ])  # fmt: skip
    buyers = pd.DataFrame([{key: make_buyer()[key] for key in ("buyer_id", "country", "park_id")}])
    with_buyers = OutcomeReranker(n_candidates=10, max_iter=30, learning_rate=0.3, min_samples_leaf=2,
                                  buyer_history=True).fit(_firms_table(), outcomes=outcomes, buyers=buyers, needs=needs)
    assert with_buyers.uses_buyer_history
    version = models.save(with_buyers, {"kind": "outcome_reranker"})
    models.activate(version)
    with caplog.at_level(logging.WARNING):
        body = _shortlist(client, seeded)
    assert body["model_version"].endswith(f"+rerank:{version}")
    assert all(e["rerank_score"] is not None for e in body["data"])
    assert not any("event=rerank_fallback" in r.getMessage() for r in caplog.records)
    with transaction(app.state.sessionmaker) as session:
        active = app.state.ranking.reranker(session)
    assert active is not None and active.buyer_history is not None
    later = pd.Timestamp("2100-01-01", tz="UTC").value
    # The shortlist just recorded N-0001's pairs as 'suggested': B001's history for a later need.
    shown, progressed = active.buyer_history.pairs("B001", later)
    assert sorted(shown) == sorted(_order(body)) and progressed == []
    assert active.buyer_history.pairs("B001", pd.Timestamp("2020-01-01", tz="UTC").value) == ([], [])
