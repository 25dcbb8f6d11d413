"""Buyers: lookup, create, update, delete (when they have no needs), list; their industrial park."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage.errors import ConflictError
from api.storage.models import Buyer, Need
from api.storage.repository.audit_log import audit, snapshot
from api.storage.repository.codes import InvalidFieldError, resolve_code
from api.storage.repository.queries import _assign, _like_fold, _one, _page
from features.text import fold

__all__ = [
    "BUYER_FIELDS", "get_buyer", "check_park", "create_buyer", "update_buyer", "delete_buyer",
    "list_buyers",
]  # fmt: skip


BUYER_FIELDS: tuple[str, ...] = (
    "name", "country", "park_id", "sector", "description", "is_demo",
)  # fmt: skip


def get_buyer(session: Session, buyer_id: str) -> Buyer:
    """The buyer ``buyer_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Buyer, Buyer.buyer_id, buyer_id, "Buyer")


def _refresh_buyer(buyer: Buyer) -> None:
    buyer.search_text = " ".join(
        fold(part) for part in (buyer.buyer_id, buyer.name, buyer.country, buyer.park_id,
                                buyer.sector, buyer.description) if part
    )  # fmt: skip


def check_park(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` with its ``park_id`` as a park id of :func:`features.geo.parks` (a name
    such as ``KCN Thăng Long`` is read as its id); empty means no park.

    Raises
    ------
    InvalidFieldError
        An unknown park; the message lists the known ids.
    """
    park = values.get("park_id")
    if park is None or not str(park).strip():
        return {**values, "park_id": None} if "park_id" in values else values
    from features.geo import parks, resolve_park

    known = list(parks().index)
    park_id = park if park in known else resolve_park(str(park))
    if park_id is None:
        raise InvalidFieldError(
            f"Field 'park_id': expected an industrial park of features/data/industrial_parks.csv, "
            f"got {park!r}. Known parks: {', '.join(known)}.", "park_id",
            vi=f"Trường 'park_id': cần một khu công nghiệp có trong features/data/industrial_parks.csv, "
               f"nhận được {park!r}. Các khu đã biết: {', '.join(known)}.",
        )
    return {**values, "park_id": park_id}


def create_buyer(session: Session, values: Mapping[str, Any], actor: str) -> Buyer:
    """Insert a buyer; :class:`ConflictError` when the id is taken."""
    buyer_id = values["buyer_id"]
    if session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is not None:
        raise ConflictError(
            f"Buyer {buyer_id} already exists. Use PATCH /api/v1/buyers/{buyer_id} to change it.",
            vi=f"Bên mua {buyer_id} đã có trong hệ thống. Để sửa, dùng PATCH /api/v1/buyers/{buyer_id}.",
        )
    buyer = Buyer(buyer_id=buyer_id, name=values["name"], is_demo=False)
    values = check_park(values)
    _assign(buyer, BUYER_FIELDS, values)
    _refresh_buyer(buyer)
    session.add(buyer)
    session.flush()
    audit(session, actor, "create", "buyer", buyer_id, None, snapshot(buyer))
    return buyer


def update_buyer(session: Session, buyer: Buyer, values: Mapping[str, Any], actor: str) -> bool:
    """Change a buyer's fields; True when something changed."""
    before = snapshot(buyer)
    values = check_park(values)
    if not _assign(buyer, BUYER_FIELDS, values):
        return False
    _refresh_buyer(buyer)
    buyer.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, actor, "update", "buyer", buyer.buyer_id, before, snapshot(buyer))
    return True


def delete_buyer(session: Session, buyer: Buyer, actor: str) -> None:
    """Delete a buyer that has no needs (:class:`ConflictError` otherwise)."""
    needs = session.scalar(select(func.count()).where(Need.buyer_id == buyer.buyer_id))
    if needs:
        raise ConflictError(
            f"Buyer {buyer.buyer_id} still has {needs} need(s). Delete or move them first.",
            vi=f"Bên mua {buyer.buyer_id} còn {needs} nhu cầu. Hãy xóa hoặc chuyển các nhu cầu đó trước.",
        )
    before = snapshot(buyer)
    session.delete(buyer)
    session.flush()
    audit(session, actor, "delete", "buyer", buyer.buyer_id, before, None)


def list_buyers(
    session: Session,
    *,
    sector: str | None = None,
    country: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Buyer], int]:
    """Buyers matching the filters (sector code, country, folded text ``q``)."""
    query = select(Buyer)
    if sector:  # a code or an alias (điện tử, electronics), as for firms and needs
        query = query.where(Buyer.sector == resolve_code(sector, "sector", "sector"))
    if country:
        query = query.where(Buyer.country == country.strip().upper())
    if q:
        for word in fold(q).split():
            query = query.where(_like_fold(Buyer.search_text, word))
    return _page(session, query, Buyer.buyer_id, limit, offset)
