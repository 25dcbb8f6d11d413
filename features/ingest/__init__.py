"""Import the four tables (firms, buyers, needs, outcomes) from CSV or XLSX, with rejects.

A spreadsheet from the field has bad cells; this module keeps every good row and says,
for each bad value, its row, column, reason and fix. A bad field is emptied and its row
kept; a row without an identity is rejected whole; duplicates (same id, same full tax
code, or a near-identical name at the same address) keep their first occurrence, while a
branch with its own 13-digit tax code is a firm of its own. A firm's certifications and
sectors are stored as written, and the pieces that cannot be read are reported as notes.
Reasons and fixes come in English and Vietnamese. Counts always add up:
``rows_read == rows_accepted + rows_rejected``.

* CSV in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1258; ``,`` ``;``
  tab or ``|`` delimited; a UTF-8 file with a few foreign lines is read line by line
  (a cp1258 line is read and noted, an undecodable one rejects only its row); XLSX (a
  named sheet, else the first sheet that has the table's columns).
* Headers: canonical names, the Vietnamese template headers
  (:data:`features.columns.VI_HEADERS`) and the aliases of ``features/data/headers.csv``,
  with or without diacritics. Unknown columns are reported and left out.
* Every text cell is normalised (:func:`features.text.normalize`); tax codes verified with
  python-stdnum; Vietnamese numbers (``1.200``, ``1,5``, ``khoảng 300``) and dates
  (dd/mm/yyyy, yyyy-mm-dd, Excel dates) parsed; needs' processes, materials, sector and
  certifications resolved to taxonomy codes.
* What reading may cost is bounded by :class:`ReadLimits` (file and inflated size, XML
  pieces, columns, cell and text length, rows, blank rows, parse time); a file past one
  raises :class:`IngestLimitError` naming it, a text field past ``max_text_chars`` is left
  out of its row and reported.
* A firm row without a firm_id but with a valid tax code gets ``F`` + the tax code digits,
  so re-importing the file gives the same id.

Examples
--------
>>> result = read_firms(b"Ten doanh nghiep,MST,So LD\\nCong ty A,0100109106,1.200\\n")
>>> result.firms[["firm_id", "name", "employees"]].to_dict("records")
[{'firm_id': 'F0100109106', 'name': 'Cong ty A', 'employees': 1200}]
>>> result.rows_read, result.rows_accepted, result.rows_rejected
(1, 1, 0)
"""

from __future__ import annotations

from collections.abc import Callable

from features.exceptions import IngestLimitError
from features.ingest._parse import CellProblem, tax_code
from features.ingest._pipeline import IngestResult, TablePreview, preview_table, read_table
from features.ingest._read import Source, has_more_rows_than
from features.limits import MAX_TEXT_CHARS, ReadLimits
from features.schemas import KINDS

__all__ = [
    "IngestResult",
    "IngestLimitError",
    "ReadLimits",
    "MAX_TEXT_CHARS",
    "KINDS",
    "read_table",
    "preview_table",
    "TablePreview",
    "read_firms",
    "read_buyers",
    "read_needs",
    "read_outcomes",
    "has_more_rows_than",
    "tax_code",
    "CellProblem",
]

Progress = Callable[[int, int], None]


def read_firms(
    source: Source, sheet: str | None = None, *, filename: str | None = None,
    progress: Progress | None = None, limits: ReadLimits | None = None,
) -> IngestResult:
    """Read a firms table; see :func:`read_table`."""
    return read_table("firms", source, sheet, filename=filename, progress=progress,
                      limits=limits)


def read_buyers(
    source: Source, sheet: str | None = None, *, filename: str | None = None,
    progress: Progress | None = None, limits: ReadLimits | None = None,
) -> IngestResult:
    """Read a buyers table; see :func:`read_table`."""
    return read_table("buyers", source, sheet, filename=filename, progress=progress,
                      limits=limits)


def read_needs(
    source: Source, sheet: str | None = None, *, filename: str | None = None,
    progress: Progress | None = None, limits: ReadLimits | None = None,
) -> IngestResult:
    """Read a needs table; see :func:`read_table`."""
    return read_table("needs", source, sheet, filename=filename, progress=progress,
                      limits=limits)


def read_outcomes(
    source: Source, sheet: str | None = None, *, filename: str | None = None,
    progress: Progress | None = None, limits: ReadLimits | None = None,
) -> IngestResult:
    """Read an outcomes (match event log) table; see :func:`read_table`."""
    return read_table("outcomes", source, sheet, filename=filename, progress=progress,
                      limits=limits)
