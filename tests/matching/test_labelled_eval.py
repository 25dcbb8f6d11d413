"""Evaluation on a labelled set (matching.labelled) and ``cnht eval --firms --needs``.

The firms and needs are written here, with answers known by construction: each need
names a trade that exactly one firm does (grade 3), sometimes with a related firm
(grade 1). Firm IDs are foreign on purpose ("VN-A01"), as in real lists.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from typer.testing import CliRunner

from api.cli import app
from matching.baselines import BM25Ranker, CharNgramRanker, RandomRanker, TfidfRanker
from matching.labelled import (
    LabelledSetError,
    check_judged_firms,
    evaluate_labelled,
    labelled_models,
    read_labelled_needs,
)

FIRMS = pd.DataFrame(
    [
        ("VN-A01", "Kim Long Die Casting Co., Ltd",
         "Aluminium die casting of gearbox housings in ADC12 alloy, with trimming and shot blasting."),
        ("VN-A02", "Công ty TNHH Nhựa Sao Mai",
         "Ép phun nhựa ABS và PP cho vỏ thiết bị điện tử; thiết kế và chế tạo khuôn ép nhựa."),
        ("VN-A03", "Công ty Cổ phần Dập Kim Loại Đông Anh",
         "Dập kim loại tấm, khuôn dập liên hoàn, giá đỡ thép SPCC mạ kẽm."),
        ("VN-A04", "ハノイ精密株式会社",
         "アルミ部品の精密切削加工。CNCフライス加工とマシニングセンタで試作から量産まで対応。"),
        ("VN-A05", "Red River Wire Harness Ltd",
         "Automotive wire harness assembly, terminal crimping and connector assembly for motorcycles."),
        ("VN-A06", "Công ty TNHH Bao Bì Hồng Hà",
         "Sản xuất thùng carton sóng 3 lớp, 5 lớp và hộp giấy in offset cho hàng xuất khẩu."),
        ("VN-A07", "Lotus Garment Accessories",
         "Woven labels, buttons and zippers for garment factories."),
        ("VN-A08", "Công ty Điện tử Thăng Long",
         "Lắp ráp SMT bo mạch điện tử PCBA, kiểm tra AOI và ICT."),
    ],
    columns=["firm_id", "name", "description"],
)

QUERIES = [
    {"id": "q-die", "lang": "en", "text": "aluminium die casting housings", "rel": {"VN-A01": 3}},
    {"id": "q-harness", "lang": "en", "text": "wire harness assembly with crimping",
     "rel": {"VN-A05": 3, "VN-A08": 1}},
    {"id": "q-carton", "lang": "vi", "text": "thùng carton sóng đóng gói hàng xuất khẩu", "rel": {"VN-A06": 3}},
    {"id": "q-dap", "lang": "vi", "text": "dập kim loại tấm, giá đỡ mạ kẽm", "rel": {"VN-A03": 3, "VN-A07": 0}},
    {"id": "q-nhua", "lang": "vi-noacc", "text": "ep phun nhua ABS vo thiet bi dien tu", "rel": {"VN-A02": 3}},
    {"id": "q-cnc", "lang": "ja", "text": "アルミ部品の切削加工、CNCフライス", "rel": {"VN-A04": 3, "VN-A01": 1}},
]
ONLY_FIRM = {q["id"]: next(f for f, g in q["rel"].items() if g == 3) for q in QUERIES}


@pytest.fixture
def needs_json(tmp_path: Path) -> Path:
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"queries": QUERIES}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def firms_csv(tmp_path: Path) -> Path:
    path = tmp_path / "firms.csv"
    FIRMS.assign(website="https://example.vn").to_csv(path, index=False)  # an extra column, ignored
    return path


@pytest.fixture
def labelled(needs_json):
    return read_labelled_needs(needs_json)


class ListRanker(BaseEstimator):
    """Ranks the firms of each need in a fixed order (the rest after, in file order)."""

    def __init__(self, orders=None):
        self.orders = orders

    def fit(self, firms, outcomes=None):
        self.firm_ids_ = list(firms["firm_id"])
        return self

    def rank(self, needs, k=10):
        rows = []
        for need_id in needs["need_id"]:
            first = list((self.orders or {}).get(need_id, []))
            order = first + [f for f in self.firm_ids_ if f not in first]
            rows += [{"need_id": need_id, "rank": r, "firm_id": f, "score": float(len(order) - r)}
                     for r, f in enumerate(order[:k], start=1)]
        return pd.DataFrame(rows)


def _oracle() -> ListRanker:
    return ListRanker({q["id"]: sorted(q["rel"], key=lambda f: -q["rel"][f]) for q in QUERIES})


def _value(table, model, metric, slice_name="all"):
    row = table[(table["model"] == model) & (table["metric"] == metric) & (table["slice"] == slice_name)]
    assert len(row) == 1, (model, metric, slice_name)
    return float(row["value"].iloc[0])


# ------------------------------------------------------------------ reading


def test_json_is_read_into_two_long_tables(labelled):
    needs, truth = labelled
    assert list(needs.columns) == ["need_id", "lang", "text"]
    assert needs["need_id"].tolist() == [q["id"] for q in QUERIES]
    assert list(truth.columns[:3]) == ["need_id", "firm_id", "relevance"]
    assert len(truth) == sum(len(q["rel"]) for q in QUERIES)
    assert truth.set_index(["need_id", "firm_id"]).loc[("q-harness", "VN-A08"), "relevance"] == 1


def test_csv_with_a_rel_column_reads_the_same_as_json(tmp_path, labelled):
    rows = [{"need_id": q["id"], "lang": q["lang"], "text": q["text"],
             "rel": "; ".join(f"{f}:{g}" for f, g in q["rel"].items())} for q in QUERIES]
    path = tmp_path / "needs.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    needs, truth = read_labelled_needs(path)
    pd.testing.assert_frame_equal(needs, labelled.needs)
    cols = ["need_id", "firm_id", "relevance"]
    pd.testing.assert_frame_equal(truth[cols], labelled.truth[cols])


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"queries": [\n  {"id": "q1", "lang": "en",}\n]}', encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"broken\.json: not valid JSON at line 2, column \d+"):
        read_labelled_needs(path)


def test_json_query_missing_a_key_is_named(tmp_path):
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"queries": [{"id": "q1", "lang": "en", "text": "die casting"}]}))
    with pytest.raises(LabelledSetError, match=r"queries\[0\]: missing key\(s\) \['rel'\]"):
        read_labelled_needs(path)


def test_json_without_queries_is_refused(tmp_path):
    path = tmp_path / "needs.json"
    path.write_text(json.dumps([{"id": "q1"}]))
    with pytest.raises(LabelledSetError, match='expected an object with a "queries" list, got list'):
        read_labelled_needs(path)


def test_csv_missing_column_is_named(tmp_path):
    path = tmp_path / "needs.csv"
    path.write_text("need_id,lang,text\nq1,en,die casting\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"needs\.csv: missing column\(s\) \['rel'\]"):
        read_labelled_needs(path)


def test_csv_bad_grade_names_row_column_and_firm(tmp_path):
    path = tmp_path / "needs.csv"
    path.write_text("need_id,lang,text,rel\nq1,en,die casting,VN-A01:3\nq2,vi,ép nhựa,VN-A02:5\n",
                    encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"row 3, column rel, firm 'VN-A02': expected a relevance grade.*got 5"):
        read_labelled_needs(path)


def test_csv_pair_without_grade_is_refused(tmp_path):
    path = tmp_path / "needs.csv"
    path.write_text("need_id,lang,text,rel\nq1,en,die casting,VN-A01\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"row 2, column rel: expected 'firm_id:grade' pairs"):
        read_labelled_needs(path)


def test_duplicate_need_id_is_refused(tmp_path):
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"queries": [QUERIES[0], QUERIES[0]]}))
    with pytest.raises(LabelledSetError, match=r"queries\[1\].*need id 'q-die' already used at .*queries\[0\]"):
        read_labelled_needs(path)


def test_unknown_firm_id_is_reported_with_where_it_was_read(labelled):
    truth = pd.concat([labelled.truth, pd.DataFrame(
        [{"need_id": "q-die", "firm_id": "VN-9999", "relevance": 2, "source": "needs.json: queries[0]"}])])
    with pytest.raises(LabelledSetError, match=r"not among the 8 firms .*queries\[0\]: 'VN-9999'"):
        check_judged_firms(truth, FIRMS["firm_id"])
    with pytest.raises(LabelledSetError, match="VN-9999"):
        evaluate_labelled({"bm25": BM25Ranker()}, FIRMS, labelled.needs, truth)


# ------------------------------------------------------------------ scoring


def test_long_table_model_slice_metric(labelled):
    table = evaluate_labelled({"bm25": BM25Ranker(), "random": RandomRanker()}, FIRMS, *labelled, k=10)
    assert list(table.columns) == ["model", "slice", "metric", "value", "needs"]
    assert table["slice"].drop_duplicates().tolist() == ["all", "en", "vi", "vi-noacc", "ja"]
    assert table["metric"].drop_duplicates().tolist() == ["ndcg@10", "precision@5", "recall@10", "mrr"]
    assert len(table) == 2 * 5 * 4
    assert table["value"].between(0, 1).all()
    assert table.set_index(["model", "slice", "metric"]).loc[("bm25", "vi", "mrr"), "needs"] == 2


def test_a_perfect_ranking_scores_one_and_precision_counts_grades_from_one(labelled):
    table = evaluate_labelled({"oracle": _oracle()}, FIRMS, *labelled, k=10)
    for metric in ("ndcg@10", "recall@10", "mrr"):
        assert table.loc[table["metric"] == metric, "value"].eq(1.0).all(), metric
    # Relevant (grade >= 1) firms per need: 1, 2, 1, 1 (the grade-0 one does not count), 1, 2.
    assert _value(table, "oracle", "precision@5") == pytest.approx(np.mean([1, 2, 1, 1, 1, 2]) / 5)


def test_grades_are_the_gain_of_ndcg(labelled):
    needs, truth = labelled
    # The grade-1 firm before the grade-3 one: DCG = 1 + 3/log2(3), ideal = 3 + 1/log2(3).
    swapped = ListRanker({"q-harness": ["VN-A08", "VN-A05"]})
    table = evaluate_labelled({"swapped": swapped}, FIRMS, needs[needs["need_id"] == "q-harness"],
                              truth[truth["need_id"] == "q-harness"], k=10)
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert _value(table, "swapped", "ndcg@10") == pytest.approx(expected)
    assert _value(table, "swapped", "mrr") == 1.0  # the grade-1 firm counts as relevant for MRR


@pytest.mark.parametrize("model", [BM25Ranker(), TfidfRanker(), CharNgramRanker()], ids=lambda m: type(m).__name__)
def test_text_baselines_rank_the_only_firm_of_a_trade_first(labelled, model):
    needs, truth = labelled
    for need_id, firm_id in ONLY_FIRM.items():
        one = needs[needs["need_id"] == need_id]
        grade3 = truth[(truth["need_id"] == need_id) & (truth["relevance"] == 3)]
        table = evaluate_labelled({"m": model}, FIRMS, one, grade3, k=10)
        assert _value(table, "m", "ndcg@10") == 1.0, (need_id, firm_id)


def test_the_matcher_ranks_the_only_die_casting_firm_first(labelled):
    needs, truth = labelled
    one = needs[needs["need_id"] == "q-die"]
    table = evaluate_labelled({"matcher": labelled_models()["matcher"]}, FIRMS, one,
                              truth[truth["need_id"] == "q-die"], k=10)
    assert _value(table, "matcher", "ndcg@10") == 1.0
    assert _value(table, "matcher", "mrr") == 1.0


def test_a_random_order_scores_lower_than_the_text_baselines(labelled):
    models = {"bm25": BM25Ranker(), "char": CharNgramRanker(), "random": RandomRanker(random_state=3)}
    table = evaluate_labelled(models, FIRMS, *labelled, k=5)
    for metric in ("ndcg@5", "mrr"):
        assert _value(table, "random", metric) < _value(table, "bm25", metric)
        assert _value(table, "random", metric) < _value(table, "char", metric)


def test_every_labelled_model_runs_on_foreign_ids(labelled):
    table = evaluate_labelled(labelled_models(), FIRMS, *labelled, k=10)
    assert set(table["model"]) == {"matcher", "bm25", "tfidf_words", "tfidf_char", "random"}
    assert table["value"].between(0, 1).all()


def test_a_slice_with_nothing_relevant_has_no_score(labelled):
    needs, truth = labelled
    truth = truth[~((truth["need_id"] == "q-cnc") & (truth["relevance"] > 0))]
    table = evaluate_labelled({"bm25": BM25Ranker()}, FIRMS, needs, truth, k=10)
    ja = table[table["slice"] == "ja"]
    assert ja["value"].isna().all() and ja["needs"].eq(0).all()
    assert table.loc[table["slice"] == "all", "needs"].eq(5).all()


def test_missing_column_and_bad_k_are_named(labelled):
    with pytest.raises(LabelledSetError, match=r"needs is missing column\(s\) \['text'\]"):
        evaluate_labelled({"bm25": BM25Ranker()}, FIRMS, labelled.needs.drop(columns="text"), labelled.truth)
    with pytest.raises(LabelledSetError, match="k=0"):
        evaluate_labelled({"bm25": BM25Ranker()}, FIRMS, *labelled, k=0)


# ------------------------------------------------------------------ CLI

runner = CliRunner()


def _plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(re.sub("[│┃╭╮╰╯─━┏┓┗┛┡┩└┘┳┻╇┼]", " ", output).split())


def test_cli_prints_every_metric_per_language(firms_csv, needs_json):
    result = runner.invoke(app, ["eval", "--firms", str(firms_csv), "--needs", str(needs_json)])
    assert result.exit_code == 0, result.output
    text = _plain(result.stdout)
    assert "8 firms" in text and "6 needs" in text
    for title in ("NDCG@10", "P@5", "Recall@10", "MRR@10"):
        assert title in text
    for model in ("matcher", "bm25", "tfidf_words", "tfidf_char", "random"):
        assert model in text
    assert re.search(r"vi-noacc 1 \S+", text)
    assert "ignored columns website" in result.output  # the note about the extra column


def test_cli_json_and_model_choice(firms_csv, needs_json):
    result = runner.invoke(app, ["eval", "--firms", str(firms_csv), "--needs", str(needs_json), "--json",
                                 "--model", "bm25", "--model", "tfidf_char", "--k", "5"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_firms"] == 8 and report["n_needs"] == 6 and report["k"] == 5
    assert {r["model"] for r in report["rows"]} == {"bm25", "tfidf_char"}
    assert {r["metric"] for r in report["rows"]} == {"ndcg@5", "precision@5", "recall@5", "mrr"}
    bm25_all = {r["metric"]: r["value"] for r in report["rows"] if r["model"] == "bm25" and r["slice"] == "all"}
    assert 0.5 < bm25_all["ndcg@5"] <= 1.0


def test_cli_names_an_unknown_firm(firms_csv, tmp_path):
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"queries": [{"id": "q1", "lang": "en", "text": "die casting",
                                             "rel": {"F0001": 3}}]}))
    result = runner.invoke(app, ["eval", "--firms", str(firms_csv), "--needs", str(path)])
    assert result.exit_code == 2
    assert "'F0001'" in _plain(result.output) and "not among the 8 firms" in _plain(result.output)


def test_cli_names_a_missing_firms_column(tmp_path, needs_json):
    path = tmp_path / "firms.csv"
    FIRMS.drop(columns="description").to_csv(path, index=False)
    result = runner.invoke(app, ["eval", "--firms", str(path), "--needs", str(needs_json)])
    assert result.exit_code == 2
    assert "description" in _plain(result.output)


def test_cli_refuses_half_a_labelled_set_and_unknown_models(firms_csv, needs_json):
    result = runner.invoke(app, ["eval", "--firms", str(firms_csv)])
    assert result.exit_code == 2 and "--needs" in _plain(result.output)
    result = runner.invoke(app, ["eval", "--firms", str(firms_csv), "--needs", str(needs_json), "--model", "bm52"])
    assert result.exit_code == 2 and "bm52" in _plain(result.output)


def test_cli_help_labels_the_demo_outcomes_synthetic():
    result = runner.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert "synthetic" in _plain(result.stdout)


def test_cli_reads_firms_from_xlsx(tmp_path, needs_json):
    pytest.importorskip("openpyxl")
    path = tmp_path / "firms.xlsx"
    FIRMS.to_excel(path, index=False)
    result = runner.invoke(app, ["eval", "--firms", str(path), "--needs", str(needs_json), "--json",
                                 "--model", "tfidf_char"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_firms"] == 8
    overall = {r["metric"]: r["value"] for r in report["rows"] if r["slice"] == "all"}
    assert overall["mrr"] == 1.0  # the only firm of each need's trade comes first
    assert 0.9 < overall["ndcg@10"] <= 1.0  # a related (grade 1) firm may come third
