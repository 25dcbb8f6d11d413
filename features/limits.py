"""What reading one file may cost (:class:`ReadLimits`) and the longest text of a field.

Kept out of :mod:`features.ingest` so that the service's settings and schemas can import
it without loading pandas.

Every limit is a field of :class:`ReadLimits` with the name of the service setting that
sets it (``api.settings.Settings``), so a refusal names the setting to raise. Readers check
them while they read (a zip member is counted as it is inflated, an XML part is scanned as it
streams, rows and the parse deadline are checked row by row), so a hostile file costs at
most about one limit's worth of work before it is refused.

Examples
--------
>>> limits = ReadLimits(max_columns=3)
>>> limits.max_columns, limits.max_cell_chars
(3, 32767)
>>> ReadLimits(max_columns=0).check()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
features.exceptions.IngestLimitError: Expected max_columns > 0, got 0. ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from features.exceptions import IngestLimitError

__all__ = ["ReadLimits", "Deadline", "MAX_TEXT_CHARS"]

# Longest free text of one field (a firm's description, a need's description, products ...):
# about ten pages. The API's schemas use it as max_length; imports take ReadLimits.max_text_chars.
MAX_TEXT_CHARS = 10_000


@dataclass(frozen=True)
class ReadLimits:
    """Most that reading one file may cost; each field is named after its service setting.

    Parameters
    ----------
    max_upload_bytes : int, default 10 MiB
        Size of the file as sent (compressed, for an XLSX).
    max_uncompressed_bytes : int, default 100 MiB
        Sum of an XLSX's parts once inflated: the sizes its zip directory declares and the
        bytes really inflated (a zip bomb is refused before or while it inflates).
    max_zip_members : int, default 1000
        Parts of an XLSX (a workbook of one table has about a dozen).
    max_xml_node_bytes : int, default 1 MiB
        Longest single piece of an XLSX's XML: a text node (a cell, a shared string), a
        comment, a tag with its attributes, a processing instruction. DTDs and entity
        declarations are refused whatever their size.
    max_columns : int, default 256
        Cells of one row (the header included).
    max_cell_chars : int, default 32767
        Characters of one cell (Excel's own maximum), whatever its column.
    max_text_chars : int, default :data:`MAX_TEXT_CHARS`
        Characters of one text field once read (a description, products); a longer cell is
        left out of its row and reported, the row kept.
    max_upload_rows : int, default 20000
        Non-blank data rows.
    max_blank_rows : int, default 100000
        Blank rows and lines read (a CSV of millions of empty lines).
    max_parse_seconds : float, default 60
        Time reading and parsing may take; checked while reading, so a slow file is
        stopped rather than finished.
    """

    max_upload_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_zip_members: int = 1000
    max_xml_node_bytes: int = 1024 * 1024
    max_columns: int = 256
    max_cell_chars: int = 32_767
    max_text_chars: int = MAX_TEXT_CHARS
    max_upload_rows: int = 20_000
    max_blank_rows: int = 100_000
    max_parse_seconds: float = 60.0

    def check(self) -> ReadLimits:
        """Return ``self`` when every limit is positive; raise naming the first that is not."""
        for item in fields(self):
            value = getattr(self, item.name)
            if not value > 0:
                raise IngestLimitError(
                    item.name, f"Expected {item.name} > 0, got {value}. Pass a positive limit."
                )
        return self

    def deadline(self) -> Deadline:
        """A :class:`Deadline` of ``max_parse_seconds`` from now."""
        return Deadline(self.max_parse_seconds)


class Deadline:
    """The end of the time a file's reading may take (``max_parse_seconds``).

    Examples
    --------
    >>> Deadline(60).check("reading rows")
    >>> Deadline(-1).check("reading rows")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    features.exceptions.IngestLimitError: Reading stopped while reading rows: ...
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self, doing: str) -> None:
        """Raise :class:`IngestLimitError` once the time is up; ``doing`` says where."""
        if time.monotonic() > self.ends:
            raise IngestLimitError(
                "max_parse_seconds",
                f"Reading stopped while {doing}: it took longer than the limit of "
                f"{self.seconds:g} s (max_parse_seconds). Split the file into smaller ones, "
                "or save it again from Excel (a file that is slow to read is often damaged).",
            )
