"""``cnht support propose``: whom a support round should fund, with a reason for every nomination (issue 14).

Reads a support round (JSON/YAML, :func:`matching.support.read_round`; example
``data/demo/support_round_demo.json``), checks every nomination against the round's rules,
values it with the matcher fitted on ``--data`` (firms.csv, buyers.csv, needs.csv), chooses
within the budget (:func:`matching.support.propose_support`, a MILP solved by HiGHS), prints the
summary and writes the decision as an XLSX workbook in Vietnamese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.commands.match import DEMO_DIR, load_table

__all__ = ["register", "propose_command", "DECISION_COLUMNS"]

support_app = typer.Typer(
    help="Chương trình hỗ trợ CNHT / Support programme: đề xuất doanh nghiệp được hỗ trợ (funding proposal).",
    no_args_is_help=True,
)

# The workbook's columns, in Vietnamese (the decision is read by the Department's staff).
DECISION_COLUMNS = {
    "rank": "Hạng", "nomination_id": "Mã đề cử", "firm_id": "Mã DN", "firm_name": "Tên doanh nghiệp",
    "support_type": "Loại hỗ trợ", "nominated_by": "Hình thức đề cử", "association_id": "Hiệp hội",
    "district": "Quận/huyện", "sectors": "Ngành", "cost": "Kinh phí (VNĐ)", "target_gain": "Thêm DN đạt chuẩn QT",
    "new_shortlists": "Nhu cầu mở thêm", "unlocked_needs": "Mã nhu cầu", "value": "Giá trị",
    "value_per_billion": "Giá trị/tỷ đồng", "decision": "Quyết định", "reason_vi": "Lý do",
    "justification": "Lý do đề cử",
}


def _decision_table(selection):
    d = selection.decisions.copy()
    d["decision"] = d["selected"].map({True: "Được chọn", False: "Không chọn"})
    d["nominated_by"] = d["nominated_by"].map({"association": "Hiệp hội", "self": "Tự đăng ký"}).fillna(d["nominated_by"])
    d["rank"] = d["rank"].where(d["rank"] > 0, None)
    d = d.sort_values(["selected", "rank", "nomination_id"], ascending=[False, True, True], kind="stable")
    return d[list(DECISION_COLUMNS)].rename(columns=DECISION_COLUMNS)


def _summary_table(selection, support_round):
    import pandas as pd

    s = selection.summary()
    rows = [("Đợt hỗ trợ", f"{support_round.round_id} {support_round.name}"),
            ("Ngân sách (VNĐ)", s["budget"]), ("Đã phân bổ (VNĐ)", s["spent"]),
            ("Số đề cử", s["nominations"]), ("Đủ điều kiện", s["eligible"]), ("Được chọn", s["selected"]),
            ("DN thêm đạt chuẩn quốc tế", s["firms_turned_international"]),
            ("Nhu cầu mở thêm", s["shortlists_unlocked"]), ("Tổng giá trị", s["objective"]),
            ("Lời giải", s["status"])]
    rows += [(f"Từ chối theo quy tắc {rule}", n) for rule, n in s["refused_by_rule"].items()]
    rows += [("Ràng buộc công bằng", rule.describe("vi")) for rule in selection.fairness]
    return pd.DataFrame(rows, columns=["Mục", "Giá trị"])


RoundArgument = Annotated[Path, typer.Argument(help="Tệp mô tả đợt hỗ trợ / Support round (JSON or YAML), e.g. data/demo/support_round_demo.json.")]
DataOption = Annotated[Path, typer.Option("--data", help="Thư mục firms.csv, buyers.csv, needs.csv / Folder with the firms, buyers and needs.")]
OutOption = Annotated[Path, typer.Option("--out", help="Thư mục ghi quyết định (XLSX) / Folder for the decision workbook.")]
JsonOption = Annotated[bool, typer.Option("--json", help="In tóm tắt dạng JSON / Print the summary as JSON.")]


def propose_command(
    round_file: RoundArgument,
    data_dir: DataOption = DEMO_DIR,
    out: OutOption = Path("."),
    as_json: JsonOption = False,
    weight_target: Annotated[float, typer.Option("--weight-target", min=0, help="Giá trị mỗi DN thêm đạt chuẩn quốc tế / Value of one more firm meeting international standards.")] = 1.0,
    weight_demand: Annotated[float, typer.Option("--weight-demand", min=0, help="Giá trị mỗi nhu cầu mở thêm (vào top-k) / Value of one more open need's shortlist entered.")] = 0.1,
    max_district_share: Annotated[float | None, typer.Option("--max-district-share", min=0, max=1, help="Tối đa tỷ lệ ngân sách mỗi quận/huyện / At most this share of the budget per district.")] = None,
    max_sector_share: Annotated[float | None, typer.Option("--max-sector-share", min=0, max=1, help="Tối đa tỷ lệ ngân sách mỗi ngành / At most this share of the budget per sector.")] = None,
) -> None:
    """Đề xuất doanh nghiệp được hỗ trợ trong đợt / Propose whom a support round funds.

    Kiểm tra điều kiện từng đề cử (mã số thuế, địa chỉ Hà Nội, ngành CNHT, chưa được hỗ trợ cùng
    loại trong N năm), tính giá trị (DN thêm đạt chuẩn quốc tế, nhu cầu mở thêm) và chọn tối ưu
    trong ngân sách (MILP); mỗi đề cử có lý do được chọn hay không.
    Checks each nomination, values it (firms newly meeting international standards, demand
    unlocked) and chooses exactly within the budget; every nomination gets its reason.
    Example: ``cnht support propose data/demo/support_round_demo.json --out de_xuat``.
    """
    import pandas as pd

    from features.cells import safe_frame
    from features.exceptions import CnhtError
    from matching.matcher import SupplierMatcher
    from matching.support import FairnessRule, propose_support, read_round

    try:
        support_round = read_round(round_file)
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="ROUND_FILE") from None
    firms = load_table(data_dir / "firms.csv", "firms")
    buyers = load_table(data_dir / "buyers.csv", "buyers")
    needs = load_table(data_dir / "needs.csv", "needs")
    fairness = [FairnessRule("district", max_share=max_district_share)] if max_district_share is not None else []
    fairness += [FairnessRule("sector", max_share=max_sector_share)] if max_sector_share is not None else []
    try:
        matcher = SupplierMatcher(geocode=False).fit(firms, buyers=buyers)
        selection = propose_support(support_round, firms, matcher, needs, weight_target=weight_target,
                                    weight_demand=weight_demand, fairness=fairness)
    except CnhtError as error:  # the user's to fix: say so, no traceback
        raise typer.BadParameter(str(error)) from None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{support_round.round_id}_de_xuat.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        safe_frame(_summary_table(selection, support_round)).to_excel(writer, sheet_name="Tóm tắt", index=False)
        safe_frame(_decision_table(selection)).to_excel(writer, sheet_name="Quyết định", index=False)
    summary = selection.summary() | {"round_id": support_round.round_id, "file": str(path)}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    d = selection.decisions
    lines = [
        f"Đợt hỗ trợ / Support round {support_round.round_id}: {support_round.name}",
        f"Ngân sách / Budget: {summary['budget']:,} VNĐ; đã phân bổ / allocated: {summary['spent']:,} VNĐ",
        f"Đề cử / Nominations: {summary['nominations']}; đủ điều kiện / eligible: {summary['eligible']}; "
        f"được chọn / selected: {summary['selected']} ({summary['firms_selected']} DN / firms)",
        f"DN thêm đạt chuẩn quốc tế / Firms newly meeting international standards: {summary['firms_turned_international']}",
        f"Nhu cầu mở thêm / Shortlists unlocked: {summary['shortlists_unlocked']}; tổng giá trị / total value: "
        f"{summary['objective']:.2f} ({selection.status})",
    ]
    lines += [f"Từ chối / Refused by rule {rule}: {n}" for rule, n in summary["refused_by_rule"].items()]
    for row in d.sort_values(["selected", "rank"], ascending=[False, True]).itertuples(index=False):
        mark = "✓" if row.selected else "✗"
        lines.append(f"  {mark} {row.nomination_id} {row.firm_id} {row.support_type}: {row.reason_vi}")
    lines.append(f"Đã ghi / Written: {path}")
    print("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add ``cnht support propose`` to the CLI."""
    support_app.command("propose")(propose_command)
    app.add_typer(support_app, name="support")
