"""``cnht eval``: the matcher against every baseline.

Two sets: a labelled set of real firm texts and hand-judged needs (``--firms``, ``--needs``:
:mod:`matching.labelled`), which measures quality; or the demo outcomes with a temporal
split (:mod:`matching.protocol`), which are synthetic (the demo generator draws them from
the matcher's own signals) and check the plumbing, not quality.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from features.demo import default_folder

DEMO_DIR = default_folder()


def _load(path: Path, kind: str):
    import pandas as pd

    if not path.exists():
        raise typer.BadParameter(f"{kind} file {path} does not exist; generate the demo data with `cnht demo --generate`.")
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})


_METRIC_TITLES = {  # precision, recall and MRR count a grade >= 1 as relevant
    "ndcg": "NDCG@{k} (gain = grade 0..3 / mức liên quan)",
    "precision": "P@{k} (grade ≥ 1 in the first {k} / phù hợp trong {k} đầu)",
    "recall": "Recall@{k} (share found / tỷ lệ tìm thấy)",
    "mrr": "MRR@{k} (1 / first relevant position / vị trí phù hợp đầu tiên)",
}


def eval_command(
    data_dir: Annotated[Path, typer.Option("--data", help="Demo mode: folder with firms.csv, buyers.csv, needs.csv, outcomes.csv (synthetic outcomes).")] = DEMO_DIR,
    split_date: Annotated[
        str | None, typer.Option("--split-date", help="Demo mode: train before this date (dd/mm/yyyy or yyyy-mm-dd, day before month), test after. Default: leaves the last 25% of pairs for test.")
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Length of each shortlist (NDCG, recall, MRR; precision stays at 5 on a labelled set).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON instead.")] = False,
    firms: Annotated[Path | None, typer.Option("--firms", help="Labelled set: CSV/XLSX of firms with at least firm_id (your own IDs), name, description; other columns are ignored with a note.")] = None,
    needs: Annotated[Path | None, typer.Option("--needs", help='Labelled set: needs judged 0..3 per firm, JSON {"queries": [{"id", "lang", "text", "rel": {firm_id: grade}}]} or CSV need_id,lang,text,rel with rel "firm_id:grade; firm_id:grade".')] = None,
    models: Annotated[list[str] | None, typer.Option("--model", help="Labelled set: only these models (repeat the option): matcher, bm25, tfidf_words, tfidf_char, random.")] = None,
    tune: Annotated[bool, typer.Option("--tune", help="Labelled set: tune the matcher's weights by cross-validation over needs and print the held-out NDCG against the current weights on the same folds, and the weights to use. Writes nothing.")] = False,
    folds: Annotated[int, typer.Option("--folds", min=2, help="With --tune: folds over needs.")] = 5,
) -> None:
    """Đánh giá mô hình / Evaluate the matcher against the baselines.

    Labelled set (measures quality): `cnht eval --firms firms.csv --needs needs.json`
    fits the matcher and the text baselines (BM25 on accent-folded tokens, TF-IDF on
    words, TF-IDF on character 3–5-grams of folded text, a random order) on the firms in
    one run and prints NDCG@10 (graded gain), P@5, recall@10 and MRR overall and per
    language (the needs' `lang`).

    Demo outcomes (synthetic: the demo generator draws them from the matcher's own
    signals, so this checks the plumbing, not quality): plain `cnht eval`. Every model is
    fitted on the firms and on outcomes recorded before the split date, ranks all firms
    for each need with a relevant outcome after it (pairs shortlisted before the split are
    not counted), and is scored with precision, recall, NDCG, MAP and MRR at k, catalogue
    coverage and exposure Gini, on all test needs and on cold-start firms.

    Weights (`--tune`, labelled set only): the matcher is fitted once, every firm's
    component values kept, and a grid of weights around the current ones (text,
    concepts, process, material and certificate fit) searched on the training needs of
    each fold; the table gives each fold's held-out NDCG@k for the tuned and the current
    weights. Nothing is written: copy the weights into the code if the gain holds.
    """
    if tune and (firms is None or needs is None):
        raise typer.BadParameter("--tune needs a labelled set: --firms FILE and --needs FILE.", param_hint="--tune")
    if firms is not None or needs is not None:
        if firms is None or needs is None:
            raise typer.BadParameter(
                "a labelled set needs both --firms FILE and --needs FILE; without them `cnht eval` "
                "scores the synthetic demo outcomes.", param_hint="--firms/--needs"
            )
        if split_date is not None:
            raise typer.BadParameter("--split-date applies to the demo outcomes, not to a labelled set.",
                                     param_hint="--split-date")
        if tune:
            if models:
                raise typer.BadParameter("--model compares models; --tune tunes the matcher alone. Give one of them.",
                                         param_hint="--model")
            _tune_labelled(firms, needs, k, folds, as_json)
            return
        _eval_labelled(firms, needs, k, as_json, models)
        return
    if folds != 5:
        raise typer.BadParameter("--folds applies with --tune on a labelled set.", param_hint="--folds")
    if models:
        raise typer.BadParameter("--model applies to a labelled set (--firms, --needs).", param_hint="--model")
    _eval_demo(data_dir, split_date, k, as_json)


def _eval_labelled(firms_path: Path, needs_path: Path, k: int, as_json: bool, only: list[str] | None) -> None:
    import math

    from rich.console import Console
    from rich.table import Table

    from api.cli.commands.match import load_adhoc_firms
    from features.exceptions import CnhtError
    from matching.labelled import (
        LabelledSetError,
        evaluate_labelled,
        labelled_models,
        read_labelled_needs,
    )

    console = Console()
    available = labelled_models()
    if only:
        unknown = [m for m in only if m not in available]
        if unknown:
            raise typer.BadParameter(f"unknown model(s) {unknown}; choose among {', '.join(available)}.",
                                     param_hint="--model")
        available = {name: model for name, model in available.items() if name in only}
    try:
        needs, truth = read_labelled_needs(needs_path)
    except LabelledSetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--needs") from None
    firms = load_adhoc_firms(firms_path)
    step = ["reading"]  # the step under way, so an error from inside a model says which

    def progress(message: str) -> None:
        step[0] = message
        status.update(f"{message} / Đang chạy mô hình...")

    with console.status("Fitting and ranking / Đang chạy mô hình...") as status:
        try:
            table = evaluate_labelled(available, firms, needs, truth, k=k, progress=progress)
        except LabelledSetError as exc:
            raise typer.BadParameter(str(exc), param_hint="--needs") from None
        except CnhtError as exc:
            raise typer.BadParameter(f"while {step[0]}: {exc}", param_hint="--firms") from None
    relevant = truth[truth["relevance"] >= 1]
    unscored = sorted(set(needs["need_id"]) - set(relevant["need_id"]))
    if as_json:
        rows = [{key: (None if isinstance(v, float) and math.isnan(v) else v) for key, v in row.items()}
                for row in table.to_dict("records")]
        print(json.dumps({
            "firms": str(firms_path), "needs": str(needs_path), "n_firms": len(firms), "n_needs": len(needs),
            "judged_pairs": len(truth), "relevant_pairs": len(relevant), "k": k,
            "unscored_needs": unscored, "rows": rows,
        }, indent=2, ensure_ascii=False))
        return
    langs = ", ".join(f"{lang} {n}" for lang, n in needs["lang"].value_counts(sort=False).items())
    console.print(
        f"Labelled set / Bộ dữ liệu gán nhãn: [bold]{len(firms)}[/] firms ({firms_path}), "
        f"[bold]{len(needs)}[/] needs ({needs_path}; {langs}), {len(relevant)} judged relevant pairs "
        f"(grade ≥ 1) of {len(truth)} judged."
    )
    if unscored:
        console.print(f"Not scored (no firm of grade ≥ 1) / Không chấm được: {', '.join(unscored)}")
    model_names = list(table["model"].drop_duplicates())
    for metric in table["metric"].drop_duplicates():
        part = table[table["metric"] == metric]
        family, _, cut = metric.partition("@")
        out = Table(title=_METRIC_TITLES[family].format(k=cut or k))
        out.add_column("slice / nhóm")
        out.add_column("needs", justify="right")
        for model in model_names:
            out.add_column(model, justify="right")
        for slice_name, rows in part.groupby("slice", sort=False):
            values = rows.set_index("model")["value"].reindex(model_names)
            best = values.max()
            cells = ["–" if math.isnan(v) else f"[bold]{v:.3f}[/]" if v == best else f"{v:.3f}" for v in values]
            out.add_row(slice_name, str(int(rows["needs"].iloc[0])), *cells)
        console.print(out)


def _tune_labelled(firms_path: Path, needs_path: Path, k: int, folds: int, as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from api.cli.commands.match import load_adhoc_firms
    from features.exceptions import CnhtError
    from matching.labelled import LabelledSetError, check_judged_firms, read_labelled_needs
    from matching.matcher import DEFAULT_WEIGHTS, SupplierMatcher
    from matching.tuning import component_values, tune_weights

    console = Console()
    try:
        needs, truth = read_labelled_needs(needs_path)
    except LabelledSetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--needs") from None
    firms = load_adhoc_firms(firms_path)
    try:
        check_judged_firms(truth, firms["firm_id"])
    except LabelledSetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--needs") from None
    with console.status("Fitting once and searching weights / Đang dò trọng số..."):
        try:
            # As in the labelled report: a labelled set has no plants to geocode.
            values = component_values(SupplierMatcher(geocode=False), firms, needs)
            result = tune_weights(values, truth, folds=folds, k=k)
        except CnhtError as exc:
            raise typer.BadParameter(str(exc), param_hint="--folds" if "folds" in str(exc) else "--needs") from None
    names = list(result.weights)
    current = {n: float(DEFAULT_WEIGHTS.get(n, 0.0)) for n in names}
    if as_json:
        print(json.dumps({
            "firms": str(firms_path), "needs": str(needs_path), "n_firms": len(firms), "n_needs": len(needs),
            "k": k, "folds": folds, "grid_points": result.n_grid, "search": result.search,
            "cv_ndcg": result.cv_ndcg, "cv_ndcg_current": result.cv_ndcg_base,
            "cv_gain": result.cv_ndcg - result.cv_ndcg_base,
            "per_fold": [{**row, "weights": weights} for row, weights
                         in zip(result.folds.to_dict("records"), result.fold_weights, strict=True)],
            "held_out": result.held_out.to_dict("records"),
            "current_weights": current, "weights": result.weights,
        }, indent=2, ensure_ascii=False))
        return
    console.print(
        f"Weight tuning / Dò trọng số: {len(firms)} firms ({firms_path}), {len(result.held_out)} scored needs "
        f"({needs_path}), {folds}-fold cross-validation over needs, {result.n_grid} grid points ({result.search})."
    )
    table = Table(title=f"Held-out NDCG@{k} / NDCG@{k} trên nhu cầu để riêng")
    for column in ("fold", "train needs", "held-out needs", "train (tuned)", "held-out tuned", "held-out current",
                   "gain"):
        table.add_column(column, justify="right")
    for row in result.folds.itertuples(index=False):
        table.add_row(str(row.fold), str(row.n_train), str(row.n_test), f"{row.train_ndcg:.3f}",
                      f"{row.test_ndcg:.3f}", f"{row.test_ndcg_base:.3f}", f"{row.test_ndcg - row.test_ndcg_base:+.3f}")
    table.add_row("all", "", str(len(result.held_out)), "", f"[bold]{result.cv_ndcg:.3f}[/]",
                  f"[bold]{result.cv_ndcg_base:.3f}[/]", f"[bold]{result.cv_ndcg - result.cv_ndcg_base:+.3f}[/]")
    console.print(table)
    weights = Table(title="Weights (sum 1) / Trọng số (tổng 1)")
    weights.add_column("component", no_wrap=True)
    for column in ("current", "tuned (all needs)", *(f"fold {i}" for i in range(1, len(result.fold_weights) + 1))):
        weights.add_column(column, justify="right")
    for name in names:
        weights.add_row(name, f"{current[name]:.3f}", f"[bold]{result.weights[name]:.3f}[/]",
                        *(f"{w[name]:.3f}" for w in result.fold_weights))
    console.print(weights)
    console.print(
        "Nothing was written. The current weights were set on labelled needs too; if they are among these, their "
        "held-out figure is optimistic. Change DEFAULT_WEIGHTS only when the gain holds on needs not used here."
    )


def _eval_demo(data_dir: Path, split_date: str | None, k: int, as_json: bool) -> None:
    from rich.console import Console

    from matching import SupplierMatcher
    from matching.protocol import default_models, evaluate_models, relative_gain

    console = Console()
    firms = _load(data_dir / "firms.csv", "firms")
    buyers = _load(data_dir / "buyers.csv", "buyers")
    needs = _load(data_dir / "needs.csv", "needs")
    outcomes = _load(data_dir / "outcomes.csv", "outcomes")
    models = {"matcher": SupplierMatcher(), **default_models()}
    from features.exceptions import CnhtError

    with console.status("Fitting and ranking / Đang chạy mô hình..."):
        try:
            table, split = evaluate_models(models, firms, needs, outcomes, buyers=buyers, split_date=split_date, k=k)
        except CnhtError as exc:
            raise typer.BadParameter(str(exc)) from exc
    gains = {m: relative_gain(table, "matcher", m) for m in (f"ndcg@{k}", f"recall@{k}")}
    if as_json:
        print(json.dumps({"split_date": str(split.split_date.date()), "k": k, "rows": table.to_dict("records"), "matcher_gain_over_best_baseline": gains}, indent=2))
        return
    console.print(
        f"Split date / Ngày chia: [bold]{split.split_date.date()}[/] — train {len(split.train_pairs)} pairs, "
        f"test {len(split.test_pairs)} pairs, {split.test_truth['need_id'].nunique()} test needs, "
        f"{len(split.test_truth)} relevant test pairs (meeting or beyond, not rejected)."
    )
    print_model_tables(table, console)
    for metric, gain in gains.items():
        console.print(f"matcher vs best baseline on {metric}: [bold]{gain:+.1%}[/]")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def print_model_tables(table, console) -> None:
    """One table per slice (all test needs, then cold-start firms), one column per model, the
    best figure of each metric in bold: ``cnht eval`` on outcomes and ``cnht train``."""
    from rich.table import Table

    for slice_name, title in (("all", "All test needs / Mọi nhu cầu kiểm tra"),
                              ("cold_start", "Cold-start firms / Doanh nghiệp chưa có lịch sử")):
        part = table[table["slice"] == slice_name].set_index("model").drop(columns="slice")
        out = Table(title=f"{title} — {int(part['needs'].iloc[0])} needs")
        out.add_column("metric")
        for model in part.index:
            out.add_column(model, justify="right")
        metrics = part.columns.drop("needs")
        if slice_name != "all":  # coverage and exposure describe whole lists, not a slice of the truth
            metrics = [m for m in metrics if not m.startswith(("coverage", "exposure"))]
        for metric in metrics:
            values = part[metric]
            best = values.max() if not metric.startswith("exposure_gini") else values.min()
            out.add_row(metric, *[f"[bold]{v:.3f}[/]" if v == best else f"{v:.3f}" for v in values])
        console.print(out)
