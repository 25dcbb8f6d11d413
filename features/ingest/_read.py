"""Raw reading: bytes → (header, rows) from CSV (any common encoding/delimiter) or XLSX."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, Any

from features.exceptions import IngestError, IngestLimitError
from features.ingest._xlsx_package import check_xlsx_package
from features.limits import Deadline, ReadLimits
from features.text import fold, normalize

Source = str | PathLike[str] | bytes | bytearray | IO[bytes]

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls
# Bytes that occur in Vietnamese cp1258 text but would be rare in other single-byte code pages:
# the combining tone marks (0xCC grave, 0xEC acute, 0xDE tilde, 0xD2 hook, 0xF2 dot below)
# and ă â ê ô ơ ư đ.
_CP1258_HINT = re.compile("[\u0300\u0301\u0303\u0309\u0323ăâêôơưđĂÂÊÔƠƯĐ]")


@dataclass
class RawTable:
    """Cells as read: ``header`` (list of str) and ``rows`` of (spreadsheet row number, cells)."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    # Problems found while reading, as reject records: lines that are no text at all
    # (scope "row", not in ``rows``) and lines read in another encoding (scope "note").
    problems: list[dict[str, Any]] = field(default_factory=list)
    # Every sheet of an XLSX workbook, in order (empty for CSV).
    sheet_names: list[str] = field(default_factory=list)


def read_bytes(source: Source, max_bytes: int | None = None) -> tuple[bytes, str | None]:
    """Bytes of ``source`` and its file name when it has one.

    ``max_bytes`` (``max_upload_bytes``) refuses a larger file before it is read whole: a
    path by its size on disk, a file object as soon as the bytes read pass it.
    """
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), None
    elif isinstance(source, (str, PathLike)):
        path = Path(source)
        if not path.is_file():
            raise IngestError(
                f"Expected a readable file, got {str(path)!r} which does not exist or is not a "
                "file. Fix the path."
            )
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise _file_too_large(path.stat().st_size, max_bytes)
        data, name = path.read_bytes(), path.name
    elif hasattr(source, "read"):
        chunks, size = [], 0
        while True:
            chunk = source.read(_READ_CHUNK)
            if isinstance(chunk, str):
                raise IngestError(
                    "Expected a binary file object (open(..., 'rb') or an upload), got a text "
                    "stream. Open the file in binary mode."
                )
            if not chunk:
                break
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise _file_too_large(size, max_bytes, at_least=True)
            chunks.append(bytes(chunk))
        data, name = b"".join(chunks), getattr(source, "name", None)
    else:
        raise IngestError(
            f"Expected a path, bytes or a binary file object, got {type(source).__name__}. "
            "Pass the file path or its bytes."
        )
    if max_bytes is not None and len(data) > max_bytes:
        raise _file_too_large(len(data), max_bytes)
    return data, name


_READ_CHUNK = 1 << 16


def _file_too_large(size: int, limit: int, at_least: bool = False) -> IngestLimitError:
    has = f"more than {limit:,}" if at_least else f"{size:,}"
    return IngestLimitError("max_upload_bytes", (
        f"The file has {has} bytes; the limit is {limit:,} bytes (max_upload_bytes). Split it "
        "into smaller files and import them one by one."
    ))  # fmt: skip


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1258.

    Strict UTF-8 first because valid UTF-8 is almost never an accident; Windows Vietnamese
    (cp1258) is the common legacy alternative, confirmed by its Vietnamese letters;
    otherwise charset-normalizer's best guess. A UTF-8 file with a few foreign lines is
    decoded line by line (:func:`decode_lines`); lines that are no text are left blank.
    """
    text, encoding, _ = decode_lines(data)
    return text, encoding


# A valid UTF-8 multi-byte sequence: cp1258 Vietnamese text almost never contains one
# (its letters 0xC0-0xFF are followed by ASCII or other letters, not by 0x80-0xBF).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_lines(data: bytes) -> tuple[str, str, list[dict[str, Any]]]:
    """Decode CSV bytes like :func:`decode`, also when a few lines are not UTF-8.

    When strict UTF-8 fails but most lines with non-ASCII bytes are UTF-8 (one row pasted
    from a Windows-1258 file, a stray 0xA0 byte), each other line is read as cp1258 if that
    gives Vietnamese text, and otherwise left blank and reported.

    Returns
    -------
    (text, encoding, problems)
        ``problems`` are reject records (``row`` = line number, header = 1): scope ``row``
        for a line left out, ``note`` for a line read as cp1258.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", []
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", []
        except UnicodeDecodeError:
            mixed = _decode_mixed(data[3:], base=3)
            if mixed is None:
                raise IngestError(
                    "Expected UTF-8 text after the UTF-8 byte-order mark, got bytes in "
                    "another encoding. Save the file as 'CSV UTF-8' (Excel: File > Save As) "
                    "or as .xlsx."
                ) from None
            return mixed[0], "utf-8-sig", mixed[2]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and _CP1258_HINT.search(text):
        return text, "cp1258", []
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding, []
    if text is not None:
        return text, "cp1258", []
    raise IngestError(
        "Expected a text file in UTF-8 or Windows-1258, got bytes in no known encoding. "
        "Save the file as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8) or as .xlsx."
    )


def _decode_mixed(data: bytes, base: int = 0) -> tuple[str, str, list[dict[str, Any]]] | None:
    """UTF-8 line by line, or ``None`` when the file is not mostly UTF-8; byte offsets are
    counted from ``base`` (3 after a byte-order mark)."""
    lines = data.splitlines(keepends=True)
    utf8 = foreign = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            foreign += 1
    if utf8 <= foreign:
        return None
    first = next((line for line in lines if line.strip()), b"")
    if _cp1258_line(first.rstrip(b"\r\n")) is None:
        try:
            first.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"Expected a header row in UTF-8 text, got byte 0x{first[exc.start]:02X} at "
                f"byte offset {base + data.index(first) + exc.start} of the header. Retype the "
                "header row, or save the file as CSV UTF-8."
            ) from None
    out: list[str] = []
    problems: list[dict[str, Any]] = []
    offset = base
    for number, line in enumerate(lines, start=1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            body = line.rstrip(b"\r\n")
            as_cp1258 = _cp1258_line(body)
            if as_cp1258 is not None:
                out.append(as_cp1258 + line[len(body):].decode("ascii"))
                problems.append(_line_problem(
                    number, as_cp1258, "note",
                    "line read as Windows-1258 (the rest of the file is UTF-8); check its "
                    "Vietnamese letters",
                    "Save the whole file as CSV UTF-8 so every line has one encoding.",
                    "dòng được đọc theo mã Windows-1258 (phần còn lại của tệp là UTF-8); "
                    "kiểm tra chữ tiếng Việt của dòng",
                    "Lưu cả tệp dạng CSV UTF-8 để mọi dòng cùng một mã.",
                ))
            else:
                out.append(line[len(body):].decode("ascii", errors="replace"))
                at = offset + exc.start
                byte = line[exc.start:exc.start + 1].hex().upper()
                problems.append(_line_problem(
                    number, body.decode("utf-8", errors="replace"), "row",
                    f"row rejected: byte 0x{byte} at byte offset {at} of the file (column "
                    f"{exc.start + 1} of the line) is not UTF-8 text, nor Windows-1258 "
                    "Vietnamese",
                    "Retype the row (a character pasted from another program), or save the "
                    "file as CSV UTF-8, then import it again.",
                    f"loại cả dòng: byte 0x{byte} ở vị trí {at} của tệp (cột {exc.start + 1} "
                    "của dòng) không phải văn bản UTF-8, cũng không phải tiếng Việt "
                    "Windows-1258",
                    "Gõ lại dòng này (có ký tự dán từ chương trình khác), hoặc lưu tệp dạng "
                    "CSV UTF-8, rồi nhập lại.",
                ))
        offset += len(line)
    return "".join(out), "utf-8", problems


def _cp1258_line(body: bytes) -> str | None:
    """The line as cp1258 when it reads as Vietnamese and holds no UTF-8 sequence."""
    if _UTF8_SEQUENCE.search(body):
        return None
    try:
        text = body.decode("cp1258")
    except UnicodeDecodeError:
        return None
    return text if _CP1258_HINT.search(text) else None


def _line_problem(
    number: int, value: str, scope: str, reason: str, fix: str, reason_vi: str, fix_vi: str
) -> dict[str, Any]:
    return {"row": number, "column": "", "value": normalize(value), "reason": reason,
            "fix": fix, "scope": scope, "reason_vi": reason_vi, "fix_vi": fix_vi}


_SNIFF_CHARS = 64 * 1024


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: ``,``, ``;``, tab or ``|``, judged on the first lines."""
    # Only the head: a file of millions of lines must not be split whole to find its delimiter.
    sample = "\n".join(text[:_SNIFF_CHARS].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = text[:_SNIFF_CHARS].split("\n", 1)[0]
        counts = {d: header.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not normalize(c)) for c in cells)


class _Rows:
    """The header and the non-blank rows of a table, with the limits checked as rows come.

    Every row, blank or not, is checked against ``max_columns`` (trailing empty cells do not
    count) and ``max_cell_chars``; blank rows count against ``max_blank_rows``, data rows
    against ``max_upload_rows``; the deadline is checked every few hundred rows.
    """

    def __init__(self, limits: ReadLimits, deadline: Deadline, where: str) -> None:
        self.limits, self.deadline, self.where = limits, deadline, where
        self.header: list[str] | None = None
        self.rows: list[tuple[int, list[Any]]] = []
        self.blank = 0
        self.last_row = 0  # number of the last non-blank row (the header included)
        self.width = 0  # cells of the widest row, trailing empty cells left out

    def add(self, number: int, cells: list[Any]) -> None:
        if number % 256 == 0:
            self.deadline.check(f"reading row {number:,} of {self.where}")
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        limits = self.limits
        if len(cells) > limits.max_columns:
            raise IngestLimitError("max_columns", (
                f"Row {number:,} of {self.where} has {len(cells):,} cells; the limit is "
                f"{limits.max_columns:,} columns (max_columns). Delete the unused columns, or "
                "check the separator of a CSV file."
            ))  # fmt: skip
        for position, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise IngestLimitError("max_cell_chars", (
                    f"Row {number:,}, column {position + 1} of {self.where} holds "
                    f"{len(cell):,} characters; the limit is {limits.max_cell_chars:,} "
                    "(max_cell_chars). Shorten the cell."
                ))  # fmt: skip
        if _is_blank(cells):
            self.blank += 1
            if self.blank > limits.max_blank_rows:
                raise IngestLimitError("max_blank_rows", (
                    f"{self.where.capitalize()} has more than {limits.max_blank_rows:,} blank "
                    f"rows or lines (seen by row {number:,}); the limit is "
                    f"{limits.max_blank_rows:,} (max_blank_rows). Delete the empty rows at the "
                    "end of the sheet, or export the table again."
                ))  # fmt: skip
            return
        self.last_row = number
        self.width = max(self.width, len(cells))
        if self.header is None:
            self.header = [normalize(c) for c in cells]
            return
        self.rows.append((number, cells))
        if len(self.rows) > limits.max_upload_rows:
            raise IngestLimitError("max_upload_rows", (
                f"The file has more than {limits.max_upload_rows:,} rows; the limit is "
                f"{limits.max_upload_rows:,} (max_upload_rows). Split it and import the parts "
                "one by one."
            ))  # fmt: skip


def read_csv_text(
    text: str, limits: ReadLimits | None = None, deadline: Deadline | None = None
) -> tuple[list[str], list[tuple[int, list[Any]]], str]:
    limits = limits or ReadLimits()
    deadline = deadline or limits.deadline()
    delimiter = sniff_delimiter(text)
    collected = _Rows(limits, deadline, "the file")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            collected.add(number, cells)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise IngestLimitError("max_cell_chars", (
                f"Row {number + 1:,} of the file holds a cell of more than "
                f"{csv.field_size_limit():,} characters; the limit is "
                f"{limits.max_cell_chars:,} (max_cell_chars). Shorten the cell, or check that "
                "its quotes are closed."
            )) from exc  # fmt: skip
        raise
    if collected.header is None:
        raise IngestError("Expected a header row and data rows, got an empty file. Fix the file.")
    return collected.header, collected.rows, delimiter


def _open_workbook(data: bytes):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged zip
        raise IngestError(
            f"Expected an .xlsx workbook, got a file openpyxl cannot open ({exc}). "
            "Re-save it from Excel as .xlsx or export it as CSV UTF-8."
        ) from exc


def _pick_sheet(book: Any, sheet: str | None) -> Any:
    """The sheet named ``sheet`` (exact, else without diacritics or case), or the first."""
    if sheet is None:
        return book.worksheets[0]
    names = {fold(n): n for n in book.sheetnames}
    names.update({normalize(n): n for n in book.sheetnames})
    key = normalize(sheet) if normalize(sheet) in names else fold(sheet)
    if key not in names:
        raise IngestError(
            f"Expected a sheet named {sheet!r}, got sheets {book.sheetnames}. "
            "Pass one of these with --sheet."
        )
    return book[names[key]]


def read_xlsx(
    data: bytes,
    sheet: str | None,
    limits: ReadLimits | None = None,
    deadline: Deadline | None = None,
    *,
    checked: bool = False,
) -> tuple[list[str], list[tuple[int, list[Any]]], str, list[str], list[dict[str, Any]]]:
    """Header, rows, sheet title, sheet names and problems (notes) of one sheet.

    The package is checked first (:func:`check_xlsx_package`) unless ``checked``. Rows are
    read whatever size the sheet declares (openpyxl's read-only mode would stop at a stale
    declared size and drop the rest without a word); a sheet whose data passes its declared
    size gets a ``note`` saying so.
    """
    limits = limits or ReadLimits()
    deadline = deadline or limits.deadline()
    if not checked:
        check_xlsx_package(data, limits, deadline)
    book = _open_workbook(data)
    try:
        ws = _pick_sheet(book, sheet)
        title = ws.title
        declared_rows, declared_columns = ws.max_row, ws.max_column
        ws.reset_dimensions()
        collected = _Rows(limits, deadline, f"sheet {title!r}")
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            collected.add(number, list(values))
        sheet_names = list(book.sheetnames)
    finally:
        book.close()
    if collected.header is None:
        raise IngestError(
            f"Expected a header row and data rows in sheet {title!r}, got an empty sheet. "
            "Fix the sheet or pass another one with --sheet."
        )
    header = collected.header
    # trailing empty header cells (formatting only) are not columns
    while header and not header[-1]:
        header.pop()
    problems = _stale_size(title, declared_rows, declared_columns, collected)
    return header, collected.rows, title, sheet_names, problems


def _stale_size(title: str, declared_rows: int | None, declared_columns: int | None,
                collected: _Rows) -> list[dict[str, Any]]:  # fmt: skip
    """A note when the data passes the sheet's declared size (its ``<dimension>``)."""
    if declared_rows is None or declared_columns is None:
        return []
    if collected.last_row <= declared_rows and collected.width <= declared_columns:
        return []
    return [{
        "row": declared_rows + 1, "column": "", "value": "",
        "reason": f"sheet {title!r} declares {declared_rows:,} rows x {declared_columns:,} "
                  f"columns but holds data down to row {collected.last_row:,} and across "
                  f"{collected.width:,} columns; every row was read",
        "fix": "Nothing to do; saving the file again from Excel corrects its declared size.",
        "scope": "note",
        "reason_vi": f"sheet {title!r} khai báo {declared_rows:,} dòng x {declared_columns:,} "
                     f"cột nhưng có dữ liệu đến dòng {collected.last_row:,} và "
                     f"{collected.width:,} cột; mọi dòng đều đã được đọc",
        "fix_vi": "Không cần làm gì; lưu lại tệp bằng Excel sẽ sửa kích thước khai báo.",
    }]  # fmt: skip


def read_raw(
    source: Source,
    sheet: str | None = None,
    filename: str | None = None,
    limits: ReadLimits | None = None,
    deadline: Deadline | None = None,
    *,
    checked: bool = False,
) -> RawTable:
    """Read ``source`` into a :class:`RawTable` (CSV or XLSX, told apart by content).

    Parameters
    ----------
    source : path, bytes or binary file object
    sheet : str, optional
    filename : str, optional
    limits : ReadLimits, optional
        Default ``ReadLimits()``.
    deadline : Deadline, optional
        Default: ``limits.max_parse_seconds`` from now.
    checked : bool, default False
        The XLSX package was already checked (another sheet of the same file).

    Raises
    ------
    IngestLimitError
        The file passes one of ``limits`` (``.limit`` names it).
    """
    limits = limits or ReadLimits()
    deadline = deadline or limits.deadline()
    data, name = read_bytes(source, limits.max_upload_bytes)
    name = filename or name
    if data.startswith(_ZIP):
        header, rows, title, sheet_names, problems = read_xlsx(
            data, sheet, limits, deadline, checked=checked
        )
        return RawTable(header, rows, None, None, title, problems=problems,
                        sheet_names=sheet_names)  # fmt: skip
    if data.startswith(_OLE):
        raise IngestError(
            f"Expected .xlsx or CSV, got a legacy Excel .xls file ({name or 'upload'}). "
            "Open it in Excel and save as .xlsx or CSV UTF-8."
        )
    if sheet is not None:
        raise IngestError(
            f"Expected an .xlsx workbook when a sheet is named ({sheet!r}), got a CSV/text "
            f"file ({name or 'upload'}). Drop --sheet or pass the workbook."
        )
    text, encoding, problems = decode_lines(data)
    deadline.check("decoding the file")
    header, rows, delimiter = read_csv_text(text, limits, deadline)
    return RawTable(header, rows, encoding, delimiter, None, problems=problems)


def has_more_rows_than(
    source: Source, limit: int, sheet: str | None = None, limits: ReadLimits | None = None
) -> bool:
    """Whether ``source`` holds more than ``limit`` non-blank data rows (header excluded).

    Cheap enough to run before :func:`read_table` on an upload: no cell is parsed, and
    reading stops at the ``limit + 1``-th row. A CSV whose line count is within the limit
    is not read at all. An XLSX is counted row by row whatever size it declares, after its
    package is checked against ``limits`` (a file that passes them raises
    :class:`IngestLimitError`). A file that cannot be read answers False: :func:`read_table`
    reports why.

    Parameters
    ----------
    source : path, bytes or binary file object
    limit : int
        Most data rows allowed (>= 0).
    sheet : str, optional
        Sheet of an XLSX workbook (default: the first sheet).
    limits : ReadLimits, optional
        Default ``ReadLimits()``.

    Returns
    -------
    bool

    Examples
    --------
    >>> has_more_rows_than(b"firm_id,name\\nF0001,A\\n\\nF0002,B\\n", 2)
    False
    >>> has_more_rows_than(b"firm_id,name\\nF0001,A\\nF0002,B\\nF0003,C\\n", 2)
    True
    """
    if limit < 0:
        raise IngestError(f"Expected a row limit >= 0, got limit={limit}. Pass a count of rows.")
    limits = limits or ReadLimits()
    data, _ = read_bytes(source, limits.max_upload_bytes)
    if data.startswith(_ZIP):
        return _xlsx_has_more_rows_than(data, limit, sheet, limits)
    if data.startswith(_OLE) or sheet is not None:
        return False
    # Every line break of UTF-8, cp1258 and UTF-16 text contains a 0x0A or 0x0D byte, so the
    # byte count bounds the number of rows from above.
    if max(data.count(b"\n"), data.count(b"\r")) <= limit:
        return False
    try:
        text, _ = decode(data)
        reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
        return _count_beyond(reader, limit, limits.max_blank_rows) > limit
    except (IngestError, csv.Error):
        return False


def _count_beyond(rows: Any, limit: int, max_blank: int) -> int:
    """Non-blank rows after the header, counted up to ``limit + 1`` (or until more than
    ``max_blank`` blank rows were passed: :func:`read_raw` refuses those)."""
    header_seen, count, blank = False, 0, 0
    for cells in rows:
        if _is_blank(list(cells)):
            blank += 1
            if blank > max_blank:
                break
            continue
        if not header_seen:
            header_seen = True
            continue
        count += 1
        if count > limit:
            break
    return count


def _xlsx_has_more_rows_than(data: bytes, limit: int, sheet: str | None,
                             limits: ReadLimits) -> bool:  # fmt: skip
    check_xlsx_package(data, limits, limits.deadline())
    try:
        book = _open_workbook(data)
    except IngestError:  # read_table reports the damaged workbook
        return False
    try:
        try:
            ws = _pick_sheet(book, sheet)
        except IngestError:
            return False
        ws.reset_dimensions()  # a stale declared size must not hide rows
        return _count_beyond(ws.iter_rows(values_only=True), limit, limits.max_blank_rows) > limit
    finally:
        book.close()
