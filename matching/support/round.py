"""What a support round is: its budget, support types, eligibility rules, nominations and past funding.

A :class:`SupportRound` is plain data, checked once by :func:`check_round` (every problem named
with the rule and how to fix it); :func:`read_round` loads one from a JSON or YAML file (format in
``data/demo/support_round_demo.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from features.description_files import read_description
from matching.exceptions import SupportError
from matching.support.selection import FairnessRule

__all__ = ["SupportType", "EligibilityRules", "Nomination", "FundingRecord", "SupportRound", "check_round",
           "round_from_dict", "read_round"]

NOMINATED_BY = ("association", "self")


@dataclass(frozen=True)
class SupportType:
    """One kind of support the round funds.

    Parameters
    ----------
    code : str
        E.g. ``"iso_9001_consulting"``.
    unit_cost : int
        VND paid by the programme per unit.
    cap_per_firm : int, default 1
        Units one firm may receive in the round.
    certification : str, optional
        The certification code the support leads to (``"iso_9001"``), if any: it gives the
        nomination its value (the plan's target, the demand the certificate unlocks).
    base_value : float, default 0.0
        Value stated by the round for one funded unit, in the objective's units, beside what
        the certificate brings (training or a fair booth bring no certificate).
    name_vi, name_en : str, default ""
    """

    code: str
    unit_cost: int
    cap_per_firm: int = 1
    certification: str | None = None
    base_value: float = 0.0
    name_vi: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class EligibilityRules:
    """Who may be funded.

    Parameters
    ----------
    supporting_industry : bool, default True
        The firm names at least one supporting-industry sector (:func:`features.sectors.firm_sectors`).
    in_hanoi : bool, default True
        The firm's address is placed in Hanoi (:func:`features.geo.geocode`).
    valid_tax_code : bool, default True
        The firm's tax code passes the project's one rule (:func:`features.ingest.tax_code`).
    not_funded_within_years : int or None, default 3
        Refuse a firm funded for the same support type within this many years before the round
        opens; None switches the rule off.
    """

    supporting_industry: bool = True
    in_hanoi: bool = True
    valid_tax_code: bool = True
    not_funded_within_years: int | None = 3


@dataclass(frozen=True)
class Nomination:
    """A firm proposed for one support type, by an association or by itself.

    ``nominated_by`` is ``"association"`` (then ``association_id`` names it) or ``"self"``.
    """

    nomination_id: str
    firm_id: str
    support_type: str
    nominated_by: str = "association"
    association_id: str = ""
    justification: str = ""
    units: int = 1


@dataclass(frozen=True)
class FundingRecord:
    """Support a firm received in an earlier round (``funded_on`` is the decision day)."""

    firm_id: str
    support_type: str
    funded_on: date
    round_id: str = ""
    amount: int = 0


@dataclass(frozen=True)
class SupportRound:
    """A round of the support programme (chương trình hỗ trợ phát triển CNHT).

    Parameters
    ----------
    round_id : str
    budget : int
        VND the round may spend.
    support_types : tuple of SupportType
    opens, closes : date
        Nominations are received from ``opens`` to ``closes``; eligibility and certificates
        are judged on ``closes``.
    rules : EligibilityRules
    nominations : tuple of Nomination
    past_funding : tuple of FundingRecord
    associations : mapping of str to str
        Association IDs and names (an association nominates only under its own ID).
    max_per_firm : int or None, default None
        VND one firm may receive in the round, all types together (None: no cap).
    name : str, default ""
    fairness : tuple of FairnessRule, default ()
        The round's stated shares of the budget per district or sector.
    """

    round_id: str
    budget: int
    support_types: tuple[SupportType, ...]
    opens: date
    closes: date
    rules: EligibilityRules = EligibilityRules()
    nominations: tuple[Nomination, ...] = ()
    past_funding: tuple[FundingRecord, ...] = ()
    associations: Mapping[str, str] | None = None
    max_per_firm: int | None = None
    name: str = ""
    fairness: tuple[FairnessRule, ...] = ()

    def support_type(self, code: str) -> SupportType:
        """The support type ``code``; :class:`SupportError` naming the known ones otherwise."""
        for kind in self.support_types:
            if kind.code == code:
                return kind
        raise SupportError(f"Round {self.round_id}: unknown support type {code!r}; expected one of "
                           f"{[k.code for k in self.support_types]}. Add it to 'support_types' or fix the name.")


def check_round(support_round: SupportRound) -> None:
    """Raise :class:`SupportError` naming the first inconsistency of ``support_round``, and how to fix it.

    Ineligible nominations are not errors here: :func:`~matching.support.check_nominations`
    refuses them one by one with the rule that failed. A nomination ID given twice is an error.
    """
    r = support_round
    if isinstance(r.budget, bool) or not isinstance(r.budget, int) or r.budget <= 0:
        raise SupportError(f"Round {r.round_id}: expected budget as a whole number of VND > 0, got {r.budget!r}.")
    if r.closes < r.opens:
        raise SupportError(f"Round {r.round_id}: closes {r.closes} is before opens {r.opens}; swap the dates.")
    if not r.support_types:
        raise SupportError(f"Round {r.round_id}: expected at least one support type, got none.")
    _unique(r, "support type", (k.code for k in r.support_types))
    _unique(r, "nomination", (n.nomination_id for n in r.nominations))
    for kind in r.support_types:
        if isinstance(kind.unit_cost, bool) or not isinstance(kind.unit_cost, int) or kind.unit_cost <= 0:
            raise SupportError(f"Round {r.round_id}: support type {kind.code} has unit_cost={kind.unit_cost!r}; "
                               "expected a whole number of VND > 0.")
        if kind.cap_per_firm < 1:
            raise SupportError(f"Round {r.round_id}: support type {kind.code} has cap_per_firm={kind.cap_per_firm}; "
                               "expected at least 1 unit.")
        if kind.base_value < 0:
            raise SupportError(f"Round {r.round_id}: support type {kind.code} has base_value={kind.base_value}; "
                               "expected >= 0.")
        if kind.certification is not None:
            from features.certifications import is_international
            from features.exceptions import CnhtError

            try:
                is_international(kind.certification)
            except CnhtError as error:
                raise SupportError(f"Round {r.round_id}: support type {kind.code} names certification "
                                   f"{kind.certification!r}: {error}") from None
    if r.max_per_firm is not None and r.max_per_firm <= 0:
        raise SupportError(f"Round {r.round_id}: expected max_per_firm > 0 VND or empty, got {r.max_per_firm}.")
    years = r.rules.not_funded_within_years
    if years is not None and years < 0:
        raise SupportError(f"Round {r.round_id}: expected not_funded_within_years >= 0 or empty, got {years}.")
    codes = {k.code for k in r.support_types}
    associations = set(r.associations or {})
    for n in r.nominations:
        if n.support_type not in codes:
            r.support_type(n.support_type)  # raises, naming the known types
        if n.nominated_by not in NOMINATED_BY:
            raise SupportError(f"Round {r.round_id}: nomination {n.nomination_id} has nominated_by="
                               f"{n.nominated_by!r}; expected 'association' or 'self'.")
        if n.nominated_by == "association" and n.association_id not in associations:
            raise SupportError(f"Round {r.round_id}: nomination {n.nomination_id} names association "
                               f"{n.association_id!r}, which is not among the round's associations "
                               f"{sorted(associations)}. Add it to 'associations' or fix the ID.")
        if n.units < 1:
            raise SupportError(f"Round {r.round_id}: nomination {n.nomination_id} asks for units={n.units}; "
                               "expected at least 1.")


def _unique(r: SupportRound, kind: str, ids: Iterable[str]) -> None:
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise SupportError(f"Round {r.round_id}: expected each {kind} ID once, got {twice} more than once. "
                           "Give each its own ID or merge them.")


def _date(value: object, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SupportError(f"Expected {what} as YYYY-MM-DD, got {value!r}.") from None


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SupportError(f"Expected {what} as a whole number, got {value!r}.")
    return value


def _fairness(round_id: str, data: object) -> FairnessRule:
    """One fairness setting of a round file, checked (the shares between 0 and 1, the groups named)."""
    from matching.support.selection import check_fairness

    keys = {"by", "max_share", "min_share", "groups"}
    if not isinstance(data, Mapping) or "by" not in data or set(data) - keys:
        raise SupportError(f"Round {round_id}: expected each fairness setting as an object with 'by' ('district' "
                           f"or 'sector') and any of max_share, min_share, groups; got {data!r}.")
    shares = {}
    for name in ("max_share", "min_share"):
        share = data.get(name)
        if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)):
            raise SupportError(f"Round {round_id}: fairness {name} must be a number between 0 and 1, got {share!r}.")
        shares[name] = None if share is None else float(share)
    groups = data.get("groups")
    if groups is not None and (isinstance(groups, str) or not all(isinstance(g, str) for g in groups)):
        raise SupportError(f"Round {round_id}: fairness groups must be a list of names, got {groups!r}.")
    rule = FairnessRule(str(data["by"]), shares["max_share"], shares["min_share"],
                        None if groups is None else tuple(groups))
    try:
        check_fairness(rule)
    except SupportError as error:
        raise SupportError(f"Round {round_id}: {error}") from None
    return rule


def round_from_dict(data: Mapping) -> SupportRound:
    """A :class:`SupportRound` from the file format of :func:`read_round` (already parsed), checked.

    Keys: ``round_id``, ``name``, ``budget_vnd``, ``opens``, ``closes`` (YYYY-MM-DD),
    ``max_per_firm_vnd`` (optional), ``support_types`` (each ``{"code", "unit_cost_vnd",
    "cap_per_firm", "certification", "base_value", "name_vi", "name_en"}``), ``eligibility``
    (``{"supporting_industry", "in_hanoi", "valid_tax_code", "not_funded_within_years"}``),
    ``associations`` (each ``{"association_id", "name"}``), ``nominations`` (each
    ``{"nomination_id", "firm_id", "support_type", "nominated_by", "association_id",
    "justification", "units"}``), ``past_funding`` (each ``{"firm_id", "support_type",
    "funded_on", "round_id", "amount_vnd"}``) and ``fairness`` (each ``{"by": "district" or
    "sector", "max_share", "min_share", "groups"}``, shares of the budget between 0 and 1).
    """
    if not isinstance(data, Mapping):
        raise SupportError(f"Expected a support round as a JSON/YAML object, got {type(data).__name__}.")
    missing = [key for key in ("round_id", "budget_vnd", "support_types", "opens", "closes") if key not in data]
    if missing:
        raise SupportError(f"The support round lacks {missing}; expected at least round_id, budget_vnd, opens, "
                           "closes and support_types (see data/demo/support_round_demo.json).")
    round_id = str(data["round_id"])
    types = tuple(
        SupportType(str(t["code"]), _whole(t["unit_cost_vnd"], f"unit_cost_vnd of {t['code']}"),
                    _whole(t.get("cap_per_firm", 1), f"cap_per_firm of {t['code']}"),
                    str(t["certification"]) if t.get("certification") else None,
                    float(t.get("base_value", 0.0)), str(t.get("name_vi", "")), str(t.get("name_en", "")))
        for t in data["support_types"])
    rules_data = data.get("eligibility") or {}
    unknown = sorted(set(rules_data) - {"supporting_industry", "in_hanoi", "valid_tax_code", "not_funded_within_years"})
    if unknown:
        raise SupportError(f"Round {round_id}: unknown eligibility rules {unknown}; expected supporting_industry, "
                           "in_hanoi, valid_tax_code, not_funded_within_years.")
    years = rules_data.get("not_funded_within_years", 3)
    rules = EligibilityRules(bool(rules_data.get("supporting_industry", True)), bool(rules_data.get("in_hanoi", True)),
                             bool(rules_data.get("valid_tax_code", True)),
                             None if years is None else _whole(years, "not_funded_within_years"))
    associations = {str(a["association_id"]): str(a.get("name", "")) for a in data.get("associations", ())}
    nominations = tuple(
        Nomination(str(n["nomination_id"]), str(n["firm_id"]), str(n["support_type"]),
                   str(n.get("nominated_by", "association")), str(n.get("association_id") or ""),
                   str(n.get("justification", "")), _whole(n.get("units", 1), f"units of {n['nomination_id']}"))
        for n in data.get("nominations", ()))
    past = tuple(
        FundingRecord(str(p["firm_id"]), str(p["support_type"]), _date(p["funded_on"], "funded_on"),
                      str(p.get("round_id", "")), _whole(p.get("amount_vnd", 0), "amount_vnd"))
        for p in data.get("past_funding", ()))
    cap = data.get("max_per_firm_vnd")
    support_round = SupportRound(
        round_id, _whole(data["budget_vnd"], "budget_vnd"), types, _date(data["opens"], "opens"),
        _date(data["closes"], "closes"), rules, nominations, past, associations,
        None if cap is None else _whole(cap, "max_per_firm_vnd"), str(data.get("name", "")),
        tuple(_fairness(round_id, f) for f in data.get("fairness") or ()))
    check_round(support_round)
    return support_round


def read_round(path: str | Path) -> SupportRound:
    """Read a support round from a ``.json``, ``.yaml`` or ``.yml`` file (:func:`round_from_dict`)."""
    return read_description(path, round_from_dict, SupportError, "Support round file", "data/demo/support_round_demo.json")
