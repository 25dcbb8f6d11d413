"""The outcome re-ranker: no leakage from the future, versions that round-trip and refuse a
changed file, activate/rollback, and the comparison on a small synthetic market."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matching.rerank import (
    HISTORY_COLUMNS,
    FirmHistory,
    ModelIntegrityError,
    ModelStore,
    ModelVersionError,
    OutcomeReranker,
    RerankError,
    evaluate_reranker,
    need_dates,
    training_pairs,
)
from tests.matching.conftest import make_firm, make_profiles

PROCESSES = ("cnc_milling", "stamping", "injection_molding", "smt_assembly")
WORDS = {"cnc_milling": "phay CNC", "stamping": "dập kim loại", "injection_molding": "ép nhựa",
         "smt_assembly": "SMT assembly"}
BUYERS = pd.DataFrame({"buyer_id": ["B1", "B2", "B3"], "country": ["JP", "KR", "DE"],
                       "park_id": ["noi_bai", "nam_thang_long", "thang_long"]})
LANGUAGE = {"JP": "ja", "KR": "ko", "DE": "en"}


def _market(seed: int = 7):
    """40 firms, 80 needs over 16 months, and outcomes with a planted rule the matcher does
    not weigh: a pair goes to an order only when the firm speaks the buyer's language."""
    rng = np.random.default_rng(seed)
    firms = []
    for i in range(40):
        process = PROCESSES[i % 4]
        languages = tuple(sorted({"vi", *rng.choice(["en", "ja", "ko"], size=int(rng.integers(0, 3)), replace=False)}))
        firms.append(make_firm(f"F{i:04d}", text=f"Nhận {WORDS[process]} chi tiết", processes=(process,),
                               languages=languages, employees=float(rng.integers(10, 500)),
                               lat=21.0 + rng.normal(0, 0.05), lon=105.8 + rng.normal(0, 0.05)))
    profiles = make_profiles(*firms)
    needs, events = [], []
    start = pd.Timestamp("2024-01-01")
    for j in range(80):
        created = start + pd.Timedelta(days=6 * j)
        buyer = BUYERS.iloc[j % 3]
        process = PROCESSES[j % 4]
        needs.append({"need_id": f"N-{j:04d}", "buyer_id": buyer["buyer_id"], "title": f"Cần {WORDS[process]}",
                      "processes": process, "created": created.date().isoformat()})
        able = [f for f in firms if process in f["processes"]]
        for pos in rng.permutation(len(able))[:6]:
            firm = able[pos]
            at = created.tz_localize("Asia/Ho_Chi_Minh") + pd.Timedelta(hours=10)
            events.append((needs[-1]["need_id"], firm["firm_id"], "suggested", "", at))
            if LANGUAGE[buyer["country"]] in firm["languages"]:
                events.append((needs[-1]["need_id"], firm["firm_id"], "meeting", "", at + pd.Timedelta(days=5)))
                events.append((needs[-1]["need_id"], firm["firm_id"], "order", "", at + pd.Timedelta(days=20)))
            else:
                events.append((needs[-1]["need_id"], firm["firm_id"], "rejected", "no response from firm",
                               at + pd.Timedelta(days=3)))
    outcomes = pd.DataFrame(events, columns=["need_id", "firm_id", "status", "reason", "at"])
    outcomes["at"] = outcomes["at"].map(lambda t: t.isoformat())
    return profiles, pd.DataFrame(needs), outcomes


@pytest.fixture(scope="module")
def market():
    return _market()


def small_reranker(**params) -> OutcomeReranker:
    from matching import SupplierMatcher

    defaults = {"matcher": SupplierMatcher(geocode=False), "n_candidates": 10, "max_iter": 60,
                "min_samples_leaf": 5}
    return OutcomeReranker(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(market):
    profiles, needs, outcomes = market
    before = outcomes[pd.to_datetime(outcomes["at"]) < pd.Timestamp("2024-10-01", tz="Asia/Ho_Chi_Minh")]
    return small_reranker().fit(profiles, outcomes=before, buyers=BUYERS, needs=needs)


# ---------------------------------------------------------------- no leakage from the future
def test_history_counts_only_events_strictly_before_the_date():
    log = pd.DataFrame({
        "need_id": ["N1", "N2", "N3"], "firm_id": ["F1", "F1", "F1"], "status": ["meeting", "meeting", "order"],
        "reason": ["", "", ""],
        "at": ["2025-01-10T09:00:00+07:00", "2025-03-01T00:00:00+07:00", "2025-06-01T09:00:00+07:00"],
    })
    history = FirmHistory(log)
    march_1 = pd.Timestamp("2025-03-01", tz="Asia/Ho_Chi_Minh").value
    counts = history.counts(["F1", "F1", "F2"], [march_1, march_1 + 1, march_1])
    # The meeting at exactly midnight of 1 March is not "before" 1 March; the later order never counts.
    assert counts["hist_meetings"].tolist() == [1, 2, 0]
    assert counts["hist_orders"].tolist() == [0, 0, 0]
    assert set(HISTORY_COLUMNS) == set(counts)


def test_a_training_pair_cannot_see_a_later_outcome():
    # F0000 is met for N-early (created 1 Feb) only on 1 March, and ordered from for N-late
    # (created 1 April) in May: the features of (N-early, F0000) must see none of it, those of
    # (N-late, F0000) only the March meeting.
    from matching import SupplierMatcher

    profiles = make_profiles(*(make_firm(f"F000{i}", text="Nhận phay CNC chi tiết", processes=("cnc_milling",))
                               for i in range(3)))
    needs = pd.DataFrame({"need_id": ["N-early", "N-late"], "buyer_id": ["B1", "B1"],
                          "title": ["Cần phay CNC", "Cần phay CNC"], "processes": ["cnc_milling"] * 2,
                          "created": ["2025-02-01", "2025-04-01"]})
    outcomes = pd.DataFrame({
        "need_id": ["N-early", "N-early", "N-late", "N-late"],
        "firm_id": ["F0000"] * 4,
        "status": ["suggested", "meeting", "suggested", "order"],
        "at": ["2025-02-01T10:00:00+07:00", "2025-03-01T10:00:00+07:00", "2025-04-01T10:00:00+07:00",
               "2025-05-01T10:00:00+07:00"],
    })
    matcher = SupplierMatcher(geocode=False).fit(profiles, buyers=BUYERS)
    pairs = training_pairs(matcher, needs, outcomes, BUYERS, n_candidates=3).set_index(["need_id", "firm_id"])
    early, late = pairs.loc[("N-early", "F0000")], pairs.loc[("N-late", "F0000")]
    assert early[list(HISTORY_COLUMNS)].sum() == 0
    assert (late["hist_meetings"], late["hist_orders"], late["hist_suggested"]) == (1, 0, 1)
    # The labels are the pairs' own outcomes: meeting 1, order 4; the others 0.
    assert (early["relevance"], late["relevance"]) == (1.0, 4.0)
    assert pairs.loc[("N-early", "F0001"), "relevance"] == 0.0
    # The date of a need is its creation day, midnight in Hanoi.
    assert need_dates(needs)["N-late"] == pd.Timestamp("2025-04-01", tz="Asia/Ho_Chi_Minh").value


def test_ranking_uses_only_the_outcomes_given_to_fit(market, fitted):
    profiles, needs, outcomes = market
    late = needs.tail(3)
    _, features = fitted.features(late, k=10)
    cut = pd.Timestamp("2024-10-01", tz="Asia/Ho_Chi_Minh")
    known = outcomes[pd.to_datetime(outcomes["at"]) < cut]
    # A firm's suggestions counted at ranking time are those before the training cut, not after.
    assert features["hist_suggested"].max() <= known["firm_id"].value_counts().max()
    assert features["hist_suggested"].max() < outcomes[outcomes["status"] == "suggested"]["firm_id"].value_counts().max()


# ---------------------------------------------------------------- model
def test_rank_returns_k_firms_per_need_ordered_by_prediction(market, fitted):
    _, needs, _ = market
    ranked = fitted.rank(needs.tail(4), k=5)
    assert ranked.groupby("need_id").size().tolist() == [5] * 4
    for _, one in ranked.groupby("need_id"):
        assert one["rank"].tolist() == [1, 2, 3, 4, 5]
        assert one["score"].is_monotonic_decreasing
    assert {"matcher_score", "matcher_rank", "text"} <= set(ranked.columns)


def test_fit_without_outcomes_says_what_to_do(market):
    profiles, needs, _ = market
    with pytest.raises(RerankError, match="learns from recorded outcomes"):
        small_reranker().fit(profiles, buyers=BUYERS, needs=needs)
    with pytest.raises(RerankError, match="n_candidates=0"):
        small_reranker(n_candidates=0).fit(profiles, outcomes=market[2], needs=needs)


def test_evaluation_on_a_synthetic_market(market):
    profiles, needs, outcomes = market
    result = evaluate_reranker(profiles.reset_index(), needs, outcomes, buyers=BUYERS, split_date="01/10/2024", k=5,
                               reranker=small_reranker(), baselines={})
    table = result.table
    assert set(table["model"]) == {"reranker", "matcher"}
    assert set(table["slice"]) == {"all", "cold_start"}
    assert {"ndcg@5", "recall@5", "exposure_gini@5", "coverage@5"} <= set(table.columns)
    # The planted rule (orders only from firms speaking the buyer's language) is invisible to
    # the hand-set weights and learnable from the pair features.
    assert result.value("reranker", "ndcg@5") > result.value("matcher", "ndcg@5")
    assert result.beats_matcher
    assert result.metrics()["matcher"]["all"]["ndcg@5"] == result.value("matcher", "ndcg@5")
    assert result.reranker.n_needs_fit_ > 0


# ---------------------------------------------------------------- versions
def test_a_version_round_trips(tmp_path, market, fitted):
    store = ModelStore(tmp_path / "models")
    version = store.save(fitted, {"kind": "outcome_reranker", "metrics": {"reranker": {"all": {"ndcg@10": 0.5}}}})
    meta = store.metadata(version)
    assert meta["version"] == version and meta["metrics"]["reranker"]["all"]["ndcg@10"] == 0.5
    assert len(meta["model_sha256"]) == 64 and meta["created"].endswith("+00:00")
    loaded = store.load(version)
    needs = market[1].tail(2)
    pd.testing.assert_frame_equal(loaded.rank(needs, k=5), fitted.rank(needs, k=5))
    assert [m["version"] for m in store.versions()] == [version]


def test_a_tampered_model_file_is_refused_before_unpickling(tmp_path, fitted, monkeypatch):
    import joblib

    store = ModelStore(tmp_path)
    version = store.save(fitted, {})
    path = tmp_path / version / "model.joblib"
    path.write_bytes(path.read_bytes() + b"\x00")
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled a tampered file"))
    with pytest.raises(ModelIntegrityError, match="SHA-256.*not unpickled"):
        store.load(version)
    with pytest.raises(ModelIntegrityError):
        store.activate(version)
    path.unlink()
    with pytest.raises(ModelIntegrityError, match="Expected the model file"):
        store.load(version)


def test_activate_and_rollback_change_the_active_version(tmp_path, fitted):
    from datetime import UTC, datetime

    store = ModelStore(tmp_path)
    first = store.save(fitted, {"n": 1}, created=datetime(2026, 1, 1, tzinfo=UTC))
    second = store.save(fitted, {"n": 2}, created=datetime(2026, 1, 2, tzinfo=UTC))
    assert store.active() is None
    store.activate(first)
    store.activate(second)
    assert store.active() == second
    assert store.rollback() == first and store.active() == first
    with pytest.raises(ModelVersionError, match="roll back"):
        store.rollback()
    with pytest.raises(ModelVersionError, match="cnht models list"):
        store.activate("20990101T000000-deadbeef")
    assert json.loads((tmp_path / "active.json").read_text())["active"] == first
