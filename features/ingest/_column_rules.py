"""What each table's columns mean: header aliases, cell parsers and row identity rules."""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from features.columns import OUTCOME_STATUSES, OWNERSHIP_TYPES, VI_HEADERS
from features.identity import InvalidIdError, normalize_id
from features.ingest import _parse as p
from features.ingest._parse import CellProblem
from features.schemas import COLUMNS, LANGUAGES, NEED_STATUSES
from features.text import fold, normalize

_DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Piece:
    """A part of a list cell that could not be understood.

    ``scope`` is ``"field"`` when the piece is left out of the stored value (taxonomy codes
    of needs) and ``"note"`` when the cell is stored as written and the piece only reported
    (a firm's certifications and sectors).
    """

    value: str
    reason: str
    fix: str
    reason_vi: str
    fix_vi: str
    scope: str = "field"

# Columns a file must have (each inner tuple: at least one of them).
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "firms": (("name",), ("firm_id", "tax_code")),
    "buyers": (("buyer_id",), ("name",)),
    "needs": (("need_id",), ("buyer_id",), ("title", "description")),
    "outcomes": (("need_id",), ("firm_id",), ("status",), ("at",)),
}


def header_key(header: object) -> str:
    """Folded words of a header: ``"Số LĐ"``, ``"so ld"`` and ``"SO_LD"`` give ``"so ld"``."""
    return " ".join(re.findall(r"[^\W_]+", fold(header)))


@lru_cache(maxsize=1)
def _alias_rows() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    rows = []
    # beside the package, not importlib.resources: a stale editable install can make
    # ``features`` a namespace package, which resources.files() cannot read
    with (_DATA / "headers.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kinds = tuple(k.strip() for k in row["kinds"].split(";") if k.strip())
            rows.append((normalize(row["alias"]), row["column"].strip(), kinds))
    return tuple(rows)


@cache
def header_aliases(kind: str) -> dict[str, str]:
    """Folded header → canonical column of ``kind``: canonical names, VI_HEADERS, headers.csv."""
    columns = COLUMNS[kind]
    index: dict[str, str] = {}
    for alias, column, kinds in _alias_rows():
        if column in columns and ("*" in kinds or kind in kinds):
            index.setdefault(header_key(alias), column)
    for column, vi in VI_HEADERS.items():
        if column in columns:
            index[header_key(vi)] = column
    for column in columns:
        index[header_key(column)] = column
    return index


def accepted_headers(kind: str) -> str:
    return ", ".join(
        f"{c} ({VI_HEADERS[c]})" if c in VI_HEADERS else c for c in COLUMNS[kind]
    )


# --- parsers per column --------------------------------------------------------------------
def _identifier(column: str) -> Callable[[Any], str | None]:
    """Parser of an ID cell: the user's own ID in the normal form of
    :func:`features.identity.normalize_id`; an empty cell is ``None`` (the row rules
    decide whether that rejects the row)."""

    def parse(value: Any) -> str | None:
        if p.text(value) is None:
            return None
        if isinstance(value, float) and value.is_integer():  # 1001 read from XLSX as 1001.0
            value = int(value)
        try:
            return normalize_id(value, column)
        except InvalidIdError as error:
            raise CellProblem(error.reason, error.fix + ".", error.reason_vi,
                              error.fix_vi + ".") from None

    return parse


_OWNERSHIP = {
    "domestic private": "domestic_private", "private": "domestic_private",
    "tu nhan": "domestic_private", "doanh nghiep tu nhan": "domestic_private",
    "dn tu nhan": "domestic_private", "trong nuoc": "domestic_private",
    "ngoai quoc doanh": "domestic_private", "tnhh": "domestic_private",
    "co phan": "domestic_private", "cong ty co phan": "domestic_private",
    "cp": "domestic_private", "ctcp": "domestic_private", "dntn": "domestic_private",
    "domestic": "domestic_private", "local": "domestic_private",
    "state": "state", "nha nuoc": "state", "doanh nghiep nha nuoc": "state",
    "dnnn": "state", "state owned": "state", "soe": "state", "quoc doanh": "state",
    "fdi": "fdi", "von dau tu nuoc ngoai": "fdi", "100 von nuoc ngoai": "fdi",
    "nuoc ngoai": "fdi", "foreign": "fdi", "foreign owned": "fdi", "co von nuoc ngoai": "fdi",
    "joint venture": "joint_venture", "lien doanh": "joint_venture", "jv": "joint_venture",
}


def _ownership(value: Any) -> str | None:
    raw = p.text(value)
    if raw is None:
        return None
    key = header_key(raw)
    code = key.replace(" ", "_")
    if code in OWNERSHIP_TYPES:
        return code
    if key in _OWNERSHIP:
        return _OWNERSHIP[key]
    raise CellProblem(
        f"expected an ownership type, got {raw!r}",
        "Write one of " + ", ".join(OWNERSHIP_TYPES)
        + " (tư nhân, nhà nước, FDI/vốn nước ngoài, liên doanh), or leave the cell empty.",
        f"cần loại hình sở hữu, nhận {raw!r}",
        "Ghi tư nhân, nhà nước, FDI/vốn nước ngoài hoặc liên doanh, hoặc để trống ô.",
    )


_LANGUAGE_NAMES = {
    "vi": "vi", "vn": "vi", "tieng viet": "vi", "vietnamese": "vi", "viet": "vi",
    "en": "en", "tieng anh": "en", "english": "en", "anh": "en",
    "ja": "ja", "jp": "ja", "tieng nhat": "ja", "japanese": "ja", "nhat": "ja",
    "ko": "ko", "kr": "ko", "tieng han": "ko", "korean": "ko", "han": "ko",
    "zh": "zh", "cn": "zh", "tieng trung": "zh", "chinese": "zh", "trung": "zh",
    "tieng hoa": "zh",
}


def _languages(value: Any) -> tuple[str | None, list[Piece]]:
    raw = p.text(value)
    if raw is None:
        return None, []
    codes: list[str] = []
    bad: list[Piece] = []
    for piece in re.split(r"[;,/\n]+", raw):
        if not normalize(piece):
            continue
        code = _LANGUAGE_NAMES.get(header_key(piece))
        if code is None:
            bad.append(Piece(
                piece.strip(), f"expected a language code, got {piece.strip()!r}",
                "Use " + "; ".join(LANGUAGES) + " (or Tiếng Anh, Tiếng Nhật ...).",
                f"cần mã ngôn ngữ, nhận {piece.strip()!r}",
                "Dùng " + "; ".join(LANGUAGES) + " (hoặc Tiếng Anh, Tiếng Nhật ...).",
            ))
        elif code not in codes:
            codes.append(code)
    return (";".join(codes) or None), bad


_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")


def _email(value: Any) -> str | None:
    raw = p.text(value)
    if raw is None:
        return None
    email = raw.replace(" ", "").lower()
    if not _EMAIL.match(email):
        raise CellProblem(
            f"expected one e-mail address, got {raw!r}",
            "Write one address such as sales@congty.vn, or leave the cell empty.",
            f"cần một địa chỉ e-mail, nhận {raw!r}",
            "Ghi một địa chỉ như sales@congty.vn, hoặc để trống ô.",
        )
    return email


_COUNTRIES = {
    "nhat ban": "JP", "nhat": "JP", "japan": "JP", "han quoc": "KR", "korea": "KR",
    "south korea": "KR", "dai loan": "TW", "taiwan": "TW", "trung quoc": "CN", "china": "CN",
    "duc": "DE", "germany": "DE", "my": "US", "hoa ky": "US", "usa": "US",
    "united states": "US", "viet nam": "VN", "vietnam": "VN", "singapore": "SG",
    "thai lan": "TH", "thailand": "TH", "phap": "FR", "france": "FR", "anh": "GB",
    "united kingdom": "GB", "uk": "GB", "y": "IT", "italy": "IT", "malaysia": "MY",
    "hong kong": "HK", "an do": "IN", "india": "IN", "ha lan": "NL", "netherlands": "NL",
    "thuy dien": "SE", "sweden": "SE", "thuy si": "CH", "switzerland": "CH",
}


def _country(value: Any) -> str | None:
    raw = p.text(value)
    if raw is None:
        return None
    if re.fullmatch(r"[A-Za-z]{2}", raw):
        return raw.upper()
    key = header_key(raw)
    if key in _COUNTRIES:
        return _COUNTRIES[key]
    raise CellProblem(
        f"expected an ISO 3166 country code, got {raw!r}",
        "Write the 2-letter code (JP, KR, TW, CN, DE, US ...).",
        f"cần mã quốc gia ISO 3166, nhận {raw!r}",
        "Ghi mã 2 chữ cái (JP, KR, TW, CN, DE, US ...).",
    )


def _park(value: Any) -> str | None:
    from features.geo import parks, resolve_park

    raw = p.text(value)
    if raw is None:
        return None
    park_id = resolve_park(raw)
    if park_id is None:
        ids = list(parks().index)
        close = difflib.get_close_matches(header_key(raw).replace(" ", "_"), ids, n=3, cutoff=0.5)
        hint = f"Did you mean {', '.join(close)}? " if close else ""
        raise CellProblem(
            f"expected an industrial park, got {raw!r}",
            f"{hint}Use a park id of the parks table ({', '.join(ids[:4])}, ...) or its name.",
            f"không nhận ra khu công nghiệp {raw!r}",
            f"Dùng mã hoặc tên khu công nghiệp trong bảng ({', '.join(ids[:4])}, ...).",
        )
    return park_id


def _choice(options: dict[str, str], allowed: tuple[str, ...], what: str):
    def parse(value: Any) -> str | None:
        raw = p.text(value)
        if raw is None:
            return None
        key = header_key(raw)
        code = options.get(key, key.replace(" ", "_"))
        if code in allowed:
            return code
        raise CellProblem(
            f"expected a {what} in {', '.join(allowed)}, got {raw!r}",
            f"Write one of {', '.join(allowed)}.",
            f"cần một giá trị trong {', '.join(allowed)}, nhận {raw!r}",
            f"Ghi một trong {', '.join(allowed)}.",
        )

    return parse


_NEED_STATUS = {
    "mo": "open", "dang mo": "open", "con mo": "open", "open": "open", "active": "open",
    "dong": "closed", "da dong": "closed", "closed": "closed", "ket thuc": "closed",
    "done": "closed",
}
_OUTCOME_STATUS = {
    "de xuat": "suggested", "goi y": "suggested", "da lien he": "contacted",
    "lien he": "contacted", "gap": "meeting", "gap mat": "meeting", "hop": "meeting",
    "mau": "sample", "gui mau": "sample", "hang mau": "sample", "danh gia": "audit",
    "audit": "audit", "kiem tra nha may": "audit", "don hang": "order", "dat hang": "order",
    "po": "order", "tu choi": "rejected", "khong dat": "rejected", "loai": "rejected",
}


# --- taxonomy --------------------------------------------------------------------------------
TAXONOMY_KIND = {
    "sector": "sector",
    "processes": "process",
    "materials": "material",
    "mandatory_certifications": "certification",
    "preferred_certifications": "certification",
}


def _suggest(piece: str, kind: str) -> str:
    from features.taxonomy import alias_key, load_taxonomy

    tax = load_taxonomy()
    index = tax.alias_index(kind)
    close = difflib.get_close_matches(alias_key(piece), list(index), n=6, cutoff=0.6)
    codes = list(dict.fromkeys(index[k] for k in close))[:3]
    codes = [c for c in codes if c]
    examples = ", ".join(t.code for t in tax.terms(kind)[:4])
    if codes:
        return f"Did you mean {', '.join(codes)}? Otherwise write a {kind} code ({examples}, ...)."
    return f"Write a {kind} code or a known alias ({examples}, ...), or remove the piece."


def taxonomy_codes(
    column: str, value: Any
) -> tuple[str | None, list[Piece]]:
    """Codes of a taxonomy-valued cell (``;``-joined) and its unresolved pieces as problems."""
    from features.taxonomy import load_taxonomy

    raw = p.text(value)
    if raw is None:
        return None, []
    kind = TAXONOMY_KIND[column]
    tax = load_taxonomy()
    if not tax.terms(kind):
        raise CellProblem(
            f"expected {kind} codes, but the taxonomy has no {kind} terms yet",
            f"Add features/data/taxonomy/{kind}s.yaml, then import again.",
        )
    codes, unresolved = tax.resolve_many(raw, kind=kind)
    if kind == "certification" and unresolved:
        # "TCVN ISO 9001:2015", "ISO9001:2015": the certification parser knows national
        # equivalents and versions; a need requires the standard, so its code is kept.
        from features.certifications import parse_certifications

        still = []
        for piece in unresolved:
            parsed = parse_certifications(piece)
            if len(parsed) and not parsed.unparsed and all(c.status == "held" for c in parsed):
                codes += [c.code for c in parsed if c.code not in codes]
            else:
                still.append(piece)
        unresolved = still
    bad = [_unknown_term(piece, kind) for piece in unresolved]
    return (";".join(codes) or None), bad


_KIND_VI = {"sector": "ngành", "process": "quy trình", "material": "vật liệu",
            "certification": "chứng chỉ"}


def _unknown_term(piece: str, kind: str, scope: str = "field") -> Piece:
    kept = " (the cell is kept as written)" if scope == "note" else ""
    kept_vi = " (ô vẫn giữ như đã ghi)" if scope == "note" else ""
    fix = _suggest(piece, kind)
    return Piece(
        piece, f"unknown {kind} {piece!r}{kept}", fix,
        f"không nhận ra {_KIND_VI[kind]} {piece!r}{kept_vi}",
        f"Ghi mã hoặc tên {_KIND_VI[kind]} đã biết, hoặc bỏ phần này. ({fix})",
        scope,
    )


def _firm_sectors(value: Any) -> tuple[str | None, list[Piece]]:
    """The sectors cell as written; pieces the taxonomy does not know become notes."""
    from features.taxonomy import load_taxonomy

    cell = p.text_list(value)
    if cell is None:
        return None, []
    _, unresolved = load_taxonomy().resolve_many(cell, kind="sector")
    return cell, [_unknown_term(piece, "sector", "note") for piece in unresolved]


def _firm_certifications(value: Any) -> tuple[str | None, list[Piece]]:
    """The certifications cell as written; pieces the certification parser cannot read
    (an unknown standard, an impossible date, words) become notes."""
    from features.certifications import parse_certifications

    cell = p.text_list(value)
    if cell is None:
        return None, []
    notes = [
        Piece(
            piece,
            f"certification not understood: {piece!r} (the cell is kept as written)",
            "Write each certificate as its standard and dates, separated by ';' "
            "(ISO 9001:2015 hết hạn 31/12/2026; IATF 16949).",
            f"không đọc được chứng chỉ {piece!r} (ô vẫn giữ như đã ghi)",
            "Ghi mỗi chứng chỉ gồm tên tiêu chuẩn và ngày, cách nhau bởi ';' "
            "(ISO 9001:2015 hết hạn 31/12/2026; IATF 16949).",
            "note",
        )
        for piece in parse_certifications(cell).unparsed
    ]
    return cell, notes


# Parser of each column: (kind, column) -> callable(value) -> value | (value, piece problems)
def parsers(kind: str) -> dict[str, Callable[[Any], Any]]:
    firm_id = _identifier("firm_id")
    buyer_id = _identifier("buyer_id")
    need_id = _identifier("need_id")
    count = "; e.g. 1200"
    if kind == "firms":
        return {
            "firm_id": firm_id, "name": p.text, "tax_code": p.tax_code, "address": p.text,
            "district": p.text,
            "founded": lambda v: p.integer(v, 1900, 2100, " (a year, yyyy)"),
            "employees": lambda v: p.integer(v, 0, 1_000_000, count),
            "ownership": _ownership, "sectors": _firm_sectors, "description": p.text,
            "products": p.text_list, "materials": p.text_list,
            "certifications": _firm_certifications,
            "export_markets": p.text_list, "customers": p.text_list,
            "monthly_capacity": lambda v: p.integer(v, 0, 10**10, " (pieces per month)"),
            "languages": _languages, "contact_email": _email, "phone": p.text,
            "is_demo": p.boolean,
        }
    if kind == "buyers":
        return {
            "buyer_id": buyer_id, "name": p.text, "country": _country, "park_id": _park,
            "sector": lambda v: _single_code("sector", v), "description": p.text,
            "is_demo": p.boolean,
        }
    if kind == "needs":
        return {
            "need_id": need_id, "buyer_id": buyer_id, "title": p.text, "description": p.text,
            "sector": lambda v: _single_code("sector", v),
            "processes": lambda v: taxonomy_codes("processes", v),
            "materials": lambda v: taxonomy_codes("materials", v),
            "mandatory_certifications": lambda v: taxonomy_codes("mandatory_certifications", v),
            "preferred_certifications": lambda v: taxonomy_codes("preferred_certifications", v),
            "annual_volume": lambda v: p.integer(v, 0, 10**12, " (pieces per year)"),
            "min_monthly_capacity": lambda v: p.integer(v, 0, 10**10, " (pieces per month)"),
            "tolerance_mm": lambda v: _tolerance(v),
            "deadline": p.date, "created": p.date,
            "status": _choice(_NEED_STATUS, NEED_STATUSES, "need status"),
            "target_price_usd": lambda v: p.decimal(v, 0, 10**9, " (USD)"),
            "internal_notes": p.text, "is_demo": p.boolean,
        }
    return {
        "need_id": need_id, "firm_id": firm_id,
        "status": _choice(_OUTCOME_STATUS, OUTCOME_STATUSES, "status"),
        "reason": p.text, "at": p.date, "by": p.text,
    }


def _tolerance(value: Any) -> float | None:
    x = p.decimal(value, 0, 100, " (mm)")
    if x is not None and x <= 0:
        raise CellProblem(
            f"expected a tolerance above 0 mm, got {x:g}", "Write the tolerance in mm (0.05).",
            f"cần dung sai lớn hơn 0 mm, nhận {x:g}", "Ghi dung sai bằng mm (0.05).",
        )
    return x


def _single_code(column: str, value: Any) -> str | None:
    codes, bad = taxonomy_codes(column, value)
    if bad:
        raise CellProblem(bad[0].reason, bad[0].fix, bad[0].reason_vi, bad[0].fix_vi)
    if codes and ";" in codes:
        raise CellProblem(
            f"expected one {TAXONOMY_KIND[column]}, got several ({codes.replace(';', ', ')})",
            f"Keep only the main {TAXONOMY_KIND[column]}.",
            f"cần một {_KIND_VI[TAXONOMY_KIND[column]]}, nhận nhiều ({codes.replace(';', ', ')})",
            f"Chỉ giữ {_KIND_VI[TAXONOMY_KIND[column]]} chính.",
        )
    return codes


# Columns whose empty cell takes a default rather than staying empty.
DEFAULTS: dict[str, dict[str, Any]] = {
    "firms": {"is_demo": False},
    "buyers": {"is_demo": False},
    "needs": {"is_demo": False, "status": "open"},
    "outcomes": {},
}


def row_problems(kind: str, row: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Row-level problems (column, reason, fix, reason_vi, fix_vi): a row without an
    identity is unusable."""
    out: list[tuple[str, str, str, str, str]] = []

    def need(column: str, what: str, what_vi: str) -> None:
        if row.get(column) is None:
            out.append((column, f"row rejected: {what} is empty or invalid",
                        f"Fill in a valid {column} ({what}) and import the row again.",
                        f"loại cả dòng: {what_vi} trống hoặc không hợp lệ",
                        f"Điền {what_vi} hợp lệ ({column}) rồi nhập lại dòng này."))

    if kind == "firms":
        need("name", "the firm's name", "tên doanh nghiệp")
        if row.get("firm_id") is None and row.get("tax_code") is None:
            out.append(("firm_id", "row rejected: neither a valid firm_id nor a valid tax code "
                        "identifies the firm",
                        "Fill in firm_id (your own ID, e.g. VN-0001) or a valid mã số thuế.",
                        "loại cả dòng: không có mã doanh nghiệp hay mã số thuế hợp lệ nào "
                        "xác định doanh nghiệp",
                        "Điền mã doanh nghiệp (mã riêng của bạn, ví dụ VN-0001) hoặc mã số "
                        "thuế hợp lệ."))
    elif kind == "buyers":
        need("buyer_id", "the buyer id", "mã bên mua")
        need("name", "the buyer's name", "tên bên mua")
    elif kind == "needs":
        need("need_id", "the need id", "mã nhu cầu")
        need("buyer_id", "the buyer id", "mã bên mua")
        if row.get("title") is None and row.get("description") is None:
            out.append(("title", "row rejected: a need needs a title or a description",
                        "Write a short title of the component.",
                        "loại cả dòng: nhu cầu cần tiêu đề hoặc mô tả",
                        "Ghi tiêu đề ngắn của linh kiện."))
    else:
        need("need_id", "the need id", "mã nhu cầu")
        need("firm_id", "the firm id", "mã doanh nghiệp")
        need("status", "the status", "trạng thái")
        need("at", "the date/time", "ngày giờ")
        if row.get("status") == "rejected" and row.get("reason") is None:
            out.append(("reason", "row rejected: status 'rejected' needs a reason",
                        "Write why the match was rejected (lý do).",
                        "loại cả dòng: trạng thái 'từ chối' cần lý do",
                        "Ghi lý do từ chối."))
    return out


def derive_firm_id(tax_code: str) -> str:
    """A stable firm id from a tax code, for rows that have none: ``F`` + its digits.

    Deterministic, so re-importing the file gives the same id; a valid ID under
    :func:`features.identity.normalize_id` (at most 14 characters)."""
    return "F" + tax_code.replace("-", "")
