"""Support rounds: the file format, its checks, and nominations refused with the rule that failed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from matching.exceptions import IneligibleNominationError, SupportError
from matching.support import (
    Nomination,
    check_nomination,
    check_nominations,
    read_round,
    round_from_dict,
    value_of,
)

DEMO_ROUND = Path(__file__).resolve().parents[2] / "data" / "demo" / "support_round_demo.json"
GOOD_TAX = "0100109106"  # passes the check digit (features.ingest.tax_code's own example)


def make_round(**overrides) -> dict:
    data = {
        "round_id": "SR-T", "budget_vnd": 500_000_000, "opens": "2026-04-01", "closes": "2026-06-30",
        "support_types": [
            {"code": "iso_9001_consulting", "unit_cost_vnd": 120_000_000, "certification": "iso_9001"},
            {"code": "training", "unit_cost_vnd": 30_000_000, "cap_per_firm": 2, "base_value": 0.05}],
        "associations": [{"association_id": "HANSIBA", "name": "Hiệp hội CNHT Hà Nội"}],
        "nominations": [], "past_funding": [],
    }
    data.update(overrides)
    return data


def make_firm(firm_id: str, **overrides) -> dict:
    row = {"firm_id": firm_id, "name": f"Công ty {firm_id}", "tax_code": GOOD_TAX,
           "address": "Số 5 đường Cổ Loa, Huyện Đông Anh, Hà Nội", "district": "Đông Anh",
           "sectors": "cơ khí", "description": "Gia công phay CNC, dập kim loại", "products": None,
           "materials": None, "certifications": None}
    row.update(overrides)
    return row


def nominate(nomination_id: str, firm_id: str, support_type: str = "iso_9001_consulting", **more) -> dict:
    return {"nomination_id": nomination_id, "firm_id": firm_id, "support_type": support_type,
            "nominated_by": "association", "association_id": "HANSIBA"} | more


FIRMS = pd.DataFrame([
    make_firm("F1"),
    make_firm("F2", tax_code="0100109107"),                                   # check digit fails
    make_firm("F3", address="Số 12 Lý Thái Tổ, TP Bắc Ninh, tỉnh Bắc Ninh"),
    make_firm("F4", sectors=None, description="Kinh doanh bất động sản"),
    make_firm("F5"),
    make_firm("F6", certifications="ISO 9001:2015 cấp ngày 01/03/2025"),
    make_firm("F7", certifications="ISO 14001:2015 cấp ngày 01/03/2025"),
])


def test_each_rule_refuses_with_its_name():
    support_round = round_from_dict(make_round(
        nominations=[nominate("N1", "F1"), nominate("N2", "F1", association_id="HANSIBA"), nominate("N3", "F2"),
                     nominate("N4", "F3"), nominate("N5", "F4"), nominate("N6", "F5"), nominate("N7", "F6"),
                     nominate("N8", "F9"), nominate("N9", "F7", "training", units=3),
                     nominate("N10", "F1", "training", nominated_by="self", association_id="")],
        past_funding=[{"firm_id": "F5", "support_type": "iso_9001_consulting", "funded_on": "2024-09-15"}]))
    table = check_nominations(support_round, FIRMS).set_index("nomination_id")
    assert table["rule"].to_dict() == {
        "N1": "", "N2": "duplicate", "N3": "tax_code", "N4": "in_hanoi", "N5": "supporting_industry",
        "N6": "recently_funded", "N7": "already_certified", "N8": "unknown_firm", "N9": "cap_per_firm", "N10": ""}
    assert table.loc["N3", "rule_vi"].startswith("mã số thuế không hợp lệ")
    assert "15/09/2024" in table.loc["N6", "rule_en"]
    assert table.loc["N1", "eligible"] and not table.loc["N2", "eligible"]
    assert table.loc["N7", "international"] and table.loc["F7" == table["firm_id"], "international"].all()


def test_funding_older_than_the_window_does_not_refuse():
    support_round = round_from_dict(make_round(
        nominations=[nominate("N1", "F5")],
        past_funding=[{"firm_id": "F5", "support_type": "iso_9001_consulting", "funded_on": "2022-03-31"}]))
    assert check_nominations(support_round, FIRMS)["eligible"].tolist() == [True]


def test_check_nomination_raises_with_the_rule():
    support_round = round_from_dict(make_round(nominations=[nominate("N1", "F1")]))
    with pytest.raises(IneligibleNominationError, match="rule 'duplicate'") as caught:
        check_nomination(support_round, Nomination("N2", "F1", "iso_9001_consulting", "self"), FIRMS)
    assert caught.value.rule == "duplicate"
    with pytest.raises(IneligibleNominationError, match="mã số thuế") as caught:
        check_nomination(support_round, Nomination("N3", "F2", "training", "self"), FIRMS)
    assert caught.value.rule == "tax_code"
    check_nomination(support_round, Nomination("N4", "F1", "training", "self"), FIRMS)  # eligible: no error


@pytest.mark.parametrize(("change", "message"), [
    ({"nominations": [nominate("N1", "F1"), nominate("N1", "F5")]}, r"each nomination ID once, got \['N1'\]"),
    ({"nominations": [nominate("N1", "F1", "welding")]}, "unknown support type 'welding'"),
    ({"nominations": [nominate("N1", "F1", association_id="VAMI")]}, "association 'VAMI'"),
    ({"budget_vnd": 0}, "budget as a whole number of VND > 0"),
    ({"closes": "2026-03-01"}, "before opens"),
    ({"support_types": [{"code": "x", "unit_cost_vnd": 10, "certification": "iso_9999"}]}, "names certification"),
    ({"eligibility": {"in_hanoy": True}}, "unknown eligibility rules"),
])
def test_round_errors_name_the_problem(change, message):
    with pytest.raises(SupportError, match=message):
        round_from_dict(make_round(**change))


def test_demo_round_reads_and_refuses_by_rule(tmp_path):
    support_round = read_round(DEMO_ROUND)
    assert support_round.budget < sum(support_round.support_type(n.support_type).unit_cost
                                      for n in support_round.nominations)  # the budget forces choices
    assert 35 <= len(support_round.nominations) <= 45 and len(support_round.associations) >= 3
    assert support_round.closes == date(2026, 6, 30)
    yaml_file = tmp_path / "round.yaml"
    yaml_file.write_text(json.dumps(make_round()), encoding="utf-8")  # JSON is YAML
    assert read_round(yaml_file).round_id == "SR-T"
    with pytest.raises(SupportError, match="does not exist"):
        read_round(tmp_path / "missing.json")


def test_value_counts_the_target_only_for_firms_not_yet_international():
    support_round = round_from_dict(make_round(nominations=[nominate("N1", "F1"), nominate("N2", "F7"),
                                                            nominate("N3", "F1", "training")]))
    table = check_nominations(support_round, FIRMS)
    valued = value_of(table, pd.Series([2, 0, 0]), pd.Series([0.0, 0.0, 0.05]), weight_target=1.0, weight_demand=0.25)
    assert valued["target_gain"].tolist() == [1, 0, 0]
    assert valued["value"].tolist() == pytest.approx([1.5, 0.0, 0.05])


def test_stored_certificate_records_and_a_district_without_address_are_judged_by_the_same_rules():
    from features.certifications import parse_certifications

    records = parse_certifications("ISO 9001:2015 cấp ngày 01/03/2025")  # the service passes records
    firms = pd.DataFrame([make_firm("F1", address=None, district="Gia Lâm"),
                          make_firm("F2", certifications=list(records)),
                          make_firm("F3", address=None, district="TP Bắc Ninh, tỉnh Bắc Ninh")])
    support_round = round_from_dict(make_round(nominations=[nominate("N1", "F1"), nominate("N2", "F2"),
                                                            nominate("N3", "F3")]))
    table = check_nominations(support_round, firms).set_index("nomination_id")
    assert table["rule"].to_dict() == {"N1": "", "N2": "already_certified", "N3": "in_hanoi"}
    assert table.loc["N2", "international"] and table.loc["N1", "district"] == "Gia Lâm"


def test_fairness_settings_are_read_with_the_round_and_checked():
    support_round = round_from_dict(make_round(fairness=[
        {"by": "district", "max_share": 0.4}, {"by": "sector", "min_share": 0.1, "groups": ["textiles"]}]))
    assert [(f.by, f.max_share, f.min_share, f.groups) for f in support_round.fairness] == [
        ("district", 0.4, None, None), ("sector", None, 0.1, ("textiles",))]
    with pytest.raises(SupportError, match="max_share between 0 and 1"):
        round_from_dict(make_round(fairness=[{"by": "district", "max_share": 1.5}]))
    with pytest.raises(SupportError, match="by 'district' or 'sector'"):
        round_from_dict(make_round(fairness=[{"by": "ward", "max_share": 0.5}]))
    with pytest.raises(SupportError, match="needs the groups"):
        round_from_dict(make_round(fairness=[{"by": "sector", "min_share": 0.2}]))
    with pytest.raises(SupportError, match="expected each fairness setting"):
        round_from_dict(make_round(fairness=[{"by": "district", "max": 0.2}]))
