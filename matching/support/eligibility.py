"""Who may be funded: each nomination against the round's rules, refused with the rule that failed.

Every rule is the project's own, imported, never re-written here: the tax code is judged by
:func:`features.ingest.tax_code`, the sectors by :func:`features.sectors.firm_sectors`, the place
by :func:`features.geo.geocode`, certificates by :func:`features.certifications.valid_codes`
(the one validity rule, with the taxonomy's international flag).

Rules, in the order they are tried (the first that fails is the reason):

``unknown_firm``, ``duplicate`` (the same firm and support type nominated earlier in the
file), ``cap_per_firm`` (more units than the type allows one firm), ``tax_code``,
``in_hanoi``, ``supporting_industry``, ``recently_funded`` (same type within N years),
``already_certified`` (the firm already holds a valid certificate the support leads to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from matching.exceptions import IneligibleNominationError, SupportError
from matching.support.round import Nomination, SupportRound

__all__ = ["RULES", "FirmFacts", "firm_facts", "check_nominations", "check_nomination"]

RULES: dict[str, tuple[str, str]] = {
    "unknown_firm": ("doanh nghiệp không có trong dữ liệu", "firm not in the data"),
    "duplicate": ("trùng đề cử (cùng doanh nghiệp, cùng loại hỗ trợ)", "duplicate nomination (same firm, same type)"),
    "cap_per_firm": ("vượt mức tối đa mỗi doanh nghiệp của loại hỗ trợ", "over the type's cap per firm"),
    "tax_code": ("mã số thuế không hợp lệ", "invalid tax code"),
    "in_hanoi": ("không có địa chỉ tại Hà Nội", "not located in Hanoi"),
    "supporting_industry": ("không thuộc lĩnh vực công nghiệp hỗ trợ", "not a supporting-industry firm"),
    "recently_funded": ("đã được hỗ trợ cùng loại trong thời gian quy định", "funded for the same type recently"),
    "already_certified": ("đã có chứng chỉ còn hiệu lực", "already holds a valid certificate"),
}


@dataclass(frozen=True)
class FirmFacts:
    """What the rules read of one firm.

    ``tax_problem`` is None when the tax code passes (else the rule's words); ``province`` and
    ``district`` come from the geocoded address; ``international`` lists the firm's valid
    international-standard codes on the round's closing day; ``valid`` all its valid codes.
    """

    firm_id: str
    name: str
    tax_problem: str | None
    province: str | None
    district: str
    sectors: frozenset[str]
    valid: frozenset[str]
    international: frozenset[str]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def firm_facts(firm: Mapping[str, object], on: date) -> FirmFacts:
    """The facts of one firm row (the firms table: ``firm_id, name, tax_code, address, district,
    sectors, description, products, materials, certifications``) on day ``on``.

    ``certifications`` is the text cell of a file, or a list of
    :class:`features.certifications.Certification` records (the service's stored certificates);
    either way the one validity rule judges them. The place is the geocoded address, or the
    district when the address is empty."""
    from features.certifications import is_international, valid_codes
    from features.exceptions import CnhtError
    from features.geo import geocode, plan_district
    from features.ingest import CellProblem, tax_code
    from features.sectors import firm_sectors

    try:
        problem = None if tax_code(firm.get("tax_code")) else "không có mã số thuế / no tax code"
    except CellProblem as error:
        problem = f"{error.reason_vi} / {error.reason}"
    # A profile entered through the service may give its district without a street address.
    address = _text(firm.get("address")) or _text(firm.get("district"))
    place = geocode(address) if address else None
    province = place.province_legacy if place is not None and place.ok else None
    # the district of the plan's tables and the round's shares (a 2025 ward counts in the legacy
    # district most of it came from, :func:`features.geo.plan_district`)
    district = (plan_district(place.district_legacy, place.ward_2025) if place is not None else None) \
        or _text(firm.get("district")) or ""
    certificates = firm.get("certifications")  # a text cell, or the service's stored records
    if not isinstance(certificates, list | tuple):
        certificates = _text(certificates)
    try:
        valid = frozenset(valid_codes(certificates, as_of=on))
    except CnhtError:  # a certificate the parser refuses counts as none held
        valid = frozenset()
    return FirmFacts(str(firm["firm_id"]), str(firm.get("name") or ""), problem, province, district,
                     frozenset(firm_sectors(firm)), valid, frozenset(c for c in valid if is_international(c)))


def _refusal(support_round: SupportRound, nomination: Nomination, facts: FirmFacts | None,
             seen: set[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(rule, Vietnamese detail, English detail) of the first rule ``nomination`` fails, else None."""
    r, n = support_round, nomination
    kind = r.support_type(n.support_type)
    if facts is None:
        return "unknown_firm", f"{n.firm_id} không có trong bảng doanh nghiệp", f"{n.firm_id} is not in the firms table"
    if (n.firm_id, n.support_type) in seen:
        return "duplicate", "đã có đề cử trước cho cùng loại hỗ trợ", "an earlier nomination asks for the same type"
    if n.units > kind.cap_per_firm:
        return ("cap_per_firm", f"xin {n.units} suất, tối đa {kind.cap_per_firm}",
                f"asks {n.units} units, at most {kind.cap_per_firm}")
    if r.rules.valid_tax_code and facts.tax_problem:
        vi, _, en = facts.tax_problem.partition(" / ")
        return "tax_code", vi, en or vi
    if r.rules.in_hanoi and facts.province != "Hà Nội":
        where = facts.province or "không xác định / unknown"
        return "in_hanoi", f"địa chỉ ở {where}", f"address in {where}"
    if r.rules.supporting_industry and not facts.sectors:
        return ("supporting_industry", "hồ sơ không nêu ngành CNHT nào",
                "the profile names no supporting-industry sector")
    years = r.rules.not_funded_within_years
    if years is not None:
        since = r.opens.replace(year=r.opens.year - years) if not (r.opens.month == 2 and r.opens.day == 29) \
            else date(r.opens.year - years, 2, 28)
        earlier = [p for p in r.past_funding
                   if p.firm_id == n.firm_id and p.support_type == n.support_type and since <= p.funded_on <= r.opens]
        if earlier:
            last = max(p.funded_on for p in earlier)
            return ("recently_funded", f"đã được hỗ trợ ngày {last:%d/%m/%Y} (trong {years} năm)",
                    f"funded on {last:%d/%m/%Y} (within {years} years)")
    if kind.certification is not None and kind.certification in facts.valid:
        from features.certifications import label

        return ("already_certified", f"đang có {label(kind.certification)} còn hiệu lực",
                f"holds a valid {label(kind.certification)}")
    return None


def check_nominations(support_round: SupportRound, firms: pd.DataFrame) -> pd.DataFrame:
    """Every nomination of the round with its firm's facts, cost, and the rule it fails (if any).

    Parameters
    ----------
    support_round : SupportRound
    firms : pandas.DataFrame
        The firms table (``firm_id`` and the columns :func:`firm_facts` reads).

    Returns
    -------
    pandas.DataFrame
        One row per nomination in file order: ``nomination_id, firm_id, firm_name, support_type,
        nominated_by, association_id, justification, units, cost, certification, sectors`` (``;``-joined),
        ``district, international`` (bool: meets an international standard now), ``eligible,
        rule, rule_vi, rule_en`` (empty when eligible).
    """
    if "firm_id" not in firms.columns:
        raise SupportError("Expected a firms table with a 'firm_id' column; give the firms of the data folder.")
    by_id = {str(row["firm_id"]): row for row in firms.to_dict("records")}
    wanted = {n.firm_id for n in support_round.nominations}
    facts = {firm_id: firm_facts(by_id[firm_id], support_round.closes) for firm_id in wanted if firm_id in by_id}
    seen: set[tuple[str, str]] = set()
    records = []
    for n in support_round.nominations:
        kind = support_round.support_type(n.support_type)
        mine = facts.get(n.firm_id)
        refusal = _refusal(support_round, n, mine, seen)
        if refusal is None or refusal[0] != "duplicate":
            seen.add((n.firm_id, n.support_type))
        rule, vi, en = refusal or ("", "", "")
        records.append({
            "nomination_id": n.nomination_id, "firm_id": n.firm_id, "firm_name": mine.name if mine else "",
            "support_type": n.support_type, "nominated_by": n.nominated_by, "association_id": n.association_id,
            "justification": n.justification, "units": n.units, "cost": n.units * kind.unit_cost,
            "certification": kind.certification or "",
            "sectors": ";".join(sorted(mine.sectors)) if mine else "", "district": mine.district if mine else "",
            "international": bool(mine and mine.international), "eligible": refusal is None, "rule": rule,
            "rule_vi": f"{RULES[rule][0]}: {vi}" if rule else "", "rule_en": f"{RULES[rule][1]}: {en}" if rule else "",
        })
    return pd.DataFrame.from_records(records, columns=[
        "nomination_id", "firm_id", "firm_name", "support_type", "nominated_by", "association_id", "justification",
        "units", "cost", "certification", "sectors", "district", "international", "eligible", "rule", "rule_vi",
        "rule_en"])


def check_nomination(support_round: SupportRound, nomination: Nomination, firms: pd.DataFrame) -> None:
    """Refuse one new nomination with :class:`IneligibleNominationError` (its ``rule`` named), as an
    association's or a firm's application is received; the round's own nominations count as earlier."""
    support_round.support_type(nomination.support_type)
    if any(n.nomination_id == nomination.nomination_id for n in support_round.nominations):
        raise SupportError(f"Round {support_round.round_id}: nomination ID {nomination.nomination_id} is taken; "
                           "give the new nomination its own ID.")
    rows = firms[firms["firm_id"].astype(str) == nomination.firm_id].to_dict("records")
    facts = firm_facts(rows[0], support_round.closes) if rows else None
    seen = {(n.firm_id, n.support_type) for n in support_round.nominations}
    refusal = _refusal(support_round, nomination, facts, seen)
    if refusal is not None:
        rule, vi, en = refusal
        raise IneligibleNominationError(
            f"Nomination {nomination.nomination_id} ({nomination.firm_id}, {nomination.support_type}) refused by "
            f"rule '{rule}': {RULES[rule][1]}: {en}. / Đề cử bị từ chối theo quy tắc '{rule}': {RULES[rule][0]}: {vi}.",
            rule)
