import pandas as pd
import pytest
from sklearn.base import clone

from matching.baselines import BM25Ranker, PopularityRanker, RandomRanker, TfidfRanker
from matching.evaluation import EvaluationError


@pytest.fixture
def firms():
    return pd.DataFrame(
        {
            "firm_id": ["F0001", "F0002", "F0003", "F0004"],
            "name": ["Cty TNHH Nhựa Sao Mai", "Cơ khí Đông Anh", "May mặc Thành Công", "Điện tử Việt"],
            "description": [
                "Chuyên ép nhựa, làm khuôn mẫu",
                "Tiện phay CNC, gia công nhôm chính xác",
                "May áo sơ mi, thêu",
                "Lắp ráp SMT bo mạch",
            ],
        }
    )


@pytest.mark.parametrize("ranker", [BM25Ranker(), TfidfRanker()])
def test_text_baselines_find_the_firm_with_the_words(firms, ranker):
    ranked = ranker.fit(firms).rank(["gia cong CNC nhom"], k=2)
    assert list(ranked.columns) == ["need_id", "rank", "firm_id", "score"]
    assert ranked.iloc[0]["firm_id"] == "F0002"
    assert ranked["rank"].tolist() == [1, 2]


@pytest.mark.parametrize("ranker", [BM25Ranker(), TfidfRanker()])
def test_text_baselines_ignore_diacritics(firms, ranker):
    fitted = ranker.fit(firms)
    a = fitted.rank(["ép nhựa khuôn"], k=4)
    b = fitted.rank(["ep nhua khuon"], k=4)
    assert a["firm_id"].tolist() == b["firm_id"].tolist()
    assert a.iloc[0]["firm_id"] == "F0001"


def test_popularity_counts_training_outcomes(firms):
    outcomes = pd.DataFrame(
        {
            "need_id": ["N1", "N1", "N2"],
            "firm_id": ["F0003", "F0003", "F0004"],
            "status": ["meeting", "order", "meeting"],
            "at": ["2025-01-01"] * 3,
        }
    )
    ranked = PopularityRanker().fit(firms, outcomes=outcomes).rank(["anything"], k=2)
    assert ranked["firm_id"].tolist() == ["F0003", "F0004"]


def test_random_is_seeded_and_covers_all(firms):
    a = RandomRanker(random_state=1).fit(firms).rank(["x"], k=4)
    b = clone(RandomRanker(random_state=1)).fit(firms).rank(["x"], k=4)
    assert a.equals(b)
    assert sorted(a["firm_id"]) == sorted(firms["firm_id"])


def test_k_is_checked(firms):
    with pytest.raises(EvaluationError, match="k=0"):
        BM25Ranker().fit(firms).rank(["x"], k=0)
