"""The embedded demo dataset: a deterministic generator and its committed output.

>>> data = generate(seed=2025)
>>> len(data.buyers), len(data.needs), data.outcomes[["need_id", "firm_id"]].drop_duplicates().shape[0]
(40, 250, 3000)

See :mod:`features.demo.generator` (firms, calibration on the ISO Survey) and
:mod:`features.demo.market` (buyers, needs, the hidden affinity behind the outcomes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.columns import BUYER_COLUMNS, FIRM_COLUMNS, NEED_COLUMNS, OUTCOME_COLUMNS
from features.demo.files import fixed_timestamp, write_csv, write_template, write_xlsx
from features.demo.generator import (
    N_FIRMS,
    N_VALID_INTERNATIONAL,
    REFERENCE_DATE,
    draw_firms,
    duplicate_rows,
)
from features.demo.market import draw_buyers, draw_needs, draw_outcomes
from features.demo.support import SUPPORT_SEED_SALT, draw_support_programme

__all__ = [
    "default_folder",
    "DemoData",
    "generate",
    "DEFAULT_SEED",
    "TABLES",
    "REFERENCE_DATE",
    "N_FIRMS",
    "N_VALID_INTERNATIONAL",
]

DEFAULT_SEED = 2025


def default_folder() -> Path:
    """Where the embedded demo data is: ``data/demo`` of the working folder when it holds
    the tables, else ``data/demo`` of the repository this package runs from (a checkout
    or an editable install), else ``data/demo`` (which then does not exist yet)."""
    here = Path("data") / "demo"
    if (here / "firms.csv").is_file():
        return here
    repository = Path(__file__).resolve().parents[2] / "data" / "demo"
    if (repository / "firms.csv").is_file():
        return repository
    return here
TABLES: dict[str, dict[str, str]] = {
    "firms": FIRM_COLUMNS,
    "buyers": BUYER_COLUMNS,
    "needs": NEED_COLUMNS,
    "outcomes": OUTCOME_COLUMNS,
}
_TRUTH_README = """# Hidden state of the demo generator

The generator's hidden state, for measuring whether the feature pipeline and the models
rediscover it. The matcher, `cnht train`, `cnht eval` and the service never read these files.

- `firm_truth.csv`: per firm row, the true sectors, processes, materials and certification
  intervals (the text may say otherwise), coordinates, monthly capacity, the countries it
  serves, and `responsiveness` (standard normal): how readily it replies to a buyer and keeps
  a meeting. Responsiveness shows nowhere in the firm's data, only in its past outcomes (firms
  that do not reply are rejected early, "no response from firm").
- `buyer_truth.csv`: per buyer, `km_scale` (8, 25 or 80 km: how far it looks for suppliers)
  and `home_weight` (how much it values a firm that already serves its country and speaks its
  language: about 1 for Japanese and Korean buyers, 0.3 for the others, times 0.7-1.3).
- `pair_truth.csv`: per suggested (need, firm) pair, the hidden `affinity` and the facts it was
  computed from, the firm's responsiveness, the final status and the rejection reason.

How an outcome is drawn (`features/demo/market.py`):

    affinity = 2.0 * process_coverage + 0.8 * material_coverage + 0.5 * sector_match
             + 0.4 * preferred_certification_share + 1.6 * exp(-km / km_scale)
             + home_weight * (1.0 * same_country + 1.0 * speaks_buyer_language)
             + 0.4 * capacity_fit + N(0, 0.3)

Each later step (contacted, meeting, sample, audit, order) passes with probability
`sigmoid(3 * (affinity - threshold) + 3 * responsiveness)`, responsiveness counting only for
contacted and meeting (thresholds 1.3, 1.9, 2.4, 2.6, 2.5). A pair that stops is rejected with
the reason its facts give (no reply from an unresponsive firm; capacity short; too far for
this buyer, beyond twice its km_scale; capability or quality short), else one of the stage's
usual reasons; a missing mandatory certificate stops 97 % of pairs at the order. A buyer
orders from at most two firms per need.

What the hand-weighted matcher cannot see, and a model trained on outcomes can learn: buyers'
different reach (one distance scale for all in the matcher), the weight of language and home
country per buyer country (one experience weight in the matcher), and responsiveness (only
in the firm's outcome history). They weigh as much as a material match or more: at the
earlier weights (0.8 distance, 0.6 + 0.6 home, 1.5 responsiveness) a ranking from this hidden
truth re-ordered the matcher's top 50 no better with them than without them, so a model had
nothing to learn beyond the matcher's signals.

Regenerate with `cnht demo --generate --seed 2025`.
"""


@dataclass(frozen=True)
class DemoData:
    """The demo tables (import formats of :mod:`features.columns`) and the hidden truth.

    Attributes
    ----------
    firms, buyers, needs, outcomes : pandas.DataFrame
        The four import tables as written to CSV (firms include the duplicate rows).
    firm_truth : pandas.DataFrame
        Per firm row: true sectors, processes, materials, certification intervals,
        ``valid_international`` on the reference date, ``duplicate_of``.
    pair_truth : pandas.DataFrame
        Per suggested pair: hidden ``affinity`` and its facts, ``mandatory_ok``,
        ``responsiveness``, ``final_status``, ``reason``.
    buyer_truth : pandas.DataFrame
        Per buyer: ``km_scale`` and ``home_weight`` (its hidden taste).
    support : dict
        The support programme (:func:`features.demo.support.draw_support_programme`):
        associations, a past round with its outcomes, an open round's nominations.
    """

    firms: pd.DataFrame
    buyers: pd.DataFrame
    needs: pd.DataFrame
    outcomes: pd.DataFrame
    firm_truth: pd.DataFrame
    pair_truth: pd.DataFrame
    buyer_truth: pd.DataFrame
    support: dict[str, Any] = field(default_factory=dict)


def _frame(rows: list[dict[str, object]], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for name in ("founded", "employees", "monthly_capacity", "annual_volume", "min_monthly_capacity"):
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    return frame


def generate(seed: int = DEFAULT_SEED, out: Path | None = None) -> DemoData:
    """Generate the demo dataset; write it under ``out`` when given.

    Parameters
    ----------
    seed : int, default 2025
        Seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.
    out : Path or None, default None
        Folder to write ``firms|buyers|needs|outcomes.csv`` and ``.xlsx``,
        ``templates/*_template.xlsx``, ``truth/`` and ``support_programme.json`` into
        (created if missing).

    Returns
    -------
    DemoData
        906 firm rows (900 firms F0001..F0900 and 6 duplicate rows), 40 buyers,
        250 needs and the outcome event log of 3,000 (need, firm) pairs.
    """
    rng = np.random.default_rng(seed)
    firms = draw_firms(rng)
    duplicates = duplicate_rows(rng, firms)
    buyers = draw_buyers(rng)
    needs = draw_needs(rng, buyers)
    events, pairs, tastes, responsiveness = draw_outcomes(rng, needs, buyers, firms)

    firm_rows = [f.row for f in firms] + [row for row, _ in duplicates]
    truth_rows = []
    for f in firms:
        truth_rows.append({
            "firm_id": f.firm_id, "duplicate_of": "", "sectors": ";".join(f.sectors),
            "processes": ";".join(f.processes), "materials": ";".join(f.materials),
            "certifications": ";".join(
                f"{c.code}|{c.kind}|{c.valid_from.isoformat()}|{c.valid_to.isoformat() if c.valid_to else ''}"
                for c in f.certifications
            ),
            "valid_codes": ";".join(f.valid_codes(REFERENCE_DATE)),
            "valid_international": f.valid_international(REFERENCE_DATE),
            "latitude": f.ward[3], "longitude": f.ward[4], "monthly_capacity": f.monthly_capacity,
            "experience_countries": ";".join(f.experience_countries),
            "responsiveness": responsiveness[f.firm_id],
        })
    for row, original in duplicates:
        source = next(t for t in truth_rows if t["firm_id"] == original)
        truth_rows.append({**source, "firm_id": row["firm_id"], "duplicate_of": original})
    data = DemoData(
        firms=_frame(firm_rows, FIRM_COLUMNS),
        buyers=_frame(buyers, BUYER_COLUMNS),
        needs=_frame(needs, NEED_COLUMNS),
        outcomes=_frame(events, OUTCOME_COLUMNS),
        firm_truth=pd.DataFrame(truth_rows),
        pair_truth=pd.DataFrame(pairs),
        buyer_truth=pd.DataFrame([{"buyer_id": b, "km_scale": t.km_scale, "home_weight": t.home_weight}
                                  for b, t in tastes.items()]),
        # A stream of its own: the programme leaves every other table as it was.
        support=draw_support_programme(np.random.default_rng([seed, SUPPORT_SEED_SALT]), firms, REFERENCE_DATE),
    )
    if out is not None:
        _write(data, Path(out), seed)
    return data


def _write(data: DemoData, out: Path, seed: int) -> None:
    when = fixed_timestamp(seed)
    for table, columns in TABLES.items():
        frame = getattr(data, table)
        write_csv(frame, out / f"{table}.csv")
        write_xlsx(frame, out / f"{table}.xlsx", when, sheet=table)
        write_template(columns, out / "templates" / f"{table}_template.xlsx", when, sheet=table)
    write_csv(data.firm_truth, out / "truth" / "firm_truth.csv")
    write_csv(data.pair_truth, out / "truth" / "pair_truth.csv")
    write_csv(data.buyer_truth, out / "truth" / "buyer_truth.csv")
    (out / "truth" / "README.md").write_bytes(_TRUTH_README.encode("utf-8"))
    text = json.dumps(data.support, ensure_ascii=False, indent=1) + "\n"
    (out / "support_programme.json").write_bytes(text.encode("utf-8"))
