"""Buyers' needs: lookup, create, update (code fields checked by the matcher's parser), delete
(when they have no match history), list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage import enrich
from api.storage.errors import ConflictError, NotFoundError
from api.storage.models import Buyer, Need, ShortlistRun
from api.storage.repository.audit_log import audit, snapshot
from api.storage.repository.codes import NEED_CODE_FIELDS, check_need_fields, resolve_code
from api.storage.repository.history import _refuse_delete_with_history, match_history
from api.storage.repository.queries import _assign, _has_code, _joined, _like_fold, _one, _page
from features.text import fold

__all__ = ["NEED_FIELDS", "get_need", "create_need", "update_need", "delete_need", "list_needs"]


NEED_FIELDS: tuple[str, ...] = (
    "buyer_id", "title", "description", "sector", "processes", "materials",
    "mandatory_certifications", "preferred_certifications", "annual_volume",
    "min_monthly_capacity", "tolerance_mm", "deadline", "created", "status",
    "target_price_usd", "internal_notes", "is_demo",
)  # fmt: skip


def get_need(session: Session, need_id: str) -> Need:
    """The need ``need_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Need, Need.need_id, need_id, "Need")


def _refresh_need(need: Need) -> None:
    codes = enrich.capability_codes(
        need.title, need.description, need.processes, need.materials, sector_cells=(need.sector,)
    )
    need.sector_codes = _joined(codes["sectors"])
    need.process_codes = _joined(codes["processes"])
    need.material_codes = _joined(codes["materials"])
    need.search_text = " ".join(
        fold(part) for part in (need.need_id, need.title, need.description, need.sector,
                                need.processes, need.materials) if part
    )  # fmt: skip


def _check_buyer(session: Session, buyer_id: str) -> None:
    if session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is None:
        raise NotFoundError(
            f"Buyer {buyer_id} not found. Create the buyer first (POST /api/v1/buyers).",
            vi=f"Không tìm thấy bên mua {buyer_id}. Hãy tạo bên mua trước (POST /api/v1/buyers).",
        )


def create_need(session: Session, values: Mapping[str, Any], actor: str) -> Need:
    """Insert a need of an existing buyer."""
    need_id = values["need_id"]
    if session.scalar(select(Need.id).where(Need.need_id == need_id)) is not None:
        raise ConflictError(
            f"Need {need_id} already exists. Use PATCH /api/v1/needs/{need_id} to change it.",
            vi=f"Nhu cầu {need_id} đã có trong hệ thống. Để sửa, dùng PATCH /api/v1/needs/{need_id}.",
        )
    _check_buyer(session, values["buyer_id"])
    check_need_fields(values, need_id)
    need = Need(need_id=need_id, buyer_id=values["buyer_id"], title=values["title"],
                status="open", is_demo=False)  # fmt: skip
    _assign(need, NEED_FIELDS, values)
    _refresh_need(need)
    session.add(need)
    session.flush()
    audit(session, actor, "create", "need", need_id, None, snapshot(need))
    return need


def update_need(session: Session, need: Need, values: Mapping[str, Any], actor: str) -> bool:
    """Change a need's fields; True when something changed."""
    if "buyer_id" in values and values["buyer_id"] != need.buyer_id:
        _check_buyer(session, values["buyer_id"])
    changed = {k: v for k, v in values.items() if k in NEED_CODE_FIELDS and getattr(need, k) != v}
    check_need_fields(changed, need.need_id)
    before = snapshot(need)
    if not _assign(need, NEED_FIELDS, values):
        return False
    _refresh_need(need)
    need.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, actor, "update", "need", need.need_id, before, snapshot(need))
    return True


def delete_need(session: Session, need: Need, actor: str) -> None:
    """Delete a need that has no match history.

    Raises
    ------
    ConflictError
        The need has recorded outcomes or shortlists; close it instead.
    """
    outcomes, entries = match_history(session, need_id=need.need_id)
    runs = session.scalar(select(func.count()).select_from(ShortlistRun)
                          .where(ShortlistRun.need_id == need.need_id))  # fmt: skip
    _refuse_delete_with_history(
        f"Need {need.need_id}", outcomes, entries,
        f'Close it instead: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.',
        label_vi=f"Nhu cầu {need.need_id}",
        instead_vi=f'Hãy đóng nhu cầu thay vì xóa: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.',
    )
    if runs:
        raise ConflictError(
            f"Need {need.need_id} has {runs} computed shortlist(s); deleting it would erase "
            f'them. Close it instead: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.',
            vi=f"Nhu cầu {need.need_id} đã có {runs} danh sách đề xuất; xóa nhu cầu sẽ xóa luôn các danh sách đó. "
               f'Hãy đóng nhu cầu thay vì xóa: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.',
        )
    before = snapshot(need)
    session.delete(need)
    session.flush()
    audit(session, actor, "delete", "need", need.need_id, before, None)


def list_needs(
    session: Session,
    *,
    buyer_id: str | None = None,
    sector: str | None = None,
    process: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Need], int]:
    """Needs matching the filters (buyer, sector/process codes or aliases, status, folded ``q``).

    Raises
    ------
    InvalidFieldError
        A sector or process that the taxonomy does not know (422).
    """
    query = select(Need)
    if buyer_id:
        query = query.where(Need.buyer_id == buyer_id)
    if sector:
        query = query.where(_has_code(Need.sector_codes, resolve_code(sector, "sector", "sector")))
    if process:
        query = query.where(_has_code(Need.process_codes, resolve_code(process, "process", "process")))
    if status:
        query = query.where(Need.status == status)
    if q:
        for word in fold(q).split():
            query = query.where(_like_fold(Need.search_text, word))
    return _page(session, query, Need.need_id, limit, offset)
