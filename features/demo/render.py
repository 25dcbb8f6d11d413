"""Turning the generator's hidden state into text the way people really write it.

Certifications in a dozen spellings, descriptions in Vietnamese (with and without
diacritics, NFD, both tone placements, abbreviations, zero-width spaces), English and a
few Japanese terms. Every function takes the generator's ``numpy.random.Generator`` so
the output depends on the seed only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np

from features.demo.phrases import (
    ISSUERS,
    MACHINES,
    MATERIAL_PHRASES,
    OPENINGS_EN,
    OPENINGS_VI,
    PROCESS_PHRASES,
    SECTOR_PRODUCTS,
)

__all__ = [
    "CertificationTruth",
    "render_certifications",
    "render_description",
    "render_materials",
    "mst_check_digit",
    "mess",
    "strip_diacritics",
]

# code -> (how the number is written, current version year)
_STANDARD: dict[str, tuple[str, str]] = {
    "iso_9001": ("ISO 9001", "2015"),
    "iso_14001": ("ISO 14001", "2015"),
    "iso_45001": ("ISO 45001", "2018"),
    "iso_50001": ("ISO 50001", "2018"),
    "iatf_16949": ("IATF 16949", "2016"),
    "iso_13485": ("ISO 13485", "2016"),
    "as9100": ("AS9100", "D"),
    "iso_17025": ("ISO/IEC 17025", "2017"),
    "iso_27001": ("ISO/IEC 27001", "2022"),
    "iso_3834": ("ISO 3834-2", "2021"),
    "ohsas_18001": ("OHSAS 18001", "2007"),
}
_MARKS: dict[str, tuple[str, ...]] = {
    "rohs": ("RoHS", "đạt RoHS", "RoHS compliant"),
    "reach": ("REACH",),
    "ul": ("UL", "chứng nhận UL"),
    "ce": ("CE", "dấu CE"),
    "oeko_tex_100": ("OEKO-TEX Standard 100", "Oeko-Tex 100"),
    "grs": ("GRS",),
    "amfori_bsci": ("amfori BSCI", "BSCI"),
    "sa8000": ("SA8000",),
    "wrap": ("WRAP",),
    "smeta": ("SMETA 4 trụ cột", "SMETA"),
    "lwg": ("LWG Gold", "LWG"),
    "bluesign": ("bluesign",),
    "gots": ("GOTS",),
    "jis_mark": ("JIS mark", "dấu JIS"),
    "kc_mark": ("KC mark",),
    "fsc_coc": ("FSC-COC",),
    "ipc_a_610": ("IPC-A-610",),
    "ipc_j_std_001": ("IPC J-STD-001",),
    "vda_6_3": ("VDA 6.3",),
}


@dataclass(frozen=True)
class CertificationTruth:
    """One certification as it really is (the generator's hidden state).

    Attributes
    ----------
    code : str
        Certification code of the taxonomy contract.
    kind : str
        ``valid`` (current version, dated or not), ``expired`` (past its end date),
        ``superseded`` (a withdrawn version: ISO 9001:2008, OHSAS 18001) or ``mark``
        (a mark, declaration or social audit).
    valid_from, valid_to : date or None
        Validity interval; ``valid_to`` None means renewed on time (a living certificate).
    dated : bool
        Whether the text states a date (issue or end date).
    """

    code: str
    kind: str
    valid_from: date
    valid_to: date | None
    dated: bool

    def valid_on(self, day: date) -> bool:
        """True when the certificate is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _render_one(cert: CertificationTruth, rng: np.random.Generator) -> str:
    if cert.kind == "mark":
        return _pick(rng, _MARKS[cert.code])
    number, version = _STANDARD[cert.code]
    if cert.kind == "superseded":
        if cert.code == "ohsas_18001":
            return _pick(rng, ("OHSAS 18001:2007", "OHSAS 18001", "ohsas 18001-2007"))
        old = {"iso_9001": "2008", "iso_14001": "2004"}[cert.code]
        bare = number.replace("ISO ", "")
        return _pick(rng, (f"{number}:{old}", f"iso {bare}-{old}", f"ISO{bare}:{old}"))
    if cert.kind == "expired":
        end = cert.valid_to
        assert end is not None
        forms = (
            f"{number} (hết hạn {end.month:02d}/{end.year})",
            f"{number.replace(' ', '')} hết hạn {end.month:02d}/{end.year}",
            f"{number}:{version} hiệu lực đến {_dmy(end)}",
            f"{number} - expired {end.year}-{end.month:02d}",
        )
        return _pick(rng, forms)
    if cert.dated:
        if rng.random() < 0.5:
            return f"chứng nhận {number} cấp ngày {_dmy(cert.valid_from)}"
        assert cert.valid_to is not None
        return f"{number} hiệu lực đến {_dmy(cert.valid_to)}"
    forms = [f"{number}:{version}", number.replace(" ", ""), number.lower(), f"{number}:{version} ({_pick(rng, ISSUERS)})", f"{number}:{version} do {_pick(rng, ISSUERS)} cấp"]
    if cert.code in ("iso_9001", "iso_14001", "iso_45001"):
        forms.append(f"TCVN {number}:{version}")
    if cert.code == "as9100":
        forms = ["AS9100D", "AS 9100 rev D"]
    return _pick(rng, forms)


def render_certifications(certs: list[CertificationTruth], rng: np.random.Generator) -> str:
    """The certifications cell of a firm, as its staff would type it.

    Parameters
    ----------
    certs : list of CertificationTruth
        The firm's certifications (hidden state).
    rng : numpy.random.Generator
        The generator's random stream.

    Returns
    -------
    str
        ``;``-separated items (``""`` when the firm has none); an undated valid ISO 9001
        and ISO 14001 are sometimes written together as ``"ISO 9001 và 14001"``.
    """
    items: list[str] = []
    joined = False
    undated_valid = [c.code for c in certs if c.kind == "valid" and not c.dated]
    if "iso_9001" in undated_valid and "iso_14001" in undated_valid and rng.random() < 0.3:
        items.append(_pick(rng, ("ISO 9001 và 14001", "ISO 9001 & ISO 14001", "ISO 9001, 14001")))
        joined = True
    for cert in certs:
        if joined and cert.kind == "valid" and not cert.dated and cert.code in ("iso_9001", "iso_14001"):
            continue
        items.append(_render_one(cert, rng))
    return "; ".join(items)


def mst_check_digit(first_nine: str) -> str:
    """Check digit of a Vietnamese tax code (mã số thuế) from its first nine digits.

    Same weights as ``stdnum.vn.mst``; returns ``"10"`` when no single digit works (such
    numbers are never issued).
    """
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    total = sum(w * int(n) for w, n in zip(weights, first_nine, strict=True))
    return str(10 - (total % 11))


_ABBREVIATE = (("sản xuất", "SX"), ("Sản xuất", "SX"), ("công nghệ", "CN"), ("khu công nghiệp", "KCN"), ("công ty", "Cty"), ("linh kiện", "LK"))
_NEW_TONE = (("hóa", "hoá"), ("Hóa", "Hoá"), ("hòa", "hoà"), ("Hòa", "Hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("lõa", "loã"))


def strip_diacritics(text: str) -> str:
    """Vietnamese typed without diacritics (case kept, đ → d)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(ch for ch in decomposed if not ("\u0300" <= ch <= "\u036f"))
    return unicodedata.normalize("NFC", kept)


def mess(text: str, rng: np.random.Generator) -> str:
    """Apply the real-world mess to Vietnamese free text (each effect independently)."""
    if rng.random() < 0.25:
        for long, short in _ABBREVIATE:
            text = text.replace(long, short)
    if rng.random() < 0.2:
        for old, new in _NEW_TONE:
            text = text.replace(old, new)
    roll = rng.random()
    if roll < 0.1:
        text = strip_diacritics(text)
    elif roll < 0.2:
        text = unicodedata.normalize("NFD", text)
    if rng.random() < 0.06:
        parts = text.split(" ")
        if len(parts) > 2:
            at = int(rng.integers(1, len(parts)))
            parts[at] = "\u200b" + parts[at]
            text = " ".join(parts)
    return text


def render_description(
    processes: list[str], materials: list[str], sector: str, rng: np.random.Generator
) -> str:
    """A firm's capability description from its true processes and materials.

    Each true process is mentioned with probability 0.9 (at least one always), in one of
    its phrasings; the text is Vietnamese (70 %), English (15 %) or mixed (15 %), with a
    Japanese term now and then, then messed up by :func:`mess`.
    """
    mentioned = [p for p in processes if rng.random() < 0.9] or processes[:1]
    style = rng.random()
    phrases: list[str] = []
    for code in mentioned:
        options = PROCESS_PHRASES[code]
        if style < 0.7:  # Vietnamese: the with/without-diacritics and descriptive forms
            phrases.append(options[_pick_index(rng, (0, 1, 3))])
        elif style < 0.85:
            phrases.append(options[2])
        else:
            phrases.append(options[int(rng.integers(len(options)))])
    if style >= 0.7 and style < 0.85:
        text = f"{_pick(rng, OPENINGS_EN)} {', '.join(phrases)}."
        if materials and rng.random() < 0.6:
            text += " Materials: " + ", ".join(MATERIAL_PHRASES[m][2] for m in materials) + "."
        return text
    text = f"{_pick(rng, OPENINGS_VI)} {', '.join(phrases)}."
    if rng.random() < 0.5:
        text += f" Sản phẩm chính: {_pick(rng, SECTOR_PRODUCTS[sector])}."
    if rng.random() < 0.3:
        text += f" Thiết bị: {_pick(rng, MACHINES)}."
    if rng.random() < 0.08:
        code = processes[int(rng.integers(len(processes)))]
        japanese = [p for p in PROCESS_PHRASES[code] if not p.isascii() and _has_cjk(p)]
        if japanese:
            text += f" ({japanese[0]})"
    return mess(text, rng)


def render_materials(materials: list[str], rng: np.random.Generator) -> str:
    """The materials cell: phrasings of the true materials (each kept with p = 0.85)."""
    kept = [m for m in materials if rng.random() < 0.85]
    if not kept:
        return ""
    words = [MATERIAL_PHRASES[m][_material_index(rng, len(MATERIAL_PHRASES[m]))] for m in kept]
    return _pick(rng, ("; ", ", ")).join(words)


def _material_index(rng: np.random.Generator, n: int) -> int:
    # The fifth phrasing, when there is one, is Japanese: rare in a firm's own sheet.
    if n > 4 and rng.random() < 0.05:
        return 4
    return int(rng.integers(min(n, 4)))


def _pick_index(rng: np.random.Generator, indexes: tuple[int, ...]) -> int:
    return indexes[int(rng.integers(len(indexes)))]


def _has_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" for ch in text)
