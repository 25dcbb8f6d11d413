"""``cnht support ...``: the support programme from the command line (issue 14).

* ``cnht support propose FILE``: a round file (JSON/YAML, :func:`matching.support.read_round`;
  example ``data/demo/support_round_demo.json``) with the firms, buyers and needs of ``--data``:
  every nomination checked, valued and decided within the budget (MILP), the decision written as
  an XLSX workbook in Vietnamese. Nothing is stored.
* The same commands on the service's database (``CNHT_DATABASE_URL``, migrated first), through
  :mod:`api.storage.support` as the API (``/api/v1/support``) does: ``association add``,
  ``associations``, ``round add FILE``, ``rounds``, ``nominate ROUND FIRM TYPE``,
  ``propose ROUND`` (stores the decisions), ``override ROUND NOMINATION --in/--out --reason``,
  ``decide ROUND``, ``milestone ITEM KIND``, ``inspect ITEM``, ``report ROUND``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.commands.match import DEMO_DIR, load_table
from api.support_workbook import DECISION_COLUMNS

__all__ = ["register", "propose_command", "DECISION_COLUMNS"]

support_app = typer.Typer(
    help="Chương trình hỗ trợ CNHT / Support programme: rounds, nominations, the funding proposal, monitoring.",
    no_args_is_help=True,
)
association_app = typer.Typer(help="Hiệp hội đề cử / Nominating associations.", no_args_is_help=True)
round_app = typer.Typer(help="Đợt hỗ trợ trong cơ sở dữ liệu / Support rounds in the database.", no_args_is_help=True)
CLI_ACTOR = "cli"


def _summary_rows(selection, support_round) -> list[tuple[str, object]]:
    s = selection.summary()
    rows = [("Đợt hỗ trợ", f"{support_round.round_id} {support_round.name}"),
            ("Ngân sách (VNĐ)", s["budget"]), ("Đã phân bổ (VNĐ)", s["spent"]),
            ("Số đề cử", s["nominations"]), ("Đủ điều kiện", s["eligible"]), ("Được chọn", s["selected"]),
            ("DN thêm đạt chuẩn quốc tế", s["firms_turned_international"]),
            ("Nhu cầu mở thêm", s["shortlists_unlocked"]), ("Tổng giá trị", s["objective"]),
            ("Lời giải", s["status"])]
    rows += [(f"Từ chối theo quy tắc {rule}", n) for rule, n in s["refused_by_rule"].items()]
    rows += [("Ràng buộc công bằng", rule.describe("vi")) for rule in selection.fairness]
    return rows


RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="Tệp mô tả đợt hỗ trợ (JSON/YAML) hoặc mã đợt đã lưu / A round file, e.g. data/demo/support_round_demo.json, or the ID of a round stored in the database, e.g. SR-2026-1.")]
RoundIdArgument = Annotated[str, typer.Argument(metavar="ROUND", help="Mã đợt đã lưu / ID of a round stored in the database, e.g. SR-2026-1.")]
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
    ROUND là tệp, hoặc mã đợt đã lưu: khi đó dùng DN, nhu cầu của cơ sở dữ liệu và lưu quyết định vào
    đó (như POST /api/v1/support/rounds/{id}/proposal; --data và các tùy chọn công bằng không dùng: đợt
    đã lưu có cài đặt công bằng riêng) / ROUND is a file, or the ID of a stored round: then the database's
    firms and needs are used and the decisions are stored (staff overrides stand on top of the new proposal);
    a stored round's fairness settings are its own.
    Example: ``cnht support propose data/demo/support_round_demo.json --out de_xuat``;
    ``cnht support propose SR-2026-1 --out de_xuat``.
    """
    from api.support_workbook import write_workbook
    from features.exceptions import CnhtError
    from matching.matcher import SupplierMatcher
    from matching.support import FairnessRule, propose_support, read_round

    if not _is_round_file(round_file):
        _propose_stored(round_file, out, as_json, weight_target, weight_demand)
        return
    try:
        support_round = read_round(round_file)
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="ROUND") from None
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
    write_workbook(path, _summary_rows(selection, support_round), selection.decisions)
    _print_selection(selection, support_round.round_id, support_round.name, path, as_json)


def _print_selection(selection, round_id: str, name: str, path: Path, as_json: bool,
                     stored: dict | None = None) -> None:
    """Print the proposal; ``stored`` is a stored round's proposal summary (overrides held or lifted)."""
    shown = {k: v for k, v in (stored or {}).items() if k != "reasons_vi"}
    summary = selection.summary() | shown | {"round_id": round_id, "file": str(path)}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    d = selection.decisions
    lines = [
        f"Đợt hỗ trợ / Support round {round_id}: {name}",
        f"Ngân sách / Budget: {summary['budget']:,} VNĐ; đã phân bổ / allocated: {summary['spent']:,} VNĐ",
        f"Đề cử / Nominations: {summary['nominations']}; đủ điều kiện / eligible: {summary['eligible']}; "
        f"được chọn / selected: {summary['selected']} ({summary['firms_selected']} DN / firms)",
        f"DN thêm đạt chuẩn quốc tế / Firms newly meeting international standards: {summary['firms_turned_international']}",
        f"Nhu cầu mở thêm / Shortlists unlocked: {summary['shortlists_unlocked']}; tổng giá trị / total value: "
        f"{summary['objective']:.2f} ({selection.status})",
    ]
    lines += [f"Từ chối / Refused by rule {rule}: {n}" for rule, n in summary["refused_by_rule"].items()]
    for held in stored.get("held_by_override", []) if stored else []:
        lines.append(f"Giữ theo điều chỉnh / Held by override: {held['nomination_id']} {held['firm_id']} "
                     f"{'chọn / in' if held['selected'] else 'không chọn / out'} (mô hình / solver: "
                     f"{'chọn / in' if held['solver_proposed'] else 'không chọn / out'}): {held['reason']}")
    for lifted in stored.get("overrides_lifted", []) if stored else []:
        lines.append(f"Bỏ điều chỉnh / Override lifted: {lifted['nomination_id']} {lifted['firm_id']} "
                     f"({lifted['reason']}): {lifted['lifted_because']}")
    for row in d.sort_values(["selected", "rank"], ascending=[False, True]).itertuples(index=False):
        mark = "✓" if row.selected else "✗"
        reason = (stored or {}).get("reasons_vi", {}).get(row.nomination_id, row.reason_vi)
        lines.append(f"  {mark} {row.nomination_id} {row.firm_id} {row.support_type}: {reason}")
    lines.append(f"Đã ghi / Written: {path}")
    print("\n".join(lines))


from api.cli.support_database import (  # noqa: E402  (it reads the options above)
    _is_round_file,
    _propose_stored,
    register_database_commands,
)


def register(app: typer.Typer) -> None:
    """Add ``cnht support propose`` and the database commands to the CLI."""
    support_app.command("propose")(propose_command)
    register_database_commands(support_app, association_app, round_app)
    app.add_typer(support_app, name="support")
