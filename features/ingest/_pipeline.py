"""The ingestion pipeline (read → map headers → parse cells → identity → duplicates →
schema) and its result, :class:`IngestResult`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from features.cells import safe_frame
from features.columns import (
    BUYER_COLUMNS,
    FALLBACK_HEADERS,
    FIRM_COLUMNS,
    NEED_COLUMNS,
    OUTCOME_COLUMNS,
    template_help,
)
from features.exceptions import IngestError
from features.ingest import _column_rules as t
from features.ingest._parse import CellProblem, is_empty
from features.ingest._read import RawTable, Source, read_bytes, read_raw
from features.limits import Deadline, ReadLimits
from features.schemas import COLUMNS, KINDS, SCHEMAS, failure_cases
from features.text import fold, normalize

REJECT_COLUMNS = ["row", "column", "value", "reason", "fix", "scope", "reason_vi", "fix_vi"]
DUPLICATE_COLUMNS = ["row", "other_row", "key", "value", "reason", "kept", "reason_vi"]
_INT_COLUMNS = {
    "founded", "employees", "monthly_capacity", "annual_volume", "min_monthly_capacity",
}
_FLOAT_COLUMNS = {"tolerance_mm", "target_price_usd"}
_DATE_COLUMNS = {"deadline", "created", "at"}
_BOOL_COLUMNS = {"is_demo"}
# Legal-form words removed before comparing firm names (folded).
_LEGAL_FORMS = re.compile(
    r"\b(cong ty|cty|co phan|trach nhiem huu han|tnhh|mot thanh vien|mtv|hai thanh vien|"
    r"tap doan|doanh nghiep tu nhan|dntn|ctcp|cp|jsc|co|ltd|llc|limited|company|corporation|"
    r"corp|inc|joint stock|viet nam|vietnam|vn)\b"
)
NAME_SIMILARITY = 0.92


@dataclass
class IngestResult:
    """What an import produced.

    Attributes
    ----------
    kind : str
        ``"firms"``, ``"buyers"``, ``"needs"`` or ``"outcomes"``.
    data : pandas.DataFrame
        Accepted rows, passing the table's schema (:mod:`features.schemas`); also
        ``.firms`` / ``.buyers`` / ``.needs`` / ``.outcomes`` for the matching kind.
        The index is the spreadsheet row number of each row.
    rejects : pandas.DataFrame
        One row per problem: ``row`` (spreadsheet row, header = 1), ``column``, ``value``,
        ``reason``, ``fix``, ``scope`` and the Vietnamese ``reason_vi``, ``fix_vi``.
        ``scope`` is ``field`` (the cell was emptied and the row kept), ``note`` (the cell
        or line was kept, but part of it was not understood), ``row`` (the row was
        rejected: every problem of a rejected row has this scope) or ``header`` (an unknown
        column left out).
    duplicates : pandas.DataFrame
        ``row``, ``other_row`` (the first occurrence), ``key`` (the column compared),
        ``value`` (its value in ``row``), ``reason`` (and ``reason_vi``) and ``kept``: False for a duplicate
        (rejected), True for a branch (own 13-digit tax code) of the firm in ``other_row``,
        which is a firm of its own and kept.
    rows_read, rows_accepted, rows_rejected : int
        Non-blank data rows read (including lines that were no text);
        ``rows_read == rows_accepted + rows_rejected``.
    completeness : dict
        Column → share of accepted rows with a non-empty value.
    unknown_columns : list of str
        Headers that match no column (reported, not imported).
    columns : dict
        Header as written → canonical column.
    notices : list of dict
        Things the reader decided for the user, each ``{"vi": ..., "en": ...}`` (another
        sheet than the first was read).
    """

    kind: str
    data: pd.DataFrame
    rejects: pd.DataFrame
    duplicates: pd.DataFrame
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    completeness: dict[str, float]
    unknown_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    source_name: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    notices: list[dict[str, str]] = field(default_factory=list)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in KINDS:
            if name == self.__dict__.get("kind"):
                return self.__dict__["data"]
            raise AttributeError(
                f"This result holds {self.__dict__.get('kind')!r}, not {name!r}: use .data or "
                f".{self.__dict__.get('kind')}."
            )
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IngestResult):
            return NotImplemented
        return (
            self.kind == other.kind
            and self.data.equals(other.data)
            and self.rejects.equals(other.rejects)
            and self.duplicates.equals(other.duplicates)
            and (self.rows_read, self.rows_accepted, self.rows_rejected)
            == (other.rows_read, other.rows_accepted, other.rows_rejected)
        )

    def report(self, lang: str = "vi") -> str:
        """A readable data-quality report (``lang`` = ``"vi"`` or ``"en"``).

        Rows read/accepted/rejected, duplicates, unknown columns, then per column its
        completeness and its problems (count and the first example).
        """
        if lang not in ("vi", "en"):
            raise IngestError(f"Expected lang 'vi' or 'en', got {lang!r}. Use one of these.")
        vi = lang == "vi"
        reason = "reason_vi" if vi else "reason"
        row_word = "dòng" if vi else "row"
        name = self.source_name or ("tệp tải lên" if vi else "upload")
        duplicates = self.duplicates[~self.duplicates["kept"].astype(bool)]
        branches = self.duplicates[self.duplicates["kept"].astype(bool)]
        lines = [
            (f"Báo cáo chất lượng dữ liệu: {self.kind} từ {name}" if vi
             else f"Data-quality report: {self.kind} from {name}"),
            (f"Số dòng đọc: {self.rows_read} · nhận: {self.rows_accepted} · loại: "
             f"{self.rows_rejected} · trùng lặp: {len(duplicates)}" if vi else
             f"Rows read: {self.rows_read} · accepted: {self.rows_accepted} · rejected: "
             f"{self.rows_rejected} · duplicates: {len(duplicates)}"),
        ]
        lines.extend(notice[lang] for notice in self.notices)
        field_problems = int((self.rejects["scope"] == "field").sum())
        notes = int((self.rejects["scope"] == "note").sum())
        lines.append(
            f"Ô bị loại (dòng vẫn giữ): {field_problems} · ghi chú (ô vẫn giữ): {notes}" if vi
            else f"Cells rejected (row kept): {field_problems} · notes (cell kept): {notes}"
        )
        if self.unknown_columns:
            lines.append(
                ("Cột không nhận diện (không nhập): " if vi else "Unknown columns (not imported): ")
                + ", ".join(self.unknown_columns)
            )
        lines.append("")
        lines.append(
            f"{'Cột' if vi else 'Column':<26} {'Đầy đủ' if vi else 'Complete':>8}  "
            + ("Vấn đề" if vi else "Problems")
        )
        body = self.rejects[self.rejects["scope"] != "header"]
        problems = {c: g for c, g in body.groupby("column", sort=False)}
        for column in COLUMNS[self.kind]:
            share = self.completeness.get(column, 0.0)
            group = problems.get(column)
            note = ""
            if group is not None:
                first = group.iloc[0]
                note = f"{len(group)} ({row_word} {first['row']}: {first[reason]})"
            lines.append(f"{column:<26} {share:>8.0%}  {note}".rstrip())
        whole_rows = problems.get("")
        if whole_rows is not None:  # lines that were no text, ragged rows
            lines.append("")
            lines.append("Vấn đề của cả dòng:" if vi else "Whole-row problems:")
            for problem in whole_rows.head(20).itertuples():
                lines.append(f"  {row_word} {problem.row}: {getattr(problem, reason)}")
            if len(whole_rows) > 20:
                lines.append(f"  … +{len(whole_rows) - 20}")
        for title, frame in (
            ("Trùng lặp:" if vi else "Duplicates:", duplicates),
            ("Chi nhánh (giữ, là doanh nghiệp riêng):" if vi
             else "Branches (kept, firms of their own):", branches),
        ):
            if not len(frame):
                continue
            lines.append("")
            lines.append(title)
            for d in frame.head(20).itertuples():
                lines.append(
                    f"  {row_word} {d.row} → {row_word} {d.other_row} ({d.key} {d.value}: "
                    f"{d.reason_vi if vi else d.reason})"
                )
            if len(frame) > 20:
                lines.append(f"  … +{len(frame) - 20}")
        return "\n".join(lines)

    def write_rejects(self, path: str | PathLike[str]) -> Path:
        """Write :attr:`rejects` as CSV (UTF-8 with BOM so Excel shows Vietnamese) to ``path``.

        Cells quoted from the file are written so a spreadsheet cannot run them
        (:func:`features.cells.safe_frame`).
        """
        path = Path(path)
        safe_frame(self.rejects).to_csv(path, index=False, encoding="utf-8-sig")
        return path


def _map_headers(
    kind: str, header: list[str]
) -> tuple[dict[int, str], list[str], list[dict], list[tuple[str, ...]]]:
    """Header position → column, unknown headers, their rejects, missing required groups."""
    aliases = t.header_aliases(kind)
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    rejects: list[dict] = []
    for position, written in enumerate(header):
        if not written or (t.header_key(written) in _ROW_NUMBER_HEADERS
                           and t.header_key(written) not in aliases):
            continue
        column = aliases.get(t.header_key(written))
        if column is None or column in mapping.values():
            unknown.append(written)
            close = difflib.get_close_matches(t.header_key(written), list(aliases), n=1)
            hint = f"Did you mean {aliases[close[0]]!r}? " if close and column is None else ""
            reason = (
                f"column {written!r} repeats {column!r}; only the first is imported"
                if column else f"unknown column {written!r}, not imported"
            )
            reason_vi = (
                f"cột {written!r} lặp lại {column!r}; chỉ nhập cột đầu tiên"
                if column else f"cột không nhận diện {written!r}, không nhập"
            )
            hint_vi = f"Có phải là {aliases[close[0]]!r}? " if close and column is None else ""
            rejects.append({
                "row": 1, "column": written, "value": written, "reason": reason,
                "fix": hint + f"Rename it to one of: {t.accepted_headers(kind)}; or delete it.",
                "scope": "header", "reason_vi": reason_vi,
                "fix_vi": hint_vi + f"Đổi tên thành một trong: {t.accepted_headers(kind)}; "
                "hoặc xóa cột.",
            })
            continue
        mapping[position] = column
    fallbacks = {t.header_key(h): c for h, c in FALLBACK_HEADERS.get(kind, {}).items()}
    for position, written in enumerate(header):
        column = fallbacks.get(t.header_key(written)) if written else None
        if column is None or written not in unknown or column in mapping.values():
            continue
        # "province" stands in for a missing address: no longer an unknown column
        unknown.remove(written)
        rejects = [r for r in rejects if r["column"] != written]
        mapping[position] = column
    present = set(mapping.values())
    missing = [group for group in t.REQUIRED[kind] if not present & set(group)]
    return mapping, unknown, rejects, missing


# A row-number column ("STT", "Số TT", "No.") is the sheet's own numbering, not data: left
# out without a word.
_ROW_NUMBER_HEADERS = frozenset({"stt", "so tt", "so thu tu", "tt", "no", "nr", "n", "number"})
# How far down a title row (or a few) may push the header of a sheet.
_MAX_TITLE_ROWS = 5
_DESCRIPTIONS = {"firms": FIRM_COLUMNS, "buyers": BUYER_COLUMNS, "needs": NEED_COLUMNS,
                 "outcomes": OUTCOME_COLUMNS}  # fmt: skip


def _cell_text(value: Any) -> str:
    return "" if value is None else normalize(value)


def _settle_header(kind: str, raw: RawTable) -> tuple[RawTable, list[dict[str, str]]]:
    """The table as a person lays it out: title rows above the header skipped, the help rows
    of the project's templates below it (canonical names, column descriptions) skipped, and
    rows that hold nothing but their number in a row-number column ("STT") left out as blank.

    Returns the table and notices (never rejects: none of these rows is data).
    """
    notices: list[dict[str, str]] = []
    if _map_headers(kind, raw.header)[3] and raw.rows:
        for position, (number, cells) in enumerate(raw.rows[:_MAX_TITLE_ROWS]):
            header = [_cell_text(c) for c in cells]
            while header and not header[-1]:
                header.pop()
            if _map_headers(kind, header)[3]:
                continue
            raw = replace(raw, header=header, rows=raw.rows[position + 1:])
            notices.append({
                "en": f"The headers are on row {number}; the {number - 1} row(s) above them "
                      "(a title) were not imported.",
                "vi": f"Tiêu đề cột nằm ở dòng {number}; {number - 1} dòng phía trên "
                      "(tên bảng) không được nhập.",
            })  # fmt: skip
            break
    mapping = _map_headers(kind, raw.header)[0]
    numbering = _row_number_positions(raw.header, mapping)
    if numbering:
        # Users number the STT column down the sheet before they fill it: a row that holds
        # nothing but its number is a blank row, neither data nor a reject.
        raw = replace(raw, rows=[
            (number, cells) for number, cells in raw.rows
            if any(not is_empty(c) for i, c in enumerate(cells) if i not in numbering)
        ])
    descriptions = _DESCRIPTIONS[kind]
    skipped = 0
    while raw.rows and skipped < 2:
        cells = raw.rows[0][1]
        filled = [(i, _cell_text(c)) for i, c in enumerate(cells)
                  if _cell_text(c) and i not in numbering]
        if not filled or not all(
            i in mapping and (t.header_key(v) == t.header_key(mapping[i])
                              or v == normalize(template_help(kind, mapping[i]))
                              or v == normalize(descriptions.get(mapping[i], "")))  # older templates
            for i, v in filled
        ):  # fmt: skip
            break
        raw = replace(raw, rows=raw.rows[1:])
        skipped += 1
    return raw, notices


def _row_number_positions(header: list[str], mapping: dict[int, str]) -> frozenset[int]:
    """Positions of the row-number columns ("STT", "No.") that are not imported as data."""
    return frozenset(
        i for i, written in enumerate(header)
        if written and i not in mapping and t.header_key(written) in _ROW_NUMBER_HEADERS
    )


def _missing_columns_error(
    kind: str, raw: RawTable, missing: list[tuple[str, ...]]
) -> IngestError:
    names = " and ".join(" or ".join(repr(c) for c in group) for group in missing)
    where = ""
    if raw.sheet_names:
        where = (
            f" in sheet {raw.sheet!r} (no sheet of {raw.sheet_names} has them either; "
            "pass the sheet of the table with --sheet NAME)"
            if len(raw.sheet_names) > 1 else f" in sheet {raw.sheet!r}"
        )
    return IngestError(
        f"Expected a {kind} table with the column {names}, got the headers "
        f"{[h for h in raw.header if h]}{where}. Add the missing column; accepted headers "
        f"are: {t.accepted_headers(kind)} (or the aliases of features/data/headers.csv)."
    )


def _find_sheet(kind: str, data: bytes, raw: RawTable, filename: str | None,
                limits: ReadLimits, deadline: Deadline):  # fmt: skip
    """When the first sheet of a workbook lacks the table's columns (a cover page), the
    first other sheet that has them: (raw table, header mapping) or ``None``."""
    for name in raw.sheet_names:
        if name == raw.sheet:
            continue
        try:
            other = read_raw(data, name, filename, limits, deadline, checked=True)
        except IngestError:  # an empty sheet
            continue
        other, _ = _settle_header(kind, other)
        mapped = _map_headers(kind, other.header)
        if not mapped[3]:
            return other, mapped
    return None


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return normalize(value)


def _text_too_long(number: int, column: str, value: str, limit: int) -> dict[str, Any]:
    return {"row": number, "column": column, "value": value[:80] + "…",
            "reason": f"{len(value):,} characters; the limit is {limit:,} (max_text_chars)",
            "fix": f"Shorten the text to at most {limit:,} characters and import the row again.",
            "scope": "field",
            "reason_vi": f"{len(value):,} ký tự; giới hạn là {limit:,} (max_text_chars)",
            "fix_vi": f"Rút gọn còn tối đa {limit:,} ký tự rồi nhập lại dòng này."}  # fmt: skip


def _parse_rows(kind, raw, mapping, progress, limits: ReadLimits, deadline: Deadline):
    parsers = t.parsers(kind)
    defaults = t.DEFAULTS[kind]
    accepted: dict[int, dict[str, Any]] = {}
    rejects: list[dict] = []
    rejected_rows: set[int] = set()
    total = len(raw.rows)
    width = len(raw.header)
    for i, (number, cells) in enumerate(raw.rows):
        if progress is not None and (i % 500 == 0 or i == total - 1):
            progress(i + 1, total)
        if i % 256 == 0:
            deadline.check(f"parsing row {number:,}")
        problems: list[dict] = []
        extra = [c for c in cells[width:] if not is_empty(c)]
        if extra:
            rejects.append({
                "row": number, "column": "", "value": "; ".join(_display(c) for c in extra),
                "reason": f"row rejected: {width + len(extra)} cells but {width} headers "
                "(a separator inside an unquoted cell shifts the columns)",
                "fix": "Quote the cell that contains the separator, or remove the extra cells.",
                "scope": "row",
                "reason_vi": f"loại cả dòng: {width + len(extra)} ô nhưng chỉ {width} tiêu đề "
                "(dấu phân cách trong một ô không có ngoặc kép làm lệch cột)",
                "fix_vi": "Đặt ô chứa dấu phân cách trong ngoặc kép, hoặc xóa các ô thừa.",
            })
            rejected_rows.add(number)
            continue
        row: dict[str, Any] = {}
        for position, column in mapping.items():
            value = cells[position] if position < len(cells) else None
            try:
                parsed = parsers[column](value)
            except CellProblem as problem:
                problems.append({"row": number, "column": column, "value": _display(value),
                                 "reason": problem.reason, "fix": problem.fix,
                                 "scope": "field", "reason_vi": problem.reason_vi,
                                 "fix_vi": problem.fix_vi})
                parsed = None
            if isinstance(parsed, tuple):  # list cell: kept value + pieces not understood
                parsed, pieces = parsed
                for piece in pieces:
                    problems.append({"row": number, "column": column, "value": piece.value,
                                     "reason": piece.reason, "fix": piece.fix,
                                     "scope": piece.scope, "reason_vi": piece.reason_vi,
                                     "fix_vi": piece.fix_vi})
            if isinstance(parsed, str) and len(parsed) > limits.max_text_chars:
                problems.append(_text_too_long(number, column, parsed, limits.max_text_chars))
                parsed = None
            row[column] = parsed
        for column, default in defaults.items():
            if row.get(column) is None:
                row[column] = default
        if kind == "firms" and row.get("firm_id") is None and row.get("tax_code"):
            row["firm_id"] = t.derive_firm_id(row["tax_code"])
        fatal = t.row_problems(kind, row)
        if fatal:
            # the row is rejected: none of its problems leaves a kept row behind
            for problem in problems:
                problem["scope"] = "row"
            for column, reason, fix, reason_vi, fix_vi in fatal:
                value = next((pr["value"] for pr in problems if pr["column"] == column), "")
                problems.append({"row": number, "column": column, "value": value,
                                 "reason": reason, "fix": fix, "scope": "row",
                                 "reason_vi": reason_vi, "fix_vi": fix_vi})
            rejected_rows.add(number)
        else:
            accepted[number] = row
        rejects.extend(problems)
    return accepted, rejects, rejected_rows


def _name_key(name: str) -> str:
    return " ".join(_LEGAL_FORMS.sub(" ", fold(name)).split())


def _duplicates(kind: str, accepted: dict[int, dict[str, Any]],
                deadline: Deadline | None = None) -> list[dict]:  # fmt: skip
    """Rows that repeat an earlier one, and firms' branches.

    A duplicate has the same id as an earlier row; for firms also the same full tax code,
    or a near-identical name at the same address unless both rows carry different valid
    tax codes or their names differ in a number ("An Phát 1" and "An Phát 2"). A firm
    whose 13-digit code is a branch of another row's 10-digit code is a firm of its own:
    recorded with ``kept=True``.
    """
    found: list[dict] = []
    dropped: set[int] = set()

    def mark(row: int, other: int, key: str, value: str, reason: str, reason_vi: str,
             kept: bool = False) -> None:
        if row in dropped:
            return
        if not kept:
            dropped.add(row)
        found.append({"row": row, "other_row": other, "key": key, "value": value,
                      "reason": reason, "kept": kept, "reason_vi": reason_vi})

    id_column = {"firms": "firm_id", "buyers": "buyer_id", "needs": "need_id"}.get(kind)
    seen: dict[Any, int] = {}
    for number, row in accepted.items():
        if id_column:
            key = row[id_column]
        else:
            key = (row["need_id"], row["firm_id"], row["status"], row["at"])
        if key in seen:
            if id_column:
                mark(number, seen[key], id_column, str(key), f"same {id_column} {key}",
                     f"trùng {id_column} {key}")
            else:  # an outcome event: the same move of the same pair at the same time
                value = f"{key[0]}, {key[1]}, {key[2]}, {key[3]}"
                mark(number, seen[key], "need_id", value,
                     "same need_id, firm_id, status and at",
                     "trùng need_id, firm_id, trạng thái và thời điểm")
        else:
            seen[key] = number
    if kind != "firms":
        return found
    by_tax: dict[str, int] = {}
    for number, row in accepted.items():
        code = row.get("tax_code")
        if number in dropped or not code:
            continue
        if code in by_tax:
            mark(number, by_tax[code], "tax_code", code, f"same tax code {code}",
                 f"trùng mã số thuế {code}")
        else:
            by_tax[code] = number
    for number, row in accepted.items():
        code = row.get("tax_code")
        if number in dropped or not code or "-" not in code:
            continue
        head = by_tax.get(code[:10])
        if head is not None and head not in dropped:
            mark(number, head, "tax_code", code,
                 f"branch of row {head} (head office {code[:10]}): a firm of its own, kept",
                 f"chi nhánh của dòng {head} (trụ sở {code[:10]}): doanh nghiệp riêng, "
                 "vẫn giữ", kept=True)
    by_address: dict[str, list[tuple[int, str, str | None]]] = {}
    for i, (number, row) in enumerate(accepted.items()):
        if deadline is not None and i % 256 == 0:
            deadline.check("looking for duplicate firms")
        if number in dropped or not row.get("address") or not row.get("name"):
            continue
        address = " ".join(re.findall(r"[^\W_]+", fold(row["address"])))
        name = _name_key(row["name"])
        code = row.get("tax_code")
        for other, other_name, other_code in by_address.get(address, []):
            if code and other_code and code != other_code:
                continue  # two registered firms: a shared address is not the same firm
            if re.findall(r"\d+", name) != re.findall(r"\d+", other_name):
                continue  # "An Phát 1" and "An Phát 2" are two firms
            ratio = difflib.SequenceMatcher(None, name, other_name).ratio()
            if ratio >= NAME_SIMILARITY:
                mark(number, other, "name", row["name"],
                     f"near-identical name (similarity {ratio:.2f}) at the same address",
                     f"tên gần như trùng (giống {ratio:.2f}) tại cùng địa chỉ")
                break
        else:
            by_address.setdefault(address, []).append((number, name, code))
    return found


def _frame(kind: str, accepted: dict[int, dict[str, Any]]) -> pd.DataFrame:
    columns = COLUMNS[kind]
    records = [[row.get(c) for c in columns] for row in accepted.values()]
    frame = pd.DataFrame(records, columns=list(columns), index=list(accepted), dtype=object)
    frame.index.name = "row"
    for column in columns:
        series = frame[column]
        if column in _INT_COLUMNS:
            frame[column] = pd.array(series.tolist(), dtype="Int64")
        elif column in _FLOAT_COLUMNS:
            frame[column] = pd.to_numeric(series, errors="raise").astype("float64")
        elif column in _DATE_COLUMNS:
            frame[column] = pd.to_datetime(series).astype("datetime64[ns]")
        elif column in _BOOL_COLUMNS:
            frame[column] = series.astype(bool)
        else:
            frame[column] = series.astype("str").where(series.notna(), None)
    return frame


def read_table(
    kind: str,
    source: Source,
    sheet: str | None = None,
    filename: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    limits: ReadLimits | None = None,
) -> IngestResult:
    """Read one table of ``kind`` from a CSV or XLSX file, keeping good rows and
    reporting every problem.

    Parameters
    ----------
    kind : {"firms", "buyers", "needs", "outcomes"}
    source : path, bytes or binary file object
        The file (the web service passes uploads as bytes or file objects).
    sheet : str, optional
        Sheet of an XLSX workbook (default: the first sheet).
    filename : str, optional
        Name used in the report when ``source`` has none.
    progress : callable(done, total), optional
        Called every 500 rows while cells are parsed (the CLI draws a progress bar).
    limits : ReadLimits, optional
        What reading may cost (size, columns, cells, rows, time); default ``ReadLimits()``.
        A text field longer than ``limits.max_text_chars`` is left out of its row and
        reported.

    Returns
    -------
    IngestResult

    Raises
    ------
    IngestError
        When the file cannot be read at all or lacks a required column (the message names
        it and lists the accepted headers). Bad rows and cells never raise: they are rejects.
    IngestLimitError
        When the file passes one of ``limits``; ``.limit`` and the message name it.
    """
    if kind not in KINDS:
        raise IngestError(
            f"Expected a table kind in {KINDS}, got {kind!r}. Use firms, buyers, needs or outcomes."
        )
    limits = (limits or ReadLimits()).check()
    deadline = limits.deadline()
    # once: a file object cannot be read twice
    data, name = read_bytes(source, limits.max_upload_bytes)
    filename = filename or name
    raw = read_raw(data, sheet, filename, limits, deadline)
    raw, notices = _settle_header(kind, raw)
    mapping, unknown, header_rejects, missing = _map_headers(kind, raw.header)
    if missing and sheet is None and len(raw.sheet_names) > 1:
        found = _find_sheet(kind, data, raw, filename, limits, deadline)
        if found is None:
            raise _missing_columns_error(kind, raw, missing)
        first, (raw, (mapping, unknown, header_rejects, missing)) = raw.sheet, found
        notices.append({
            "en": f"Read sheet {raw.sheet!r}: the first sheet {first!r} has no {kind} table "
                  f"(pass --sheet to choose another of {raw.sheet_names}).",
            "vi": f"Đã đọc sheet {raw.sheet!r}: sheet đầu {first!r} không có bảng {kind} "
                  f"(dùng --sheet để chọn sheet khác trong {raw.sheet_names}).",
        })
    if missing:
        raise _missing_columns_error(kind, raw, missing)
    accepted, rejects, rejected_rows = _parse_rows(kind, raw, mapping, progress, limits, deadline)
    for problem in raw.problems:  # lines that were no text, lines read as cp1258
        rejects.append(problem)
        if problem["scope"] == "row":
            rejected_rows.add(problem["row"])
    duplicates = sorted(_duplicates(kind, accepted, deadline), key=lambda d: d["row"])
    for d in duplicates:
        if d["kept"]:
            continue
        accepted.pop(d["row"])
        rejected_rows.add(d["row"])
        rejects.append({"row": d["row"], "column": d["key"], "value": d["value"],
                        "reason": f"duplicate of row {d['other_row']} ({d['reason']})",
                        "fix": "Merge the two rows into one, or correct the repeated value.",
                        "scope": "row",
                        "reason_vi": f"trùng với dòng {d['other_row']} ({d['reason_vi']})",
                        "fix_vi": "Gộp hai dòng thành một, hoặc sửa giá trị bị lặp."})
    frame = _frame(kind, accepted)
    # The schema is the last word: a row it refuses is moved to the rejects, not lost.
    cases = failure_cases(kind, frame)
    if not cases.empty:
        for case in cases.itertuples():
            index = case.index
            if index is None or index != index or index not in frame.index:
                raise IngestError(  # a whole-column failure is a bug in this module
                    f"Expected the parsed {kind} to match {SCHEMAS[kind].__name__}, got "
                    f"column {case.column!r} failing {case.check}. Please report this file."
                )
            rejects.append({"row": int(index), "column": case.column,
                            "value": _display(case.failure_case),
                            "reason": f"row rejected: fails {case.check}",
                            "fix": "Correct the cell and import the row again.",
                            "scope": "row",
                            "reason_vi": f"loại cả dòng: không đạt kiểm tra {case.check}",
                            "fix_vi": "Sửa ô rồi nhập lại dòng này."})
            rejected_rows.add(int(index))
        frame = frame.drop(index=[i for i in frame.index if i in rejected_rows])
    for problem in rejects:  # a rejected row keeps no cell: its problems are row problems
        if problem["row"] in rejected_rows and problem["scope"] in ("field", "note"):
            problem["scope"] = "row"
    header_frame = pd.DataFrame(header_rejects, columns=REJECT_COLUMNS)
    body = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    body = body.sort_values("row", kind="stable")
    reject_frame = pd.concat([header_frame, body], ignore_index=True) if len(header_frame) \
        else body.reset_index(drop=True)
    reject_frame["row"] = reject_frame["row"].astype("int64")
    for column in REJECT_COLUMNS[1:]:
        reject_frame[column] = reject_frame[column].astype("str")
    completeness = {
        c: (float(frame[c].notna().mean()) if len(frame) else 0.0) for c in COLUMNS[kind]
    }
    for c in t.DEFAULTS[kind]:  # a default is not data someone entered
        if c in completeness and len(frame):
            present = {r for r, cells in raw.rows}
            completeness[c] = _entered_share(raw, mapping, c, frame.index, present)
    return IngestResult(
        kind=kind,
        data=frame,
        rejects=reject_frame,
        duplicates=pd.DataFrame(duplicates, columns=DUPLICATE_COLUMNS).astype(
            {"row": "int64", "other_row": "int64", "kept": "bool"}
        ),
        rows_read=len(raw.rows) + sum(1 for p in raw.problems if p["scope"] == "row"),
        rows_accepted=len(frame),
        rows_rejected=len(rejected_rows),
        completeness=completeness,
        unknown_columns=unknown,
        columns={raw.header[i]: c for i, c in mapping.items()},
        source_name=filename,
        encoding=raw.encoding,
        sheet=raw.sheet,
        notices=notices,
    )


def _entered_share(raw, mapping, column, rows, present) -> float:
    positions = [i for i, c in mapping.items() if c == column]
    if not positions:
        return 0.0
    wanted = set(rows)
    cells = {n: c for n, c in raw.rows if n in wanted}
    filled = sum(
        1 for n in wanted
        if positions[0] < len(cells[n]) and not is_empty(cells[n][positions[0]])
    )
    return filled / len(wanted)


@dataclass
class TablePreview:
    """The first rows of a file as the import will read them, before anything is stored.

    ``columns`` pairs each written header with the column it is imported into (``None``:
    not imported); ``rows`` are (spreadsheet row or line number, cells as text) under those
    headers; ``total`` counts every data row; ``notices`` say what was skipped (a title row).
    """

    kind: str
    columns: list[tuple[str, str | None]]
    rows: list[tuple[int, list[str]]]
    total: int
    sheet: str | None
    notices: list[dict[str, str]]


def preview_table(kind: str, source: Source, sheet: str | None = None, filename: str | None = None,
                  rows: int = 10, *, limits: ReadLimits | None = None) -> TablePreview:  # fmt: skip
    """The header mapping and the first ``rows`` data rows of a table, read as
    :func:`read_table` reads them (title row, help rows, another sheet), nothing parsed.

    Raises the same :class:`IngestError` as :func:`read_table` when the table lacks a
    required column.

    Examples
    --------
    >>> p = preview_table("firms", b"STT,Ten doanh nghiep,MST,Ghi chu\\n1,Cong ty A,0100109106,x\\n")
    >>> p.columns, p.rows, p.total
    ([('STT', None), ('Ten doanh nghiep', 'name'), ('MST', 'tax_code'), ('Ghi chu', None)], [(2, ['1', 'Cong ty A', '0100109106', 'x'])], 1)
    """
    if kind not in KINDS:
        raise IngestError(f"Expected a table kind in {KINDS}, got {kind!r}.")
    limits = (limits or ReadLimits()).check()
    deadline = limits.deadline()
    data, name = read_bytes(source, limits.max_upload_bytes)
    raw = read_raw(data, sheet, filename or name, limits, deadline)
    raw, notices = _settle_header(kind, raw)
    mapping, _, _, missing = _map_headers(kind, raw.header)
    if missing and sheet is None and len(raw.sheet_names) > 1:
        found = _find_sheet(kind, data, raw, filename or name, limits, deadline)
        if found is not None:
            raw, (mapping, _, _, missing) = found
    if missing:
        raise _missing_columns_error(kind, raw, missing)
    width = len(raw.header)
    shown = [(number, [_display_cell(c) for c in (list(cells) + [None] * width)[:width]])
             for number, cells in raw.rows[:rows]]  # fmt: skip
    return TablePreview(kind=kind, columns=[(h, mapping.get(i)) for i, h in enumerate(raw.header)],
                        rows=shown, total=len(raw.rows), sheet=raw.sheet, notices=notices)  # fmt: skip


def _display_cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):  # an Excel date: as a person reads it
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize(value)
