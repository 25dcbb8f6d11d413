import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from matching.evaluation import (
    EvaluationError,
    catalogue_coverage,
    exposure_gini,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    relevance_from_outcomes,
    temporal_split,
)


@pytest.fixture
def truth():
    # N1: F1 and F3 relevant; N2: F9 relevant (never predicted); N3: F5 relevant.
    return pd.DataFrame(
        {"need_id": ["N1", "N1", "N2", "N3"], "firm_id": ["F1", "F3", "F9", "F5"], "relevance": [1, 2, 1, 1]}
    )


@pytest.fixture
def pred():
    return pd.DataFrame(
        {
            "need_id": ["N1"] * 4 + ["N2"] * 2 + ["N3"] * 3,
            "firm_id": ["F1", "F2", "F3", "F4", "F1", "F2", "F6", "F7", "F5"],
            "score": [0.9, 0.8, 0.7, 0.1, 0.5, 0.4, 0.9, 0.8, 0.7],
        }
    )


def test_precision_recall_by_hand(truth, pred):
    # N1 top2 = F1,F2 -> 1 hit; N2 -> 0; N3 top2 = F6,F7 -> 0
    assert precision_at_k(truth, pred, k=2) == pytest.approx((1 / 2 + 0 + 0) / 3)
    # N1 top3 -> 2/2; N2 0/1; N3 top3 -> 1/1
    assert recall_at_k(truth, pred, k=3) == pytest.approx((1 + 0 + 1) / 3)


def test_mrr_and_map_by_hand(truth, pred):
    assert mrr(truth, pred, k=3) == pytest.approx((1 + 0 + 1 / 3) / 3)
    # N1 hits at 1 and 3: AP = (1/1 + 2/3) / 2; N2 0; N3 hit at 3: (1/3)/1
    assert map_at_k(truth, pred, k=3) == pytest.approx(((1 + 2 / 3) / 2 + 0 + 1 / 3) / 3)


def test_ndcg_matches_scikit_learn(truth, pred):
    firms = sorted(set(pred.firm_id) | set(truth.firm_id))
    y_true, y_score = [], []
    for need in ["N1", "N2", "N3"]:
        t = truth[truth.need_id == need].set_index("firm_id")["relevance"]
        p = pred[pred.need_id == need].set_index("firm_id")["score"]
        y_true.append([float(t.get(f, 0)) for f in firms])
        # firms left out of a list rank below it, relevant ones last (no credit from ties)
        y_score.append(
            [float(p[f]) if f in p.index else -1.0 - float(t.get(f, 0) > 0) - i * 1e-3 for i, f in enumerate(firms)]
        )
    for k in (1, 2, 3, 5):
        expected = ndcg_score(np.array(y_true), np.array(y_score), k=k)
        assert ndcg_at_k(truth, pred, k=k) == pytest.approx(expected)


def test_perfect_and_empty_rankings(truth):
    perfect = truth.assign(score=truth["relevance"])
    assert ndcg_at_k(truth, perfect, k=10) == pytest.approx(1.0)
    assert recall_at_k(truth, perfect, k=10) == pytest.approx(1.0)
    empty = pd.DataFrame({"need_id": [], "firm_id": [], "score": []})
    assert ndcg_at_k(truth, empty, k=10) == 0.0
    assert precision_at_k(truth, empty, k=10) == 0.0


def test_rank_column_is_accepted(truth, pred):
    ranked = pred.assign(rank=pred.groupby("need_id")["score"].rank(ascending=False)).drop(columns="score")
    assert recall_at_k(truth, ranked, k=3) == recall_at_k(truth, pred, k=3)


def test_coverage_and_gini():
    pred = pd.DataFrame({"need_id": ["N1", "N1", "N2", "N2"], "firm_id": ["F1", "F2", "F1", "F2"], "score": 1.0})
    assert catalogue_coverage(pred, n_firms=4, k=2) == 0.5
    assert exposure_gini(pred, k=2) == pytest.approx(0.0)
    # one firm shown in both lists, three never: maximal inequality for 4 firms = 0.75
    skewed = pd.DataFrame({"need_id": ["N1", "N2"], "firm_id": ["F1", "F1"], "score": 1.0})
    assert exposure_gini(skewed, firm_ids=["F1", "F2", "F3", "F4"], k=1) == pytest.approx(0.75)


def test_errors_name_the_column_and_argument(truth, pred):
    with pytest.raises(EvaluationError, match="firm_id"):
        recall_at_k(truth.drop(columns="firm_id"), pred)
    with pytest.raises(EvaluationError, match="k=0"):
        precision_at_k(truth, pred, k=0)
    with pytest.raises(EvaluationError, match="'score'"):
        recall_at_k(truth, pred.drop(columns="score"))
    with pytest.raises(TypeError):
        recall_at_k(truth, pred, kk=3)  # typos are not swallowed


def test_ranking_metrics_keys(truth, pred):
    out = ranking_metrics(truth, pred, k=3, n_firms=10)
    assert set(out) == {"precision@3", "recall@3", "ndcg@3", "map@3", "mrr", "coverage@3", "exposure_gini@3"}
    assert all(0 <= v <= 1 for v in out.values())


def _events(rows):
    return pd.DataFrame(rows, columns=["need_id", "firm_id", "status", "at"])


def test_relevance_from_outcomes_takes_furthest_stage():
    events = _events(
        [
            ("N1", "F1", "suggested", "2025-01-01"),
            ("N1", "F1", "contacted", "2025-01-05"),
            ("N1", "F1", "meeting", "2025-01-09"),
            ("N1", "F1", "sample", "2025-02-01"),
            ("N1", "F2", "suggested", "2025-01-01"),
            ("N1", "F2", "rejected", "2025-01-03"),
            ("N1", "F3", "suggested", "2025-01-01"),
            ("N1", "F3", "meeting", "2025-01-04"),
            ("N1", "F3", "sample", "2025-01-20"),
            ("N1", "F3", "rejected", "2025-02-03"),  # failed the audit: not a match
        ]
    )
    pairs = relevance_from_outcomes(events).set_index("firm_id")
    assert pairs.loc["F1", "furthest"] == "sample" and pairs.loc["F1", "relevance"] == 2
    assert pairs.loc["F2", "rejected"] and pairs.loc["F2", "relevance"] == 0
    assert pairs.loc["F3", "furthest"] == "sample" and pairs.loc["F3", "rejected"]
    assert pairs.loc["F3", "relevance"] == 0


def test_temporal_split_has_no_leakage():
    events = _events(
        [
            ("N1", "F1", "suggested", "2025-01-01"),
            ("N1", "F1", "meeting", "2025-08-01"),  # after the split: not visible in training
            ("N1", "F2", "suggested", "2025-07-01"),
            ("N1", "F2", "order", "2025-09-01"),
            ("N2", "F3", "suggested", "2025-07-02"),
            ("N2", "F3", "meeting", "2025-07-05"),
        ]
    )
    split = temporal_split(events, split_date="2025-06-01")
    assert (pd.to_datetime(split.train_outcomes["at"]) < pd.Timestamp("2025-06-01")).all()
    # N1/F1 was shortlisted in training: not a hit in test, whatever happened later
    assert set(map(tuple, split.test_truth[["need_id", "firm_id"]].to_numpy())) == {("N1", "F2"), ("N2", "F3")}
    assert split.cold_firms == frozenset({"F2", "F3"})
    assert set(split.cold_start_truth()["firm_id"]) == {"F2", "F3"}


def test_split_date_on_zoned_events_and_bad_dates():
    events = _events(
        [
            ("N1", "F1", "suggested", "2025-01-01T09:00:00+07:00"),
            ("N1", "F1", "meeting", "2025-08-01T09:00:00+07:00"),
            ("N1", "F2", "suggested", "2025-07-01T09:00:00+07:00"),
            ("N1", "F2", "order", "2025-09-01T09:00:00+07:00"),
        ]
    )
    split = temporal_split(events, split_date="2025-06-01")
    assert str(split.split_date.tz) == "UTC+07:00"
    assert set(split.test_truth["firm_id"]) == {"F2"}
    with pytest.raises(EvaluationError, match="split_date='garbage'"):
        temporal_split(events, split_date="garbage")


def test_split_date_is_read_day_first_and_a_date_past_every_pair_is_refused():
    """Issue 9: 01/05/2026 was read as 5 January, and 2030-01-01 ended in a traceback."""
    from matching.evaluation import EvaluationError, temporal_split

    outcomes = pd.DataFrame({
        "need_id": ["N1", "N2", "N3"], "firm_id": ["F1", "F2", "F3"], "status": ["meeting"] * 3,
        "at": ["2026-03-01 09:00", "2026-04-20 09:00", "2026-05-03 09:00"],
    })  # fmt: skip
    split = temporal_split(outcomes, split_date="01/05/2026")
    assert split.split_date == pd.Timestamp("2026-05-01")
    assert split.test_pairs["need_id"].tolist() == ["N3"]
    with pytest.raises(EvaluationError, match="no test pair.*2026-03-01 to 2026-05-03"):
        temporal_split(outcomes, split_date="2030-01-01")
    with pytest.raises(EvaluationError, match="dd/mm/yyyy"):
        temporal_split(outcomes, split_date="May 1st")


def test_cnht_eval_with_a_split_date_after_every_pair_says_so_without_a_traceback():
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["eval", "--split-date", "2030-01-01"], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "no test pair" in " ".join(result.output.split())
