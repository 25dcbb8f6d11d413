"""matching.events.firm_exposure: the exposure part of an event's report, known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.events import Event, EventBuyer, EventFirm, firm_exposure, make_slots
from matching.exceptions import EventError


def _event(n_firms: int, unregistered: tuple[str, ...] = ()) -> Event:
    firms = tuple(EventFirm(f"F{i}", registered=f"F{i}" not in unregistered) for i in range(n_firms))
    buyers = tuple(EventBuyer(f"B{i}") for i in range(6))
    return Event("E1", tuple(make_slots("2026-03-12", "09:00", "12:00", 20)), 3, buyers, firms)


def _gini(counts) -> float:
    """Gini by its definition: mean absolute difference of all pairs over twice the mean."""
    x = np.asarray(counts, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean()))


def test_gini_counts_meetings_not_only_whether_a_firm_met():
    # F0 meets three buyers, F1 one, F2 none: counts (3, 1, 0)
    meetings = pd.DataFrame({"buyer_id": ["B0", "B1", "B2", "B0"], "firm_id": ["F0", "F0", "F0", "F1"]})
    out = firm_exposure(_event(3), meetings)
    assert out["firms_with_meeting"] == 2 and out["share_with_meeting"] == pytest.approx(2 / 3, abs=1e-6)
    assert out["gini"] == pytest.approx(_gini([3, 1, 0]), abs=1e-6) and out["gini"] > 0


def test_even_meetings_have_gini_zero_and_unregistered_firms_do_not_count():
    meetings = pd.DataFrame({"buyer_id": ["B0", "B1", "B2", "B3"], "firm_id": ["F0", "F1", "F2", "F3"]})
    out = firm_exposure(_event(4, unregistered=("F3",)), meetings)
    assert out == {"registered_firms": 3, "firms_with_meeting": 3, "share_with_meeting": 1.0, "gini": 0.0}


def test_random_meetings_agree_with_the_lorenz_formula():
    rng = np.random.default_rng(13)
    pairs = {(f"B{rng.integers(6)}", f"F{rng.integers(8)}") for _ in range(25)}
    meetings = pd.DataFrame(sorted(pairs), columns=["buyer_id", "firm_id"])
    counts = meetings["firm_id"].value_counts().reindex([f"F{i}" for i in range(8)], fill_value=0)
    assert firm_exposure(_event(8), meetings)["gini"] == pytest.approx(_gini(counts), abs=1e-6)


def test_no_meeting_and_missing_columns():
    empty = pd.DataFrame(columns=["buyer_id", "firm_id"])
    assert firm_exposure(_event(2), empty) == {"registered_firms": 2, "firms_with_meeting": 0,
                                                "share_with_meeting": 0.0, "gini": 0.0}  # fmt: skip
    with pytest.raises(EventError, match=r"lack columns \['buyer_id'\]"):
        firm_exposure(_event(2), pd.DataFrame({"firm_id": ["F0"]}))
