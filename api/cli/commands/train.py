"""``cnht train``: fit the outcome re-ranker before a split date, compare it after, save a version.

The data are the configured database's firms, buyers, needs and outcomes (``CNHT_DATABASE_URL``,
what ``cnht import`` and the API wrote) when no file is given, otherwise files (``--data
data/demo`` for the demo CSVs); the comparison is the protocol of
``cnht eval`` (:func:`matching.rerank.evaluate_reranker`). The version is written to the
models folder (``CNHT_MODELS_DIR``, default ``models/`` beside the database) and becomes the
active one only when it beats the hand-weighted matcher on held-out NDCG@k.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from features.demo import default_folder

DEMO_DIR = default_folder()
_TABLES = ("firms", "buyers", "needs", "outcomes")


def read_table(path: Path, kind: str):
    """A CSV or XLSX as text columns, empty cells None; a clear error when it is missing."""
    import pandas as pd

    if not path.exists():
        raise typer.BadParameter(f"{kind} file {path} does not exist; give --{kind} FILE, or generate the demo "
                                 "data with `cnht demo --generate`.", param_hint=f"--{kind}")
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = pd.read_excel(path, dtype=str)
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table.replace({"": None})


def database_tables() -> dict:
    """The firms, buyers, needs and outcomes of the configured database as ``cnht train`` reads
    files: firms in the import format (certificates as the text entered), buyers
    ``buyer_id, country, park_id``, needs as stored (confidential fields left out), every outcome
    event (``at`` in UTC)."""
    import pandas as pd
    from sqlalchemy import select

    from api.cli.database import database_session
    from api.ranking import buyers_frame, firms_frame, need_record, outcomes_frame
    from api.storage.models import Buyer, Firm, Need

    with database_session() as session:
        firms = firms_frame(list(session.scalars(select(Firm).order_by(Firm.firm_id))))
        buyers = buyers_frame(list(session.scalars(select(Buyer).order_by(Buyer.buyer_id))))
        needs = pd.DataFrame([need_record(need) for need in session.scalars(select(Need).order_by(Need.need_id))])
        outcomes = outcomes_frame(session)
    if firms.empty or needs.empty or outcomes.empty:
        empty = [kind for kind, table in (("firms", firms), ("needs", needs), ("outcomes", outcomes)) if table.empty]
        raise typer.BadParameter(
            f"Expected firms, needs and recorded outcomes in the database to learn from, got none for {empty}. "
            "Import them (cnht import ...) or record outcomes, or train on files: --data data/demo for the demo CSVs."
        )
    outcomes["at"] = outcomes["at"].map(lambda t: t.isoformat())  # as in the files, an ISO time with its offset
    return {"firms": firms, "buyers": buyers, "needs": needs, "outcomes": outcomes}


def code_version() -> str:
    """The package version, and the git commit when the code is a checkout."""
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("cnht-match")
    except PackageNotFoundError:
        package = "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).resolve().parent, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{package}+{commit}" if commit else package


def print_comparison(table, k: int, console) -> None:
    """The tables of ``cnht eval``: one column per model, all test needs then cold-start firms."""
    from api.cli.commands.eval import print_model_tables

    print_model_tables(table, console)


def train_command(
    data_dir: Annotated[Path | None, typer.Option("--data", help=f"Thư mục CSV / Folder with firms.csv, buyers.csv, needs.csv, outcomes.csv ({DEMO_DIR} for the synthetic demo data). Without it and without --firms/--needs/--outcomes/--buyers: the configured database (CNHT_DATABASE_URL).")] = None,
    firms: Annotated[Path | None, typer.Option("--firms", help="Doanh nghiệp / Firms file (CSV or XLSX) instead of the folder's.")] = None,
    needs: Annotated[Path | None, typer.Option("--needs", help="Nhu cầu / Needs file instead of the folder's.")] = None,
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Kết quả / Outcome events (need_id, firm_id, status, at) instead of the folder's.")] = None,
    buyers: Annotated[Path | None, typer.Option("--buyers", help="Bên mua / Buyers file instead of the folder's.")] = None,
    split_date: Annotated[str | None, typer.Option("--split-date", help="Học trước ngày này / Train on outcomes before this date (dd/mm/yyyy or yyyy-mm-dd), test after. Default: the last 25% of pairs are tested.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Độ dài danh sách / Length of each shortlist for the metrics.")] = 10,
    candidates: Annotated[int, typer.Option("--candidates", min=1, max=500, help="Số ứng viên / The matcher's top N re-ranked per need.")] = 50,
    buyer_history: Annotated[bool, typer.Option("--buyer-history/--no-buyer-history", help="Lịch sử bên mua / Also learn from each buyer's earlier outcomes (its reach, its taste for firms of its language or market). Off by default: it did not help on a validation period of the demo data. The service passes the buyers' history from the database to such a version.")] = False,
    activate: Annotated[bool, typer.Option("--activate/--no-activate", help="Kích hoạt nếu tốt hơn / Make the new version active when it beats the hand-weighted matcher on NDCG@k (default), or never.")] = True,
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Thư mục mô hình / Models folder (default CNHT_MODELS_DIR, or models/ beside the database).")] = None,
    weights_only: Annotated[bool, typer.Option("--weights-only", help="Chỉ tinh chỉnh trọng số / Tune the matcher's component weights on the training period instead (5-fold CV over its needs, matching.tuning.tune_weights), compare them with the default weights after the split and save them as a version of kind weights.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="In JSON / Print the result as JSON.")] = False,
) -> None:
    """Huấn luyện bộ xếp hạng lại từ kết quả / Train the re-ranker on recorded outcomes.

    Fits the hand-weighted matcher on the firms, takes its top N firms for each need with
    outcomes recorded before the split date, and fits a gradient-boosted model to the
    furthest stage each pair reached (order 4, audit 3, sample 2, meeting 1, others and
    rejected 0) from the component values, pair facts (buyer country and the firm's
    export markets and languages, distance band, size, sector) and the firm's outcome
    history before the need's date (counts; reply, no-reply and meetings-kept shares pulled
    toward the training period's market rates; with
    --buyer-history also the buyer's own earlier outcomes). Then compares it, on the needs after the split, with
    the hand-weighted matcher and the baselines (the metrics of `cnht eval`, all test
    needs and cold-start firms) and writes a version (model file + JSON metadata with its
    SHA-256) to the models folder. The demo outcomes are synthetic: figures on them check
    the plumbing, not quality.
    """
    from rich.console import Console

    from api.settings import get_settings
    from features.exceptions import CnhtError
    from matching.rerank import (
        ModelStore,
        OutcomeReranker,
        data_hash,
        evaluate_reranker,
        permutation_importance,
    )

    paths = {"firms": firms, "buyers": buyers, "needs": needs, "outcomes": outcomes}
    if data_dir is None and all(path is None for path in paths.values()):
        source = {"database": get_settings().database_url.split("@")[-1]}  # never a password
        tables = database_tables()
    else:
        folder = DEMO_DIR if data_dir is None else data_dir
        paths = {kind: path if path is not None else folder / f"{kind}.csv" for kind, path in paths.items()}
        source = {"files": {kind: str(path) for kind, path in paths.items()}}
        tables = {kind: read_table(paths[kind], kind) for kind in _TABLES}
    console = Console(stderr=as_json)
    if weights_only:
        _train_weights(tables, source, split_date=split_date, k=k, activate=activate, models_dir=models_dir,
                       as_json=as_json, console=console)
        return
    reranker = OutcomeReranker(n_candidates=candidates, buyer_history=buyer_history)
    with console.status("Training and comparing / Đang huấn luyện và so sánh..."):
        try:
            result = evaluate_reranker(tables["firms"], tables["needs"], tables["outcomes"], buyers=tables["buyers"],
                                       split_date=split_date, k=k, reranker=reranker)
        except CnhtError as exc:
            raise typer.BadParameter(str(exc)) from None
    split, fitted = result.split, result.reranker
    test_needs = tables["needs"][tables["needs"]["need_id"].isin(split.test_truth["need_id"])]
    with console.status("Permutation importance on the test period / Mức quan trọng theo nhóm..."):
        importance = permutation_importance(fitted, test_needs, split.test_truth, seen=split.seen, k=k)
    store = ModelStore(models_dir if models_dir is not None else get_settings().models_folder())
    previous = store.active()
    previous_metrics = None
    if previous is not None:
        try:
            previous_metrics = store.metadata(previous).get("metrics")
        except CnhtError:
            previous_metrics = None
    times = tables["outcomes"]["at"]
    metric = f"ndcg@{k}"
    metadata = {
        "kind": "outcome_reranker",
        "code_version": code_version(),
        "data": {
            "sha256": data_hash(tables),
            **source,
            "rows": {kind: len(table) for kind, table in tables.items()},
            "outcomes_from": str(min(times)), "outcomes_to": str(max(times)),
            "split_date": str(split.split_date.date()),
            "train_outcomes_from": fitted.outcome_range_[0], "train_outcomes_to": fitted.outcome_range_[1],
            "train_pairs": fitted.n_pairs_fit_, "train_needs": fitted.n_needs_fit_,
            "test_needs": int(split.test_truth["need_id"].nunique()), "test_relevant_pairs": len(split.test_truth),
        },
        "parameters": {name: value for name, value in fitted.get_params(deep=False).items() if name != "matcher"},
        "matcher_weights": fitted.matcher_.weights_,
        "feature_names": fitted.feature_names_,
        "k": k,
        "metrics": result.metrics(),
        # NDCG@k lost on the test period when each feature group is shuffled (largest first).
        "importance": importance.to_dict("records"),
        "beats_matcher": result.beats_matcher,
        "previous_version": previous,
        "previous_metrics": previous_metrics,
    }
    version = store.save(fitted, metadata)
    activated = activate and result.beats_matcher
    if activated:
        store.activate(version)
    gain = result.value("reranker", metric) / result.value("matcher", metric) - 1 if result.value("matcher", metric) else float("inf")
    if as_json:
        print(json.dumps({"version": version, "folder": str(store.folder), "activated": activated,
                          "active": store.active(), "ndcg_gain_over_matcher": gain,
                          **{key: metadata[key] for key in ("data", "metrics", "beats_matcher", "previous_version")}},
                         indent=2, ensure_ascii=False, default=str))
        return
    console.print(
        f"Split date / Ngày chia: [bold]{split.split_date.date()}[/] — trained on {fitted.n_pairs_fit_} candidate pairs "
        f"of {fitted.n_needs_fit_} needs (top {candidates} of the matcher), tested on "
        f"{split.test_truth['need_id'].nunique()} needs, {len(split.test_truth)} relevant test pairs."
    )
    print_comparison(result.table, k, console)
    console.print(f"What moved the ranking / Nhóm đặc trưng (NDCG@{k} lost when shuffled on the test period): "
                  + ", ".join(f"{row['group']} {row['drop']:+.3f}" for row in metadata["importance"]))
    verdict = "beats" if result.beats_matcher else "does NOT beat"
    console.print(f"Re-ranker {verdict} the hand-weighted matcher on {metric}: {result.value('reranker', metric):.3f} "
                  f"vs {result.value('matcher', metric):.3f} ({gain:+.1%}) / "
                  f"Bộ xếp hạng lại {'tốt hơn' if result.beats_matcher else 'KHÔNG tốt hơn'} bộ ghép nối thủ công.")
    console.print(f"Version / Phiên bản: [bold]{version}[/] in {store.folder}")
    if activated:
        console.print(f"Active / Đang dùng: {version}" + (f" (was {previous})" if previous else ""))
    else:
        reason = "--no-activate" if not activate else f"it does not beat the matcher on {metric}"
        console.print(f"Not activated ({reason}); active stays / Giữ phiên bản hiện tại: {previous or 'none (hand-weighted matcher)'}")


def _train_weights(tables: dict, source: dict, *, split_date, k: int, activate: bool, models_dir, as_json: bool,
                   console) -> None:
    """``cnht train --weights-only``: weights tuned on the outcomes before the split (each
    training need's furthest stage as its truth), compared after it, saved as a version."""
    from api.settings import get_settings
    from features.exceptions import CnhtError
    from matching import SupplierMatcher
    from matching.evaluation import temporal_split
    from matching.rerank import ModelStore, data_hash
    from matching.tuning import (
        component_values,
        evaluate_weights,
        save_weights_version,
        tune_weights,
    )

    firms, needs, outcomes, buyers = (tables[kind] for kind in ("firms", "needs", "outcomes", "buyers"))
    with console.status("Tuning the weights and comparing / Đang tinh chỉnh trọng số..."):
        try:
            split = temporal_split(outcomes, split_date=split_date)
            truth = split.train_pairs[split.train_pairs["relevance"] > 0][["need_id", "firm_id", "relevance"]]
            values = component_values(SupplierMatcher(), firms, needs[needs["need_id"].isin(truth["need_id"])])
            tuning = tune_weights(values, truth, folds=5, k=k)
            table = evaluate_weights(firms, needs, outcomes, tuning.weights, buyers=buyers,
                                     split_date=split.split_date, k=k)
        except CnhtError as exc:
            raise typer.BadParameter(str(exc)) from None
    store = ModelStore(models_dir if models_dir is not None else get_settings().models_folder())
    previous = store.active()
    extra = {
        "code_version": code_version(),
        "data": {**source, "sha256": data_hash(tables), "rows": {kind: len(t) for kind, t in tables.items()},
                 "split_date": str(split.split_date.date()), "train_needs": int(truth["need_id"].nunique()),
                 "test_needs": int(split.test_truth["need_id"].nunique())},
        "tuning": {"cv_ndcg": tuning.cv_ndcg, "cv_ndcg_default": tuning.cv_ndcg_base, "folds": 5,
                   "n_grid": tuning.n_grid, "search": tuning.search},
        "previous_version": previous,
    }
    version = save_weights_version(store, tuning.weights, metrics=table, k=k, extra=extra)
    meta = store.metadata(version)
    activated = activate and bool(meta["beats_matcher"])
    if activated:
        store.activate(version)
    metric = f"ndcg@{k}"
    tuned, default = meta["metrics"]["weights"]["all"][metric], meta["metrics"]["matcher"]["all"][metric]
    if as_json:
        print(json.dumps({"version": version, "folder": str(store.folder), "activated": activated,
                          "active": store.active(), "weights": meta["weights"], "metrics": meta["metrics"],
                          "beats_matcher": meta["beats_matcher"], "tuning": extra["tuning"], "data": extra["data"]},
                         indent=2, ensure_ascii=False, default=str))
        return
    console.print(f"Split date / Ngày chia: [bold]{split.split_date.date()}[/] — weights tuned on "
                  f"{extra['data']['train_needs']} training needs (5-fold CV {metric} {tuning.cv_ndcg:.3f} against "
                  f"{tuning.cv_ndcg_base:.3f} for the defaults), tested on {extra['data']['test_needs']} needs.")
    console.print("Weights / Trọng số: " + ", ".join(f"{name} {w:.3f}" for name, w in meta["weights"].items()))
    print_comparison(table, k, console)
    console.print(f"Tuned weights {'beat' if meta['beats_matcher'] else 'do NOT beat'} the default weights on "
                  f"{metric}: {tuned:.3f} vs {default:.3f}.")
    console.print(f"Version / Phiên bản: [bold]{version}[/] (kind weights) in {store.folder}")
    if activated:
        console.print(f"Active / Đang dùng: {version}" + (f" (was {previous})" if previous else ""))
    else:
        reason = "--no-activate" if not activate else f"they do not beat the default weights on {metric}"
        console.print(f"Not activated ({reason}); active stays / Giữ phiên bản hiện tại: {previous or 'none'}")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
