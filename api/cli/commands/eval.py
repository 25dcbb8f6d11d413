"""``cnht eval``: the matcher against every baseline, on recorded outcomes, with a temporal split."""

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


def eval_command(
    data_dir: Annotated[Path, typer.Option("--data", help="Folder with firms.csv, buyers.csv, needs.csv, outcomes.csv.")] = DEMO_DIR,
    split_date: Annotated[
        str | None, typer.Option("--split-date", help="Train before this date (yyyy-mm-dd), test after. Default: leaves the last 25% of pairs for test.")
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Length of each shortlist.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON instead.")] = False,
) -> None:
    """Đánh giá mô hình / Evaluate the matcher against random, popularity, BM25 and TF-IDF.

    Every model is fitted on the firms and on outcomes recorded before the split date, ranks
    all firms for each need with a relevant outcome after it (pairs shortlisted before the
    split are not counted), and is scored with precision, recall, NDCG, MAP and MRR at k,
    catalogue coverage and exposure Gini, on all test needs and on cold-start firms.
    """
    from rich.console import Console
    from rich.table import Table

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
    for slice_name, title in (("all", "All test needs / Mọi nhu cầu kiểm tra"), ("cold_start", "Cold-start firms / Doanh nghiệp chưa có lịch sử")):
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
    for metric, gain in gains.items():
        console.print(f"matcher vs best baseline on {metric}: [bold]{gain:+.1%}[/]")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
