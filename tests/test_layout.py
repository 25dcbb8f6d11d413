"""Files are named after what they hold (STYLE.md), not after history or position (issue 9)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "features", "matching", "benchmarks", "tests")
# History: a round, a version, old/new/final. Position: a module called by its place in the
# pipeline ("the result", "the tables") instead of its content.
BAD_NAME = re.compile(r"round_?\d|_v\d+$|_(old|new|final|tmp)$|^_(result|tables)$")


def test_no_file_is_named_after_history_or_position():
    offenders = sorted(str(path.relative_to(ROOT)) for package in PACKAGES
                       for path in (ROOT / package).rglob("*.py")
                       if BAD_NAME.search(path.stem))  # fmt: skip
    assert offenders == [], f"Rename after what each file holds: {offenders}"


# The great-circle formula: an arcsine of a square root of sines and cosines of radians.
GREAT_CIRCLE = re.compile(r"\b(arcsin|asin)\s*\(\s*(np\.|math\.)?sqrt\b")


def test_one_great_circle_distance():
    """Every distance in km comes from ``features.geo.haversine_km`` (issue 9: one rule, one
    function), the demo market's included: no other module writes the formula again."""
    writers = sorted(str(path.relative_to(ROOT)) for package in ("api", "features", "matching", "benchmarks")
                     for path in (ROOT / package).rglob("*.py")
                     if GREAT_CIRCLE.search(path.read_text(encoding="utf-8")))  # fmt: skip
    assert writers == ["features/geo.py"], f"Use features.geo.haversine_km instead: {writers}"
