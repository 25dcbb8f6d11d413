"""Match history of a need or a firm (outcomes, shortlist entries), which deleting must not erase."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage.errors import ConflictError, NotFoundError
from api.storage.models import Outcome, ShortlistEntry

__all__ = ["match_history", "get_shortlist_entry"]


def match_history(session: Session, *, need_id: str | None = None,
                  firm_id: str | None = None) -> tuple[int, int]:
    """``(outcomes, shortlist entries)`` recorded for a need or a firm."""
    outcome_filter = Outcome.need_id == need_id if need_id else Outcome.firm_id == firm_id
    entry_filter = (ShortlistEntry.need_id == need_id if need_id
                    else ShortlistEntry.firm_id == firm_id)  # fmt: skip
    outcomes = session.scalar(select(func.count()).select_from(Outcome).where(outcome_filter))
    entries = session.scalar(select(func.count()).select_from(ShortlistEntry).where(entry_filter))
    return int(outcomes or 0), int(entries or 0)


def _refuse_delete_with_history(label: str, outcomes: int, entries: int, instead: str, *,
                                label_vi: str, instead_vi: str) -> None:
    if outcomes or entries:
        raise ConflictError(
            f"{label} has {outcomes} recorded outcome(s) and {entries} shortlist entr"
            f"{'y' if entries == 1 else 'ies'}; deleting it would erase match history that the "
            f"KPIs and the audit count. {instead}",
            vi=f"{label_vi} đã có {outcomes} kết quả được ghi nhận và {entries} mục trong danh sách đề xuất; "
               f"xóa sẽ làm mất lịch sử ghép nối mà các chỉ số KPI và nhật ký kiểm tra dựa vào. {instead_vi}",
        )


def get_shortlist_entry(session: Session, entry_id: int) -> ShortlistEntry:
    """The shortlist entry ``entry_id``; :class:`NotFoundError` when there is none."""
    row = session.get(ShortlistEntry, entry_id)
    if row is None:
        raise NotFoundError(f"Shortlist entry {entry_id} not found. Check the entry id.",
                            vi=f"Không tìm thấy mục {entry_id} trong danh sách đề xuất. Hãy kiểm tra mã của mục.")
    return row
