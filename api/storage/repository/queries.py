"""Pieces the resource modules share: one row or a 404, a page, folded-text and code filters,
assigning fields, the joined code columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.storage.errors import NotFoundError
from features.text import fold

__all__ = ["not_found_message", "not_found_message_vi"]


def _one(session: Session, model: type, column: Any, value: str, label: str) -> Any:
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise NotFoundError(not_found_message(label, value), vi=not_found_message_vi(label, value))
    return row


def not_found_message(label: str, value: object) -> str:
    """The one 404 message of a record, missing or hidden from the caller alike.

    >>> not_found_message("Need", "N-1")
    'Need N-1 not found. Check the id (list them with GET /api/v1/needs).'
    """
    return f"{label} {value} not found. Check the id (list them with GET /api/v1/{label.lower()}s)."


_LABELS_VI = {"Firm": "doanh nghiệp", "Need": "nhu cầu", "Buyer": "bên mua"}


def not_found_message_vi(label: str, value: object) -> str:
    """:func:`not_found_message` in Vietnamese (the API hint kept as it is).

    >>> not_found_message_vi("Need", "N-1")
    'Không tìm thấy nhu cầu N-1. Hãy kiểm tra mã (xem danh sách bằng GET /api/v1/needs).'
    """
    return (f"Không tìm thấy {_LABELS_VI.get(label, label)} {value}. Hãy kiểm tra mã "
            f"(xem danh sách bằng GET /api/v1/{label.lower()}s).")


def _page(session: Session, query: Select, order: Any, limit: int, offset: int) -> tuple[list, int]:
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    orders = order if isinstance(order, tuple) else (order,)
    rows = session.scalars(query.order_by(*orders).limit(limit).offset(offset)).all()
    return list(rows), int(count or 0)


def _like_fold(column: Any, q: str) -> Any:
    needle = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{needle}%", escape="\\")


def _has_code(column: Any, code: str) -> Any:
    # A resolved code holds "_", a LIKE wildcard: escaped.
    escaped = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%;{escaped};%", escape="\\")


def _assign(record: Any, fields: tuple[str, ...], values: Mapping[str, Any]) -> bool:
    changed = False
    for name in fields:
        if name in values and getattr(record, name) != values[name]:
            setattr(record, name, values[name])
            changed = True
    return changed


def _joined(codes: Iterable[str]) -> str:
    codes = sorted(set(codes))
    return f";{';'.join(codes)};" if codes else ""
