"""Writing the demo tables byte-reproducibly: CSV, XLSX and the empty import templates.

CSV: UTF-8 (no BOM), canonical English headers, ``\\n`` line ends. XLSX: the Vietnamese
headers of :data:`features.columns.VI_HEADERS`. openpyxl stamps the save time into
``docProps/core.xml`` and every zip entry, so each workbook is rewritten afterwards with a
fixed timestamp derived from the seed: the same seed gives the same bytes.

Templates (``templates/<table>_template.xlsx``): row 1 the Vietnamese header, row 2 the
canonical English name, row 3 what to type in the column (Vietnamese, then English on a second line:
:func:`features.columns.template_help`); data start on
row 4. An importer skips rows 2-3 because row 2 repeats the canonical names.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from features.columns import VI_HEADERS, template_help

__all__ = ["write_csv", "write_xlsx", "write_template", "fixed_timestamp"]


def fixed_timestamp(seed: int) -> datetime:
    """The timestamp written into every XLSX of a seed (a day of 2025, at noon)."""
    return datetime(2025, 1 + seed % 12, 1 + seed % 28, 12, 0, 0)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV with ``\\n`` line ends and no index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))


def _pinned(workbook: Workbook, when: datetime) -> bytes:
    workbook.properties.created = when
    workbook.properties.modified = when
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl overwrites "modified" on save
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    return out.getvalue()


def write_xlsx(frame: pd.DataFrame, path: Path, when: datetime, sheet: str) -> None:
    """Write ``frame`` to ``path`` with Vietnamese headers and pinned timestamps.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns named canonically (keys of ``VI_HEADERS``).
    path : Path
        Target ``.xlsx``.
    when : datetime
        Timestamp stored in the document properties and zip entries.
    sheet : str
        Worksheet title.
    """
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append([VI_HEADERS[c] for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([None if (v is None or (not isinstance(v, str) and pd.isna(v)) or v == "") else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_pinned(workbook, when))


def write_template(columns: dict[str, str], path: Path, when: datetime, sheet: str) -> None:
    """Write an empty import template: Vietnamese header, English name, what to type (vi, en).

    ``sheet`` is the table (``firms``, ``buyers``, ``needs``, ``outcomes``).
    """
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append([VI_HEADERS[c] for c in columns])
    ws.append(list(columns))
    ws.append([template_help(sheet, c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[3]:
        cell.font = Font(italic=True, color="666666")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter in (cell.column_letter for cell in ws[1]):
        ws.column_dimensions[letter].width = 28
    ws.freeze_panes = "A4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_pinned(workbook, when))
