"""Every component value lies in [0, 1], whatever the firms' data (issue 9), property-tested.

Duplicate profiles, garbled or negative numbers and empty texts are generated on purpose:
a capacity of -300 used to give a capacity value below 0.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import SupplierMatcher
from tests.matching.conftest import AS_OF, make_firm, make_profiles

_TEXTS = ["", "   ", "Ép nhựa PC, ABS", "phay CNC nhôm", "may mặc xuất khẩu", "ep nhua", "???", "ISO"]
_NUMBERS = ["", "-300", "0", "5.000", "5,000", "1,5", "abc", "1.2.3", "-1e9", "1e12", "NaN", "12"]

_firm = st.fixed_dictionaries({
    "text": st.sampled_from(_TEXTS),
    "processes": st.sampled_from([(), ("injection_moulding",), ("cnc_milling", "cnc_machining")]),
    "monthly_capacity": st.sampled_from(_NUMBERS), "employees": st.sampled_from(_NUMBERS),
    "founded": st.sampled_from(_NUMBERS),
    "certifications": st.sampled_from([(), (("iso_9001", date(2020, 1, 1)),), (("iatf_16949", date(2030, 1, 1), True),)]),
    "export_markets": st.sampled_from([(), ("JP",), ("JP", "KR")]),
    "completeness": st.sampled_from([0.0, 0.5, 1.0]),
    "multinational_customers": st.sampled_from([0, 3]),
})  # fmt: skip
_need = st.fixed_dictionaries({
    "title": st.sampled_from([t for t in _TEXTS if t.strip()] + ["vỏ nhựa 5.000 cái/tháng"]),
    "min_monthly_capacity": st.sampled_from([None, 0, 100, 5000]),
    "annual_volume": st.sampled_from([None, "60.000", "1,5", "0"]),
    "preferred_certifications": st.sampled_from([None, "iso_9001", "iatf_16949"]),
    "park_id": st.sampled_from([None, "thang_long"]),
})  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(firms=st.lists(_firm, min_size=1, max_size=6), copies=st.integers(1, 3), need=_need)
def test_every_component_value_is_between_0_and_1(firms, copies, need):
    # Duplicate profiles under other ids; numbers as written in a file (read by the matcher).
    rows = [make_firm(f"F{i:03d}", **f) for i, f in enumerate(firms * copies)]
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(*rows))
    record = {"need_id": "N-1", "created": AS_OF.isoformat(),
              **{k: v for k, v in need.items() if v is not None}}
    ranked = matcher.rank(record, k=len(rows), include_filtered=True)
    for name, weight in matcher.weights_.items():
        if weight:
            values = ranked[name].to_numpy(float) / weight
            assert np.all((values >= 0) & (values <= 1)), (name, values)
    assert np.all(np.isfinite(ranked["score"].to_numpy(float)))
    values = matcher.score_pair(record, rows[0]["firm_id"])["values"]
    assert all(0.0 <= value <= 1.0 for value in values.values()), values
