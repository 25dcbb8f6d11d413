"""``cnht models``: the trained model versions of the models folder (list, show, activate, rollback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

models_app = typer.Typer(
    name="models",
    help="Phiên bản mô hình / Trained model versions: list, show, activate, rollback.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

FolderOption = Annotated[
    Path | None,
    typer.Option("--models-dir", help="Thư mục mô hình / Models folder (default CNHT_MODELS_DIR, or models/ beside the database)."),
]


def _store(folder: Path | None):
    from api.settings import get_settings
    from matching.rerank import ModelStore

    return ModelStore(folder if folder is not None else get_settings().models_folder())


def _ndcg(meta: dict, model: str, slice_name: str = "all") -> str:
    k = meta.get("k", 10)
    value = (meta.get("metrics") or {}).get(model, {}).get(slice_name, {}).get(f"ndcg@{k}")
    return "–" if value is None else f"{value:.3f}"


@models_app.command("list")
def list_command(models_dir: FolderOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="In JSON / Print JSON.")] = False) -> None:
    """Danh sách phiên bản / List the versions, oldest first; * marks the active one."""
    from rich.console import Console
    from rich.table import Table

    store = _store(models_dir)
    versions, active = store.versions(), store.active()
    if as_json:
        print(json.dumps({"folder": str(store.folder), "active": active,
                          "versions": [{key: m.get(key) for key in ("version", "created", "kind", "beats_matcher")}
                                       for m in versions]}, indent=2))
        return
    console = Console()
    if not versions:
        console.print(f"No model version in {store.folder} / Chưa có phiên bản nào. Train one with `cnht train`.")
        return
    table = Table(title=f"Model versions / Phiên bản mô hình — {store.folder}")
    for column in ("", "version", "kind", "created", "split date", "NDCG version", "NDCG matcher",
                   "cold-start version", "cold-start matcher"):
        table.add_column(column)
    for meta in versions:
        # A weights version's own figures are under "weights", a re-ranker's under "reranker".
        own = "weights" if meta.get("kind") == "weights" else "reranker"
        table.add_row("*" if meta["version"] == active else "", meta["version"], str(meta.get("kind", "")),
                      str(meta.get("created", "")), str((meta.get("data") or {}).get("split_date", "")),
                      _ndcg(meta, own), _ndcg(meta, "matcher"), _ndcg(meta, own, "cold_start"),
                      _ndcg(meta, "matcher", "cold_start"))
    console.print(table)
    if active is None:
        console.print("No active version: the service uses the hand-weighted matcher / Chưa kích hoạt phiên bản nào.")


@models_app.command("show")
def show_command(version: Annotated[str, typer.Argument(help="Mã phiên bản / Version id (see `cnht models list`).")],
                 models_dir: FolderOption = None) -> None:
    """Xem một phiên bản / Print a version's metadata (JSON), after checking its file's hash.

    A re-ranker's ``importance``: per feature group, the NDCG@k lost on the test period when
    its columns are shuffled (largest first); a weights version's ``weights`` and metrics.
    """
    from matching.rerank import ModelIntegrityError, ModelVersionError

    store = _store(models_dir)
    try:
        meta = store.metadata(version)
    except ModelVersionError as exc:
        raise typer.BadParameter(str(exc), param_hint="VERSION") from None
    try:
        store.verify(version)
        meta["model_file_ok"] = True
    except ModelIntegrityError as exc:
        meta["model_file_ok"] = False
        meta["model_file_error"] = str(exc)
    meta["active"] = store.active() == version
    print(json.dumps(meta, indent=2, ensure_ascii=False))


@models_app.command("activate")
def activate_command(version: Annotated[str, typer.Argument(help="Mã phiên bản / Version id (see `cnht models list`).")],
                     models_dir: FolderOption = None) -> None:
    """Kích hoạt phiên bản / Make a version the active one (its model file must match its recorded SHA-256)."""
    from matching.rerank import ModelIntegrityError, ModelVersionError

    store = _store(models_dir)
    previous = store.active()
    try:
        store.activate(version)
    except (ModelVersionError, ModelIntegrityError) as exc:
        raise typer.BadParameter(str(exc), param_hint="VERSION") from None
    typer.echo(f"Đang dùng / Active: {version}" + (f" (trước đó / was {previous})" if previous else ""))


@models_app.command("rollback")
def rollback_command(models_dir: FolderOption = None) -> None:
    """Quay lại phiên bản trước / Return to the version active before the current one."""
    from matching.rerank import ModelVersionError

    store = _store(models_dir)
    current = store.active()
    try:
        previous = store.rollback()
    except ModelVersionError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"Đang dùng / Active: {previous} (thay cho / instead of {current})")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
