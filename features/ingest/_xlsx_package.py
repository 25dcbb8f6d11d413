"""Checks of an XLSX package (a zip of XML parts) before openpyxl opens it.

openpyxl inflates and parses every part it needs without bounds: a 1 MB workbook whose sheet
inflates to 1 GB of whitespace, or one XML comment of 256 MB, costs minutes and gigabytes
there. :func:`check_xlsx_package` reads the zip directory and then streams every part once,
counting inflated bytes and scanning each XML part with expat as it inflates, so it stops at
the first limit passed, having done about that limit's worth of work:

* the zip's declared sizes and its inflated bytes against ``max_uncompressed_bytes``, its
  number of parts against ``max_zip_members``;
* no DTD or entity declaration in any XML part (billion laughs, external entities);
* no single XML piece longer than ``max_xml_node_bytes``: a text node (a cell value, a shared
  string), a comment, a tag with its attributes, a processing instruction;
* no row of a sheet with more cells than ``max_columns``;
* the parse deadline (``max_parse_seconds``) between chunks.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.parsers import expat

from features.exceptions import IngestError, IngestLimitError
from features.limits import Deadline, ReadLimits

__all__ = ["check_xlsx_package"]

_CHUNK = 64 * 1024
# Parts parsed as XML; anything else (images, printer settings, VBA) is only counted.
_XML_SUFFIXES = (".xml", ".rels")


def check_xlsx_package(data: bytes, limits: ReadLimits, deadline: Deadline) -> None:
    """Refuse ``data`` (an XLSX) when reading it would pass one of ``limits``.

    Parameters
    ----------
    data : bytes
        The file, starting with the zip signature.
    limits : ReadLimits
    deadline : Deadline
        Of the whole reading (``max_parse_seconds``).

    Raises
    ------
    IngestLimitError
        Naming the limit passed (``.limit``).
    IngestError
        The zip or one of its XML parts is damaged.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise IngestError(
            f"Expected an .xlsx workbook, got a damaged zip ({exc}). Re-save it from Excel as "
            ".xlsx or export it as CSV UTF-8."
        ) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.max_zip_members:
            raise IngestLimitError("max_zip_members", (
                f"The workbook has {len(members):,} parts; the limit is "
                f"{limits.max_zip_members:,} (max_zip_members). Copy the table into a new "
                "workbook, or export it as CSV UTF-8."
            ))  # fmt: skip
        declared = sum(m.file_size for m in members)
        if declared > limits.max_uncompressed_bytes:
            raise _too_large(f"declares {declared:,} bytes once uncompressed", limits)
        inflated = 0
        for member in members:
            scan = _XmlScan(member.filename, limits) if member.filename.lower().endswith(
                _XML_SUFFIXES) else None  # fmt: skip
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > limits.max_uncompressed_bytes:
                            raise _too_large(
                                f"inflates to more than {limits.max_uncompressed_bytes:,} bytes",
                                limits,
                            )
                        if scan is not None:
                            scan.feed(chunk)
                        deadline.check(f"checking the workbook's part {member.filename!r}")
                if scan is not None:
                    scan.close()
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                    RuntimeError) as exc:  # fmt: skip
                # RuntimeError: an encrypted part; NotImplementedError: an unknown compression
                raise IngestError(
                    f"Expected an .xlsx workbook, got a damaged or encrypted part "
                    f"{member.filename!r} ({exc}). Re-save it from Excel as .xlsx (without a "
                    "password) or export it as CSV UTF-8."
                ) from exc


def _too_large(what: str, limits: ReadLimits) -> IngestLimitError:
    return IngestLimitError("max_uncompressed_bytes", (
        f"The workbook {what}; the limit is {limits.max_uncompressed_bytes:,} bytes "
        "(max_uncompressed_bytes). Remove unused sheets and formatting, or export the table "
        "as CSV UTF-8."
    ))  # fmt: skip


class _XmlScan:
    """One XML part scanned as it streams (expat, no DTD, bounded pieces and rows)."""

    def __init__(self, part: str, limits: ReadLimits) -> None:
        self.part = part
        self.node_limit = limits.max_xml_node_bytes
        self.max_columns = limits.max_columns
        self.is_sheet = part.startswith("xl/worksheets/")
        self.fed = 0  # bytes given to expat
        self.last = 0  # byte offset of the latest event: what lies beyond is one piece
        self.text = 0  # characters of the current text node
        self.cells = 0  # cells of the current row (sheets)
        parser = expat.ParserCreate()
        parser.buffer_text = False
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.StartElementHandler = self._start
        parser.CharacterDataHandler = self._characters
        parser.CommentHandler = self._comment
        parser.ProcessingInstructionHandler = self._instruction
        self.parser = parser

    def feed(self, chunk: bytes) -> None:
        self.fed += len(chunk)
        self._parse(chunk, final=False)
        # Nothing was reported since ``last``: expat is holding one piece that long.
        if self.fed - self.last > self.node_limit:
            raise self._node_error("a single XML piece (tag, comment or text)",
                                   self.fed - self.last)  # fmt: skip

    def close(self) -> None:
        self._parse(b"", final=True)

    def _parse(self, chunk: bytes, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            raise IngestError(
                f"Expected well-formed XML in the workbook's part {self.part!r}, got "
                f"{expat.ErrorString(exc.code)} at line {exc.lineno}. Re-save it from Excel "
                "as .xlsx or export it as CSV UTF-8."
            ) from exc

    def _node_error(self, what: str, size: int) -> IngestLimitError:
        return IngestLimitError("max_xml_node_bytes", (
            f"The workbook's part {self.part!r} holds {what} of more than {size:,} bytes; the "
            f"limit is {self.node_limit:,} (max_xml_node_bytes). Shorten the cell, or export "
            "the table as CSV UTF-8."
        ))  # fmt: skip

    def _doctype(self, name: str, *_: object) -> None:
        raise IngestLimitError("dtd", (
            f"The workbook's part {self.part!r} declares a DTD (<!DOCTYPE {name}>); Excel never "
            "writes one and it can expand without bound, so it is refused. Re-save the file "
            "from Excel as .xlsx or export it as CSV UTF-8."
        ))  # fmt: skip

    def _entity(self, name: str, *_: object) -> None:
        raise IngestLimitError("dtd", (
            f"The workbook's part {self.part!r} declares the XML entity {name!r}; entities can "
            "expand without bound, so they are refused. Re-save the file from Excel as .xlsx."
        ))  # fmt: skip

    def _start(self, name: str, _attributes: object) -> None:
        self.last = self.parser.CurrentByteIndex
        self.text = 0
        if not self.is_sheet:
            return
        if name == "row" or name.endswith(":row"):
            self.cells = 0
        elif name == "c" or name.endswith(":c"):
            self.cells += 1
            if self.cells > self.max_columns:
                raise IngestLimitError("max_columns", (
                    f"A row of the workbook's part {self.part!r} has more than "
                    f"{self.max_columns:,} cells; the limit is {self.max_columns:,} columns "
                    "(max_columns). Delete the unused columns (select them, right-click, "
                    "Delete), or export the table as CSV UTF-8."
                ))  # fmt: skip

    def _characters(self, data: str) -> None:
        self.last = self.parser.CurrentByteIndex
        self.text += len(data)
        if self.text > self.node_limit:
            raise self._node_error("a text node", self.text)

    def _comment(self, data: str) -> None:
        self.last = self.parser.CurrentByteIndex
        if len(data) > self.node_limit:
            raise self._node_error("a comment", len(data))

    def _instruction(self, target: str, data: str) -> None:
        self.last = self.parser.CurrentByteIndex
        if len(data) > self.node_limit:
            raise self._node_error("a processing instruction", len(data))
