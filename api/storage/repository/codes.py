"""Taxonomy codes in the fields of records and filters: resolved, or refused with close codes."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from api.storage.errors import ServiceError
from features.exceptions import CnhtError, message

__all__ = ["InvalidFieldError", "resolve_code", "check_need_fields", "NEED_CODE_FIELDS"]

# Need fields naming taxonomy codes or aliases, and the kind each names (certifications are
# parsed from their written form, "ISO 9001:2015").
NEED_CODE_FIELDS: dict[str, str] = {
    "sector": "sector", "processes": "process", "materials": "material",
    "mandatory_certifications": "certification", "preferred_certifications": "certification",
}  # fmt: skip


class InvalidFieldError(ServiceError):
    """A field (or a filter) whose value the service cannot use; ``column`` names it.

    An import turns it into a reject of that row and column.
    """

    status_code = 422

    def __init__(self, message: str, column: str, *, vi: str | None = None) -> None:
        super().__init__(message, vi=vi)
        self.column = column


_KINDS_VI = {"sector": "ngành", "process": "công đoạn", "material": "vật liệu", "certification": "chứng nhận"}


def _close_codes(value: str, kind: str) -> list[str]:
    from features.taxonomy import alias_key, load_taxonomy

    index = load_taxonomy().alias_index(kind)
    keys = difflib.get_close_matches(alias_key(value), list(index), n=6, cutoff=0.6)
    codes = list(dict.fromkeys(index[key] for key in keys))[:3]
    if not codes:
        codes = [term.code for term in load_taxonomy().terms(kind)[:3]]
    return codes


def resolve_code(value: str, kind: str, field: str) -> str:
    """The taxonomy code of ``value`` (a code, label or alias, with or without diacritics).

    Parameters
    ----------
    value : str
        ``"ISO 9001"``, ``"iso_9001"``, ``"điện tử"``, ``"ep nhua"``...
    kind : {"sector", "process", "material", "certification"}
    field : str
        The field or filter the value came in (named in the error).

    Returns
    -------
    str
        The code (``"iso_9001"``, ``"electronics"``, ``"injection_moulding"``).

    Raises
    ------
    InvalidFieldError
        Nothing of that kind is called ``value``; the message lists close codes.

    Examples
    --------
    >>> resolve_code("ISO 9001", "certification", "certification")
    'iso_9001'
    """
    from features.taxonomy import load_taxonomy

    code = load_taxonomy().resolve(value, kind)
    if code is None:
        close = ", ".join(_close_codes(value, kind))
        raise InvalidFieldError(
            f"Field '{field}': expected a {kind} code or alias, got {value!r}. "
            f"Close codes: {close}. Fix the spelling (codes and aliases are in the taxonomy).",
            field,
            vi=f"Trường '{field}': cần một mã hoặc tên gọi khác của {_KINDS_VI.get(kind, kind)}, nhận được {value!r}. "
               f"Các mã gần giống: {close}. Hãy sửa chính tả (mã và tên gọi khác có trong danh mục).",
        )
    return code


def check_need_fields(values: Mapping[str, Any], need_id: str) -> None:
    """Check that the need's code fields in ``values`` can be ranked (the matcher's own parser).

    Each of :data:`NEED_CODE_FIELDS` present is parsed alone by :func:`matching.parse_need`,
    so a need accepted here is never left out of ranking for a spelling of its fields.

    Raises
    ------
    InvalidFieldError
        A piece of a field is not a known code, alias or certification; ``column`` names it.
    """
    from matching import parse_need

    for field, kind in NEED_CODE_FIELDS.items():
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            parse_need({"need_id": need_id, field: value})
        except CnhtError as exc:
            pieces = [p.strip() for p in str(value).split(";") if p.strip()]
            hint = hint_vi = ""
            if kind != "certification":
                from features.taxonomy import load_taxonomy

                bad = [p for p in pieces if load_taxonomy().resolve(p, kind) is None]
                if bad:
                    close = ', '.join(_close_codes(bad[0], kind))
                    hint = f" Close codes for {bad[0]!r}: {close}."
                    hint_vi = f" Các mã gần giống với {bad[0]!r}: {close}."
            raise InvalidFieldError(
                f"Field '{field}' of need {need_id}: {exc}{hint}", field,
                vi=f"Trường '{field}' của nhu cầu {need_id}: {message(exc, 'vi')}{hint_vi}",
            ) from exc
