"""One number reader for firms and needs (issue 9): the Vietnamese way and the English way."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features.numbers import read_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.000", 5000.0), ("5,000", 5000.0), ("1.200.000", 1_200_000.0), ("1,5", 1.5), ("2.5", 2.5),
        ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("5 000", 5000.0), ("0,500", 0.5), ("-300", -300.0),
        ("1234.567", 1234.567), ("12", 12.0),
    ],
)  # fmt: skip
def test_read_number_vietnamese_and_english(text, expected):
    assert read_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "5.00.000", "nhiều", "1,,2"])
def test_read_number_gives_none_for_what_is_not_a_number(text):
    assert read_number(text) is None


def test_numbers_pass_through_and_missing_is_none():
    assert read_number(7) == 7.0 and read_number(2.5) == 2.5
    assert read_number(None) is None and read_number(math.nan) is None


def test_firms_and_needs_read_numbers_alike():
    """A firm's "5.000" was read by pd.to_numeric as 5 (and "5,000" as NaN) while a need's was 5000."""
    from features.profile import build_profiles
    from matching.needs import parse_need

    firms = pd.DataFrame({
        "firm_id": ["F1", "F2", "F3"], "name": ["A", "B", "C"], "description": ["ép nhựa"] * 3,
        "monthly_capacity": ["5.000", "5,000", "1.200.000"], "employees": ["1.500", "", "40"],
    })  # fmt: skip
    profiles = build_profiles(firms, geocode=False)
    assert profiles["monthly_capacity"].tolist() == [5000.0, 5000.0, 1_200_000.0]
    assert profiles["employees"].iloc[0] == 1500.0
    need = parse_need({"need_id": "N-1", "title": "ép nhựa", "min_monthly_capacity": "5.000"})
    assert need.min_monthly_capacity == 5000.0
