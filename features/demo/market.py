"""Demo buyers, their needs, and the historical match outcomes drawn from a hidden affinity.

Hidden affinity of a (need, firm) pair (documented here and in ``data/demo/truth/README.md``
because learning and evaluation are meant to rediscover it, never to read it):

``affinity = 2.0 * process_coverage + 0.8 * material_coverage + 0.5 * sector_match
+ 0.4 * preferred_certification_share + 1.6 * exp(-km / buyer_km_scale)
+ buyer_home_weight * (1.0 * same_country + 1.0 * speaks_buyer_language)
+ 0.4 * capacity_fit + N(0, 0.3)``

* ``process_coverage``: share of the need's processes among the firm's *true* processes
  (``cnc_machining`` and its children cover each other at half weight);
* ``material_coverage``: same for materials; ``sector_match``: need sector in the firm's
  true sectors; ``preferred_certification_share``: share of preferred certifications in
  force on the need's date; ``km``: great-circle distance from the firm's ward to the
  buyer's park; ``capacity_fit``: ``min(1, capacity / required monthly pieces)``;
* ``buyer_km_scale``: how far a buyer looks, its own (8, 25 or 80 km): for some buyers only
  the firms next door count, for others the whole region;
* ``buyer_home_weight``: how much a buyer cares that the firm already serves its country
  (``same_country``: the firm's customers or export markets) and speaks its language
  (``speaks_buyer_language``: ja for Japanese buyers, ko for Korean ones, en for the others,
  from the firm's ``languages``); about 1 for Japanese and Korean buyers, 0.3 for the others,
  times a buyer's own factor between 0.7 and 1.3.

Each pair is suggested, then passes each later step (contacted, meeting, sample, audit,
order) with probability ``sigmoid(3 * (affinity - threshold_step) + 3 * responsiveness)``,
where ``responsiveness`` is a firm's latent trait (standard normal) that counts only for
``contacted`` and ``meeting`` (does it reply, does it keep meetings): it shows nowhere but in
the firm's past outcomes. A pair that stops is rejected with the reason its facts give: no
reply from an unresponsive firm, capacity short of the need, too far for this buyer,
capability or quality short of the need; the stage's usual reasons otherwise. A pair lacking a
mandatory certification in force on the need's date is rejected at audit with
:data:`~features.demo.phrases.MISSING_CERTIFICATION_REASON` (97 %). A buyer orders from at
most two firms per need. Events after the reference date are not written (those matches are
still in progress).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np

from features.demo.generator import REFERENCE_DATE, FirmTruth
from features.demo.phrases import (
    INTERNAL_NOTES,
    MATERIAL_PHRASES,
    MISSING_CERTIFICATION_REASON,
    NEED_PARTS,
    PROCESS_PHRASES,
    REJECTION_REASONS,
    SECTOR_MATERIALS,
    SECTOR_PROCESSES,
    STAFF,
)
from features.demo.places import PARKS
from features.geo import haversine_km

__all__ = ["draw_buyers", "draw_needs", "draw_outcomes", "draw_tastes", "affinity", "pair_facts", "BuyerTaste",
           "STEP_THRESHOLDS", "NO_REPLY_REASON"]

_TZ = timezone(timedelta(hours=7))
FIRST_NEED_DAY = date(2024, 11, 1)
LAST_NEED_DAY = date(2026, 10, 31)
SUGGESTIONS_PER_NEED = 12
PLAUSIBLE_PER_NEED = 8
# Threshold of each forward step after "suggested".
STEP_THRESHOLDS: dict[str, float] = {
    "contacted": 1.3, "meeting": 1.9, "sample": 2.4, "audit": 2.6, "order": 2.5,
}
_GAP_DAYS: dict[str, tuple[int, int]] = {
    "contacted": (1, 10), "meeting": (5, 25), "sample": (10, 45), "audit": (10, 40), "order": (7, 30),
}
_BUYER_COUNTRIES: tuple[tuple[str, int], ...] = (
    ("JP", 17), ("KR", 12), ("TW", 5), ("DE", 2), ("US", 2), ("FR", 1), ("NL", 1),
)
_BUYER_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "JP": (("Sakura", "Fujimi", "Hanabira", "Kawasemi", "Tsukimi", "Yamabuki", "Asagiri", "Momiji", "Hotaru"), ("Precision", "Electronics", "Auto Parts", "Seiki", "Industries", "Denso-Kiki")),
    "KR": (("Hanbit", "Saebyeok", "Mirae", "Haneul", "Dasom", "Bitna"), ("Electronics", "Display", "Auto Tech", "Precision", "Components")),
    "TW": (("Jade River", "Formosa Star", "Kaohsi", "Lotus Peak"), ("Electronics", "Technology", "Precision")),
    "DE": (("Rheinwerk", "Schwarzwald"), ("Automotive", "Antriebstechnik")),
    "US": (("Blue Ridge", "Great Lakes"), ("Medical", "Devices")),
    "FR": (("Loire",), ("Textiles",)),
    "NL": (("Polder",), ("Footwear",)),
}
_PARKS_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "JP": ("thang_long", "noi_bai", "quang_minh", "thang_long_ii", "pho_noi_a", "nam_thang_long", "thach_that_quoc_oai", "dinh_vu"),
    "KR": ("yen_phong", "que_vo", "yen_binh", "trang_due", "vsip_bac_ninh", "quang_chau", "dinh_tram", "ba_thien"),
    "TW": ("que_vo", "quang_chau", "dinh_tram", "vsip_bac_ninh", "tien_son"),
    "DE": ("vsip_hai_phong", "sai_dong_b"),
    "US": ("hanoi_dai_tu", "khai_quang"),
    "FR": ("phu_nghia",),
    "NL": ("phu_nghia", "tien_son"),
}
_BUYER_SECTORS: dict[str, tuple[tuple[str, float], ...]] = {
    "JP": (("electronics", 3), ("automotive", 3), ("mechanical", 3), ("high_tech", 1)),
    "KR": (("electronics", 5), ("automotive", 2), ("high_tech", 1), ("textile_garment", 1)),
    "TW": (("electronics", 3), ("leather_footwear", 1), ("textile_garment", 1)),
    "DE": (("automotive", 1), ("mechanical", 1)),
    "US": (("high_tech", 1),),
    "FR": (("textile_garment", 1),),
    "NL": (("leather_footwear", 1),),
}
_MANDATORY: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "automotive": ((("iatf_16949",), 0.45), (("iso_9001",), 0.35)),
    "electronics": ((("iso_9001", "iso_14001"), 0.25), (("iso_9001",), 0.35), (("rohs",), 0.1)),
    "mechanical": ((("iso_9001",), 0.45), (("iso_3834",), 0.04)),
    "high_tech": ((("iso_13485",), 0.3), (("iso_9001",), 0.4)),
    "textile_garment": ((("amfori_bsci",), 0.3), (("oeko_tex_100",), 0.2), (("iso_9001",), 0.15)),
    "leather_footwear": ((("lwg",), 0.2), (("amfori_bsci",), 0.25)),
}
_PREFERRED: tuple[str, ...] = ("iso_14001", "iso_45001", "iso_9001", "iso_50001")


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...]) -> str:
    weights = np.array([w for _, w in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def draw_buyers(rng: np.random.Generator) -> list[dict[str, object]]:
    """The 40 fictional buyers B001..B040 (names marked ``[DEMO]``)."""
    countries = [c for c, n in _BUYER_COUNTRIES for _ in range(n)]
    used: set[str] = set()
    buyers: list[dict[str, object]] = []
    for i, country in enumerate(countries):
        firsts, seconds = _BUYER_NAMES[country]
        while True:
            name = f"[DEMO] {_pick(rng, firsts)} {_pick(rng, seconds)} Vietnam"
            if name not in used:
                break
            name = f"{name} {_pick(rng, ('Plant 2', 'Hanoi', 'Bac Ninh', 'Factory 3'))}"
            if name not in used:
                break
        used.add(name)
        sector = _weighted(rng, _BUYER_SECTORS[country])
        park = _pick(rng, _PARKS_BY_COUNTRY[country])
        buyers.append({
            "buyer_id": f"B{i + 1:03d}", "name": name, "country": country, "park_id": park, "sector": sector,
            "description": f"Fictional demo plant ({sector.replace('_', ' ')}), {PARKS[park][0]}.",
            "is_demo": True,
        })
    return buyers


def draw_needs(rng: np.random.Generator, buyers: list[dict[str, object]]) -> list[dict[str, object]]:
    """The 250 needs N-0001..N-0250, created 2024-11-01..2026-10-31 (numbered by date)."""
    activity = rng.gamma(2.0, 1.0, size=len(buyers))
    days = np.sort(rng.integers(0, (LAST_NEED_DAY - FIRST_NEED_DAY).days + 1, size=250))
    needs: list[dict[str, object]] = []
    for i, offset in enumerate(days):
        buyer = buyers[int(rng.choice(len(buyers), p=activity / activity.sum()))]
        sector = str(buyer["sector"])
        created = FIRST_NEED_DAY + timedelta(days=int(offset))
        processes = sorted(set(_subset(rng, SECTOR_PROCESSES[sector], int(rng.integers(1, 4)))))
        materials = sorted(set(_subset(rng, SECTOR_MATERIALS[sector], int(rng.integers(1, 3)))))
        mandatory: tuple[str, ...] = ()
        roll, acc = rng.random(), 0.0
        for codes, p in _MANDATORY[sector]:
            acc += p
            if roll < acc:
                mandatory = codes
                break
        preferred = [c for c in _PREFERRED if c not in mandatory and rng.random() < 0.25]
        volume = int(round(math.exp(rng.normal(math.log(50_000), 1.2)), -2)) + 100
        tolerance = None if sector in ("textile_garment", "leather_footwear") else float(_pick(rng, ("0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5")))
        age = (REFERENCE_DATE - created).days
        status = ("open" if rng.random() < 0.85 else "closed") if age < 120 else ("closed" if rng.random() < 0.9 else "open")
        lang, part = NEED_PARTS[sector][int(rng.integers(len(NEED_PARTS[sector])))]
        process_en = [PROCESS_PHRASES[p][2] for p in processes]
        material_en = [MATERIAL_PHRASES[m][2] for m in materials]
        if lang == "vi":
            title = f"{part[0].upper()}{part[1:]} - {PROCESS_PHRASES[processes[0]][0]}, {MATERIAL_PHRASES[materials[0]][0]}"
            description = (f"Cần nhà cung cấp {', '.join(PROCESS_PHRASES[p][0] for p in processes)} cho {part}; "
                           f"vật liệu {', '.join(MATERIAL_PHRASES[m][0] for m in materials)}; sản lượng {volume} chiếc/năm.")
        else:
            title = f"{part} ({process_en[0]}, {material_en[0]})" if lang == "en" else f"{part} / {process_en[0]} ({PROCESS_PHRASES[processes[0]][-1]})"
            description = (f"Looking for a local supplier: {', '.join(process_en)}; material {', '.join(material_en)}; "
                           f"about {volume} pcs/year.")
        if tolerance is not None:
            description += f" Tolerance ±{tolerance} mm."
        needs.append({
            "need_id": f"N-{i + 1:04d}", "buyer_id": buyer["buyer_id"], "title": title, "description": description,
            "sector": sector, "processes": ";".join(processes), "materials": ";".join(materials),
            "mandatory_certifications": ";".join(mandatory), "preferred_certifications": ";".join(preferred),
            "annual_volume": volume,
            "min_monthly_capacity": int(round(volume / 12 * rng.uniform(0.8, 1.5), -2)) + 100 if rng.random() < 0.4 else None,
            "tolerance_mm": tolerance,
            "deadline": (created + timedelta(days=int(rng.integers(30, 121)))).isoformat(),
            "created": created.isoformat(), "status": status,
            "target_price_usd": round(float(math.exp(rng.normal(math.log(1.5), 1.0))), 2),
            "internal_notes": _pick(rng, INTERNAL_NOTES), "is_demo": True,
        })
    return needs


def _subset(rng: np.random.Generator, pool: tuple[str, ...], k: int) -> list[str]:
    weights = np.exp(-0.12 * np.arange(len(pool)))
    chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False, p=weights / weights.sum())
    return [pool[int(c)] for c in chosen]


def _coverage(wanted: list[str], held: list[str]) -> float:
    if not wanted:
        return 1.0
    family = {"cnc_machining", "cnc_turning", "cnc_milling"}
    total = 0.0
    for code in wanted:
        if code in held:
            total += 1.0
        elif code in family and any(h in family for h in held):
            total += 0.5
    return total / len(wanted)


def _codes(cell: object) -> list[str]:
    return [c for c in str(cell or "").split(";") if c]


_BUYER_LANGUAGE: dict[str, str] = {"JP": "ja", "KR": "ko"}  # the others: English
_HOME_WEIGHT: dict[str, float] = {"JP": 1.0, "KR": 0.9}  # the others: 0.3
_KM_SCALES: tuple[tuple[float, float], ...] = ((8.0, 0.35), (25.0, 0.4), (80.0, 0.25))
# Steps where a firm's responsiveness counts: replying, then keeping the meeting.
_RESPONSIVE_STEPS = ("contacted", "meeting")
# How much the hidden behaviours weigh (see the module docstring). At 1.5 for responsiveness,
# 0.8 for distance and 0.6 + 0.6 for home country and language, a ranking from the hidden
# truth itself re-ordered the matcher's top 50 no better without them than with them (NDCG@10
# 0.260 against 0.253, the matcher 0.205): the market had nothing beyond the matcher's signals
# for a model to learn. Now an unresponsive firm (one standard deviation down) rarely replies,
# a buyer's own reach and its home-network taste weigh as much as a material match or more.
RESPONSIVENESS_WEIGHT = 3.0
DISTANCE_WEIGHT = 1.6
HOME_COUNTRY_WEIGHT = 1.0
HOME_LANGUAGE_WEIGHT = 1.0
NO_REPLY_REASON = "doanh nghiệp không phản hồi / no response from firm"


@dataclass(frozen=True)
class BuyerTaste:
    """What a buyer weighs that the matcher's fixed weights do not see (hidden)."""

    km_scale: float
    home_weight: float


def draw_tastes(
    rng: np.random.Generator, buyers: list[dict[str, object]], firms: list[FirmTruth]
) -> tuple[dict[str, BuyerTaste], dict[str, float]]:
    """Each buyer's taste and each firm's responsiveness (standard normal), drawn in this order."""
    scales, p = zip(*_KM_SCALES, strict=True)
    tastes = {}
    for buyer in buyers:
        scale = float(scales[int(rng.choice(len(scales), p=np.array(p) / sum(p)))])
        base = _HOME_WEIGHT.get(str(buyer["country"]), 0.3)
        tastes[str(buyer["buyer_id"])] = BuyerTaste(scale, round(base * float(rng.uniform(0.7, 1.3)), 3))
    responsiveness = {f.firm_id: round(float(rng.normal(0.0, 1.0)), 3) for f in firms}
    return tastes, responsiveness


def _languages(firm: FirmTruth) -> set[str]:
    return {code.strip() for code in str(firm.row.get("languages") or "").split(";") if code.strip()}


def pair_facts(need: dict[str, object], buyer: dict[str, object], firm: FirmTruth, taste: BuyerTaste) -> dict[str, float]:
    """The facts of a (need, firm) pair that its affinity and its rejection reason read."""
    day = date.fromisoformat(str(need["created"]))
    valid = firm.valid_codes(day)
    preferred = _codes(need["preferred_certifications"])
    _, lat, lon = PARKS[str(buyer["park_id"])]
    required = need["min_monthly_capacity"] or int(need["annual_volume"]) / 12  # type: ignore[arg-type]
    country = str(buyer["country"])
    return {
        "process_coverage": _coverage(_codes(need["processes"]), firm.processes),
        "material_coverage": _coverage(_codes(need["materials"]), firm.materials),
        "sector_match": float(str(need["sector"]) in firm.sectors),
        "preferred_share": sum(c in valid for c in preferred) / len(preferred) if preferred else 0.0,
        "km": haversine_km(firm.ward[3], firm.ward[4], lat, lon),
        "same_country": float(country in firm.experience_countries),
        "speaks_language": float(_BUYER_LANGUAGE.get(country, "en") in _languages(firm)),
        "capacity_fit": min(1.0, firm.monthly_capacity / float(required)),  # type: ignore[arg-type]
        "mandatory_ok": float(all(code in valid for code in _codes(need["mandatory_certifications"]))),
        "km_scale": taste.km_scale,
        "home_weight": taste.home_weight,
    }


def affinity(need: dict[str, object], buyer: dict[str, object], firm: FirmTruth, noise: float,
             taste: BuyerTaste | None = None) -> tuple[float, bool]:  # fmt: skip
    """Hidden affinity of a (need, firm) pair and whether mandatory certifications hold.

    Parameters
    ----------
    need, buyer : dict
        Rows of the need and its buyer.
    firm : FirmTruth
        The firm's hidden state.
    noise : float
        The pair's Gaussian noise draw (standard deviation 0.3 is applied by the caller).
    taste : BuyerTaste, optional
        The buyer's hidden taste; default a buyer of 25 km and home weight 0.3.

    Returns
    -------
    (float, bool)
        The affinity (see the module docstring) and ``mandatory_ok``.
    """
    facts = pair_facts(need, buyer, firm, taste or BuyerTaste(25.0, 0.3))
    return _affinity(facts, noise), bool(facts["mandatory_ok"])


def _affinity(facts: dict[str, float], noise: float) -> float:
    return (
        2.0 * facts["process_coverage"]
        + 0.8 * facts["material_coverage"]
        + 0.5 * facts["sector_match"]
        + 0.4 * facts["preferred_share"]
        + DISTANCE_WEIGHT * math.exp(-facts["km"] / facts["km_scale"])
        + facts["home_weight"] * (HOME_COUNTRY_WEIGHT * facts["same_country"]
                                  + HOME_LANGUAGE_WEIGHT * facts["speaks_language"])
        + 0.4 * facts["capacity_fit"]
        + noise
    )


def _rejection_reason(stage: str, facts: dict[str, float], responsiveness: float, rng: np.random.Generator) -> str:
    """Why a pair stopped after ``stage``: the reason its facts give, else the stage's usual one."""
    usual = REJECTION_REASONS[stage]
    if stage in ("suggested", "contacted") and responsiveness < -0.5:
        return NO_REPLY_REASON
    candidates = []
    if facts["capacity_fit"] < 0.7:
        candidates.append("công suất không đủ / insufficient capacity")
    if facts["km"] > 2 * facts["km_scale"]:
        candidates.append("xa nhà máy / too far from the plant")
    if facts["process_coverage"] < 1.0:
        candidates += ["không phù hợp năng lực / capability mismatch", "không đủ năng lực / insufficient capability",
                       "mẫu không đạt / sample failed quality check"]  # fmt: skip
    fitting = [reason for reason in candidates if reason in usual]
    return fitting[0] if fitting else _pick(rng, usual)


def _stamp(day: date, rng: np.random.Generator) -> datetime:
    return datetime(day.year, day.month, day.day, int(rng.integers(8, 18)), int(rng.integers(0, 4)) * 15, tzinfo=_TZ)


def draw_outcomes(
    rng: np.random.Generator,
    needs: list[dict[str, object]],
    buyers: list[dict[str, object]],
    firms: list[FirmTruth],
) -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, BuyerTaste], dict[str, float]]:
    """The event log of 3,000 suggested (need, firm) pairs, and each pair's hidden truth.

    Returns
    -------
    (events, pairs, tastes, responsiveness)
        ``events``: rows of OUTCOME_COLUMNS sorted by time; ``pairs``: need_id, firm_id,
        affinity, the facts it was computed from, mandatory_ok, final_status; each buyer's
        :class:`BuyerTaste` and each firm's responsiveness (:func:`draw_tastes`).
    """
    tastes, responsiveness = draw_tastes(rng, buyers, firms)
    by_buyer = {str(b["buyer_id"]): b for b in buyers}
    reference = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, tzinfo=_TZ)
    events: list[dict[str, object]] = []
    pairs: list[dict[str, object]] = []
    for need in needs:
        buyer = by_buyer[str(need["buyer_id"])]
        wanted = _codes(need["processes"])
        plausibility = np.array([
            _coverage(wanted, f.processes) + 0.3 * (str(need["sector"]) in f.sectors) for f in firms
        ]) + rng.normal(0, 0.1, size=len(firms))
        top = np.argsort(-plausibility, kind="stable")[:40]
        weights = np.exp(3 * plausibility[top])
        plausible = [int(top[k]) for k in rng.choice(len(top), size=PLAUSIBLE_PER_NEED, replace=False, p=weights / weights.sum())]
        taken = set(plausible)
        rest = np.array([k for k in range(len(firms)) if k not in taken])
        chosen = plausible + [int(k) for k in rng.choice(rest, size=SUGGESTIONS_PER_NEED - PLAUSIBLE_PER_NEED, replace=False)]
        created = date.fromisoformat(str(need["created"]))
        taste = tastes[str(buyer["buyer_id"])]
        scored = []
        for k in chosen:
            facts = pair_facts(need, buyer, firms[k], taste)
            scored.append((k, _affinity(facts, float(rng.normal(0, 0.3))), bool(facts["mandatory_ok"]), facts))
        orders = 0
        for k, score, ok, facts in scored:
            firm = firms[k]
            eager = responsiveness[firm.firm_id]
            at = _stamp(created + timedelta(days=int(rng.integers(0, 8))), rng)
            trail = [("suggested", None, at, "matcher")]
            final = "suggested"
            for step in ("contacted", "meeting", "sample", "audit", "order"):
                lo, hi = _GAP_DAYS[step]
                at = at + timedelta(days=int(rng.integers(lo, hi + 1)), hours=int(rng.integers(0, 6)))
                if at > reference:
                    break
                reason = None
                if step == "order" and not ok and rng.random() < 0.97:
                    reason = MISSING_CERTIFICATION_REASON
                elif step == "order" and orders >= 2:
                    reason = "bên mua đã chọn nhà cung cấp khác / buyer chose another supplier"
                elif rng.random() > 1 / (1 + math.exp(-3 * (score - STEP_THRESHOLDS[step])
                                                     - RESPONSIVENESS_WEIGHT * eager * (step in _RESPONSIVE_STEPS))):  # fmt: skip
                    reason = _rejection_reason(final, facts, eager, rng)
                if reason is not None:
                    trail.append(("rejected", reason, at, _pick(rng, STAFF)))
                    final = "rejected"
                    break
                trail.append((step, None, at, _pick(rng, STAFF)))
                final = step
            orders += final == "order"
            for status, reason, when, by in trail:
                events.append({"need_id": need["need_id"], "firm_id": firm.firm_id, "status": status,
                               "reason": reason or "", "at": when.isoformat(), "by": by})
            pairs.append({"need_id": need["need_id"], "firm_id": firm.firm_id, "affinity": round(score, 4),
                          "mandatory_ok": ok, "process_coverage": round(facts["process_coverage"], 4),
                          "km": round(facts["km"], 1), "km_scale": facts["km_scale"],
                          "same_country": bool(facts["same_country"]), "speaks_language": bool(facts["speaks_language"]),
                          "home_weight": facts["home_weight"], "capacity_fit": round(facts["capacity_fit"], 4),
                          "responsiveness": eager, "final_status": final,
                          "reason": next((r for st, r, _, _ in trail if st == "rejected"), "") or ""})
    events.sort(key=lambda e: (str(e["at"]), str(e["need_id"]), str(e["firm_id"])))
    return events, pairs, tastes, responsiveness
