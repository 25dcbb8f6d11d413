"""Factories for the matching tests: profile rows (the build_profiles contract) and needs."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from features.certifications import Certification
from features.text import expand_abbreviations, fold, normalize

AS_OF = date(2025, 6, 1)


def make_firm(firm_id: str = "F0001", **overrides) -> dict:
    """One row of a profile table (features.profile.build_profiles contract).

    ``certifications`` may be given as tuples ``(code, valid_until, verified)``.
    """
    row = {
        "firm_id": firm_id,
        "name": f"Công ty {firm_id}",
        "text": "",
        "sectors": (),
        "product_groups": (),
        "processes": (),
        "materials": (),
        "evidence": {},
        "certifications": (),
        "cert_unparsed": (),
        "lat": math.nan,
        "lon": math.nan,
        "district_legacy": "",
        "ward_2025": "",
        "geo_ok": False,
        "employees": math.nan,
        "monthly_capacity": math.nan,
        "founded": math.nan,
        "export_markets": (),
        "languages": (),
        "multinational_customers": 0,
        "completeness": 0.5,
    }
    row.update(overrides)
    row["text"] = normalize(row["text"])
    row["text_folded"] = fold(expand_abbreviations(row["text"]))
    certs = []
    for cert in row["certifications"]:
        if isinstance(cert, tuple):
            code, until, verified = (*cert, False)[:3]
            cert = Certification(code, valid_until=until, verified=verified)
        certs.append(cert)
    row["certifications"] = tuple(certs)
    for key in ("sectors", "product_groups", "processes", "materials"):
        row[key] = tuple(sorted(row[key]))
    return row


def make_profiles(*firms: dict) -> pd.DataFrame:
    """A profile table indexed by firm_id."""
    return pd.DataFrame.from_records(list(firms)).set_index("firm_id")


def make_need(**overrides) -> dict:
    """A need in the NEED_COLUMNS format (created on AS_OF)."""
    need = {"need_id": "N-0001", "title": "", "created": AS_OF.isoformat()}
    need.update(overrides)
    return need


@pytest.fixture
def as_of() -> date:
    return AS_OF


DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def read_demo(name: str) -> pd.DataFrame:
    """One table of the embedded demo data (``data/demo/NAME.csv``), empty cells as None."""
    return pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False).replace({"": None})


@pytest.fixture(scope="session")
def demo_profiles() -> pd.DataFrame:
    """Profiles of the demo firms, built once (a few seconds)."""
    from features.profile import build_profiles

    return build_profiles(read_demo("firms"))


@pytest.fixture(scope="session")
def demo_buyers() -> pd.DataFrame:
    return read_demo("buyers")


@pytest.fixture(scope="session")
def demo_needs() -> pd.DataFrame:
    """The demo needs in the import columns (confidential extras dropped)."""
    from features.columns import NEED_COLUMNS

    needs = read_demo("needs")
    return needs[[c for c in needs.columns if c in NEED_COLUMNS]]


def fit_demo(profiles: pd.DataFrame, buyers: pd.DataFrame, needs: pd.DataFrame, **params):
    """A matcher fitted on demo profiles with the buyers (plants) and the open needs."""
    from matching import SupplierMatcher

    return SupplierMatcher(**params).fit(profiles, buyers=buyers, needs=needs)


@pytest.fixture(scope="session")
def demo_matcher(demo_profiles, demo_buyers, demo_needs):
    return fit_demo(demo_profiles, demo_buyers, demo_needs)
