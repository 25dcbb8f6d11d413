"""The analysts' notebooks run top to bottom and say what they claim.

Every notebook in ``notebooks/`` is executed with nbclient (kernel ``python3``, working
directory the repo root, 600 s per cell). A failing cell fails the test with its source and
error. For the four notebooks of the plan, a probe cell appended after the last cell prints
the kernel's key objects as JSON, and the facts that matter are checked against values the
test computes on its own (the demo files read again, metrics recomputed from the table).

Every notebook, executed, leaves at least one chart (an ``image/png`` output) drawn by a backend
that needs no display, and ends with a conclusion in words (Vietnamese, then English).

The static checks (committed without outputs, no machine paths, bilingual intro and conclusion,
headless backend, NFC) are fast and not marked slow.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 600
PROBE_MARK = "__NOTEBOOK_PROBE__"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MODELS = {"matcher", "random", "popularity", "bm25", "tfidf"}
RANKING_METRICS = ("precision@10", "recall@10", "ndcg@10", "map@10", "mrr", "coverage@10", "exposure_gini@10")

# What each notebook must leave in its kernel, printed as JSON by an appended cell.
PROBES = {
    "01_explore_firms.ipynb": """
from features.certifications import valid_codes as _valid_codes
print("{mark}" + json.dumps({{
    "summary": summary,
    "recount_international_valid": sum(
        bool(_valid_codes(c, as_of=TODAY, international_only=True)) for c in profiles["certifications"]),
    "sector_rows": int(by_sector["firms"].sum()), "without_sector": without_sector,
    "sector_labels_missing": int((by_sector["label_vi"].str.len() == 0).sum()),
    "district_total": int(by_district["firms"].sum()),
    "park_ids": sorted(park_summary.index),
    "expiring_days_left": [int(d) for d in expiring["days_left"]],
}}, default=str))
""",
    "02_evaluate_matcher.ipynb": """
print("{mark}" + json.dumps({{
    "split_date": str(split.split_date.date()),
    "results": results.to_dict("records"),
    "gains": gains.to_dict("records"),
    "shortlist": shortlist[["need_id", "rank", "firm_id", "score"]].to_dict("records"),
    "explained_score": explanation.score, "explained_parts": float(parts["contribution"].sum()),
    "gap_firm": firm_id, "gap_firm_relevant": firm_id in relevant, "gaps": [str(g) for g in firm_gaps],
    "upgrade_columns": list(upgrades.columns),
}}, default=str))
""",
    "03_tune_and_train.ipynb": """
print("{mark}" + json.dumps({{
    "summary": summary,
    "models_folder": str(models_folder),
    "versions": [{{"version": m["version"], "kind": m["kind"]}} for m in store.versions()],
    "active": store.active(),
    "weights_metadata": store.metadata(weights_version)["weights"],
    "importance_features": sorted(f for cell in importance["features"] for f in cell.split(", ")),
    "reranker_features": sorted(reranker.feature_names_),
    "reranker_train_until": reranker.outcome_range_[1],
    "default_weights": dict(DEFAULT_WEIGHTS),
    "train_events_until": str(train_outcomes["at"].max()),
    "grid_params": [str(p) for p in search.cv_results_["params"]],
    "grid_scores": [float(s) for s in search.cv_results_["mean_test_score"]],
    "test_models": sorted(comparison["model"].unique()),
}}, default=str))
""",
    "04_plan.ipynb": """
print("{mark}" + json.dumps({{
    "summary": summary_plan,
    "n_firms": summary.n_firms, "n_valid_international": summary.n_valid_international,
    "as_of": str(summary.as_of),
    "by_sector_firms": {{str(k): int(v) for k, v in summary.firms_by_sector.items()}},
    "by_sector_counted": [int(v) for v in by_sector["counted"]],
    "progress": [[str(d), int(c), k] for d, c, k in zip(progress["on"], progress["counted"], progress["kind"])],
    "closest": [[f, s] for f, s in zip(closest["firm_id"], closest["step"])],
    "sample_size": SAMPLE, "sample": sample["firm_id"].tolist(),
    "upgrade_columns": list(upgrades.columns),
    "upgrades_min_new_shortlists": int(upgrades["new_shortlists"].min()) if len(upgrades) else None,
    "demand_new_shortlists": [int(v) for v in demand["new_shortlists"]],
}}, default=str))
""",
}


def _clean(text: str) -> str:
    return ANSI.sub("", text)


def _failure(path: Path, notebook) -> str:
    """The first cell that raised: its position, source and error."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = _clean("\n".join(output.get("traceback", [])))[-3000:]
                return (
                    f"{path.name}: cell {index} failed.\n--- source ---\n{cell.source}\n"
                    f"--- error ---\n{output['ename']}: {_clean(output['evalue'])}\n{trace}"
                )
    return f"{path.name}: execution failed before any cell reported an error."


def execute(path: Path, probe: str | None = None) -> tuple[nbformat.NotebookNode, dict | None]:
    """Run a notebook from the repo root; return it with outputs and the probe's JSON."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = nbformat.read(path, as_version=4)
    if probe is not None:
        notebook.cells.append(nbformat.v4.new_code_cell(probe.format(mark=PROBE_MARK)))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        pytest.fail(_failure(path, notebook) + f"\n({type(error).__name__})", pytrace=False)
    if probe is None:
        return notebook, None
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    line = next((ln for ln in text.splitlines() if ln.startswith(PROBE_MARK)), None)
    assert line is not None, f"{path.name}: the probe printed no JSON; it printed {text[:500]!r}"
    return notebook, json.loads(line[len(PROBE_MARK):])


@pytest.fixture(scope="module")
def run():
    """Execute each notebook at most once per test module."""
    done: dict[str, tuple] = {}

    def _run(name: str) -> tuple[nbformat.NotebookNode, dict | None]:
        if name not in done:
            path = NOTEBOOK_DIR / name
            assert path.is_file(), f"Expected notebook {name} in notebooks/, found {[p.name for p in NOTEBOOKS]}"
            done[name] = execute(path, PROBES.get(name))
        return done[name]

    return _run


def _images(notebook) -> list[tuple[int, str]]:
    """(cell index, MIME type) of every image a notebook's code cells display."""
    return [
        (index, mime) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
        for o in cell.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")
        for mime in o.get("data", {}) if mime.startswith("image/")
    ]


def _printed(notebook) -> str:
    return "".join(
        o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
        for o in cell.get("outputs", []) if o.get("output_type") == "stream"
    )


# ----------------------------------------------------------------------------- static


def test_the_plans_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} >= set(PROBES), f"found {[p.name for p in NOTEBOOKS]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_clean_and_portable(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name} cell {index} was committed with outputs; clear them "
                "(Jupyter: Edit > Clear All Outputs) before committing."
            )
        assert unicodedata.is_normalized("NFC", cell.source), f"{path.name} cell {index} is not NFC"
        for machine_path in ("/work/", "/home/", "/tmp/", "/root/", "C:\\"):
            assert machine_path not in cell.source, f"{path.name} cell {index} names {machine_path!r}"
    # No rendered chart hides anywhere else in the file either (cell attachments, metadata).
    assert "image/png" not in path.read_text(encoding="utf-8"), f"{path.name} carries an image; strip it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_charts_need_no_display(path: Path):
    """matplotlib is told to render without a display (inline, i.e. Agg to PNG, or Agg itself),
    so the charts are drawn even where MPLBACKEND names an interactive backend."""
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "matplotlib" in source, f"{path.name} draws no chart with matplotlib"
    assert re.search(r"^%matplotlib inline$|matplotlib\.use\([\"']Agg[\"']\)", source, re.M), (
        f"{path.name}: select a headless backend (%matplotlib inline or matplotlib.use('Agg')) "
        "before the first chart")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_a_conclusion_in_words(path: Path):
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown", f"{path.name} must end with a conclusion (markdown cell)"
    assert "Kết luận" in last.source and "Conclusion" in last.source
    vi, en = last.source.find("**Tiếng Việt.**"), last.source.find("**English.**")
    assert 0 <= vi < en, f"{path.name}: the conclusion gives Vietnamese first, then English"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_intro_in_vietnamese_and_english(path: Path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert "**Tiếng Việt.**" in first.source and "**English.**" in first.source
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", first.source)


# ----------------------------------------------------------------------------- executed


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(run, path: Path):
    notebook, _ = run(path.name)
    executed = [c for c in notebook.cells if c.cell_type == "code"]
    assert executed and all(c.execution_count is not None for c in executed)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_leaves_a_chart(run, path: Path):
    notebook, _ = run(path.name)
    images = _images(notebook)
    assert any(mime == "image/png" for _, mime in images), (
        f"{path.name} executed without leaving an image/png output (found {images}); draw at least "
        "one chart with matplotlib and show it (plt.show() under %matplotlib inline)")


@pytest.mark.slow
def test_explore_firms(run):
    from features.ingest import read_firms

    notebook, facts = run("01_explore_firms.ipynb")
    summary = facts["summary"]
    expected = read_firms(ROOT / "data" / "demo" / "firms.csv")
    assert (summary["rows_read"], summary["rows_accepted"], summary["rows_rejected"]) == (
        expected.rows_read, expected.rows_accepted, expected.rows_rejected)
    assert summary["duplicates"] == len(expected.duplicates)
    assert summary["profiles"] == expected.rows_accepted
    # The certification count agrees with valid_codes (a second code path) and the plan's target is shown.
    assert summary["international_valid_today"] == facts["recount_international_valid"]
    assert summary["plan_international_target"] == 400
    assert 0 < summary["international_valid_today"] <= summary["profiles"]
    assert "400 of 900" in _printed(notebook)
    assert facts["sector_rows"] >= summary["profiles"] - facts["without_sector"]
    assert facts["sector_labels_missing"] == 0
    assert facts["district_total"] + summary["placed_without_legacy_district"] == summary["placed"]
    assert summary["wards_2025"] > 0 and summary["legacy_districts"] > 0
    assert all(0 <= d <= 180 for d in facts["expiring_days_left"])
    assert facts["expiring_days_left"] == sorted(facts["expiring_days_left"])
    assert len(facts["park_ids"]) == summary["parks"] > 0


@pytest.mark.slow
def test_evaluate_matcher(run):
    import pandas as pd

    from features.ingest import read_outcomes
    from matching.evaluation import temporal_split
    from matching.protocol import relative_gain

    notebook, facts = run("02_evaluate_matcher.ipynb")
    results = pd.DataFrame(facts["results"])
    assert set(results["model"]) == MODELS
    assert set(results["slice"]) == {"all", "cold_start"}
    matcher_row = results[(results["model"] == "matcher") & (results["slice"] == "all")]
    assert len(matcher_row) == 1, "the results table must have the matcher's row"
    for metric in RANKING_METRICS:
        assert results[metric].between(0, 1).all(), f"{metric} out of [0, 1]: {results[metric].tolist()}"
    # The split shown is the protocol's default split of the demo outcomes.
    outcomes = read_outcomes(ROOT / "data" / "demo" / "outcomes.csv").data
    assert facts["split_date"] == str(temporal_split(outcomes).split_date.date())
    assert f"Split date / Ngày chia: {facts['split_date']}" in _printed(notebook)
    # The printed gain is relative_gain over the best baseline, recomputed from the table.
    gains = pd.DataFrame(facts["gains"]).set_index(["slice", "metric"])
    for metric in ("ndcg@10", "recall@10", "mrr"):
        expected = relative_gain(results, "matcher", metric)
        best = results[(results["slice"] == "all") & (results["model"] != "matcher")][metric].max()
        assert math.isclose(gains.loc[("all", metric), "relative gain"], expected, rel_tol=1e-9)
        assert math.isclose(gains.loc[("all", metric), "baseline value"], best, rel_tol=1e-9)
        assert f"on {metric}: {expected:+.1%}" in _printed(notebook)
    # One need's shortlist: ten firms, ranked by score, each score the sum of its parts.
    shortlist = pd.DataFrame(facts["shortlist"])
    assert shortlist["rank"].tolist() == list(range(1, 11))
    assert shortlist["firm_id"].is_unique and shortlist["score"].is_monotonic_decreasing
    assert math.isclose(facts["explained_score"], facts["explained_parts"], abs_tol=1e-9)
    assert math.isclose(facts["explained_score"], shortlist["score"].iloc[0], rel_tol=1e-9)
    assert facts["gap_firm_relevant"]
    assert facts["upgrade_columns"] == ["kind", "code", "label_vi", "label_en", "new_shortlists", "needs"]


@pytest.mark.slow
def test_tune_and_train(run):
    import pandas as pd

    _, facts = run("03_tune_and_train.ipynb")
    summary = facts["summary"]
    # Tuning saw only the training period, cut again in time.
    assert summary["inner_split"] < summary["outer_split"]
    assert pd.Timestamp(facts["train_events_until"]) < pd.Timestamp(summary["outer_split"])
    tuned = summary["tuned_weights"]
    assert set(tuned) == set(facts["default_weights"])
    assert all(w >= 0 for w in tuned.values()) and math.isclose(sum(tuned.values()), 1.0, abs_tol=1e-3)
    # The search only accepts improvements, so validation never gets worse.
    assert summary["validation_ndcg@10"]["tuned"] >= summary["validation_ndcg@10"]["default"]
    for value in (*summary["validation_ndcg@10"].values(), *summary["test_ndcg@10"].values()):
        assert 0 <= value <= 1
    assert {"default weights", "tuned weights"} <= set(facts["test_models"])
    assert set(facts["test_models"]) - {"default weights", "tuned weights"} == MODELS - {"matcher"}
    # The re-ranker learned before the split only, and reaches issue 11's goal on the demo:
    # at least 15 % above the default weights on the test period, no worse on cold-start firms.
    assert pd.Timestamp(facts["reranker_train_until"]) < pd.Timestamp(summary["outer_split"], tz="Asia/Ho_Chi_Minh")
    assert summary["rerank_gain_over_default"] >= 0.15
    assert summary["rerank_test_ndcg@10"] >= 1.15 * summary["test_ndcg@10"]["default"]
    assert summary["rerank_cold_start_ndcg@10"] >= summary["default_cold_start_ndcg@10"]
    # Its importance covers every feature once, by group; the matcher's values matter.
    assert facts["importance_features"] == facts["reranker_features"]
    assert summary["importance"]["matcher"] > 0
    # Both saved as versions in a temporary folder (not the repository's), the better one active.
    assert sorted(v["kind"] for v in facts["versions"]) == ["outcome_reranker", "weights"]
    assert not facts["models_folder"].startswith(str(ROOT))
    assert facts["weights_metadata"] == pytest.approx(tuned, abs=1e-4)
    best = "outcome_reranker" if summary["rerank_test_ndcg@10"] >= summary["test_ndcg@10"]["tuned"] else "weights"
    assert facts["active"] == summary["versions"][best]
    # GridSearchCV ran both candidates through fit/score.
    assert len(facts["grid_params"]) == 2
    assert all(0 <= s <= 1 for s in facts["grid_scores"])


def _cnht_demo_output() -> str:
    """What `cnht demo` prints for the demo folder, its lines joined (rich wraps them at its width)."""
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["demo", "--out", str(ROOT / "data" / "demo")])
    assert result.exit_code == 0, result.output
    return " ".join(_clean(result.output).split())


@pytest.mark.slow
def test_plan(run):
    """04_plan's 400-of-900 figures are those `cnht demo` prints (and GET /kpi's targets); its
    progress points are valid_codes recounted on those days; the closest firms are the uncounted."""
    import datetime as dt

    from api.routes.kpi import FIRMS_TARGET, INTERNATIONAL_TARGET
    from api.storage.certificate_dates import month_ends
    from features.certifications import valid_codes
    from features.demo.summary import summarize
    from features.ingest import read_firms
    from features.plan import PLAN_STEPS

    notebook, facts = run("04_plan.ipynb")
    printed = " ".join(_printed(notebook).split())
    cli = _cnht_demo_output()
    n_firms, n_valid, as_of = facts["n_firms"], facts["n_valid_international"], facts["as_of"]
    # The very line `cnht demo` prints, with the same figures, in the notebook.
    line = (f"Valid international-standard certification on {as_of} / Có chứng chỉ tiêu chuẩn quốc tế còn hiệu lực: "
            f"{n_valid} of {n_firms} ({n_valid / n_firms:.0%}) — plan: {INTERNATIONAL_TARGET} of {FIRMS_TARGET}")
    assert line in cli, f"`cnht demo` printed {cli[:600]!r}"
    assert line in printed
    assert f"Firms / Doanh nghiệp: {n_firms} (plan / kế hoạch: {FIRMS_TARGET})" in cli
    summary = facts["summary"]
    assert (summary["plan_firms"], summary["plan_international"]) == (FIRMS_TARGET, INTERNATIONAL_TARGET) == (900, 400)
    assert summary["international_valid"] == n_valid and summary["margin"] == n_valid - INTERNATIONAL_TARGET
    # Sectors: summarize's table (the rule of GET /kpi), and each sector's counted firms within it.
    assert facts["by_sector_firms"] == summarize(ROOT / "data" / "demo").firms_by_sector.to_dict()
    assert all(0 <= c <= f for c, f in zip(facts["by_sector_counted"], facts["by_sector_firms"].values(), strict=True))
    # Over time: GET /kpi/progress's month-ends, today's point the headline, points recounted by valid_codes.
    today = dt.date.fromisoformat(as_of)
    progress = facts["progress"]
    recorded = [dt.date.fromisoformat(d) for d, _, kind in progress if kind == "recorded"]
    assert recorded == month_ends(today, 12)
    assert progress[len(recorded) - 1][1] == n_valid
    assert len(progress) == 24 and all(d > as_of for d, _, _ in progress[len(recorded):])
    texts = read_firms(ROOT / "data" / "demo" / "firms.csv").data.astype(object).fillna("")["certifications"]
    for day, counted, _ in (progress[0], progress[-1]):
        on = dt.date.fromisoformat(day)
        assert counted == sum(bool(valid_codes(t, as_of=on, international_only=True)) for t in texts), day
    # Closest to qualifying: every firm not counted, closest step first; the sample is its head.
    closest = facts["closest"]
    assert len(closest) == n_firms - n_valid and "counted" not in {s for _, s in closest}
    ranks = [PLAN_STEPS.index(s) for _, s in closest]
    assert ranks == sorted(ranks)
    assert facts["sample"] == [f for f, _ in closest[: facts["sample_size"]]]
    assert sum(summary["steps"].values()) == n_firms and summary["steps"]["counted"] == n_valid
    # best_upgrades' own columns, only upgrades that open a shortlist, the demand table sorted.
    assert facts["upgrade_columns"] == ["kind", "code", "label_vi", "label_en", "new_shortlists", "needs", "firm_id"]
    assert facts["upgrades_min_new_shortlists"] is None or facts["upgrades_min_new_shortlists"] >= 1
    assert facts["demand_new_shortlists"] == sorted(facts["demand_new_shortlists"], reverse=True)
