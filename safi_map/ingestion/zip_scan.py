"""Stream the XML of a zip-based spreadsheet (XLSX, XLSM, ODS) to bound what reading it costs.

The part of :mod:`safi_map.ingestion.sheet_limits` that reads XML (:func:`check_spreadsheet`):
expat, as a stream, with a handler per element kind; see that module for what is checked and why.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.ingestion.sheet_limits import (
    SheetLimits,
    cell_too_long,
    check_extent,
    check_file_size,
    too_many_bytes,
)

__all__ = ["check_spreadsheet", "scan_zip"]

_CHUNK = 1 << 16


_CELL_REF = re.compile(r"\$?([A-Za-z]{1,8})\$?([0-9]{1,12})\Z")
# Elements that may sit inside an XLSX cell or shared string, or an ODS cell: their bytes
# belong to the cell. Any other element ends the cell (the exact length is checked on read).
_XLSX_INNER = frozenset({"v", "f", "is", "t", "r", "rPr", "rPh", "phoneticPr", "rFont", "b", "i",
                         "u", "sz", "color", "family", "charset", "scheme", "vertAlign",
                         "strike", "outline", "shadow", "condense", "extend"})
_ODS_INNER = frozenset({"p", "h", "span", "s", "tab", "line-break", "a", "soft-page-break",
                        "annotation", "annotation-end", "creator", "date", "list", "list-item",
                        "note", "note-citation", "note-body", "ruby", "ruby-base", "ruby-text",
                        "bookmark", "bookmark-start", "bookmark-end", "sequence", "change-start",
                        "change-end"})


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _cell_ref(ref: str | None) -> tuple[int, int] | None:
    """``"XFD1048576"`` -> (row 1048576, column 16384); None if not a reference."""
    m = _CELL_REF.match(ref.strip()) if ref else None
    return (int(m.group(2)), _column_number(m.group(1))) if m else None


def _positive_int(value: str | None, default: int = 1) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 12 else default


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


class _Budget:
    """Bytes of text the reader will build, across the whole file."""

    def __init__(self, where: str, limits: SheetLimits) -> None:
        self.where, self.limits, self.total = where, limits, 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_bytes:
            raise too_many_bytes(self.where, self.total, self.limits)


@dataclass
class _OdsTable:
    row: int = 0  # rows before the current one
    col: int = 0  # columns before the current cell
    row_repeat: int = 1
    row_used: bool = False
    max_row: int = 0
    max_col: int = 0
    cell_repeat: int = 1
    cell_used: bool = False
    cell_start: int = -1
    cell_extra: int = 0  # spaces of <text:s text:c="n"/>


class _XmlScan:
    """One XML member, read by expat as a stream (see the module docstring)."""

    def __init__(self, where: str, limits: SheetLimits, budget: _Budget,
                 strings: list[int], refs: Counter[int]) -> None:
        self.where, self.limits, self.budget = where, limits, budget
        self.cell_guard = 4 * limits.max_cell_chars + 256  # bytes: up to 4 per character
        self.strings, self.refs = strings, refs
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.buffer_size = _CHUNK
        self.parser.StartElementHandler = self._start
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.kinds: dict[str, str] = {}
        self.sheetlike = False
        # XLSX state: position of the current row and cell, extent of cells with a value
        self.row = self.col = 0
        self.max_row = self.max_col = 0
        self.span_start = -1
        self.span_kind = ""
        self.cell_type = ""
        self.columns: dict[str, int] = {}
        self.index_text: list[str] | None = None
        self.ods: list[_OdsTable] = []

    # -- feeding ------------------------------------------------------------------------------

    def feed(self, data: bytes, final: bool = False) -> None:
        self.parser.Parse(data, final)
        if final:
            self._close_span(self.parser.CurrentByteIndex)
            self._end_index()

    def _doctype(self, *args: Any) -> None:
        raise SurveyError(_("{where}: this file declares XML entities or a DTD, which no "
                            "spreadsheet program writes; it was not read").format(where=self.where))

    # -- XLSX -------------------------------------------------------------------------------

    def _kind(self, qname: str) -> str:
        local = _local(qname)
        if local in ("row", "c", "dimension", "si", "sheetData", "sst"):
            kind = local
        elif local in ("v", "is", "f"):
            kind = "value"
        elif local in ("p", "h", "s"):
            kind = "text"
        elif local in ("table", "table-row", "table-cell", "covered-table-cell"):
            kind = "ods-" + local
        elif local in _XLSX_INNER or local in _ODS_INNER:
            kind = "inner"
        else:
            kind = "other"
        self.kinds[qname] = kind
        return kind

    def _close_span(self, at: int) -> None:
        if self.span_start < 0:
            return
        size = at - self.span_start
        if self.span_kind == "si":
            self.strings.append(size)
        if size > self.cell_guard:
            raise cell_too_long(self.where, self.limits.max_cell_chars, self.limits, at_least=True)
        self.span_start = -1

    def _end_index(self) -> None:
        if self.index_text is not None:
            text = "".join(self.index_text).strip()
            if text.isdigit() and len(text) <= 12:
                self.refs[int(text)] += 1
            self.index_text = None
            self.parser.CharacterDataHandler = None

    def _index_data(self, data: str) -> None:
        if self.index_text is not None:
            self.index_text.append(data)

    def _start(self, qname: str, attrs: dict[str, str]) -> None:
        # Called for every element of every sheet: the frequent cases come first, cheaply.
        kind = self.kinds.get(qname) or self._kind(qname)
        if self.index_text is not None:
            self._end_index()
        if kind == "c":
            if self.span_start >= 0:
                self._close_span(self.parser.CurrentByteIndex)
            self._cell_start(attrs)
        elif kind == "value":
            if self.row or self.col:
                self._cell_has_value(qname)
        elif kind == "inner":
            pass
        elif kind == "text":
            if self.ods:
                self._ods_text(qname, attrs)
        elif kind.startswith("ods-"):
            self._ods_start(kind, attrs)
        else:
            self._close_span(self.parser.CurrentByteIndex)
            self._structure(kind, attrs)

    def _cell_start(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = self.columns.get(letters)
            if col is None:
                col = self.columns[letters] = (
                    _column_number(letters) if letters.isascii() and letters.isalpha()
                    and len(letters) <= 8 else 0)
            digits = ref[len(letters):]
            if col and digits and len(digits) <= 12:
                self.row, self.col = int(digits), col
            else:
                self.col += 1
        else:
            self.col += 1
        self.span_start, self.span_kind = self.parser.CurrentByteIndex, "c"
        self.cell_type = attrs.get("t", "")

    def _structure(self, kind: str, attrs: dict[str, str]) -> None:
        if kind == "row":
            r = _positive_int(attrs.get("r"), 0)
            self.row = r if r else self.row + 1
            self.col = 0
        elif kind == "si":
            self.span_start, self.span_kind = self.parser.CurrentByteIndex, "si"
        elif kind == "dimension":
            self.sheetlike = True
            last = (attrs.get("ref") or "").rpartition(":")[2]
            ref = _cell_ref(last)
            if ref is not None:
                check_extent(self.where, ref[0], ref[1], self.limits, declared=True)
        elif kind in ("sheetData", "sst"):
            self.sheetlike = True

    def _cell_has_value(self, qname: str) -> None:
        row, col = self.row, self.col
        if row > self.max_row or col > self.max_col:
            self.max_row, self.max_col = max(row, self.max_row, 1), max(col, self.max_col, 1)
            check_extent(self.where, self.max_row, self.max_col, self.limits)
        if self.cell_type == "s" and _local(qname) == "v":
            self.index_text = []
            self.parser.CharacterDataHandler = self._index_data

    # -- ODS --------------------------------------------------------------------------------

    def _ods_start(self, kind: str, attrs: dict[str, str]) -> None:
        parser = self.parser
        if not self.ods:
            parser.EndElementHandler = self._ods_end
        self.sheetlike = True
        if kind == "ods-table":
            self.ods.append(_OdsTable())
            return
        if not self.ods:
            self.ods.append(_OdsTable())
        table = self.ods[-1]
        if kind == "ods-table-row":
            table.row_repeat = _positive_int(_attr(attrs, "number-rows-repeated"))
            table.row_used, table.col = False, 0
        else:  # a cell or a covered cell
            table.cell_repeat = _positive_int(_attr(attrs, "number-columns-repeated"))
            table.cell_used = _attr(attrs, "value-type") is not None
            table.cell_start, table.cell_extra = parser.CurrentByteIndex, 0

    def _ods_text(self, qname: str, attrs: dict[str, str]) -> None:
        table = self.ods[-1]
        if table.cell_start < 0:
            return
        table.cell_used = True
        if _local(qname) == "s":
            table.cell_extra += _positive_int(_attr(attrs, "c"))

    def _ods_end(self, qname: str) -> None:
        kind = self._kind(qname)
        if not kind.startswith("ods-") or not self.ods:
            return
        table = self.ods[-1]
        if kind == "ods-table":
            self.ods.pop()
        elif kind == "ods-table-row":
            if table.row_used:
                table.max_row = table.row + table.row_repeat
                check_extent(self.where, table.max_row, table.max_col, self.limits)
            table.row += table.row_repeat
            table.row_repeat = 1
        elif table.cell_start >= 0:
            size = self.parser.CurrentByteIndex - table.cell_start + table.cell_extra
            if size > self.cell_guard:
                raise cell_too_long(self.where, self.limits.max_cell_chars, self.limits,
                                 at_least=True)
            if table.cell_used:
                table.row_used = True
                table.max_col = max(table.max_col, table.col + table.cell_repeat)
                check_extent(self.where, max(table.max_row, table.row + table.row_repeat),
                              table.max_col, self.limits)
                self.budget.add(size * table.cell_repeat * table.row_repeat)
            table.col += table.cell_repeat
            table.cell_start = -1


def _attr(attrs: dict[str, str], local: str) -> str | None:
    for name, value in attrs.items():
        if name == local or name.endswith(":" + local):
            return value
    return None


_FALLBACK = re.compile(
    rb"""\br\s*=\s*["']\$?([A-Za-z]{1,8})\$?([0-9]{1,12})["']"""
    rb"""|number-(?:rows|columns)-repeated\s*=\s*["']([0-9]{1,12})["']""")


def _fallback_scan(stream: Iterator[bytes], where: str, limits: SheetLimits) -> None:
    """A member expat cannot read (VML drawings often are not XML): every cell reference and
    repeat count in it is taken at face value, which errs on the side of refusing."""
    tail = b""
    for chunk in stream:
        data = tail + chunk
        for m in _FALLBACK.finditer(data):
            if m.group(3):
                n = int(m.group(3))
                check_extent(where, n, 1, limits)
                check_extent(where, 1, n, limits)
            else:
                check_extent(where, int(m.group(2)), _column_number(m.group(1).decode()),
                              limits)
        tail = data[-64:]


def _members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    # Shared strings first, so their sizes are known when a sheet refers to them.
    infos = [i for i in zf.infolist() if not i.is_dir()]
    return sorted(infos, key=lambda i: not i.filename.lower().endswith("sharedstrings.xml"))


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, counted: list[int],
             where: str, limits: SheetLimits) -> Iterator[bytes]:
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            counted[0] += len(chunk)
            if counted[0] > limits.max_bytes:
                raise too_many_bytes(where, counted[0], limits)
            yield chunk


def scan_zip(zf: zipfile.ZipFile, where: str, limits: SheetLimits) -> None:
    members = _members(zf)
    declared = sum(i.file_size for i in members)
    if declared > limits.max_bytes:
        raise too_many_bytes(where, declared, limits)
    budget = _Budget(where, limits)
    strings: list[int] = []
    refs: Counter[int] = Counter()
    counted = [0]
    for info in members:
        stream = _inflate(zf, info, counted, where, limits)
        first = next(stream, b"")
        if not first.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").startswith(b"<"):
            for _chunk in stream:
                pass
            continue
        scan = _XmlScan(where, limits, budget, strings, refs)
        try:
            scan.feed(first)
            for chunk in stream:
                scan.feed(chunk)
            scan.feed(b"", final=True)
        except expat.ExpatError as exc:
            if scan.sheetlike:
                raise SurveyError(
                    _("{where}: cannot read this spreadsheet: {member} is damaged ({error}); "
                      "open it and save it again").format(where=where, member=info.filename,
                                                         error=exc)) from exc
            _fallback_scan(_inflate(zf, info, [0], where, limits), where, limits)
    for index, count in refs.items():  # each reference to a shared string is a new copy
        if index < len(strings):
            budget.add(strings[index] * count)


def check_spreadsheet(path: Path, limits: SheetLimits, where: str | None = None) -> None:
    """Refuse a zip-based spreadsheet (XLSX, XLSM, ODS) over a limit, before it is read.

    A file that is not a zip (XLS) is only checked by size here, then by
    :func:`check_sheet_end` once its reader has read it (the XLS format cannot exceed 65,536
    rows by 256 columns).

    Raises
    ------
    SheetTooLarge
        If the file exceeds a limit.
    SurveyError
        If the zip is damaged, encrypted or uses a compression this check cannot read.
    """
    where = where or path.name
    check_file_size(path, limits, where)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the reader says what it is
    with zf:
        try:
            scan_zip(zf, where, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError, OSError) as exc:
            if isinstance(exc, SurveyError):
                raise
            raise SurveyError(
                _("{where}: cannot read this spreadsheet: it is damaged or compressed in a way "
                  "spreadsheet programs do not use ({error}); open it and save it again")
                .format(where=where, error=exc)) from exc
