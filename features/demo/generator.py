"""Deterministic generator of the embedded demo dataset (firms, buyers, needs, outcomes).

The data follow the figures of Hà Nội's supporting-industry plan (Plan 04/KH-UBND):
900 firms, about 400 of them (exactly :data:`N_VALID_INTERNATIONAL`) holding at least one
international-standard certification valid on :data:`REFERENCE_DATE`. Everything comes
from ``numpy.random.default_rng(seed)``; the same seed gives byte-identical files.

Calibration on the ISO Survey counts for Viet Nam (ISO Survey of Certifications,
carried here as constants; the product never reads the survey files):

* ISO 14001 : ISO 9001 certificates in 2020 = 1 928 : 4 207 (:data:`ISO_SURVEY_2020`),
  i.e. 0.458 overall. The by-industry ratio of 2014 (:data:`ISO_SURVEY_2014_BY_INDUSTRY`,
  the last year with ISO 9001 counts by industry) is scaled by the 2020/2014 overall
  growth (0.458 / 0.178) and capped at 0.75 to give each sector's probability that an
  ISO 9001-certified firm also holds ISO 14001.
* ISO/IEC 27001: 348 certificates in 2020, almost all in information technology (234 of
  2019's), so it is rare among manufacturers (p = 0.01).
* Sector propensity to certify: ISO 9001 certificates of 2014 by industry — electrical and
  optical equipment 204, basic metal & fabricated metal 208, machinery 67, rubber and
  plastics 195, transport equipment 41, textiles 45, leather 19 — relative to the
  industries' firm counts: electronics and transport suppliers certify most, textiles
  and leather least (:data:`SECTOR_CERTIFICATION_PROPENSITY`).

Firm latent truth (sectors, processes, materials, certification intervals, experience)
is written to ``truth/firm_truth.csv``; it is the generator's hidden state for measuring
the feature pipeline's accuracy and must never be used by the matcher or by evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from features.certifications import international_codes
from features.demo.phrases import (
    DOMESTIC_CUSTOMERS,
    FDI_NAME_PARTS,
    MULTINATIONAL_CUSTOMERS,
    NAME_PATTERNS,
    NAME_SYLLABLES,
    SECTOR_MATERIALS,
    SECTOR_PHRASES,
    SECTOR_PROCESSES,
    SECTOR_PRODUCTS,
)
from features.demo.places import INDUSTRIAL_DISTRICT_WEIGHTS, STREETS, WARDS
from features.demo.render import (
    CertificationTruth,
    mst_check_digit,
    render_certifications,
    render_description,
    render_materials,
    strip_diacritics,
)
from features.text import fold

__all__ = [
    "REFERENCE_DATE",
    "N_FIRMS",
    "N_VALID_INTERNATIONAL",
    "ISO_SURVEY_2020",
    "ISO_SURVEY_2014_BY_INDUSTRY",
    "SECTOR_CERTIFICATION_PROPENSITY",
    "FirmTruth",
    "draw_firms",
    "duplicate_rows",
]

REFERENCE_DATE = date(2026, 11, 1)
N_FIRMS = 900
N_VALID_INTERNATIONAL = 402
N_DUPLICATES = 6
# ISO Survey, Viet Nam, 2020: certificates by standard.
ISO_SURVEY_2020: dict[str, int] = {"iso_9001": 4207, "iso_14001": 1928, "iso_27001": 348}
# ISO Survey, Viet Nam, 2014: (ISO 9001, ISO 14001) certificates by industry.
ISO_SURVEY_2014_BY_INDUSTRY: dict[str, tuple[int, int]] = {
    "Textiles and textile products": (45, 13),
    "Leather and leather products": (19, 5),
    "Rubber and plastic products": (195, 47),
    "Basic metal & fabricated metal products": (208, 52),
    "Machinery and equipment": (67, 15),
    "Electrical and optical equipment": (204, 83),
    "Other transport equipment": (41, 14),
    "TOTAL": (2201, 391),
}
_GROWTH_14001 = (ISO_SURVEY_2020["iso_14001"] / ISO_SURVEY_2020["iso_9001"]) / (391 / 2201)
_SECTOR_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "textile_garment": ("Textiles and textile products",),
    "leather_footwear": ("Leather and leather products",),
    "electronics": ("Electrical and optical equipment",),
    "automotive": ("Other transport equipment", "Rubber and plastic products"),
    "mechanical": ("Basic metal & fabricated metal products", "Machinery and equipment"),
    "high_tech": ("Electrical and optical equipment",),
}


def _p14001(sector: str) -> float:
    rows = [ISO_SURVEY_2014_BY_INDUSTRY[name] for name in _SECTOR_INDUSTRIES[sector]]
    ratio = sum(r[1] for r in rows) / sum(r[0] for r in rows)
    return min(0.75, ratio * _GROWTH_14001)


SECTOR_CERTIFICATION_PROPENSITY: dict[str, float] = {
    "electronics": 1.4, "automotive": 1.5, "high_tech": 1.5, "mechanical": 1.0,
    "textile_garment": 0.6, "leather_footwear": 0.5,
}
_SECTOR_SHARES: dict[str, float] = {
    "mechanical": 0.33, "electronics": 0.25, "automotive": 0.15, "textile_garment": 0.12,
    "leather_footwear": 0.08, "high_tech": 0.07,
}
_OWNERSHIP = (("domestic_private", 0.78), ("state", 0.06), ("fdi", 0.11), ("joint_venture", 0.05))
_OWNERSHIP_PROPENSITY = {"domestic_private": 1.0, "state": 1.6, "fdi": 3.0, "joint_venture": 2.5}
_MARKS_BY_SECTOR: dict[str, tuple[str, ...]] = {
    "electronics": ("rohs", "reach", "ul", "ce", "ipc_a_610", "ipc_j_std_001"),
    "automotive": ("vda_6_3", "rohs", "reach"),
    "mechanical": ("ce", "jis_mark", "kc_mark"),
    "high_tech": ("rohs", "ce", "ul"),
    "textile_garment": ("amfori_bsci", "oeko_tex_100", "wrap", "smeta", "grs", "gots", "bluesign", "sa8000"),
    "leather_footwear": ("lwg", "amfori_bsci", "smeta", "reach", "fsc_coc"),
}


@dataclass
class FirmTruth:
    """Hidden state of one firm (what is really true, whatever its text says)."""

    firm_id: str
    sectors: list[str]
    processes: list[str]
    materials: list[str]
    certifications: list[CertificationTruth]
    employees: int
    founded: int
    ownership: str
    ward: tuple[str, str, str, float, float]
    monthly_capacity: int
    experience_countries: list[str]
    row: dict[str, object] = field(default_factory=dict)

    def valid_codes(self, day: date) -> list[str]:
        """Codes of the certifications in force on ``day`` (sorted)."""
        return sorted({c.code for c in self.certifications if c.valid_on(day)})

    def valid_international(self, day: date = REFERENCE_DATE) -> bool:
        """True when at least one international-standard certification is in force."""
        return any(code in international_codes() for code in self.valid_codes(day))  # the taxonomy's flag


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...] | list[tuple[str, float]]) -> str:
    weights = np.array([w for _, w in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def _subset(rng: np.random.Generator, pool: tuple[str, ...], k: int, decay: float = 0.12) -> list[str]:
    """``k`` distinct items of ``pool``, earlier ones likelier; returned in pool order."""
    weights = np.exp(-decay * np.arange(len(pool)))
    chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False, p=weights / weights.sum())
    return [pool[i] for i in sorted(int(c) for c in chosen)]


def _day(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _certifications(
    rng: np.random.Generator, sector: str, founded: int, certified: bool
) -> list[CertificationTruth]:
    certs: list[CertificationTruth] = []
    start = date(max(founded + 1, 2005), 1, 1)

    def valid(code: str) -> None:
        dated = rng.random() < 0.2
        if dated:
            if rng.random() < 0.5:
                issued = _day(rng, date(2023, 11, 15), date(2026, 9, 30))
                certs.append(CertificationTruth(code, "valid", issued, issued + timedelta(days=3 * 365 - 1), True))
            else:
                end = _day(rng, date(2026, 12, 1), date(2029, 6, 30))
                certs.append(CertificationTruth(code, "valid", end - timedelta(days=3 * 365 - 1), end, True))
        else:
            issued = max(start, _day(rng, date(2019, 1, 1), date(2024, 10, 31)))
            certs.append(CertificationTruth(code, "valid", issued, None, False))

    if certified:
        if sector == "automotive" and rng.random() < 0.4:
            valid("iatf_16949")
        if rng.random() < 0.93 or not certs:
            valid("iso_9001")
        if rng.random() < _p14001(sector):
            valid("iso_14001")
        extras = (("iso_45001", 0.15), ("iso_50001", 0.03), ("iso_27001", 0.01), ("iso_17025", 0.02))
        for code, p in extras:
            if rng.random() < p:
                valid(code)
        if sector in ("high_tech", "electronics") and rng.random() < 0.08:
            valid("iso_13485")
        if sector in ("high_tech", "mechanical") and rng.random() < 0.015:
            valid("as9100")
        if sector == "mechanical" and rng.random() < 0.05:
            valid("iso_3834")
    held = {c.code for c in certs}
    if rng.random() < (0.15 if certified else 0.32):  # lapsed or withdrawn ones
        roll = rng.random()
        if roll < 0.4 and "iso_9001" not in held:
            certs.append(CertificationTruth("iso_9001", "superseded", start, date(2018, 9, 14), False))
        elif roll < 0.6:
            certs.append(CertificationTruth("ohsas_18001", "superseded", start, date(2021, 9, 30), False))
        else:
            code = _weighted(rng, (("iso_14001", 2.0), ("iso_9001", 2.0), ("iatf_16949", 1.0)))
            if code not in held:
                end = _day(rng, date(2023, 1, 31), date(2026, 9, 30))
                certs.append(CertificationTruth(code, "expired", end - timedelta(days=3 * 365 - 1), end, True))
    if rng.random() < 0.3:
        pool = _MARKS_BY_SECTOR[sector]
        for code in _subset(rng, pool, int(rng.integers(1, 3)), decay=0.3):
            certs.append(CertificationTruth(code, "mark", start, None, False))
    return certs


def _tax_code(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        body = "01" + f"{int(rng.integers(0, 10**7)):07d}"
        check = mst_check_digit(body)
        if check != "10" and body[2:] != "0000000" and body + check not in used:
            used.add(body + check)
            return body + check


def _name(rng: np.random.Generator, sector: str, ownership: str, used: set[str]) -> tuple[str, str]:
    while True:
        if ownership in ("fdi", "joint_venture"):
            first = FDI_NAME_PARTS[0][int(rng.integers(len(FDI_NAME_PARTS[0])))]
            second = FDI_NAME_PARTS[1][int(rng.integers(len(FDI_NAME_PARTS[1])))]
            distinct = f"{first} {second}"
            place = ("Việt Nam", "Hà Nội", "VN", "Vietnam")[int(rng.integers(4))]
            name = f"Công ty TNHH {distinct} {place}"
            if name in used:  # many plants share a group name: number the later ones
                name = f"Công ty TNHH {distinct} {place} {int(rng.integers(2, 10))}"
        else:
            a, b = rng.choice(len(NAME_SYLLABLES), size=2, replace=False)
            distinct = f"{NAME_SYLLABLES[int(a)]} {NAME_SYLLABLES[int(b)]}"
            patterns = NAME_PATTERNS[sector]
            name = patterns[int(rng.integers(len(patterns)))].format(x=distinct)
        if name not in used:
            used.add(name)
            return name, distinct


def _address(rng: np.random.Generator, ward: tuple[str, str, str, float, float]) -> tuple[str, str]:
    district, old_ward, new_ward, _, _ = ward
    street = STREETS[int(rng.integers(len(STREETS)))]
    number = int(rng.integers(1, 300))
    short = district.split(" ", 1)[1]
    if rng.random() < 0.35:  # post-2025 form: ward directly under the city
        return f"Số {number} {street}, {new_ward}, Thành phố Hà Nội", new_ward
    district_cell = (district, short, "H. " + short if district.startswith("Huyện") else "Q. " + short)[int(rng.integers(3))]
    return f"Số {number} {street}, {old_ward}, {district}, Hà Nội", district_cell


def draw_firms(rng: np.random.Generator) -> list[FirmTruth]:
    """Draw the 900 firms' hidden state and their rows as written (``FirmTruth.row``).

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator's random stream (consumed in a fixed order).

    Returns
    -------
    list of FirmTruth
        F0001..F0900 in order; exactly :data:`N_VALID_INTERNATIONAL` hold an
        international-standard certification valid on :data:`REFERENCE_DATE`.
    """
    districts = list(INDUSTRIAL_DISTRICT_WEIGHTS.items())
    sector_pairs = list(_SECTOR_SHARES.items())
    base: list[dict[str, object]] = []
    for i in range(N_FIRMS):
        sector = _weighted(rng, sector_pairs)
        ownership = _weighted(rng, _OWNERSHIP)
        employees = int(np.clip(np.exp(rng.normal(np.log(80), 1.0)), 10, 3000))
        founded = int(np.clip(round(2008 + rng.normal(0, 9)), 1965, 2023))
        if ownership == "state":
            founded = int(min(founded, 1965 + int(rng.integers(0, 35))))
        district = _weighted(rng, districts)
        wards = [w for w in WARDS if w[0] == district]
        base.append({"sector": sector, "ownership": ownership, "employees": employees, "founded": founded,
                     "ward": wards[int(rng.integers(len(wards)))], "index": i})
    propensity = np.array([
        SECTOR_CERTIFICATION_PROPENSITY[str(b["sector"])] * _OWNERSHIP_PROPENSITY[str(b["ownership"])]
        * float(b["employees"]) ** 0.5 for b in base
    ])
    certified_idx = rng.choice(N_FIRMS, size=N_VALID_INTERNATIONAL, replace=False, p=propensity / propensity.sum())
    certified = np.zeros(N_FIRMS, dtype=bool)
    certified[certified_idx] = True

    used_tax: set[str] = set()
    used_names: set[str] = set()
    firms: list[FirmTruth] = []
    for b in base:
        i = int(b["index"])  # type: ignore[arg-type]
        sector = str(b["sector"])
        ownership = str(b["ownership"])
        sectors = [sector]
        if rng.random() < 0.2:
            other = {"mechanical": "automotive", "automotive": "mechanical", "electronics": "high_tech",
                     "high_tech": "electronics", "textile_garment": "leather_footwear",
                     "leather_footwear": "textile_garment"}[sector]
            sectors.append(other)
        processes = _subset(rng, SECTOR_PROCESSES[sector], int(rng.integers(2, 6)))
        if len(sectors) > 1:
            processes = sorted(set(processes) | set(_subset(rng, SECTOR_PROCESSES[sectors[1]], 1)))
        materials = _subset(rng, SECTOR_MATERIALS[sector], int(rng.integers(1, 4)), decay=0.25)
        certs = _certifications(rng, sector, int(b["founded"]), bool(certified[i]))  # type: ignore[arg-type]
        employees = int(b["employees"])  # type: ignore[arg-type]
        capacity = int(round(employees * rng.uniform(50, 400), -2))
        customers: list[str] = []
        countries: list[str] = []
        p_mnc = 0.15 + 0.45 * bool(certified[i]) + 0.2 * (ownership in ("fdi", "joint_venture"))
        if rng.random() < p_mnc:
            for k in rng.choice(len(MULTINATIONAL_CUSTOMERS), size=int(rng.integers(1, 4)), replace=False):
                name, country = MULTINATIONAL_CUSTOMERS[int(k)]
                customers.append(name)
                countries.append(country)
        if rng.random() < 0.3:
            customers.append(DOMESTIC_CUSTOMERS[int(rng.integers(len(DOMESTIC_CUSTOMERS)))])
        exports: list[str] = []
        if rng.random() < 0.1 + 0.3 * bool(certified[i]):
            exports = _subset(rng, ("JP", "KR", "US", "DE", "TW", "TH", "CN"), int(rng.integers(1, 4)), decay=0.4)
        experience = sorted(set(countries) | {c for c in exports if c in ("JP", "KR", "TW", "DE", "US")})
        languages = ["vi"]
        if rng.random() < 0.5:
            languages.append("en")
        if "JP" in experience and rng.random() < 0.5:
            languages.append("ja")
        if "KR" in experience and rng.random() < 0.4:
            languages.append("ko")
        name, distinct = _name(rng, sector, ownership, used_names)
        address, district_cell = _address(rng, b["ward"])  # type: ignore[arg-type]
        slug = "".join(fold(distinct).split()).replace("-", "")
        roll = rng.random()
        tax = _tax_code(rng, used_tax)
        if roll < 0.04:
            tax = f"{tax}-{int(rng.integers(1, 20)):03d}"
        row: dict[str, object] = {
            "firm_id": f"F{i + 1:04d}",
            "name": name,
            "tax_code": tax,
            "address": address,
            "district": district_cell,
            "founded": int(b["founded"]),  # type: ignore[arg-type]
            "employees": employees,
            "ownership": ownership if rng.random() > 0.03 else "",
            "sectors": "; ".join(SECTOR_PHRASES[s][int(rng.integers(len(SECTOR_PHRASES[s])))] for s in sectors),
            "description": render_description(processes, materials, sector, rng) if rng.random() > 0.03 else "",
            "products": "",
            "materials": render_materials(materials, rng),
            "certifications": render_certifications(certs, rng),
            "export_markets": "; ".join(exports),
            "customers": "; ".join(customers),
            "monthly_capacity": capacity if rng.random() > 0.1 else None,
            "languages": ";".join(languages),
            "contact_email": f"{('info', 'sales', 'kinhdoanh')[int(rng.integers(3))]}@{slug}.com.vn",
            "phone": f"024 3{int(rng.integers(0, 10**6)):06d}"[:8] + f" {int(rng.integers(1000, 10000))}",
            "is_demo": True,
        }
        if rng.random() < 0.7:
            row["products"] = SECTOR_PRODUCTS[sector][int(rng.integers(len(SECTOR_PRODUCTS[sector])))]
        firms.append(FirmTruth(
            firm_id=str(row["firm_id"]), sectors=sectors, processes=processes, materials=materials,
            certifications=certs, employees=employees, founded=int(row["founded"]),  # type: ignore[arg-type]
            ownership=ownership, ward=b["ward"], monthly_capacity=capacity,  # type: ignore[arg-type]
            experience_countries=experience, row=row,
        ))
    _break_tax_codes(rng, firms)
    return firms


def _break_tax_codes(rng: np.random.Generator, firms: list[FirmTruth]) -> None:
    """A handful of deliberately invalid tax codes: the mess ingestion must report."""
    picks = rng.choice(len(firms), size=5, replace=False)
    for n, k in enumerate(sorted(int(p) for p in picks)):
        good = str(firms[k].row["tax_code"])[:10]
        bad = (
            good[:9] + str((int(good[9]) + 1) % 10),  # wrong check digit
            good[:9],  # a digit missing
            f"{good[:2]}-{good[2:6]}",  # typed with a dash, truncated
            good[:9] + str((int(good[9]) + 3) % 10),
            "01O" + good[3:],  # letter O for zero
        )[n]
        firms[k].row["tax_code"] = bad


def duplicate_rows(rng: np.random.Generator, firms: list[FirmTruth]) -> list[tuple[dict[str, object], str]]:
    """Duplicate rows re-entered by staff: (row, firm_id of the original).

    Four share the original's tax code under a new id and a slightly different name
    (``Cty`` for ``Công ty``, upper case, no diacritics); two share the name and address
    with no tax code.
    """
    out: list[tuple[dict[str, object], str]] = []
    picks = rng.choice(len(firms), size=N_DUPLICATES, replace=False)
    for n, k in enumerate(int(p) for p in picks):
        original = firms[k].row
        row = dict(original)
        row["firm_id"] = f"F{N_FIRMS + n + 1:04d}"
        name = str(original["name"])
        if n < 4:
            row["name"] = (name.replace("Công ty", "Cty"), name.upper(), strip_diacritics(name), name.replace("TNHH ", ""))[n]
        else:
            row["tax_code"] = ""
            row["employees"] = int(original["employees"]) + int(rng.integers(-5, 6))  # type: ignore[arg-type]
        out.append((row, str(original["firm_id"])))
    return out
