"""`cnht import ... --dry-run` writes its problems where the user asks, never into data/ (issue 9).

The README's own `cnht import firms data/demo/firms.xlsx --dry-run` wrote
data/demo/firms.rejects.csv, after which a test of the committed demo files failed.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.cli.commands.importing import default_rejects_path

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
runner = CliRunner()


def test_dry_run_on_the_committed_demo_file_writes_nothing_into_data(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    beside = DEMO / "buyers.rejects.csv"
    existed = beside.exists()
    try:
        result = runner.invoke(app, ["import", "buyers", str(DEMO / "buyers.csv"), "--dry-run", "--lang", "en"],
                               env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        assert not beside.exists() or existed
        written = tmp_path / "cnht-rejects" / "buyers.rejects.csv"
        assert written.is_file() and str(written) in " ".join(result.output.split())
    finally:
        if beside.exists() and not existed:
            beside.unlink()


def test_rejects_go_where_the_user_asks_and_beside_other_files_by_default(tmp_path):
    source = tmp_path / "in" / "buyers.csv"
    source.parent.mkdir()
    source.write_bytes((DEMO / "buyers.csv").read_bytes())
    assert default_rejects_path(source) == tmp_path / "in" / "buyers.rejects.csv"
    asked = tmp_path / "reports" / "problems.csv"
    result = runner.invoke(app, ["import", "buyers", str(source), "--dry-run", "--rejects", str(asked)])
    assert result.exit_code == 0, result.output
    assert asked.is_file() and not (tmp_path / "in" / "buyers.rejects.csv").exists()
