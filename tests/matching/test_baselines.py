import pandas as pd
import pytest
from sklearn.base import clone

from matching.baselines import (
    BM25Ranker,
    CharNgramRanker,
    PopularityRanker,
    RandomRanker,
    TfidfRanker,
)
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


@pytest.mark.parametrize("ranker", [BM25Ranker(), TfidfRanker(), CharNgramRanker()])
def test_text_baselines_find_the_firm_with_the_words(firms, ranker):
    ranked = ranker.fit(firms).rank(["gia cong CNC nhom"], k=2)
    assert list(ranked.columns) == ["need_id", "rank", "firm_id", "score"]
    assert ranked.iloc[0]["firm_id"] == "F0002"
    assert ranked["rank"].tolist() == [1, 2]


@pytest.mark.parametrize("ranker", [BM25Ranker(), TfidfRanker(), CharNgramRanker()])
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


def test_char_ngrams_read_other_inflections_and_unsegmented_japanese(firms):
    firms = pd.concat([firms, pd.DataFrame({"firm_id": ["F0005", "F0006"], "name": ["Stamping Co", "精密"],
                                            "description": ["Metal stamping of steel brackets",
                                                            "アルミダイカスト部品の製造"]})])
    fitted = CharNgramRanker().fit(firms)
    assert fitted.rank(["stamped brackets"], k=1)["firm_id"].tolist() == ["F0005"]
    assert fitted.rank(["ダイカスト"], k=1)["firm_id"].tolist() == ["F0006"]


def test_char_ngram_hyper_parameters_survive_clone(firms):
    model = clone(CharNgramRanker(ngram_range=(2, 4), sublinear_tf=False))
    assert model.get_params() == {"ngram_range": (2, 4), "sublinear_tf": False, "min_df": 1}
    fitted = model.fit(firms)
    assert fitted.vectorizer_.ngram_range == (2, 4)
    assert all(2 <= len(g) <= 4 for g in fitted.vectorizer_.get_feature_names_out())
