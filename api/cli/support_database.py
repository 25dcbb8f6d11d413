"""The ``cnht support`` commands that work on the service's database (issue 14).

Each opens the database of ``CNHT_DATABASE_URL`` (default ``cnht.db``), migrated first (the
programme's tables came with 0009), and calls :mod:`api.storage.support`, as the API does; a
mistake of the user's is a clear error (exit code 2) naming what to fix, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.commands.support import (
    CLI_ACTOR,
    JsonOption,
    RoundIdArgument,
    _print_selection,
)

__all__ = ["register_database_commands"]


def _is_round_file(text: str) -> bool:
    path = Path(text)
    return path.is_file() or path.suffix.lower() in {".json", ".yaml", ".yml"}


@contextmanager
def _support_database() -> Iterator[Any]:
    from api.settings import get_settings
    from api.storage.session import make_engine, make_sessionmaker, migrate

    engine = make_engine(get_settings())
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _run(work: Callable[[Any], Any], hint: str | None = None) -> Any:
    """``work(session)`` in one transaction, committed; a domain error as the CLI's error."""
    from features.exceptions import CnhtError

    with _support_database() as session:
        try:
            result = work(session)
            session.commit()
            return result
        except CnhtError as error:  # the user's to fix: say so, no traceback
            session.rollback()
            raise typer.BadParameter(str(error), param_hint=hint) from None


def _propose_stored(round_id: str, out: Path, as_json: bool, weight_target: float, weight_demand: float) -> None:
    """Propose a stored round with the matcher fitted on the database; store the decisions, write the workbook."""
    from api.cli.database import fitted_on_database
    from api.storage import support as store
    from api.support_workbook import decision_workbook

    def work(session):
        store.get_round(session, round_id)
        fitted = fitted_on_database(session)
        selection = store.propose(session, round_id, fitted.matcher, store.open_needs(session),
                                  weight_target=weight_target, weight_demand=weight_demand)
        session.rollback()  # only read so far: no lock held while the solver ran
        record = store.store_proposal(session, round_id, selection, by=CLI_ACTOR)
        session.flush()
        stored = dict(record.proposal_summary)
        stored["reasons_vi"] = {n.nomination_id: d.reason_vi for n, d in store.decisions(session, round_id)}
        return selection, record.name, decision_workbook(session, round_id), stored

    selection, name, content, stored = _run(work, "ROUND")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{round_id}_de_xuat.xlsx"
    path.write_bytes(content)
    _print_selection(selection, round_id, name, path, as_json, stored)


def association_add(
    association_id: Annotated[str, typer.Argument(metavar="ASSOCIATION_ID", help="Mã hiệp hội / The association's ID, e.g. HANSIBA.")],
    name: Annotated[str, typer.Argument(help="Tên hiệp hội / Its name.")],
) -> None:
    """Lưu hiệp hội / Store a nominating association; then give it a key:
    ``cnht keys create --role association --association ID``."""
    from api.storage.support import create_association

    record = _run(lambda s: create_association(s, association_id, name, by=CLI_ACTOR), "ASSOCIATION_ID")
    print(f"Đã lưu / Stored: {record.association_id} ({record.name}). "
          f"Khóa / Key: cnht keys create --role association --association {record.association_id}")


def associations_list() -> None:
    """Danh sách hiệp hội / List the associations."""
    from api.storage.support import list_associations

    for a in _run(list_associations):
        print(f"{a.association_id}\t{a.name}")


def round_add(
    round_file: Annotated[Path, typer.Argument(metavar="FILE", help="Tệp đợt hỗ trợ (JSON/YAML) không kèm đề cử / A round file without nominations (format: data/demo/support_round_demo.json).")],
) -> None:
    """Lưu đợt hỗ trợ / Store a support round (budget, support types, eligibility, fairness, milestone days).

    Its associations are stored when new; nominations are sent one by one with
    ``cnht support nominate`` (each checked). Example: ``cnht support round add dot_2027.json``.
    """
    from api.storage.support import create_round
    from features.description_files import read_description
    from features.exceptions import CnhtError
    from matching.exceptions import SupportError

    def as_mapping(data: object) -> dict:
        if not isinstance(data, dict):
            raise SupportError(f"Round file {round_file}: expected an object, got {type(data).__name__}.")
        return data

    try:
        definition = read_description(round_file, as_mapping, SupportError, "Support round file",
                                      "data/demo/support_round_demo.json")
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    definition = json.loads(json.dumps(definition, default=str))  # YAML dates as text, as the API stores them
    record = _run(lambda s: create_round(s, definition, by=CLI_ACTOR), "FILE")
    print(f"Đã lưu / Stored: {record.round_id} ({record.name}), ngân sách / budget {record.budget_vnd:,} VNĐ, "
          f"{record.opens:%d/%m/%Y}–{record.closes:%d/%m/%Y}. Đề cử / Nominate: cnht support nominate "
          f"{record.round_id} FIRM_ID SUPPORT_TYPE --association ID")


def rounds_list() -> None:
    """Danh sách đợt hỗ trợ / List the stored rounds."""
    from api.storage.support import list_rounds

    for r in _run(list_rounds):
        print(f"{r.round_id}\t{r.status}\t{r.budget_vnd:,} VNĐ\t{r.opens}..{r.closes}\t{r.name}")


def nominate_command(
    round_id: RoundIdArgument,
    firm_id: Annotated[str, typer.Argument(metavar="FIRM_ID", help="Mã doanh nghiệp / The firm, e.g. F0274.")],
    support_type: Annotated[str, typer.Argument(metavar="SUPPORT_TYPE", help="Loại hỗ trợ của đợt / One of the round's support types, e.g. iso_9001_consulting.")],
    association: Annotated[str | None, typer.Option("--association", help="Hiệp hội đề cử; bỏ trống: DN tự đăng ký / The nominating association; none: the firm applies for itself.")] = None,
    justification: Annotated[str, typer.Option("--justification", help="Lý do đề cử / Why.")] = "",
    units: Annotated[int, typer.Option("--units", min=1, help="Số suất / Units asked for.")] = 1,
) -> None:
    """Đề cử doanh nghiệp / Nominate a firm for a support type of a stored round.

    Refused, with the rule that failed, when it is a duplicate, over the type's cap, or the firm
    fails a rule (tax code, in Hanoi, supporting industry, funded for the same type within N years,
    already certified). Example: ``cnht support nominate SR-2026-1 F0274 iso_9001_consulting
    --association HANSIBA --justification "Cung ứng cho DN FDI"``.
    """
    from api.storage.support import nominate

    row = _run(lambda s: nominate(s, round_id, firm_id=firm_id, support_type=support_type, association_id=association,
                                  justification=justification, units=units, by=CLI_ACTOR))
    print(f"Đã nhận / Received: {row.nomination_id} ({row.firm_id}, {row.support_type}, "
          f"{'hiệp hội ' + row.association_id if row.association_id else 'tự đăng ký / self-application'})")


def override_command(
    round_id: RoundIdArgument,
    nomination_id: Annotated[str, typer.Argument(metavar="NOMINATION_ID", help="Mã đề cử / The nomination, e.g. NOM-0003.")],
    selected: Annotated[bool | None, typer.Option("--in/--out", help="Chọn / không chọn — Put it in or out.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Lý do điều chỉnh (bắt buộc, ghi vào nhật ký) / Why (required; kept in the audit log).")] = "",
) -> None:
    """Điều chỉnh quyết định / Override the proposal for one nomination, with the reason.

    Example: ``cnht support override SR-2026-1 NOM-0003 --out --reason "DN đang bị thanh tra"``.
    """
    from api.storage.support import override

    if selected is None:
        raise typer.BadParameter("Say which way: --in (select it) or --out (leave it out).")
    decision = _run(lambda s: override(s, round_id, nomination_id, selected=selected, reason=reason, by=CLI_ACTOR))
    print(f"{nomination_id}: {decision.reason_vi}")


def decide_command(
    round_id: RoundIdArgument,
    funded_on: Annotated[dt.datetime | None, typer.Option("--funded-on", formats=["%Y-%m-%d"], help="Ngày quyết định (mặc định hôm nay) / Decision day (default today).")] = None,
) -> None:
    """Chốt quyết định / Close the decision: selected nominations become funded items with milestones."""
    from api.storage.support import decide

    items = _run(lambda s: decide(s, round_id, by=CLI_ACTOR, on=funded_on.date() if funded_on else None))
    print(f"Đợt / Round {round_id}: {len(items)} hạng mục được hỗ trợ / funded items "
          f"({sum(i.amount_vnd for i in items):,} VNĐ). Theo dõi / Monitor: cnht support report {round_id}")


def milestone_command(
    item_id: Annotated[int, typer.Argument(metavar="ITEM_ID", min=1, help="Số hạng mục (xem báo cáo) / The funded item's number (see the report).")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="contract | consulting_done | audit | certificate_issued")],
    done_on: Annotated[dt.datetime, typer.Option("--done-on", formats=["%Y-%m-%d"], help="Ngày hoàn thành / Day reached.")],
    valid_until: Annotated[dt.datetime | None, typer.Option("--valid-until", formats=["%Y-%m-%d"], help="certificate_issued: chứng chỉ hiệu lực đến / the certificate's end of validity.")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="certificate_issued: tổ chức cấp / issuer.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú / Note.")] = None,
) -> None:
    """Ghi nhận mốc / Record a milestone reached; certificate_issued adds the certificate to the firm
    (the plan's figure counts it). Example: ``cnht support milestone 3 certificate_issued
    --done-on 2026-11-02 --valid-until 2029-11-01 --issuer QUACERT``."""
    from api.storage.support import record_milestone

    certificate = None
    if valid_until is not None:
        certificate = {"valid_until": valid_until.date().isoformat(), "issuer": issuer}
    m = _run(lambda s: record_milestone(s, item_id, kind, done_on=done_on.date(), note=note, certificate=certificate,
                                        by=CLI_ACTOR), "KIND")
    print(f"Hạng mục / Item {item_id}: {m.kind} ngày / on {m.done_on:%d/%m/%Y}"
          + (f", chứng chỉ / certificate #{m.certificate_pk}" if m.certificate_pk else ""))


def inspect_command(
    item_id: Annotated[int, typer.Argument(metavar="ITEM_ID", min=1, help="Số hạng mục / The funded item's number.")],
    visited_on: Annotated[dt.datetime, typer.Option("--visited-on", formats=["%Y-%m-%d"], help="Ngày kiểm tra / Visit day.")],
    inspector: Annotated[str, typer.Option("--inspector", help="Cán bộ kiểm tra / Inspector.")],
    findings: Annotated[str, typer.Option("--findings", help="Kết quả / Findings.")] = "",
    unsatisfactory: Annotated[bool, typer.Option("--unsatisfactory", help="Không đạt / Not satisfactory.")] = False,
) -> None:
    """Ghi nhận kiểm tra / Record an inspection visit to a funded item."""
    from api.storage.support import record_inspection

    _run(lambda s: record_inspection(s, item_id, visited_on=visited_on.date(), inspector=inspector, findings=findings,
                                     satisfactory=not unsatisfactory, by=CLI_ACTOR))
    print(f"Hạng mục / Item {item_id}: kiểm tra ngày / visited {visited_on:%d/%m/%Y} "
          f"({'không đạt / unsatisfactory' if unsatisfactory else 'đạt / satisfactory'})")


def report_command(
    round_id: RoundIdArgument,
    as_json: JsonOption = False,
    as_of: Annotated[dt.datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Ngày tính (mặc định hôm nay) / Day of the figures (default today).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Ghi quyết định (XLSX) vào thư mục này / Also write the decision workbook here.")] = None,
) -> None:
    """Báo cáo đợt hỗ trợ / A round's report: spending, decisions and overrides, funded items with
    milestones (overdue flagged) and inspections, its contribution, and the plan's figures (firms
    meeting international standards against 400, firms in the field against 900, by sector and
    district) by the KPI's rule. Same figures as GET /api/v1/support/rounds/{id}/report."""
    from api.storage.support import round_report
    from api.support_workbook import decision_workbook

    def work(session):
        report = round_report(session, round_id, as_of.date() if as_of else None)
        workbook = decision_workbook(session, round_id) if out is not None and report["status"] != "open" else None
        return report, workbook

    report, workbook = _run(work, "ROUND")
    if out is not None and workbook is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{round_id}_quyet_dinh.xlsx").write_bytes(workbook)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    plan = report["plan"]
    lines = [
        f"Đợt hỗ trợ / Support round {report['round_id']}: {report['name']} ({report['status']})",
        f"Ngân sách / Budget: {report['budget_vnd']:,} VNĐ; đã chọn / allocated: {report['allocated_vnd']:,} VNĐ "
        f"({report['selected']} of {report['nominations']} nominations)",
        f"Điều chỉnh của cán bộ / Staff overrides: {len(report['overrides'])}",
        f"Hạng mục được hỗ trợ / Funded items: {len(report['funded_items'])}; mốc quá hạn / overdue milestones: "
        f"{report['overdue_milestones']}",
        f"DN được hỗ trợ đạt chuẩn quốc tế / Funded firms meeting international standards: "
        f"{report['funded_firms_meeting_international_standards']} of {report['funded_firms']} "
        f"(mới đạt từ khi được hỗ trợ / newly since funded: {len(report['firms_turned_international'])})",
        f"Kế hoạch / Plan on {plan['on']}: {plan['firms_international']} / {plan['international_target']} đạt chuẩn "
        f"quốc tế / meeting international standards; {plan['firms_total']} / {plan['firms_target']} DN / firms",
    ]
    for item in report["funded_items"]:
        for m in item["milestones"]:
            if m["overdue"]:
                lines.append(f"  ! QUÁ HẠN / OVERDUE: item {item['item_id']} {item['firm_id']} {item['support_type']} "
                             f"{m['kind']} due {m['due']}")
    if out is not None and workbook is not None:
        lines.append(f"Đã ghi / Written: {out / (round_id + '_quyet_dinh.xlsx')}")
    print("\n".join(lines))


def plan_command(
    start: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Ngày đầu (mặc định 11 tháng trước --to) / First day (default: 11 month ends before --to).")] = None,
    end: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Ngày cuối (mặc định hôm nay) / Last day (default today).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Chỉ tiêu kế hoạch theo thời gian / The plan's figures over time: at each month end from --from to
    --to (and at --to), firms meeting international standards against 400 and firms in the field against
    900 (as GET /api/v1/kpi/progress counts them), by sector and district, and what each round's funded
    certificates contributed by their own validity dates. Same figures as GET /api/v1/support/plan/progress.
    Example: ``cnht support plan --from 2025-01-01 --to 2026-06-30``."""
    from api.storage.support import plan_days, plan_progress

    first, last = (day.date() if day else None for day in (start, end))
    progress = _run(lambda s: plan_progress(s, plan_days(first, last)), "--from/--to")
    if as_json:
        print(json.dumps(progress, ensure_ascii=False, indent=2, default=str))
        return
    lines = [f"Kế hoạch / Plan: đạt chuẩn quốc tế / meeting international standards (/{progress['international_target']}); "
             f"DN trong lĩnh vực / firms in the field (/{progress['firms_target']})"]
    lines += [f"  {p['on']}: {p['firms_international']} / {progress['international_target']}; "
              f"{p['firms_total']} / {progress['firms_target']}" for p in progress["data"]]
    last_point = progress["data"][-1]
    lines.append(f"Theo quận/huyện / By district on {last_point['on']}: " + "; ".join(
        f"{g['group']} {g['international']}/{g['firms']}" for g in last_point["by_district"]))
    lines.append(f"Theo ngành / By sector on {last_point['on']}: " + "; ".join(
        f"{g['group']} {g['international']}/{g['firms']}" for g in last_point["by_sector"]))
    for r in progress["rounds"]:
        lines.append(f"Đợt / Round {r['round_id']} ({r['funded_items']} funded items, {r['certificates_issued']} "
                     "certificates issued): chứng chỉ được hỗ trợ còn hiệu lực / funded certificates valid: "
                     + ", ".join(f"{p['on']} {p['certificates_valid']}" for p in r["data"]))
        if r["counted_from_milestone"]:
            lines.append(f"  items {r['counted_from_milestone']}: no issue day, counted from the milestone's day "
                         "/ không có ngày cấp, tính từ ngày ghi nhận mốc")
    print("\n".join(lines))


def demo_command(
    programme: Annotated[Path | None, typer.Option("--file", help="Tệp chương trình demo / The demo programme (default data/demo/support_programme.json).")] = None,
) -> None:
    """Nạp dữ liệu demo của chương trình hỗ trợ / Store the demo support programme: three associations,
    the past round SR-2025-1 with its decisions, funded items, milestones and inspections, and the open
    round SR-2026-2 with its nominations (each checked by the rules). Run after the demo firms are in the
    database (``cnht serve --demo`` or ``cnht import``); a round already stored is left as it is."""
    from api.storage.support_demo import seed_support_demo
    from features.demo import default_folder

    path = programme or default_folder() / "support_programme.json"
    if not path.is_file():
        raise typer.BadParameter(f"{path} does not exist; regenerate the demo (cnht demo --generate) or give --file.")
    document = json.loads(path.read_text(encoding="utf-8"))
    counts = _run(lambda s: seed_support_demo(s, document))
    refused = ", ".join(f"{rule} {n}" for rule, n in counts["refused"].items()) or "0"
    past, current = counts["past_round"], counts["current_round"]
    past = past if isinstance(past, str) else f"{past} funded items"
    current = current if isinstance(current, str) else f"{current} nominations received, refused by rule: {refused}"
    print(f"Hiệp hội mới / New associations: {counts['associations']}; đợt trước / past round SR-2025-1: {past}; "
          f"đợt đang mở / open round SR-2026-2: {current}.\n"
          "Đề xuất / Propose: cnht support propose SR-2026-2; báo cáo / report: cnht support report SR-2025-1")


def register_database_commands(support_app: typer.Typer, association_app: typer.Typer, round_app: typer.Typer) -> None:
    """Add the database commands under ``cnht support``."""
    association_app.command("add")(association_add)
    support_app.add_typer(association_app, name="association")
    support_app.command("associations")(associations_list)
    round_app.command("add")(round_add)
    support_app.add_typer(round_app, name="round")
    support_app.command("rounds")(rounds_list)
    support_app.command("nominate")(nominate_command)
    support_app.command("override")(override_command)
    support_app.command("decide")(decide_command)
    support_app.command("milestone")(milestone_command)
    support_app.command("inspect")(inspect_command)
    support_app.command("report")(report_command)
    support_app.command("plan")(plan_command)
    support_app.command("demo")(demo_command)
