"""Weight tuning by cross-validation over needs (matching.tuning, ``cnht eval --tune``).

Two kinds of fixtures. Small firm texts and needs written here, ranked by the matcher, check
that re-ranking the component values gives the matcher's own lists (ties by firm_id, firms
without a signal after the others). Component values drawn from a seeded generator, with
the relevant firms set by one component, check the search: the component that carries the
signal by construction gets the weight, and a need held out is never used to choose.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from matching import DEFAULT_WEIGHTS, SupplierMatcher, component_values, score_weights, tune_weights
from matching.evaluation import ndcg_at_k
from matching.exceptions import HyperParameterError
from matching.labelled import LabelledSetError
from matching.tuning import default_grid

# Two firms with the same text (so every score ties) and IDs in reverse order of the input,
# so the tie rule (firm_id) and the input order disagree.
FIRMS = pd.DataFrame(
    [
        ("VN-C09", "Công ty Dập Hà Đông", "Dập kim loại tấm, giá đỡ thép SPCC mạ kẽm."),
        ("VN-C02", "Công ty Dập Hà Đông", "Dập kim loại tấm, giá đỡ thép SPCC mạ kẽm."),
        ("VN-C05", "Saigon Die Casting", "Aluminium die casting of pump housings in ADC12, CNC finishing."),
        ("VN-C01", "Bac Ninh Plastics", "Plastic injection moulding of ABS and PC housings; mould making."),
        ("VN-C07", "Hải Phòng Cable", "Wire harness and cable assembly, connector crimping for motorbikes."),
        ("VN-C03", "Thái Nguyên PCBA", "SMT assembly of printed circuit boards, AOI inspection, box build."),
        ("VN-C08", "Công ty In Bao Bì Minh Phát", "In offset hộp giấy, thùng carton sóng, nhãn decal."),
        ("VN-C04", "Kyoto Seimitsu Vietnam", "精密切削加工、アルミ部品のCNCフライス加工と旋盤加工。"),
        ("VN-C06", "Đông Anh Mechanical", "Gia công cơ khí chính xác CNC, tiện phay thép và nhôm."),
    ],
    columns=["firm_id", "name", "description"],
)
QUERIES = [
    {"id": "n-dap", "lang": "vi", "text": "dập giá đỡ thép mạ kẽm", "rel": {"VN-C09": 3, "VN-C02": 1}},
    {"id": "n-cast", "lang": "en", "text": "aluminium die cast housings",
     "rel": {"VN-C05": 3, "VN-C06": 1, "VN-C03": 2}},
    {"id": "n-cnc", "lang": "en", "text": "CNC machining of aluminium parts",
     "rel": {"VN-C06": 3, "VN-C04": 3, "VN-C05": 1}},
    {"id": "n-box", "lang": "vi", "text": "hộp carton in offset", "rel": {"VN-C08": 3, "VN-C01": 1}},
    {"id": "n-harness", "lang": "en", "text": "cable harness with crimped connectors",
     "rel": {"VN-C07": 3, "VN-C05": 1}},
]
NEEDS = pd.DataFrame([(q["id"], q["lang"], q["text"]) for q in QUERIES], columns=["need_id", "lang", "text"])
TRUTH = pd.DataFrame([(q["id"], firm, grade) for q in QUERIES for firm, grade in q["rel"].items()],
                     columns=["need_id", "firm_id", "relevance"])
WEIGHT_SETS = [
    dict(DEFAULT_WEIGHTS),
    {"text": 1.0},
    {"concepts": 1.0, "process_fit": 1.0},  # many exact ties
    {"text": 0.1, "completeness": 1.0},  # firms without a signal outscore weak matches
]


def _matcher_ndcg(fallback: int, weights: dict, k: int) -> float:
    """NDCG@k of the matcher's own list (its rank column), fitted with ``weights``."""
    matcher = SupplierMatcher(geocode=False, fallback=fallback, weights=weights).fit(FIRMS)
    ranked = matcher.rank(pd.DataFrame({"need_id": NEEDS["need_id"], "description": NEEDS["text"]}), k=len(FIRMS))
    return ndcg_at_k(TRUTH, ranked[["need_id", "firm_id", "rank"]], k=k, col_relevance="relevance")


def _ndcg_of_order(values: pd.DataFrame, weights: dict, k: int, *, tiers: bool, firm_id_ascending: bool) -> float:
    """NDCG@k of a re-ranking by another rule than the matcher's (to show the fixture tells them apart)."""
    names = [c for c in values.columns if c not in ("need_id", "firm_id", "tier")]
    score = sum(values[n] * weights.get(n, 0.0) for n in names)
    frame = values.assign(score=score, tier=values["tier"] if tiers else 0)
    frame = frame.sort_values(["need_id", "tier", "score", "firm_id"], ascending=[True, True, False, firm_id_ascending])
    frame["rank"] = frame.groupby("need_id").cumcount() + 1
    return ndcg_at_k(TRUTH, frame[["need_id", "firm_id", "rank"]], k=k, col_relevance="relevance")


@pytest.fixture(scope="module")
def values_by_fallback() -> dict[int, pd.DataFrame]:
    return {fallback: component_values(SupplierMatcher(geocode=False, fallback=fallback), FIRMS, NEEDS)
            for fallback in (0, 50)}


def test_component_values_has_one_row_per_listed_firm_and_a_value_per_component(values_by_fallback):
    values = values_by_fallback[50]
    assert list(values.columns[:3]) == ["need_id", "firm_id", "tier"]
    assert list(values.columns[3:]) == list(DEFAULT_WEIGHTS)
    assert len(values) == len(NEEDS) * len(FIRMS)
    assert values[list(DEFAULT_WEIGHTS)].to_numpy().min() >= 0 and values[list(DEFAULT_WEIGHTS)].to_numpy().max() <= 1
    # Without fallback profiles, a firm with no signal for a need forms the second tier.
    assert (values_by_fallback[0]["tier"] == 1).any() and (values["tier"] == 0).all()


@pytest.mark.parametrize("fallback", [0, 50])
@pytest.mark.parametrize("k", [3, 10])
def test_score_weights_equals_the_ndcg_of_the_matchers_own_list(values_by_fallback, fallback, k):
    values = values_by_fallback[fallback]
    for weights in WEIGHT_SETS:
        assert score_weights(values, TRUTH, weights, k=k) == pytest.approx(_matcher_ndcg(fallback, weights, k),
                                                                           abs=1e-12), weights


def test_the_fixture_tells_the_matchers_rule_from_near_misses(values_by_fallback):
    """Guards the test above: ties in input order, or tiers ignored, would score otherwise here."""
    values = values_by_fallback[0]
    k = 3
    exact = [score_weights(values, TRUTH, w, k=k) for w in WEIGHT_SETS]
    reverse_ties = [_ndcg_of_order(values, w, k, tiers=True, firm_id_ascending=False) for w in WEIGHT_SETS]
    no_tiers = [_ndcg_of_order(values, w, k, tiers=False, firm_id_ascending=True) for w in WEIGHT_SETS]
    right = [_ndcg_of_order(values, w, k, tiers=True, firm_id_ascending=True) for w in WEIGHT_SETS]
    assert right == pytest.approx(exact, abs=1e-12)
    assert any(abs(a - b) > 1e-6 for a, b in zip(exact, reverse_ties, strict=True))
    assert any(abs(a - b) > 1e-6 for a, b in zip(exact, no_tiers, strict=True))


def test_component_values_refuses_a_reordering_matcher():
    with pytest.raises(HyperParameterError, match="diversity=None and max_exposure=None"):
        component_values(SupplierMatcher(geocode=False, diversity="mmr"), FIRMS, NEEDS)


def test_score_weights_names_what_is_wrong(values_by_fallback):
    values = values_by_fallback[50]
    with pytest.raises(HyperParameterError, match=r"unknown \['txt'\]"):
        score_weights(values, TRUTH, {"txt": 1.0})
    with pytest.raises(HyperParameterError, match="at least one positive"):
        score_weights(values, TRUTH, {"text": 0.0})
    with pytest.raises(LabelledSetError, match=r"missing column\(s\) \['tier'\]"):
        score_weights(values.drop(columns="tier"), TRUTH, {"text": 1.0})


# ------------------------------------------------------------------ search, on drawn values
COMPONENTS = ["text", "concepts", "process_fit", "material_fit", "certification_fit", "completeness"]


def _drawn(seed: int, n_needs: int = 20, n_firms: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_needs):
        block = rng.uniform(size=(n_firms, len(COMPONENTS)))
        for j in range(n_firms):
            rows.append({"need_id": f"n{i:02d}", "firm_id": f"F{j:02d}", "tier": 0,
                         **dict(zip(COMPONENTS, block[j], strict=True))})
    return pd.DataFrame(rows)


def _truth_by(values: pd.DataFrame, component: str, need_ids=None) -> pd.DataFrame:
    """Grades 3, 2, 1 for the three firms with the highest ``component`` of each need."""
    part = values if need_ids is None else values[values["need_id"].isin(need_ids)]
    top = part.sort_values(["need_id", component], ascending=[True, False]).groupby("need_id").head(3)
    return top.assign(relevance=np.tile([3, 2, 1], len(top) // 3))[["need_id", "firm_id", "relevance"]]


def test_the_component_that_carries_the_signal_gets_the_weight():
    values = _drawn(seed=1)
    truth = _truth_by(values, "process_fit")
    result = tune_weights(values, truth)  # the default grid around DEFAULT_WEIGHTS
    assert result.search == "exhaustive" and result.n_grid == 1600
    for weights in (result.weights, *result.fold_weights):
        assert max(weights, key=weights.get) == "process_fit"
        assert weights["text"] == 0 and weights["concepts"] == 0
        assert sum(weights.values()) == pytest.approx(1, abs=1e-3)
    assert result.cv_ndcg > result.cv_ndcg_base + 0.2
    assert (result.folds["train_ndcg"] > 0.9).all()


def test_coordinate_search_on_a_large_grid_finds_it_too(monkeypatch):
    import matching.tuning as tuning

    monkeypatch.setattr(tuning, "_MAX_EXHAUSTIVE", 10)
    values = _drawn(seed=2)
    result = tune_weights(values, _truth_by(values, "concepts"), folds=4)
    assert result.search == "coordinate"
    for weights in (result.weights, *result.fold_weights):
        assert max(weights, key=weights.get) == "concepts"
    assert result.cv_ndcg > result.cv_ndcg_base


def test_every_need_is_held_out_once_and_scored_with_weights_chosen_without_it():
    grid = {"text": [0.0, 1.0], "concepts": [0.0, 1.0]}
    base = {"text": 1.0, "concepts": 1.0}
    drawn = _drawn(seed=3)
    probe = tune_weights(drawn, _truth_by(drawn, "text"), grid=grid, folds=4, base=base)
    assert sorted(probe.held_out["need_id"]) == sorted(drawn["need_id"].unique())
    held = probe.held_out.loc[probe.held_out["fold"] == 1, "need_id"].tolist()  # folds follow need ids only
    # On the other needs text and concepts are the same column: choosing on them alone is a
    # tie, settled by the base (both). Only the needs of fold 1 can tell the two apart.
    values = drawn.copy()
    others = ~values["need_id"].isin(held)
    values.loc[others, "concepts"] = values.loc[others, "text"]
    before = tune_weights(values, _truth_by(values, "text"), grid=grid, folds=4, base=base)
    truth = pd.concat([_truth_by(values[others], "text"), _truth_by(values[~others], "concepts")])
    after = tune_weights(values, truth, grid=grid, folds=4, base=base)
    both = {**dict.fromkeys(COMPONENTS, 0.0), "text": 0.5, "concepts": 0.5}
    assert after.fold_weights[0] == before.fold_weights[0] == both
    assert after.folds.loc[0, "train_ndcg"] == before.folds.loc[0, "train_ndcg"]
    # Chosen with the needs of fold 1, the weights move each time: a fold that peeked would show it.
    assert before.weights == {**dict.fromkeys(COMPONENTS, 0.0), "text": 1.0}
    assert after.weights == {**dict.fromkeys(COMPONENTS, 0.0), "concepts": 1.0}
    assert abs(after.folds.loc[0, "test_ndcg"] - before.folds.loc[0, "test_ndcg"]) > 1e-6  # new truth, same weights
    # A held-out score is the score of that need under its fold's weights.
    for row in after.held_out.itertuples(index=False):
        weights = after.fold_weights[row.fold - 1]
        one, its_truth = values[values["need_id"] == row.need_id], truth[truth["need_id"] == row.need_id]
        assert row.ndcg == pytest.approx(score_weights(one, its_truth, weights))
        assert row.ndcg_base == pytest.approx(score_weights(one, its_truth, base))


def test_the_default_grid_holds_the_current_weights():
    grid = default_grid()
    for name, candidates in grid.items():
        assert DEFAULT_WEIGHTS[name] in candidates and 0.0 in candidates
    assert set(grid) == {"text", "concepts", "process_fit", "material_fit", "certification_fit"}


def test_tune_weights_names_a_bad_grid_and_too_many_folds():
    values = _drawn(seed=4, n_needs=4)
    truth = _truth_by(values, "text")
    with pytest.raises(HyperParameterError, match=r"unknown \['capacity'\]"):
        tune_weights(values, truth, grid={"capacity": [0, 1]})
    with pytest.raises(HyperParameterError, match=r"grid\['text'\]"):
        tune_weights(values, truth, grid={"text": [-1]})
    with pytest.raises(HyperParameterError, match="between 2 and the 4 needs"):
        tune_weights(values, truth, folds=5)


# ------------------------------------------------------------------ CLI
runner = CliRunner()


def _plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(re.sub("[│┃╭╮╰╯─━┏┓┗┛┡┩└┘┳┻╇┼]", " ", output).split())


@pytest.fixture
def labelled_files(tmp_path):
    firms = tmp_path / "firms.csv"
    FIRMS.to_csv(firms, index=False)
    needs = tmp_path / "needs.json"
    needs.write_text(json.dumps({"queries": QUERIES}, ensure_ascii=False), encoding="utf-8")
    return firms, needs


def test_cli_prints_the_cross_validated_table_and_the_weights(labelled_files):
    firms, needs = labelled_files
    result = runner.invoke(app, ["eval", "--firms", str(firms), "--needs", str(needs), "--tune", "--folds", "2"])
    assert result.exit_code == 0, result.output
    text = _plain(result.stdout)
    assert "Held-out NDCG@10" in text and "2-fold cross-validation" in text
    assert re.search(r"all 5 \d\.\d{3} \d\.\d{3} [+-]\d\.\d{3}", text)
    assert re.search(r"concepts 0\.380 \d\.\d{3} \d\.\d{3} \d\.\d{3}", text)
    assert "Nothing was written" in text


def test_cli_json_carries_the_estimate_the_folds_and_the_weights(labelled_files):
    firms, needs = labelled_files
    result = runner.invoke(app, ["eval", "--firms", str(firms), "--needs", str(needs), "--tune", "--folds", "2",
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["per_fold"]) == 2 and len(report["held_out"]) == 5
    assert sum(report["weights"].values()) == pytest.approx(1, abs=1e-3)
    assert report["current_weights"] == DEFAULT_WEIGHTS
    assert report["cv_gain"] == pytest.approx(report["cv_ndcg"] - report["cv_ndcg_current"])


def test_cli_tune_needs_a_labelled_set_and_no_model_choice(labelled_files):
    firms, needs = labelled_files
    result = runner.invoke(app, ["eval", "--tune"])
    assert result.exit_code != 0 and "--tune needs a labelled set" in _plain(result.output)
    result = runner.invoke(app, ["eval", "--firms", str(firms), "--needs", str(needs), "--tune", "--model", "bm25"])
    assert result.exit_code != 0 and "--tune tunes the matcher alone" in _plain(result.output)


# ------------------------------------------------------------------ weights as a model version
def test_tuned_weights_are_saved_as_a_weights_version(tmp_path):
    from matching.rerank import ModelStore
    from matching.tuning import WEIGHTS_KIND, save_weights_version

    store = ModelStore(tmp_path / "models")
    metrics = {"weights": {"all": {"ndcg@10": 0.2}}, "matcher": {"all": {"ndcg@10": 0.1}}}
    version = save_weights_version(store, {"text": 0.5, "concepts": 0.5}, metrics=metrics,
                                   extra={"data": {"split_date": "2026-05-08"}})
    meta = store.metadata(version)
    assert meta["kind"] == WEIGHTS_KIND and meta["beats_matcher"] is True
    assert meta["weights"]["text"] == 0.5 and meta["weights"]["distance"] == 0.0
    assert set(meta["weights"]) == set(DEFAULT_WEIGHTS) and meta["base_weights"] == DEFAULT_WEIGHTS
    assert meta["data"]["split_date"] == "2026-05-08"
    # The file is the weights themselves, checked against its hash like a re-ranker's.
    assert store.load(version) == meta["weights"]
    store.activate(version)
    assert store.active() == version


@pytest.mark.parametrize(("weights", "message"), [
    ({"colour": 1.0}, r"unknown \['colour'\]"),
    ({"text": -1.0}, r"weights\['text'\] a finite number >= 0, got -1.0"),
    ({"text": float("nan")}, r"weights\['text'\] a finite number >= 0"),
    ({"text": 0.0}, "at least one positive weight"),
    ([("text", 1.0)], "as a dict"),
])
def test_weights_that_cannot_score_are_refused_before_saving(tmp_path, weights, message):
    from matching.rerank import ModelStore
    from matching.tuning import save_weights_version

    store = ModelStore(tmp_path / "models")
    with pytest.raises(HyperParameterError, match=message):
        save_weights_version(store, weights)
    assert store.versions() == []
