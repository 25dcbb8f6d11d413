"""Schemas: good frames pass, broken rows fail with the column named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.columns import BUYER_COLUMNS, FIRM_COLUMNS, NEED_COLUMNS, OUTCOME_COLUMNS
from features.exceptions import CnhtError
from features.schemas import COLUMNS, SchemaValidationError, failure_cases, validate


def make_firms(**overrides) -> pd.DataFrame:
    row = {c: None for c in FIRM_COLUMNS}
    row.update(firm_id="F0001", name="Công ty TNHH A", tax_code="0100109106", founded=2005,
               employees=120, ownership="fdi", languages="vi;ja", is_demo=False)
    row.update(overrides)
    frame = pd.DataFrame([row], columns=list(FIRM_COLUMNS))
    for c in ("founded", "employees", "monthly_capacity"):
        frame[c] = frame[c].astype("Int64")
    for c in FIRM_COLUMNS:
        if c not in ("founded", "employees", "monthly_capacity", "is_demo"):
            frame[c] = frame[c].astype("str").where(frame[c].notna(), None)
    frame["is_demo"] = frame["is_demo"].astype(bool)
    return frame


def make_outcomes(**overrides) -> pd.DataFrame:
    row = {"need_id": "N-0001", "firm_id": "F0001", "status": "order", "reason": None,
           "at": pd.Timestamp(2026, 1, 5), "by": "staff"}
    row.update(overrides)
    frame = pd.DataFrame([row], columns=list(OUTCOME_COLUMNS))
    frame["at"] = frame["at"].astype("datetime64[ns]")
    for c in ("need_id", "firm_id", "status", "reason", "by"):
        frame[c] = frame[c].astype("str").where(frame[c].notna(), None)
    return frame


def test_columns_follow_the_contract():
    assert COLUMNS["firms"] == tuple(FIRM_COLUMNS)
    assert COLUMNS["buyers"] == tuple(BUYER_COLUMNS)
    assert COLUMNS["needs"] == tuple(NEED_COLUMNS)


def test_good_firm_passes():
    frame = make_firms()
    assert validate("firms", frame) is frame


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"firm_id": "acme/plant 2"}, "firm_id"),  # '/' cannot be a URL path segment
        ({"firm_id": " VN-0001"}, "firm_id"),  # not trimmed: not the normal form
        ({"tax_code": "12345"}, "tax_code"),
        ({"tax_code": "０１００１０９１０６"}, "tax_code"),  # full-width digits
        ({"firm_id": "F０００１"}, "firm_id"),
        ({"ownership": "cooperative"}, "ownership"),
        ({"founded": 1700}, "founded"),
        ({"employees": -3}, "employees"),
        ({"languages": "vi;fr"}, "languages"),
        ({"contact_email": "not an email"}, "contact_email"),
    ],
)
def test_broken_firm_names_the_column(overrides, column):
    with pytest.raises(SchemaValidationError, match=f"column '{column}'") as info:
        validate("firms", make_firms(**overrides))
    assert isinstance(info.value, CnhtError)
    assert info.value.failure_cases["column"].tolist() == [column]


@pytest.mark.parametrize("firm_id", ["VN-0001", "SHTP-001", "acme plant 2", "F0001", "x" * 64,
                                     "Công ty Á-01", "株式会社-7"])
def test_any_stable_id_in_normal_form_passes(firm_id):
    validate("firms", make_firms(firm_id=firm_id))
    validate("outcomes", make_outcomes(firm_id=firm_id, need_id=firm_id))


@pytest.mark.parametrize(("firm_id", "why"), [("", "str_length"), ("x" * 65, "str_length")])
def test_empty_or_too_long_id_fails(firm_id, why):
    with pytest.raises(SchemaValidationError, match=f"column 'firm_id' failed {why}") as info:
        validate("firms", make_firms(firm_id=firm_id))
    assert set(info.value.failure_cases["column"]) == {"firm_id"}


def test_branch_tax_code_is_valid():
    validate("firms", make_firms(tax_code="0100109106-001"))


def test_unknown_column_is_refused():
    frame = make_firms().assign(extra=1)
    with pytest.raises(SchemaValidationError, match="extra"):
        validate("firms", frame)


def test_rejected_outcome_needs_reason():
    validate("outcomes", make_outcomes(status="rejected", reason="no IATF"))
    with pytest.raises(SchemaValidationError, match="reason"):
        validate("outcomes", make_outcomes(status="rejected"))
    cases = failure_cases("outcomes", make_outcomes(status="rejected"))
    assert "reason" in cases["column"].tolist()


def test_outcome_status_in_set():
    with pytest.raises(SchemaValidationError, match="column 'status'"):
        validate("outcomes", make_outcomes(status="won"))


def test_unknown_kind():
    with pytest.raises(CnhtError, match="firms, buyers, needs or outcomes"):
        validate("suppliers", make_firms())


def test_a_missing_column_is_named_not_the_schema():
    from features.ingest import read_table

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    firms = read_table("firms", demo / "firms.csv").data
    with pytest.raises(SchemaValidationError, match="column 'name'") as caught:
        validate("firms", firms.drop(columns=["name"]))
    assert "FirmSchema" not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "column", "value"),
    [
        ("needs", "processes", "no_such_code"),
        ("needs", "sector", "banking"),
        ("needs", "mandatory_certifications", "iso_9001;iso_99999"),
        ("buyers", "park_id", "no_such_park"),
        ("firms", "tax_code", "0100109107"),
    ],
)
def test_codes_parks_and_check_digits_are_checked(kind, column, value):
    from features.ingest import read_table

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    frame = read_table(kind, demo / f"{kind}.csv").data.head(3).copy()
    validate(kind, frame)  # the demo rows pass
    frame.loc[frame.index[0], column] = value
    with pytest.raises(SchemaValidationError, match=column):
        validate(kind, frame)
