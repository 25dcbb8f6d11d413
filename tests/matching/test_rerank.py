"""The outcome re-ranker: no leakage from the future, versions that round-trip and refuse a
changed file, activate/rollback, and the comparison on a small synthetic market."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matching.rerank import (
    BUYER_HISTORY_COLUMNS,
    HISTORY_COLUMNS,
    BuyerHistory,
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
    return small_reranker(buyer_history=True).fit(profiles, outcomes=before, buyers=BUYERS, needs=needs)


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


def test_a_buyers_later_outcome_is_invisible_at_the_pairs_date():
    # B1 met the near firm F0000 for N-1 on 10 Feb and the far firm F0002 for N-2 on 1 May.
    # For N-3 (created 1 April) the buyer's revealed reach is F0000's distance only; for N-4
    # (created 1 June) both meetings count. B2's meeting never counts for B1.
    from matching import SupplierMatcher

    firms = [make_firm("F0000", text="Nhận phay CNC chi tiết", processes=("cnc_milling",), lat=21.02, lon=105.85,
                       languages=("vi", "ja")),
             make_firm("F0001", text="Nhận phay CNC chi tiết", processes=("cnc_milling",), lat=21.03, lon=105.80),
             make_firm("F0002", text="Nhận phay CNC chi tiết", processes=("cnc_milling",), lat=20.40, lon=106.30)]
    profiles = make_profiles(*firms)
    needs = pd.DataFrame({"need_id": ["N-1", "N-2", "N-3", "N-4", "N-5"], "buyer_id": ["B1", "B1", "B1", "B1", "B2"],
                          "title": ["Cần phay CNC"] * 5, "processes": ["cnc_milling"] * 5,
                          "created": ["2025-02-01", "2025-03-01", "2025-04-01", "2025-06-01", "2025-01-15"]})
    outcomes = pd.DataFrame({
        "need_id": ["N-1", "N-1", "N-1", "N-2", "N-2", "N-3", "N-4", "N-5", "N-5"],
        "firm_id": ["F0000", "F0000", "F0001", "F0002", "F0002", "F0001", "F0001", "F0001", "F0001"],
        "status": ["suggested", "meeting", "suggested", "suggested", "meeting", "suggested", "suggested",
                   "suggested", "meeting"],
        "at": ["2025-02-01T10:00:00+07:00", "2025-02-10T10:00:00+07:00", "2025-02-01T10:00:00+07:00",
               "2025-03-01T10:00:00+07:00", "2025-05-01T10:00:00+07:00", "2025-04-01T10:00:00+07:00",
               "2025-06-01T10:00:00+07:00", "2025-01-15T10:00:00+07:00", "2025-01-20T10:00:00+07:00"],
    })
    history = BuyerHistory(outcomes, needs.set_index("need_id")["buyer_id"])
    april_1 = pd.Timestamp("2025-04-01", tz="Asia/Ho_Chi_Minh").value
    assert history.pairs("B1", april_1) == (["F0000", "F0001", "F0002"], ["F0000"])
    assert history.pairs("B1", pd.Timestamp("2025-02-10T10:00:00+07:00").value) == (["F0000", "F0001"], [])

    matcher = SupplierMatcher(geocode=False).fit(profiles, buyers=BUYERS)
    pairs = training_pairs(matcher, needs, outcomes, BUYERS, n_candidates=3).set_index(["need_id", "firm_id"])
    assert set(BUYER_HISTORY_COLUMNS) <= set(pairs.columns)
    distance = pairs["distance_km"]
    near, far = distance[("N-3", "F0000")], distance[("N-3", "F0002")]
    assert far > 3 * near
    april, june = pairs.loc[("N-3", "F0002")], pairs.loc[("N-4", "F0002")]
    assert (april["buyer_hist_progressed"], june["buyer_hist_progressed"]) == (1, 2)
    assert april["buyer_reach_km"] == pytest.approx(near)
    assert june["buyer_reach_km"] == pytest.approx((near + far) / 2)  # the median of two
    assert april["buyer_distance_ratio"] == pytest.approx(far / near)
    # F0000 speaks Japanese, B1's language: it is the only firm B1 met by April, and one of
    # three suggested, so its home-language share among met firms is 1, lift 1 - 1/3.
    assert april["buyer_home_share"] == 1.0
    assert april["buyer_home_lift"] == pytest.approx(2 / 3)
    assert pairs.loc[("N-3", "F0000"), "buyer_home_fit"] == pytest.approx(2 / 3)
    assert april["buyer_home_fit"] == pytest.approx(-2 / 3)
    # Before any of its pairs the buyer has no revealed taste (unknown, not 0); B2's
    # meeting in January is not B1's.
    first = pairs.loc[("N-1", "F0000")]
    assert first["buyer_hist_pairs"] == 0 and np.isnan(first["buyer_reach_km"]) and np.isnan(first["buyer_home_share"])


def test_firm_responsiveness_counts_no_reply_rejections_before_the_date():
    log = pd.DataFrame({
        "need_id": ["N1", "N1", "N2", "N2", "N3", "N3"], "firm_id": ["F1"] * 6,
        "status": ["suggested", "rejected", "suggested", "rejected", "suggested", "contacted"],
        "reason": ["", "doanh nghiệp không phản hồi / no response from firm", "", "giá cao / price too high", "", ""],
        "at": ["2025-01-01T09:00:00+07:00", "2025-01-05T09:00:00+07:00", "2025-02-01T09:00:00+07:00",
               "2025-02-05T09:00:00+07:00", "2025-03-01T09:00:00+07:00", "2025-03-02T09:00:00+07:00"],
    })
    counts = FirmHistory(log).counts(["F1", "F1", "F2"], [pd.Timestamp("2025-02-10", tz="UTC").value,
                                                          pd.Timestamp("2025-04-01", tz="UTC").value,
                                                          pd.Timestamp("2025-04-01", tz="UTC").value])
    assert counts["hist_no_reply"].tolist() == [1, 1, 0]
    assert counts["hist_rejections"].tolist() == [2, 2, 0]
    # The market's rates are those of the log: 1 reply, 1 no-reply rejection per 3 suggestions,
    # no meeting for its 1 contact; shares are pulled toward them by one pseudo-event each.
    assert FirmHistory(log).priors == pytest.approx({"reply": 1 / 3, "no_reply": 1 / 3, "kept": 0.0})
    assert counts["hist_no_reply_share"][0] == pytest.approx((1 + 1 / 3) / 3)
    assert counts["hist_reply_share"][1] == pytest.approx((1 + 1 / 3) / 4)
    assert counts["hist_kept_share"][1] == pytest.approx(0 / 2)
    # Unknown without history: a cold-start firm is not "average".
    assert np.isnan(counts["hist_reply_share"][2]) and np.isnan(counts["hist_no_reply_share"][2])
    # Rates given (a version's training rates) replace the log's own.
    given = FirmHistory(log).counts(["F1"], [pd.Timestamp("2025-04-01", tz="UTC").value],
                                    priors={"reply": 0.8, "no_reply": 0.15, "kept": 0.5})
    assert given["hist_reply_share"][0] == pytest.approx(1.8 / 4)
    assert given["hist_kept_share"][0] == pytest.approx(0.5 / 2)


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


def test_rerank_of_the_service_computes_the_features_of_training(market, fitted):
    # The service ranks with its own fitted matcher and the outcomes of its database; given
    # the same firms, buyers and outcomes, rerank() must see the very features rank() sees.
    _, needs, _ = market
    late = needs.tail(4)
    ranked, features = fitted.features(late, k=10)
    assert any(name in BUYER_HISTORY_COLUMNS for name in fitted.feature_names_)
    assert features[list(BUYER_HISTORY_COLUMNS)].notna().any().all()
    expected = fitted.rank(late, k=10)
    served = fitted.rerank(ranked, late, matcher=fitted.matcher_, buyers=BUYERS, history=fitted.history_,
                           buyer_history=fitted.buyer_history_, k=10)
    pd.testing.assert_frame_equal(served, expected)


def test_the_service_pulls_shares_toward_the_training_rates_not_its_own(market, fitted):
    # The database holds more outcomes than training saw, with rates of their own; the firm's
    # shares must still be pulled toward the rates of training, as when the model learnt them.
    _, needs, outcomes = market
    late = needs.tail(4)
    ranked, _ = fitted.features(late, k=10)
    everything = FirmHistory(outcomes)
    assert everything.priors["no_reply"] != pytest.approx(fitted.history_priors_["no_reply"])
    served = fitted._features(ranked, late, fitted.matcher_, BUYERS, everything, fitted.buyer_history_)
    firms, dates = ranked["firm_id"].astype(str), need_dates(late).reindex(ranked["need_id"]).to_numpy()
    trained = everything.counts(firms, dates, priors=fitted.history_priors_)
    own = everything.counts(firms, dates)
    for name in ("hist_no_reply_share", "hist_kept_share"):
        if name in served.columns:
            np.testing.assert_allclose(served[name], trained[name])
    assert not np.allclose(served["hist_no_reply_share"], own["hist_no_reply_share"], equal_nan=True)


def test_a_version_with_buyer_features_refuses_to_rank_without_the_buyers_history(market, fitted):
    # Ranking it with the buyer columns unknown would be a quietly different model: the
    # service falls back to the matcher on this error (a RerankError) instead.
    _, needs, _ = market
    ranked, _ = fitted.features(needs.tail(2), k=10)
    with pytest.raises(RerankError, match="buyer_history="):
        fitted.rerank(ranked, needs.tail(2), matcher=fitted.matcher_, buyers=BUYERS, history=fitted.history_)


def test_a_version_saved_before_buyer_features_still_loads_and_ranks(tmp_path, market):
    # A version of the old feature set: fitted without buyer history, pickled without the
    # parameters added since (as a file written by the earlier code would be).
    profiles, needs, outcomes = market
    old = small_reranker(buyer_history=False).fit(profiles, outcomes=outcomes, buyers=BUYERS, needs=needs)
    assert not any(name in BUYER_HISTORY_COLUMNS for name in old.feature_names_)
    # Its shares were pulled toward the fixed rates of that code.
    old.history_priors_ = {"reply": 0.8, "no_reply": 0.15, "kept": 0.5}
    expected = old.rank(needs.tail(3), k=5)
    for name in ("buyer_history", "unlabelled_weight", "buyer_history_", "history_priors_"):
        del old.__dict__[name]
    del old.history_.__dict__["priors"]
    store = ModelStore(tmp_path)
    loaded = store.load(store.save(old, {}))
    assert (loaded.buyer_history, loaded.unlabelled_weight, loaded.buyer_history_) == (False, 1.0, None)
    assert loaded.history_priors_ == {"reply": 0.8, "no_reply": 0.15, "kept": 0.5}
    pd.testing.assert_frame_equal(loaded.rank(needs.tail(3), k=5), expected)
    ranked, _ = loaded.features(needs.tail(3), k=5)
    # The service passes no buyer history to an old version: it ranks as it always did.
    served = loaded.rerank(ranked, needs.tail(3), matcher=loaded.matcher_, buyers=BUYERS, history=loaded.history_, k=5)
    pd.testing.assert_frame_equal(served, expected)
    assert "unlabelled_weight" in loaded.get_params()


def test_unlabelled_candidates_are_down_weighted(market):
    profiles, needs, outcomes = market
    with pytest.raises(RerankError, match="unlabelled_weight=1.5"):
        small_reranker(unlabelled_weight=1.5).fit(profiles, outcomes=outcomes, buyers=BUYERS, needs=needs)
    pairs = training_pairs(small_reranker().matcher.fit(profiles, buyers=BUYERS), needs, outcomes, BUYERS,
                           n_candidates=10)
    recorded = outcomes.groupby(["need_id", "firm_id"]).size()
    key = pd.MultiIndex.from_frame(pairs[["need_id", "firm_id"]])
    assert pairs["labelled"].tolist() == key.isin(recorded.index).astype(float).tolist()
    assert 0 < pairs["labelled"].mean() < 1
    weighted = small_reranker(unlabelled_weight=0.0).fit(profiles, outcomes=outcomes, buyers=BUYERS, needs=needs)
    plain = small_reranker().fit(profiles, outcomes=outcomes, buyers=BUYERS, needs=needs)
    # Trained on recorded pairs only, the model differs from the one trained on every candidate.
    assert not np.allclose(weighted.rank(needs.tail(3), k=10)["score"], plain.rank(needs.tail(3), k=10)["score"])


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



def test_permutation_importance_finds_the_group_of_the_planted_rule(market):
    """Orders come only from firms speaking the buyer's language (a "home" column): shuffling
    that group among the held-out pairs must cost the most NDCG; the groups cover every column."""
    from matching.rerank import feature_group, permutation_importance

    profiles, needs, outcomes = market
    result = evaluate_reranker(profiles.reset_index(), needs, outcomes, buyers=BUYERS, split_date="01/10/2024", k=5,
                               reranker=small_reranker(), baselines={})
    split = result.split
    test_needs = needs[needs["need_id"].isin(split.test_truth["need_id"])]
    table = permutation_importance(result.reranker, test_needs, split.test_truth, seen=split.seen, k=5)
    assert table["group"].iloc[0] == "home" and table["drop"].iloc[0] > 0.05
    assert table["ndcg"].iloc[0] == pytest.approx(result.value("reranker", "ndcg@5"))
    assert sorted(c for cell in table["features"] for c in cell.split(", ")) == sorted(result.reranker.feature_names_)
    assert feature_group("speaks_buyer_language") == "home" and feature_group("value_text") == "matcher"
    again = permutation_importance(result.reranker, test_needs, split.test_truth, seen=split.seen, k=5)
    pd.testing.assert_frame_equal(table, again)  # seeded
    with pytest.raises(RerankError, match="n_repeats an integer >= 1, got n_repeats=0"):
        permutation_importance(result.reranker, test_needs, split.test_truth, n_repeats=0)
