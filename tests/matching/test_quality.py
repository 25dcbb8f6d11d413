"""The matcher's quality claim, measured in the same run as the baselines.

On the demo outcomes, with the temporal split, the matcher must beat the best of the
random, popularity, BM25 and TF-IDF baselines by at least 10% (relative) on NDCG@10 and
recall@10. The figures come from the same protocol ``cnht eval`` prints.

The demo outcomes are synthetic: the generator drew them from the signals of the first
matcher (process and material coverage, certificates, distance), so this checks the
plumbing of the protocol, not the quality of matching. The weights are now set on real
firm texts with needs judged by hand (issue #8: a concept channel, text relative to the
best firm), which moved weight from those signals to text and concepts; the margin on the
synthetic outcomes fell from +98% to about +17% and the bar from 20% to 10%. Real-text
quality is measured by ``cnht eval --firms --needs`` (tests/matching/test_labelled_eval.py).
"""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from matching import SupplierMatcher
from matching.protocol import default_models, evaluate_models, relative_gain

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def _read(name):
    return pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False).replace({"": None})


@pytest.fixture(scope="module")
def evaluation():
    firms, buyers, needs, outcomes = (_read(n) for n in ("firms", "buyers", "needs", "outcomes"))
    models = {"matcher": SupplierMatcher(), **default_models()}
    return evaluate_models(models, firms, needs, outcomes, buyers=buyers, k=10)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["ndcg@10", "recall@10"])
def test_matcher_beats_best_baseline_by_10_percent(evaluation, metric):
    table, split = evaluation
    assert split.test_truth["need_id"].nunique() >= 30, "too few test needs to say anything"
    gain = relative_gain(table, "matcher", metric)
    summary = table[table["slice"] == "all"].set_index("model")[metric].round(4).to_dict()
    assert gain >= 0.10, f"{metric}: matcher {gain:+.1%} over the best baseline; {summary}"


@pytest.mark.slow
def test_every_baseline_beats_random(evaluation):
    """A sanity check on the protocol itself: signal exists and the baselines find some of it."""
    table, _ = evaluation
    all_needs = table[table["slice"] == "all"].set_index("model")["ndcg@10"]
    for model in ("popularity", "bm25", "tfidf", "matcher"):
        assert all_needs[model] > all_needs["random"]


@pytest.mark.slow
def test_cnht_eval_prints_the_table_with_the_split_date():
    from api.cli import app

    result = CliRunner().invoke(app, ["eval", "--data", str(DEMO), "--k", "10"])
    assert result.exit_code == 0, result.output
    assert "Split date" in result.output and "bm25" in result.output
    assert "matcher vs best baseline on ndcg@10" in result.output
