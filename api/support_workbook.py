"""The support round's decision as an XLSX workbook in Vietnamese (issue 14).

One writer for both forms: the proposal of a round file (``cnht support propose FILE``) and a
stored round's decisions, overrides included (``cnht support propose|report ROUND``,
``GET /support/rounds/{round_id}/decision.xlsx``). Every cell goes through
:func:`features.cells.safe_frame`, so a firm name or justification starting with ``=`` is text,
never a formula.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from features.geo import plan_district

__all__ = ["DECISION_COLUMNS", "decision_table", "write_workbook", "stored_decisions_frame", "decision_workbook"]

# The workbook's columns, in Vietnamese (the decision is read by the Department's staff).
DECISION_COLUMNS = {
    "rank": "Hạng", "nomination_id": "Mã đề cử", "firm_id": "Mã DN", "firm_name": "Tên doanh nghiệp",
    "support_type": "Loại hỗ trợ", "nominated_by": "Hình thức đề cử", "association_id": "Hiệp hội",
    "district": "Quận/huyện", "sectors": "Ngành", "cost": "Kinh phí (VNĐ)", "target_gain": "Thêm DN đạt chuẩn QT",
    "new_shortlists": "Nhu cầu mở thêm", "unlocked_needs": "Mã nhu cầu", "value": "Giá trị",
    "value_per_billion": "Giá trị/tỷ đồng", "decision": "Quyết định", "reason_vi": "Lý do",
    "justification": "Lý do đề cử",
}
_OVERRIDE_COLUMNS = {"proposed": "Đề xuất của mô hình", "override_reason": "Lý do điều chỉnh",
                     "overridden_by": "Người điều chỉnh"}


def decision_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions (columns of :attr:`matching.support.SupportSelection.decisions`, plus the
    override columns of a stored round when present) as the workbook's sheet, selected first."""
    d = decisions.copy()
    d["decision"] = d["selected"].map({True: "Được chọn", False: "Không chọn"})
    d["nominated_by"] = d["nominated_by"].map({"association": "Hiệp hội", "self": "Tự đăng ký"}).fillna(d["nominated_by"])
    d["rank"] = d["rank"].where(d["rank"] > 0, None)
    d = d.sort_values(["selected", "rank", "nomination_id"], ascending=[False, True, True], kind="stable")
    columns = dict(DECISION_COLUMNS)
    if "override_reason" in d:
        d["proposed"] = d["proposed"].map({True: "Chọn", False: "Không chọn"})
        columns |= _OVERRIDE_COLUMNS
    return d[list(columns)].rename(columns=columns)


def write_workbook(target: Path | io.BytesIO, summary: list[tuple[str, object]], decisions: pd.DataFrame) -> None:
    """Write the sheets 'Tóm tắt' (``summary`` rows) and 'Quyết định' (:func:`decision_table`)."""
    from features.cells import safe_frame

    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        safe_frame(pd.DataFrame(summary, columns=["Mục", "Giá trị"])).to_excel(writer, sheet_name="Tóm tắt", index=False)
        safe_frame(decision_table(decisions)).to_excel(writer, sheet_name="Quyết định", index=False)


def stored_decisions_frame(session, round_id: str) -> pd.DataFrame:
    """A stored round's decisions in the columns of :func:`decision_table`, overrides included."""
    from sqlalchemy import select

    from api.storage.models import Firm
    from api.storage.support import decisions

    pairs = decisions(session, round_id)
    firms = {f.firm_id: f for f in session.scalars(select(Firm).where(Firm.firm_id.in_({n.firm_id for n, _ in pairs})))}
    rows = []
    for n, d in pairs:
        firm = firms.get(n.firm_id)
        rows.append({
            "rank": d.rank, "nomination_id": n.nomination_id, "firm_id": n.firm_id,
            "firm_name": firm.name if firm else "", "support_type": n.support_type, "nominated_by": n.nominated_by,
            "association_id": n.association_id or "", "district": (plan_district(firm.district_legacy, firm.ward_2025) or firm.district or "") if firm
            else "", "sectors": (firm.sector_codes or "").strip(";") if firm else "", "cost": d.cost_vnd,
            "target_gain": d.target_gain, "new_shortlists": d.new_shortlists, "unlocked_needs": "",
            "value": d.value, "value_per_billion": round(d.value / d.cost_vnd * 1e9, 4) if d.cost_vnd else 0.0,
            "selected": d.selected, "eligible": d.eligible, "reason_vi": d.reason_vi, "justification": n.justification,
            "proposed": d.proposed, "override_reason": d.override_reason or "", "overridden_by": d.overridden_by or "",
        })
    return pd.DataFrame.from_records(rows)


def decision_workbook(session, round_id: str) -> bytes:
    """The XLSX bytes of a stored round's decision (404 before it is proposed)."""
    from api.storage.support import get_round

    record = get_round(session, round_id)
    frame = stored_decisions_frame(session, round_id)
    chosen = frame[frame["selected"]]
    summary = [("Đợt hỗ trợ", f"{record.round_id} {record.name}"), ("Trạng thái", record.status),
               ("Ngân sách (VNĐ)", record.budget_vnd), ("Đã phân bổ (VNĐ)", int(chosen["cost"].sum())),
               ("Số đề cử", len(frame)), ("Đủ điều kiện", int(frame["eligible"].sum())),
               ("Được chọn", len(chosen)), ("Điều chỉnh của cán bộ", int((frame["override_reason"] != "").sum()))]
    buffer = io.BytesIO()
    write_workbook(buffer, summary, frame)
    return buffer.getvalue()
