"""The demo generator: determinism, committed output, plan figures, legal event logs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.columns import (
    BUYER_COLUMNS,
    FIRM_COLUMNS,
    NEED_COLUMNS,
    OUTCOME_COLUMNS,
    OUTCOME_PATH,
    VI_HEADERS,
    template_help,
)
from features.demo import DEFAULT_SEED, N_FIRMS, REFERENCE_DATE, generate
from features.demo.render import mst_check_digit
from features.demo.summary import DemoFilesMissingError, summarize

COMMITTED = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("demo_a")
    second = tmp_path_factory.mktemp("demo_b")
    generate(seed=DEFAULT_SEED, out=first)
    generate(seed=DEFAULT_SEED, out=second)
    return first, second


@pytest.fixture(scope="module")
def data():
    return generate(seed=DEFAULT_SEED)


NOT_GENERATED = {"event_demo.json", "support_round_demo.json"}


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_same_seed_gives_identical_bytes_for_every_file(two_runs):
    first, second = two_runs
    names = _files(first)
    assert names == _files(second)
    assert {"firms.xlsx", "templates/needs_template.xlsx", "truth/firm_truth.csv"} <= set(names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_different_seed_differs(two_runs, tmp_path):
    generate(seed=7, out=tmp_path)
    first, _ = two_runs
    for name in ("firms.csv", "needs.csv", "outcomes.csv", "firms.xlsx"):
        assert (first / name).read_bytes() != (tmp_path / name).read_bytes(), name


def test_committed_files_are_the_generator_output(two_runs):
    fresh, _ = two_runs
    if not COMMITTED.is_dir():
        pytest.fail(f"{COMMITTED} is missing: run `cnht demo --generate` and commit data/demo/")
    # The demo event is built from the generated tables by the event benchmark
    # (benchmarks/bench_events.py --write-demo) and checked by tests/matching/test_events.py.
    assert sorted(set(_files(COMMITTED)) - NOT_GENERATED) == _files(fresh)
    for name in _files(fresh):
        assert (COMMITTED / name).read_bytes() == (fresh / name).read_bytes(), (
            f"data/demo/{name} differs from a fresh generation: run `cnht demo --generate`"
        )


def test_csv_headers_line_ends_and_xlsx_vietnamese_headers(two_runs):
    from openpyxl import load_workbook

    folder, _ = two_runs
    for table, columns in (("firms", FIRM_COLUMNS), ("buyers", BUYER_COLUMNS), ("needs", NEED_COLUMNS), ("outcomes", OUTCOME_COLUMNS)):
        raw = (folder / f"{table}.csv").read_bytes()
        assert b"\r\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")
        assert raw.split(b"\n", 1)[0].decode() == ",".join(columns)
        sheet = load_workbook(folder / f"{table}.xlsx", read_only=True).active
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert list(header) == [VI_HEADERS[c] for c in columns]
        template = load_workbook(folder / "templates" / f"{table}_template.xlsx").active
        rows = list(template.iter_rows(values_only=True))
        assert [list(r) for r in rows] == [[VI_HEADERS[c] for c in columns], list(columns),
                                           [template_help(table, c) for c in columns]]  # fmt: skip
        # What to type: Vietnamese first, the English description on the line below.
        assert all(help_text.split("\n")[-1] == columns[c] and "\n" in help_text
                   for c, help_text in zip(columns, rows[2], strict=True))  # fmt: skip


def test_counts_of_the_plan(data):
    firms = data.firms
    ids = firms["firm_id"]
    assert ids.is_unique
    originals = ids[ids.str[1:].astype(int) <= N_FIRMS]
    assert list(originals) == [f"F{i:04d}" for i in range(1, N_FIRMS + 1)]
    assert 5 <= len(firms) - N_FIRMS <= 8
    assert list(data.buyers["buyer_id"]) == [f"B{i:03d}" for i in range(1, 41)]
    assert data.buyers["name"].str.startswith("[DEMO]").all() and data.buyers["is_demo"].all()
    assert list(data.needs["need_id"]) == [f"N-{i:04d}" for i in range(1, 251)]
    pairs = data.outcomes[["need_id", "firm_id"]].drop_duplicates()
    assert len(pairs) == 3000
    assert pairs["firm_id"].isin(originals).all()


def test_duplicates_are_the_kinds_ingestion_must_report(data):
    firms = data.firms.set_index("firm_id")
    truth = data.firm_truth.set_index("firm_id")
    dups = truth[truth["duplicate_of"] != ""]
    assert len(dups) == len(data.firms) - N_FIRMS
    same_tax = same_name = 0
    for dup_id, row in dups.iterrows():
        original = firms.loc[row["duplicate_of"]]
        same_tax += firms.loc[dup_id, "tax_code"] == original["tax_code"] and firms.loc[dup_id, "name"] != original["name"]
        same_name += firms.loc[dup_id, "name"] == original["name"] and firms.loc[dup_id, "address"] == original["address"]
    assert same_tax >= 3 and same_name >= 1


def test_tax_codes_mostly_valid_with_a_few_broken(data):
    from stdnum.vn import mst

    codes = data.firms["tax_code"][data.firms["tax_code"] != ""]
    valid = codes.map(mst.is_valid)
    assert 1 <= (~valid).sum() <= 8
    assert codes[valid].str.len().isin([10, 14]).all()
    assert codes.str.contains("-").sum() >= 10  # branch codes
    assert mst_check_digit("010023348") == "8"  # stdnum's doctest number 0100233488


def test_about_400_valid_international_in_truth(data):
    truth = data.firm_truth[data.firm_truth["duplicate_of"] == ""]
    assert 395 <= truth["valid_international"].sum() <= 410
    # expired and superseded certificates exist among the others
    kinds = truth["certifications"].str.split(";").explode().str.split("|").str[1]
    assert {"expired", "superseded", "mark"} <= set(kinds.dropna())


def test_parsed_certifications_agree_with_truth(data):
    from features.certifications import valid_codes

    firms = data.firms.iloc[:N_FIRMS]
    parsed = firms["certifications"].map(
        lambda text: bool(valid_codes(text, as_of=REFERENCE_DATE, international_only=True))
    )
    truth = data.firm_truth.iloc[:N_FIRMS]["valid_international"]
    assert abs(int(parsed.sum()) - int(truth.sum())) <= 15


# Taxonomy processes the demo generator does not draw (features.demo.phrases.SECTOR_PROCESSES):
# the general parents (a firm's truth names the finer trade; the parent is implied) and the
# processes added after the committed demo was generated. Adding one to the generator means
# regenerating data/demo and its truth, which many tests read; until then it is listed here.
PROCESSES_NOT_IN_DEMO = {
    "casting", "surface_treatment", "inspection_testing", "printing",
    "thermoforming", "metal_spinning", "powder_metallurgy", "prototyping",
}


def test_every_process_code_appears_in_some_firm(data):
    from features.demo.phrases import PROCESS_PHRASES, SECTOR_PROCESSES
    from features.taxonomy import load_taxonomy

    codes = {t.code for t in load_taxonomy().terms("process")}
    drawn = {code for sector in SECTOR_PROCESSES.values() for code in sector}
    held = set(data.firm_truth["processes"].str.split(";").explode())
    assert len(drawn) == 48
    # Every process the generator draws is a taxonomy code with phrases to write it ...
    assert drawn <= codes and drawn <= set(PROCESS_PHRASES)
    # ... and held by some firm; firms hold nothing else.
    assert held == drawn
    # A new taxonomy process is either drawn by the demo or listed as not drawn.
    assert codes - drawn == PROCESSES_NOT_IN_DEMO


def test_messy_text_is_really_there(data):
    import unicodedata

    text = data.firms["description"]
    assert (text == "").sum() >= 5
    assert text.map(lambda s: s != unicodedata.normalize("NFC", s)).sum() >= 20  # NFD
    assert text.str.contains("\u200b").sum() >= 5
    assert text.str.contains("[\u3040-\u30ff\u4e00-\u9fff]").sum() >= 10
    assert text.str.contains(r"\bSX\b").sum() >= 10
    assert text.str.contains("hoá|hoà").sum() >= 3
    certs = data.firms["certifications"]
    assert certs.str.contains("hết hạn").sum() >= 10 and certs.str.contains("2008").sum() >= 10


def test_outcome_sequences_are_legal(data):
    events = data.outcomes.assign(at=pd.to_datetime(data.outcomes["at"], utc=True))
    created = data.needs.set_index("need_id")["created"].map(date.fromisoformat)
    for (need_id, _firm_id), group in events.groupby(["need_id", "firm_id"], sort=False):
        group = group.sort_values("at", kind="stable")
        statuses = list(group["status"])
        forward = [s for s in statuses if s != "rejected"]
        assert forward == list(OUTCOME_PATH[: len(forward)]), statuses
        if "rejected" in statuses:
            assert statuses[-1] == "rejected" and statuses.count("rejected") == 1
            assert group["reason"].iloc[-1] != ""
        assert group["at"].is_monotonic_increasing and group["at"].is_unique
        assert group["at"].iloc[0].date() >= created[need_id]


def test_affinity_is_real(data):
    pairs = data.pair_truth
    mean = pairs.groupby("final_status")["affinity"].mean()
    assert mean["order"] > mean["rejected"] + 0.5
    missing = pairs[~pairs["mandatory_ok"]]
    assert (missing["final_status"] == "order").mean() < 0.05
    assert 0.03 < (pairs["final_status"] == "order").mean() < 0.3


def test_the_hidden_behaviours_show_in_the_outcomes(data):
    # What the matcher cannot see must move outcomes enough for a model to learn it (with the
    # weights before 2026-11-30 the reach and the responsiveness checks failed).
    pairs = data.pair_truth
    replied = pairs["final_status"].ne("suggested") & ~(
        pairs["final_status"].eq("rejected") & pairs["reason"].str.contains("no response"))
    assert replied[pairs["responsiveness"] < -1].mean() < 0.45
    assert replied[pairs["responsiveness"] > 1].mean() > 0.9
    met = pairs["final_status"].isin(["meeting", "sample", "audit", "order"])
    short_reach = pairs["km_scale"] <= 25.0
    near, far = short_reach & (pairs["km"] < 12), short_reach & (pairs["km"] > 30)
    assert met[near].mean() > met[far].mean() + 0.04
    home = pairs["same_country"] & pairs["speaks_language"]
    keen = pairs["home_weight"] > 0.7
    assert met[home & keen].mean() > met[~home & keen].mean() + 0.1


def test_needs_spread_and_status(data):
    needs = data.needs
    created = pd.to_datetime(needs["created"])
    assert created.min() >= pd.Timestamp("2024-11-01") and created.max() <= pd.Timestamp("2026-10-31")
    recent = created > pd.Timestamp("2026-07-01")
    assert (needs.loc[recent, "status"] == "open").mean() > 0.6
    assert (needs.loc[~recent, "status"] == "closed").mean() > 0.8


def test_summary_from_files_and_cli(two_runs):
    from api.cli import app

    folder, _ = two_runs
    summary = summarize(folder, as_of=REFERENCE_DATE)
    assert summary.n_unique_firm_ids == summary.n_firm_rows
    assert summary.n_firms == 900 and summary.n_firm_rows - summary.n_duplicates == 900
    assert 385 <= summary.n_valid_international <= 425
    assert summary.buyers_by_country.sum() == 40
    assert summary.outcomes_by_final_status.sum() == 3000
    result = CliRunner().invoke(app, ["demo", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert "400 of 900" in result.output and "mechanical" in result.output


def test_summary_names_the_missing_file(tmp_path):
    with pytest.raises(DemoFilesMissingError, match="Expected firms.csv"):
        summarize(tmp_path)
