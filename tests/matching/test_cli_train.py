"""``cnht train`` and ``cnht models``: a version written from files, listed, shown, activated,
rolled back, and a changed model file reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from matching.rerank import ModelStore
from tests.matching.conftest import DEMO

runner = CliRunner()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """The demo market cut to 80 firms and their outcomes (fast to fit)."""
    folder = tmp_path_factory.mktemp("demo_small")
    read = lambda name: pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    firms = read("firms").head(80)
    outcomes = read("outcomes")
    outcomes = outcomes[outcomes["firm_id"].isin(firms["firm_id"])]
    needs = read("needs")
    needs = needs[needs["need_id"].isin(outcomes["need_id"])]
    for name, table in (("firms", firms), ("outcomes", outcomes), ("needs", needs), ("buyers", read("buyers"))):
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_train_writes_a_version_and_prints_the_comparison(small_demo, tmp_path):
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "--data", str(small_demo), "--models-dir", str(models),
                                 "--candidates", "20", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    meta = ModelStore(models).metadata(out["version"])
    assert meta["kind"] == "outcome_reranker" and len(meta["data"]["sha256"]) == 64
    assert set(meta["metrics"]) == {"reranker", "matcher", "random", "popularity", "bm25", "tfidf"}
    assert set(meta["metrics"]["reranker"]) == {"all", "cold_start"}
    assert meta["data"]["train_outcomes_to"] < meta["data"]["split_date"] + "T23:59"
    # Activated exactly when it beat the hand-weighted matcher.
    assert out["activated"] == meta["beats_matcher"] == (out["active"] == out["version"])


def test_train_with_buyer_history_records_the_buyer_features(small_demo, tmp_path):
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "--data", str(small_demo), "--models-dir", str(models),
                                 "--candidates", "20", "--buyer-history", "--no-activate", "--json"])
    assert result.exit_code == 0, result.output
    meta = ModelStore(models).metadata(json.loads(result.stdout)["version"])
    assert meta["parameters"]["buyer_history"] is True
    assert {"buyer_reach_km", "buyer_distance_ratio", "buyer_home_fit"} <= set(meta["feature_names"])
    assert {"hist_reply_share", "hist_no_reply_share"} <= set(meta["feature_names"])


def _store_with_two_versions(folder) -> tuple[ModelStore, str, str]:
    store = ModelStore(folder)
    first = store.save({"model": 1}, {"k": 10}, created=datetime(2026, 1, 1, tzinfo=UTC))
    second = store.save({"model": 2}, {"k": 10}, created=datetime(2026, 1, 2, tzinfo=UTC))
    return store, first, second


def test_models_activate_rollback_list_show(tmp_path):
    store, first, second = _store_with_two_versions(tmp_path)
    folder = ["--models-dir", str(tmp_path)]
    assert runner.invoke(app, ["models", "activate", first, *folder]).exit_code == 0
    result = runner.invoke(app, ["models", "activate", second, *folder])
    assert result.exit_code == 0 and f"was {first}" in result.output
    assert store.active() == second
    listed = json.loads(runner.invoke(app, ["models", "list", "--json", *folder]).stdout)
    assert listed["active"] == second and [v["version"] for v in listed["versions"]] == [first, second]
    result = runner.invoke(app, ["models", "rollback", *folder])
    assert result.exit_code == 0 and store.active() == first
    shown = json.loads(runner.invoke(app, ["models", "show", first, *folder]).stdout)
    assert shown["active"] is True and shown["model_file_ok"] is True
    assert runner.invoke(app, ["models", "rollback", *folder]).exit_code != 0  # nothing before the first


def test_models_refuse_a_changed_file_and_an_unknown_version(tmp_path):
    store, first, _ = _store_with_two_versions(tmp_path)
    (tmp_path / first / "model.joblib").write_bytes(b"not the trained bytes")
    folder = ["--models-dir", str(tmp_path)]
    result = runner.invoke(app, ["models", "activate", first, *folder])
    assert result.exit_code != 0 and "SHA-256" in result.output
    assert store.active() is None
    shown = json.loads(runner.invoke(app, ["models", "show", first, *folder]).stdout)
    assert shown["model_file_ok"] is False
    result = runner.invoke(app, ["models", "show", "nope", *folder])
    assert result.exit_code != 0 and "cnht models list" in result.output


def test_weights_evaluated_on_the_test_period_are_listed_as_a_weights_version(small_demo, tmp_path):
    from matching import DEFAULT_WEIGHTS
    from matching.tuning import evaluate_weights, save_weights_version

    read = lambda name: pd.read_csv(small_demo / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    text_only = {"text": 1.0}
    table = evaluate_weights(read("firms"), read("needs"), read("outcomes"), text_only, buyers=read("buyers"))
    assert set(table["model"]) == {"weights", "matcher"} and set(table["slice"]) == {"all", "cold_start"}
    default = evaluate_weights(read("firms"), read("needs"), read("outcomes"), DEFAULT_WEIGHTS, buyers=read("buyers"))
    # The default weights given explicitly score exactly as the matcher's own defaults.
    pairs = default.set_index(["model", "slice"])["ndcg@10"]
    assert pairs[("weights", "all")] == pairs[("matcher", "all")]
    store = ModelStore(tmp_path / "models")
    version = save_weights_version(store, text_only, metrics=table)
    meta = store.metadata(version)
    ndcg = table.set_index(["model", "slice"])["ndcg@10"]
    assert meta["metrics"]["weights"]["all"]["ndcg@10"] == ndcg[("weights", "all")]
    assert meta["beats_matcher"] == (ndcg[("weights", "all")] > ndcg[("matcher", "all")])
    result = runner.invoke(app, ["models", "list", "--models-dir", str(store.folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "weights" in result.output and f"{ndcg[('weights', 'all')]:.3f}" in result.output


def test_a_trained_version_keeps_the_permutation_importance_of_its_feature_groups(small_demo, tmp_path):
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "--data", str(small_demo), "--models-dir", str(models),
                                 "--candidates", "20", "--no-activate", "--json"])
    assert result.exit_code == 0, result.output
    version = json.loads(result.stdout)["version"]
    shown = json.loads(runner.invoke(app, ["models", "show", version, "--models-dir", str(models)]).stdout)
    importance = shown["importance"]
    groups = [row["group"] for row in importance]
    assert {"matcher", "distance", "home", "history"} <= set(groups) and len(groups) == len(set(groups))
    drops = [row["drop"] for row in importance]
    assert drops == sorted(drops, reverse=True)
    for row in importance:
        assert abs(row["ndcg"] - row["ndcg_shuffled"] - row["drop"]) < 1e-12 and 0 <= row["ndcg_shuffled"] <= 1
    # Every feature the model reads is in exactly one group.
    listed = [name for row in importance for name in row["features"].split(", ")]
    assert sorted(listed) == sorted(shown["feature_names"])


def test_train_weights_only_tunes_on_the_training_period_and_saves_a_weights_version(small_demo, tmp_path):
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "--data", str(small_demo), "--models-dir", str(models), "--weights-only",
                                 "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    meta = ModelStore(models).metadata(out["version"])
    assert meta["kind"] == "weights" and set(meta["metrics"]) == {"weights", "matcher"}
    assert meta["weights"] == out["weights"] and abs(sum(meta["weights"].values()) - 1) < 1e-9
    assert 0 <= meta["tuning"]["cv_ndcg"] <= 1 and meta["data"]["train_needs"] > 0
    ndcg = {model: meta["metrics"][model]["all"]["ndcg@10"] for model in ("weights", "matcher")}
    assert meta["beats_matcher"] == (ndcg["weights"] > ndcg["matcher"])
    assert out["activated"] == meta["beats_matcher"] == (out["active"] == out["version"])
    # The re-ranker's split: the same default cut of the same outcomes.
    reranker = json.loads(runner.invoke(app, ["train", "--data", str(small_demo), "--models-dir", str(models),
                                              "--candidates", "20", "--no-activate", "--json"]).stdout)
    assert reranker["data"]["split_date"] == meta["data"]["split_date"]
