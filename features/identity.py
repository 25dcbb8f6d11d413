"""What a valid firm, buyer or need ID is: the one rule, used by ingestion, the pandera
schemas, the API schemas and the CLI.

An ID is the user's own stable key, kept as the file gives it: any non-empty text of at
most :data:`ID_MAX_LENGTH` characters. It is only tidied so that the same key typed twice
is the same ID:

* Unicode NFKC (full-width ``ＶＮ－０００１`` from a Japanese keyboard is ``VN-0001``);
* invisible format characters (zero-width space, BOM, soft hyphen) removed;
* leading and trailing white space removed, inner runs of white space (tabs, line breaks
  of a wrapped Excel cell) turned into one space.

Case is kept (``vn-0001`` and ``VN-0001`` are two IDs). Refused: an empty ID, a longer
one, a control character, ``/`` (an ID is a segment of a web address such as
``/api/v1/firms/{firm_id}``, where ``/`` cannot be escaped reliably), and the IDs ``.``
and ``..``.

Examples
--------
>>> normalize_id("  VN-0001 ")
'VN-0001'
>>> normalize_id("ＳＨＴＰ－００１")
'SHTP-001'
>>> normalize_id("acme plant\\t 2")
'acme plant 2'
>>> normalize_id("a/b")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
features.identity.InvalidIdError: Expected an ID without '/', got 'a/b'. ...
"""

from __future__ import annotations

import unicodedata
from typing import Any

from features.exceptions import CnhtError

__all__ = ["ID_MAX_LENGTH", "ID_PATTERN", "InvalidIdError", "normalize_id", "is_valid_id"]

ID_MAX_LENGTH = 64
# The normal form as a regular expression (for OpenAPI, FastAPI path parameters and
# schema documentation): no '/', no control character, no space at either end. Written
# without look-arounds so that both Python's ``re`` and pydantic's Rust engine read it.
# normalize_id is the rule; this pattern only describes its output.
_BAD = r"/\x00-\x1f\x7f-\x9f"
ID_PATTERN = rf"^[^{_BAD}\s]([^{_BAD}]*[^{_BAD}\s])?$"


class InvalidIdError(CnhtError, ValueError):
    """A value is not a valid ID; the message says what was expected and how to fix it.

    Attributes
    ----------
    reason_vi, fix_vi : str
        The same in Vietnamese (import reports are bilingual).
    """

    def __init__(self, reason: str, fix: str, reason_vi: str, fix_vi: str) -> None:
        super().__init__(f"{reason}. {fix}", vi=f"{reason_vi}. {fix_vi}")
        self.reason, self.fix, self.reason_vi, self.fix_vi = reason, fix, reason_vi, fix_vi


def _a(what: str) -> str:
    return ("an " if what == "ID" or what[:1].lower() in "aeiou" else "a ") + what


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def normalize_id(value: Any, what: str = "ID") -> str:
    """The normal form of an ID, or :class:`InvalidIdError` saying why there is none.

    Parameters
    ----------
    value : str (or any value; numbers from a spreadsheet are read as their text)
    what : str, default "ID"
        How the message names it (``"firm_id"``, ``"buyer_id"``...).

    Returns
    -------
    str
        The tidied ID (see the module docstring): 1 to :data:`ID_MAX_LENGTH` characters.

    Raises
    ------
    InvalidIdError
        Empty, too long, a control character, ``/``, or ``.``/``..``.
    """
    raw = "" if value is None else str(value)
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split())
    if not text:
        raise InvalidIdError(
            f"Expected a non-empty {what}, got {_shown(raw)}",
            f"Write the {what} (any text such as VN-0001), or leave the whole row out",
            f"cần {what} không trống, nhận {_shown(raw)}",
            f"Ghi {what} (chuỗi bất kỳ, ví dụ VN-0001), hoặc bỏ cả dòng",
        )
    if len(text) > ID_MAX_LENGTH:
        raise InvalidIdError(
            f"Expected {_a(what)} of at most {ID_MAX_LENGTH} characters, got {len(text)} "
            f"({_shown(raw)})",
            f"Shorten the {what} to {ID_MAX_LENGTH} characters or fewer",
            f"cần {what} tối đa {ID_MAX_LENGTH} ký tự, nhận {len(text)} ({_shown(raw)})",
            f"Rút ngắn {what} còn tối đa {ID_MAX_LENGTH} ký tự",
        )
    control = next((ch for ch in text if unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        raise InvalidIdError(
            f"Expected {_a(what)} without control characters, got {_shown(raw)} "
            f"(contains U+{ord(control):04X})",
            f"Retype the {what} without the invisible character",
            f"cần {what} không có ký tự điều khiển, nhận {_shown(raw)} "
            f"(có U+{ord(control):04X})",
            f"Gõ lại {what}, bỏ ký tự ẩn",
        )
    if "/" in text:
        raise InvalidIdError(
            f"Expected {_a(what)} without '/', got {_shown(raw)}",
            f"IDs are parts of web addresses (/firms/{{id}}); write "
            f"{text.replace('/', '-')!r} instead",
            f"cần {what} không có '/', nhận {_shown(raw)}",
            f"Mã là một phần của địa chỉ web (/firms/{{id}}); ghi "
            f"{text.replace('/', '-')!r} thay thế",
        )
    if text in {".", ".."}:
        raise InvalidIdError(
            f"Expected {_a(what)} other than {text!r}, got {_shown(raw)}",
            f"Write {_a(what)} with a letter or digit",
            f"cần {what} khác {text!r}, nhận {_shown(raw)}",
            f"Ghi {what} có chữ hoặc số",
        )
    return text


def is_valid_id(value: Any) -> bool:
    """True when ``value`` is a string already in the normal form of :func:`normalize_id`."""
    if not isinstance(value, str):
        return False
    try:
        return normalize_id(value) == value
    except InvalidIdError:
        return False
