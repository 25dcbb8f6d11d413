"""Cell parsers: one raw cell in, a typed value out, or a :class:`CellProblem` saying why not."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

import pandas as pd
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

from features.dates import DATE_FORMATS, read_date
from features.numbers import read_number
from features.text import fold, normalize


class CellProblem(Exception):
    """A cell that cannot be used: ``reason`` (what was expected, what came) and ``fix``,
    in English, and in Vietnamese as ``reason_vi`` / ``fix_vi`` (the English text when no
    translation is given)."""

    def __init__(
        self, reason: str, fix: str, reason_vi: str | None = None, fix_vi: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix
        self.reason_vi = reason_vi or reason
        self.fix_vi = fix_vi or fix


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not normalize(value)


def text(value: Any) -> str | None:
    """Normalised text (NFC, one tone placement, no zero-width characters) or ``None``."""
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = normalize(value)
    return out or None


def text_list(value: Any) -> str | None:
    """A ``;``-separated list (newlines also separate), items normalised, joined by ``; ``."""
    raw = text(value)
    if raw is None:
        return None
    items = [normalize(p) for p in re.split(r"[;\n\r]+", raw)]
    items = [p for p in items if p]
    return "; ".join(items) or None


# --- numbers ---------------------------------------------------------------------------
_APPROX = re.compile(
    r"^(khoang|tren|hon|gan|duoi|toi da|toi thieu|xap xi|uoc|about|approx\.?|approximately|"
    r"around|over|more than|up to|~|>=|<=|>|<|±|\+/-)\s*"
)
_UNITS = {
    "nguoi", "lao dong", "nhan vien", "cong nhan", "ld", "nv", "people", "persons", "person",
    "employees", "staff", "workers", "pcs", "pc", "pieces", "piece", "cai", "chiec", "san pham",
    "sp", "units", "unit", "bo", "mm", "usd", "us$", "$", "nam", "year",
}
_PER = re.compile(r"\s*(/|moi|per|mot|1)\s*(thang|nam|month|year|mo|yr)\.?$")
_NUMBER = re.compile(r"^[+-]?\d[\d.,\s]*$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?e[+-]?\d+$")


def _number_text(raw: str) -> float:
    """``"1.200"`` → 1200, ``"1,5"`` → 1.5, ``"1,200.5"`` → 1200.5, ``"1 200"`` → 1200.

    :func:`features.numbers.read_number`, the reader of profiles and needs too; ValueError
    when the text is not one number.
    """
    value = read_number(raw.replace(" ", "").replace("\u00a0", ""))
    if value is None:
        raise ValueError(raw)
    return value


def number(value: Any, units_hint: str = "") -> float | None:
    """A number written as a number, or the Vietnamese/English way with words around it."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellProblem(f"expected a number, got {value!r}", "Write the number.",
                          f"cần một con số, nhận {value!r}", "Ghi con số.")
    if isinstance(value, (int, float)):
        return float(value)
    raw = normalize(value)
    folded = fold(raw)
    folded = _APPROX.sub("", folded).strip()
    folded = _PER.sub("", folded).strip()
    if _SCIENTIFIC.match(folded):
        # Excel shows big numbers as 1E+06 and may have rounded them on export: never guess.
        value = float(folded)
        shown = f"{value:.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
        raise CellProblem(
            f"expected digits, got {raw!r} in scientific notation (= {shown}); Excel writes "
            "large numbers this way and may have rounded them",
            f"Write the number in full ({shown}); in Excel format the column as Number "
            "with 0 decimals before saving.",
            f"cần chữ số, nhận {raw!r} dạng số mũ (= {shown}); Excel ghi số lớn như vậy và "
            "có thể đã làm tròn",
            f"Ghi đầy đủ ({shown}); trong Excel định dạng cột là Number, 0 chữ số thập phân "
            "trước khi lưu.",
        )
    m = re.match(r"^([+-]?\d[\d.,\s]*?)\s*([^\d\s.,].*)?$", folded)
    if m is None or not _NUMBER.match(m.group(1).strip()):
        raise CellProblem(
            f"expected a number, got {raw!r}",
            f"Write digits only{units_hint} (1.200 or 1200), or leave the cell empty.",
            f"cần một con số, nhận {raw!r}",
            "Chỉ ghi chữ số (1.200 hoặc 1200), hoặc để trống ô.",
        )
    unit = (m.group(2) or "").strip().rstrip(".")
    if unit and unit not in _UNITS:
        if re.search(r"\d", unit) or unit.startswith(("-", "den", "to")):
            raise CellProblem(
                f"expected one number, got a range or several numbers {raw!r}",
                "Write a single number (for a range, its lower end).",
                f"cần một con số, nhận một khoảng hoặc nhiều số {raw!r}",
                "Ghi một số duy nhất (với một khoảng: số nhỏ nhất).",
            )
        raise CellProblem(
            f"expected a number{units_hint}, got {raw!r} (unknown unit {unit!r})",
            f"Write the number alone{units_hint}.",
            f"cần một con số, nhận {raw!r} (đơn vị không rõ {unit!r})",
            "Chỉ ghi con số.",
        )
    try:
        return _number_text(m.group(1).strip())
    except ValueError:
        raise CellProblem(
            f"expected a number, got {raw!r} (digit groups of 3 expected after '.' or ',')",
            "Write digits only (1200), or with dots between groups of 3 (1.200).",
            f"cần một con số, nhận {raw!r} (sau '.' hoặc ',' cần nhóm 3 chữ số)",
            "Chỉ ghi chữ số (1200), hoặc dấu chấm giữa các nhóm 3 chữ số (1.200).",
        ) from None


def integer(value: Any, low: int, high: int, units_hint: str = "") -> int | None:
    """A whole number in ``[low, high]``."""
    x = number(value, units_hint)
    if x is None:
        return None
    if not float(x).is_integer():
        raise CellProblem(
            f"expected a whole number, got {normalize(value)!r}",
            "Write a whole number (no decimals).",
            f"cần một số nguyên, nhận {normalize(value)!r}",
            "Ghi số nguyên (không có phần thập phân).",
        )
    if not low <= x <= high:
        raise CellProblem(
            f"expected a number between {low} and {high}, got {int(x)}",
            "Correct the number or leave the cell empty.",
            f"cần một số từ {low} đến {high}, nhận {int(x)}",
            "Sửa con số hoặc để trống ô.",
        )
    return int(x)


def decimal(value: Any, low: float, high: float, units_hint: str = "") -> float | None:
    """A decimal number in ``[low, high]`` (``low`` excluded when it is 0 for tolerances)."""
    x = number(value, units_hint)
    if x is None:
        return None
    if not low <= x <= high:
        raise CellProblem(
            f"expected a number between {low:g} and {high:g}, got {x:g}",
            "Correct the number or leave the cell empty.",
            f"cần một số từ {low:g} đến {high:g}, nhận {x:g}",
            "Sửa con số hoặc để trống ô.",
        )
    return x


# --- dates -------------------------------------------------------------------------------
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# A day in one of DATE_FORMATS (read by features.dates.read_date), then an optional time.
_DAY_AND_TIME = re.compile(r"^(\S+?)(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# The shapes of DATE_FORMATS whatever the numbers: such a cell that read_date refuses is not a
# real calendar day (31/02/2026, 2026-13-01).
_DATE_SHAPE = re.compile(r"^(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}([/.-])\d{1,2}\1\d{4})$")
_VI_DATE = re.compile(r"^ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})$")


def date(value: Any) -> pd.Timestamp | None:
    """A day read by :func:`features.dates.read_date` (ISO or day first: ``01/05/2026`` is
    1 May), optionally followed by a time (``05/01/2026 09:30``); on top of it, what
    spreadsheets hold: Excel dates and serial numbers, ISO 8601 date-times with a zone
    (converted to Vietnam time and dropped), and ``ngày 5 tháng 3 năm 2025``. Anything else
    is refused with the accepted formats."""
    if is_empty(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # Excel serial date (1954..2119)
            return pd.Timestamp(_EXCEL_EPOCH + dt.timedelta(days=float(value)))
        raise CellProblem(f"expected a date, got the number {value!r}", _DATE_FIX,
                          f"cần một ngày, nhận số {value!r}", _DATE_FIX_VI)
    raw = normalize(value)
    folded = fold(raw)
    if m := _VI_DATE.match(folded):
        folded = f"{m[1]}/{m[2]}/{m[3]}"
    if re.fullmatch(r"\d{5}", folded):
        return date(int(folded))
    if m := _DAY_AND_TIME.match(folded):
        day = read_date(m[1])
        if day is not None:
            try:
                return pd.Timestamp(dt.datetime.combine(day, dt.time(int(m[2] or 0), int(m[3] or 0), int(m[4] or 0))))
            except ValueError:
                pass  # an impossible time: refused below
        elif _DATE_SHAPE.match(m[1]):
            raise CellProblem(f"expected a real calendar date, got {raw!r}", _DATE_FIX,
                              f"ngày không có trong lịch: {raw!r}", _DATE_FIX_VI)
    if re.match(r"^\d{4}-\d{2}-\d{2}[ t]\d{1,2}:\d{2}", folded):
        try:
            stamp = pd.Timestamp(raw)
        except ValueError:
            stamp = None
        if stamp is not None and read_date(raw[:10]) is not None:
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("Asia/Ho_Chi_Minh").tz_localize(None)
            return stamp
    raise CellProblem(f"expected a date, got {raw!r}", _DATE_FIX,
                      f"cần một ngày, nhận {raw!r}", _DATE_FIX_VI)


_DATE_FIX = (f"Write the date in one of the formats {', '.join(DATE_FORMATS)} (25/12/2026 is "
             "25 December), or as ngày 25 tháng 12 năm 2026.")
_DATE_FIX_VI = (f"Ghi ngày theo một trong các dạng {', '.join(DATE_FORMATS)} (25/12/2026 là "
                "ngày 25 tháng 12), hoặc ngày 25 tháng 12 năm 2026.")


# --- booleans ----------------------------------------------------------------------------
_TRUE = {"true", "1", "co", "x", "yes", "y", "dung", "phai", "v", "t"}
_FALSE = {"false", "0", "khong", "no", "n", "sai", "f", "-"}


def boolean(value: Any) -> bool | None:
    """true/false, có/không, x (ticked) / empty, yes/no, 1/0."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = fold(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellProblem(
        f"expected yes/no, got {normalize(value)!r}",
        "Write có/không, true/false, or x for yes (empty means no).",
        f"cần có/không, nhận {normalize(value)!r}",
        "Ghi có/không, true/false, hoặc x cho có (để trống là không).",
    )


# --- tax code ----------------------------------------------------------------------------
_TAX_FIX = (
    "Write the mã số thuế as 10 digits, or 10 digits + '-' + 3-digit branch (0101234567-001); "
    "or leave the cell empty."
)
_TAX_FIX_VI = (
    "Ghi mã số thuế gồm 10 chữ số, hoặc 10 chữ số + '-' + 3 chữ số chi nhánh "
    "(0101234567-001); hoặc để trống ô."
)


def tax_code(value: Any) -> str | None:
    """Mã số thuế as ``0101234567`` or ``0101234567-001``, check digit verified.

    Spreadsheet artefacts are undone first: full-width digits (NFKC), Excel's leading
    apostrophe (``'0101234567``) and a float's ``.0`` (``0101234567.0``). Only ASCII digits
    count, and a branch suffix runs from 001 to 999.

    >>> tax_code("'0100109106"), tax_code("0100109106.0"), tax_code("0100109106-001")
    ('0100109106', '0100109106', '0100109106-001')
    """
    if is_empty(value):
        return None
    raw = normalize(value)
    if isinstance(value, float) and value.is_integer():
        raw = str(int(value))
    cleaned = unicodedata.normalize("NFKC", raw).strip().lstrip("'‘’")
    cleaned = re.sub(r"\.0+$", "", cleaned)  # a number read as a float: 0100109106.0
    digits = re.sub(r"[\s.\-_/]", "", cleaned)
    if not re.fullmatch(r"[0-9]+", digits):
        raise CellProblem(
            f"expected a 10- or 13-digit tax code, got {raw!r} (not only digits)",
            _TAX_FIX,
            f"cần mã số thuế 10 hoặc 13 chữ số, nhận {raw!r} (có ký tự không phải chữ số)",
            _TAX_FIX_VI,
        )
    if len(digits) not in (10, 13):
        lost_zero = len(digits) in (9, 12)
        raise CellProblem(
            f"expected a 10- or 13-digit tax code, got {raw!r} ({len(digits)} digits)",
            "Check the mã số thuế on the business registration (masothue / dangkykinhdoanh); "
            + ("if Excel removed a leading 0, format the column as Text and type the code again."
               if lost_zero else "or leave the cell empty."),
            f"cần mã số thuế 10 hoặc 13 chữ số, nhận {raw!r} ({len(digits)} chữ số)",
            "Kiểm tra mã số thuế trên đăng ký kinh doanh (masothue / dangkykinhdoanh); "
            + ("nếu Excel đã bỏ số 0 đầu, định dạng cột là Text rồi gõ lại mã."
               if lost_zero else "hoặc để trống ô."),
        )
    if len(digits) == 13 and digits[10:] == "000":
        raise CellProblem(
            f"expected a branch number 001-999 after the 10 digits, got {raw!r} (branch 000)",
            f"Write the head office as {digits[:10]} (no suffix), or the branch's own number "
            "from its registration (-001, -002, ...).",
            f"cần số chi nhánh 001-999 sau 10 chữ số, nhận {raw!r} (chi nhánh 000)",
            f"Ghi trụ sở chính là {digits[:10]} (không hậu tố), hoặc đúng số chi nhánh trên "
            "đăng ký (-001, -002, ...).",
        )
    try:
        mst.validate(digits)
    except StdnumError:
        raise CellProblem(
            f"expected a tax code with a valid check digit, got {raw!r} (check digit fails)",
            "A digit is mistyped: copy the mã số thuế again from the business registration "
            "certificate, or leave the cell empty.",
            f"mã số thuế {raw!r} sai chữ số kiểm tra",
            "Có chữ số gõ nhầm: chép lại mã số thuế từ giấy chứng nhận đăng ký kinh doanh, "
            "hoặc để trống ô.",
        ) from None
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"
