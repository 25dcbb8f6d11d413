"""The demo support programme (issue 14): associations, a past round with its outcomes, an open round.

Drawn from the demo firms' hidden truth with a generator of its own
(``numpy.random.default_rng([seed, 14])``), so adding it changed no other demo file; the same
seed gives the same ``support_programme.json``:

* ``associations``: the three nominating associations of Hanoi's supporting industries;
* ``past_round`` (SR-2025-1, decided on 2025-06-30): its nominations and decisions, and the
  outcomes of the funded items. The firms funded for ISO 9001 consulting whose certificate
  was then really issued are firms whose (dated) ISO 9001 certificate starts between August
  2025 and October 2026 and who met no international standard when the round closed: their
  milestones are done, the last on the certificate's first day. Two funded firms never got
  theirs (audit overdue); training and fair booths were delivered;
* ``current_round`` (SR-2026-2, open October-December 2026): nominations by the associations and
  firms' own applications, for firms meeting no international standard on the reference day,
  plus two the rules refuse (funded for the same type in the past round).

``cnht support demo`` stores it in the service's database, checking each current nomination
against the round's rules as any nomination is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from features.certifications import international_codes

__all__ = ["SUPPORT_SEED_SALT", "draw_support_programme"]

SUPPORT_SEED_SALT = 14  # the number: the programme's stream, apart from the market's

_ASSOCIATIONS = [
    {"association_id": "HANSIBA", "name": "Hiệp hội Doanh nghiệp Công nghiệp hỗ trợ Hà Nội"},
    {"association_id": "VAMI-HN", "name": "Hội Cơ khí Hà Nội"},
    {"association_id": "HAEI", "name": "Hội Doanh nghiệp Điện tử Hà Nội"},
]
_ASSOCIATION_OF_SECTOR = {"mechanical": "VAMI-HN", "automotive": "VAMI-HN", "electronics": "HAEI",
                          "high_tech": "HAEI"}
_SUPPORT_TYPES = [
    {"code": "iso_9001_consulting", "name_vi": "Tư vấn ISO 9001", "name_en": "ISO 9001 consulting",
     "unit_cost_vnd": 120_000_000, "cap_per_firm": 1, "certification": "iso_9001"},
    {"code": "iatf_16949_gap", "name_vi": "Đánh giá khoảng cách IATF 16949", "name_en": "IATF 16949 gap assessment",
     "unit_cost_vnd": 250_000_000, "cap_per_firm": 1, "certification": "iatf_16949"},
    {"code": "training", "name_vi": "Đào tạo", "name_en": "Training", "unit_cost_vnd": 30_000_000,
     "cap_per_firm": 2, "base_value": 0.05},
    {"code": "fair_booth", "name_vi": "Gian hàng hội chợ", "name_en": "Fair booth", "unit_cost_vnd": 45_000_000,
     "cap_per_firm": 1, "base_value": 0.1},
]
_ELIGIBILITY = {"supporting_industry": True, "in_hanoi": True, "valid_tax_code": True, "not_funded_within_years": 3}
_PAST_CLOSES, _PAST_FUNDED = date(2025, 5, 31), date(2025, 6, 30)
_JUSTIFICATIONS = {
    "iso_9001_consulting": "Chưa có chứng chỉ quốc tế; đang chào hàng cho DN FDI / No international certificate yet; "
                           "quoting to FDI buyers",
    "iatf_16949_gap": "Cung ứng linh kiện ô tô cấp 2 / Tier-2 automotive supplier",
    "training": "Đào tạo quản lý chất lượng / Quality management training",
    "fair_booth": "Tham gia hội chợ CNHT / Supporting-industry fair",
}


def _international_on(firm, day: date) -> bool:
    return any(c.code in international_codes() and c.valid_on(day) for c in firm.certifications)


def _eligible_looking(firm) -> bool:
    """A firm the rules are meant to accept: a tax code written, a supporting-industry sector."""
    return bool(firm.row.get("tax_code")) and bool(firm.sectors)


def _association(firm, rng: np.random.Generator) -> str | None:
    if rng.random() < 0.2:
        return None  # the firm applies for itself
    return _ASSOCIATION_OF_SECTOR.get(firm.sectors[0], "HANSIBA")


def _nomination(nomination_id: str, firm, support_type: str, rng: np.random.Generator) -> dict[str, Any]:
    association = _association(firm, rng)
    return {"nomination_id": nomination_id, "firm_id": firm.firm_id, "support_type": support_type,
            "nominated_by": "association" if association else "self", "association_id": association or "",
            "justification": _JUSTIFICATIONS[support_type], "units": 1}


def _round(round_id: str, name: str, budget: int, opens: date, closes: date) -> dict[str, Any]:
    return {"round_id": round_id, "name": name, "budget_vnd": budget, "opens": opens.isoformat(),
            "closes": closes.isoformat(), "max_per_firm_vnd": 300_000_000, "support_types": _SUPPORT_TYPES,
            "eligibility": _ELIGIBILITY, "fairness": [{"by": "district", "max_share": 0.4}],
            "milestone_days": {"contract": 30, "consulting_done": 150, "audit": 240, "certificate_issued": 330}}


def draw_support_programme(rng: np.random.Generator, firms: list, reference: date) -> dict[str, Any]:
    """The demo programme as one JSON-ready document (see the module's description).

    Parameters
    ----------
    rng : numpy.random.Generator
        The programme's own stream (``default_rng([seed, SUPPORT_SEED_SALT])``).
    firms : list of FirmTruth
        The demo firms (F0001..F0900), their hidden certificates included.
    reference : date
        The demo's reference day.
    """
    pool = [f for f in firms if _eligible_looking(f)]
    # Past round: firms whose dated ISO 9001 starts after the funding, who met no standard then.
    certified_later = []
    for firm in pool:
        iso = [c for c in firm.certifications if c.code == "iso_9001" and c.kind == "valid" and c.dated
               and date(2025, 8, 1) <= c.valid_from <= date(2026, 10, 31)]
        if iso and not _international_on(firm, _PAST_CLOSES):
            certified_later.append((firm, iso[0]))
    uncertified = [f for f in pool if not _international_on(f, reference)]
    order = rng.permutation(len(certified_later))
    funded_certified = [certified_later[i] for i in order[:6]]
    order = rng.permutation(len(uncertified))
    chosen_uncertified = [uncertified[i] for i in order]
    taken = {f.firm_id for f, _ in funded_certified}
    rest = [f for f in chosen_uncertified if f.firm_id not in taken]
    funded_stalled, delivered, not_selected, current = rest[:2], rest[2:5], rest[5:9], rest[9:40]

    nominations, decisions, milestones, inspections = [], [], [], []

    def add(firm, support_type: str, selected: bool, reason_vi: str) -> str:
        nomination_id = f"NOM-{len(nominations) + 1:04d}"
        nominations.append(_nomination(nomination_id, firm, support_type, rng))
        decisions.append({"nomination_id": nomination_id, "selected": selected, "reason_vi": reason_vi})
        return nomination_id

    days = {"contract": 30, "consulting_done": 150, "audit": 240, "certificate_issued": 330}
    for firm, certificate in funded_certified:
        nomination_id = add(firm, "iso_9001_consulting", True, "Được chọn: thêm DN đạt chuẩn quốc tế")
        issued = certificate.valid_from
        steps = {"contract": _PAST_FUNDED + timedelta(days=int(rng.integers(10, 30))),
                 "consulting_done": issued - timedelta(days=int(rng.integers(60, 90))),
                 "audit": issued - timedelta(days=int(rng.integers(10, 30))), "certificate_issued": issued}
        for kind, done in steps.items():
            milestones.append({"nomination_id": nomination_id, "kind": kind, "done_on": done.isoformat()})
        inspections.append({"nomination_id": nomination_id, "visited_on": steps["consulting_done"].isoformat(),
                            "inspector": "Phòng Công nghiệp - Sở Công Thương", "satisfactory": True,
                            "findings": "Hồ sơ tư vấn đầy đủ, đúng tiến độ / Consulting on schedule"})
    for firm in funded_stalled:
        nomination_id = add(firm, "iso_9001_consulting", True, "Được chọn: thêm DN đạt chuẩn quốc tế")
        milestones.append({"nomination_id": nomination_id, "kind": "contract",
                           "done_on": (_PAST_FUNDED + timedelta(days=25)).isoformat()})
        milestones.append({"nomination_id": nomination_id, "kind": "consulting_done",
                           "done_on": (_PAST_FUNDED + timedelta(days=days["consulting_done"] + 40)).isoformat()})
        inspections.append({"nomination_id": nomination_id, "visited_on": date(2026, 1, 15).isoformat(),
                            "inspector": "Phòng Công nghiệp - Sở Công Thương", "satisfactory": False,
                            "findings": "Chưa đăng ký đánh giá chứng nhận / Certification audit not booked"})
    for firm, support_type in zip(delivered, ("training", "fair_booth", "training"), strict=True):
        nomination_id = add(firm, support_type, True, "Được chọn")
        for kind in ("contract", "consulting_done"):
            milestones.append({"nomination_id": nomination_id, "kind": kind,
                               "done_on": (_PAST_FUNDED + timedelta(days=days[kind] - 5)).isoformat()})
    for firm in not_selected:
        add(firm, "iso_9001_consulting", False, "Vượt ngân sách còn lại")

    past = _round("SR-2025-1", "[DEMO] Đợt hỗ trợ CNHT Hà Nội 2025 / Support round 2025", 1_200_000_000,
                  date(2025, 3, 1), _PAST_CLOSES)
    past |= {"nominations": nominations, "decisions": decisions, "funded_on": _PAST_FUNDED.isoformat(),
             "milestones": milestones, "inspections": inspections}

    current_nominations = []
    for firm in current:
        automotive = "automotive" in firm.sectors
        support_type = str(rng.choice(["iatf_16949_gap", "iso_9001_consulting"] if automotive
                                      else ["iso_9001_consulting", "iso_9001_consulting", "training", "fair_booth"]))
        current_nominations.append(_nomination(f"NOM-{len(current_nominations) + 1:04d}", firm, support_type, rng))
    for firm, _ in funded_certified[:1]:  # funded for the same type in 2025: the rules refuse it
        current_nominations.append(_nomination(f"NOM-{len(current_nominations) + 1:04d}", firm,
                                               "iso_9001_consulting", rng))
    for firm in funded_stalled[:1]:
        current_nominations.append(_nomination(f"NOM-{len(current_nominations) + 1:04d}", firm,
                                               "iso_9001_consulting", rng))
    opens = date(reference.year, reference.month, 1) - timedelta(days=31)
    opens = opens.replace(day=1)
    current_round = _round("SR-2026-2", "[DEMO] Đợt hỗ trợ CNHT Hà Nội 2026 - đợt 2 / Support round 2026-2",
                           1_500_000_000, opens, date(reference.year, 12, 31))
    current_round["nominations"] = current_nominations
    return {"associations": _ASSOCIATIONS, "past_round": past, "current_round": current_round}
