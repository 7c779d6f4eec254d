"""Size limits on survey files, checked before a reader allocates anything.

A spreadsheet is a zip of XML: a 1.5 KB XLSX with one cell at A1 and one at XFD1048576 makes
calamine allocate the whole rectangle between them (512 GiB, and the process aborts); a 1 MB
XLSX can inflate to gigabytes; an ODS row or cell can be "repeated" a million times; one shared
string can be referenced by every cell. So before calamine sees a file, :func:`check_spreadsheet`

* adds up the sizes the zip *declares* for its members, then inflates every member as a stream,
  counting the bytes it really holds (a member larger than declared fails its CRC check);
* reads the XML of every member with expat, as a stream, to find the sheet's declared
  ``<dimension>`` and the real extent of its non-empty cells (XLSX ``r`` references, implicit
  positions, ODS ``number-rows-repeated``/``number-columns-repeated``), a bound on every cell's
  length (the bytes between its tags, ``<text:s text:c="…"/>`` runs of spaces) and the text the
  reader will build (repeated cells, shared strings referenced many times).

Whatever passes is read, and :func:`check_rows` then checks the exact figures (rows, columns,
characters) on the cells read; CSV files are checked by size, then while they are parsed
(:func:`limited_records`). The limits are settings (``[limits]`` in ``safi-map.toml``); a file
over a limit is refused with :class:`SheetTooLarge`, which names the file, and the other surveys
are still read.
"""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from .errors import SurveyError
from .i18n import _

__all__ = ["SheetLimits", "SheetTooLarge", "check_file_size", "check_rows", "check_sheet_end",
           "check_spreadsheet", "limited_records"]

_MB = 1_000_000
_CHUNK = 1 << 16


@dataclass(frozen=True)
class SheetLimits:
    """The largest survey sheet safi-map reads (``[limits]`` in ``safi-map.toml``).

    ``max_cells`` bounds rows × columns of a sheet's used area: a reader holds that whole
    rectangle in memory, empty cells included.
    """

    max_rows: int = 100_000
    max_columns: int = 1_000
    max_cells: int = 5_000_000
    max_cell_chars: int = 32_767
    max_megabytes: float = 200.0

    @property
    def max_bytes(self) -> int:
        return int(self.max_megabytes * _MB)

    @classmethod
    def from_settings(cls, settings: Any) -> SheetLimits:
        """The limits of a :class:`~safi_map.settings.Settings` (defaults for what it lacks)."""
        default = cls()
        return cls(**{name: getattr(settings, name, getattr(default, name))
                      for name in cls.__dataclass_fields__})


class SheetTooLarge(SurveyError):
    """A survey file exceeds a :class:`SheetLimits` limit; it is not read."""


def _n(value: float) -> str:
    """A count as French readers write it (``1 048 576``)."""
    text = f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", " ").replace(".", ",")


def _refuse(where: str, detail: str, limit: str, setting: str, *, extent: bool = False
            ) -> SheetTooLarge:
    advice = (_("Delete the empty rows and columns after the table and save the file again, "
                "or raise the limit if the file is genuine.") if extent
              else _("Check what the file holds, or raise the limit if it is genuine."))
    return SheetTooLarge(
        _("{where}: file not read, it is too large to read safely: {detail}, over the limit "
          "of {limit} ([limits] {setting} in safi-map.toml). {advice}")
        .format(where=where, detail=detail, limit=limit, setting=setting, advice=advice))


def _check_extent(where: str, rows: int, columns: int, limits: SheetLimits, *,
                  declared: bool = False) -> None:
    if rows > limits.max_rows:
        detail = (_("its sheet declares {n} rows") if declared
                  else _("it has data on row {n}")).format(n=_n(rows))
        raise _refuse(where, detail, _n(limits.max_rows), "max_rows", extent=True)
    if columns > limits.max_columns:
        detail = (_("its sheet declares {n} columns") if declared
                  else _("it has data in column {n}")).format(n=_n(columns))
        raise _refuse(where, detail, _n(limits.max_columns), "max_columns", extent=True)
    if rows * columns > limits.max_cells:
        detail = _("its table spans {rows} rows by {columns} columns, {n} cells").format(
            rows=_n(rows), columns=_n(columns), n=_n(rows * columns))
        raise _refuse(where, detail, _n(limits.max_cells), "max_cells", extent=True)


def _too_many_bytes(where: str, size: int, limits: SheetLimits) -> SheetTooLarge:
    detail = _("it holds {n} MB once decompressed").format(n=_n(size / _MB))
    return _refuse(where, detail, _("{n} MB").format(n=_n(limits.max_megabytes)),
                   "max_megabytes")


def _long_cell(where: str, chars: int, limits: SheetLimits, *, at_least: bool = False
               ) -> SheetTooLarge:
    detail = (_("a cell holds more than {n} characters") if at_least
              else _("a cell holds {n} characters")).format(n=_n(chars))
    return _refuse(where, detail, _n(limits.max_cell_chars), "max_cell_chars")


# --------------------------------------------------------------------------------------------
# Plain files and rows already read
# --------------------------------------------------------------------------------------------


def check_file_size(path: Path, limits: SheetLimits, where: str | None = None) -> None:
    """Refuse a file larger than ``max_megabytes`` before it is read."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise _too_many_bytes(where or path.name, size, limits)


def check_sheet_end(end: tuple[int, int] | None, where: str, limits: SheetLimits) -> None:
    """Check a sheet by the last cell its reader found (0-based), before its cells are copied
    into Python: for XLS files, which are not checked before they are read."""
    if end is not None:
        _check_extent(where, end[0] + 1, end[1] + 1, limits)


def check_rows(rows: list[list[str]], where: str, limits: SheetLimits) -> None:
    """Exact check of cells already read: rows, columns, area and the longest cell."""
    width = max((len(r) for r in rows), default=0)
    _check_extent(where, len(rows), width, limits)
    for row in rows:
        longest = max(map(len, row), default=0)
        if longest > limits.max_cell_chars:
            raise _long_cell(where, longest, limits)


def limited_records(records: Iterable[list[str]], where: str, limits: SheetLimits
                    ) -> list[list[str]]:
    """Collect parsed CSV records, refusing the file as soon as it exceeds a limit.

    The longest cell is bounded by the parser itself: the caller sets ``csv.field_size_limit``
    to ``max_cell_chars``, and a longer cell is refused here.
    """
    out: list[list[str]] = []
    width = 0
    try:
        for record in records:
            out.append(record)
            width = max(width, len(record))
            if (len(out) > limits.max_rows or width > limits.max_columns
                    or len(out) * width > limits.max_cells):
                _check_extent(where, len(out), width, limits)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _long_cell(where, limits.max_cell_chars, limits, at_least=True) from None
        raise
    return out


# --------------------------------------------------------------------------------------------
# Zip-based spreadsheets (XLSX, XLSM, ODS)
# --------------------------------------------------------------------------------------------

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
            raise _too_many_bytes(self.where, self.total, self.limits)


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
            raise _long_cell(self.where, self.limits.max_cell_chars, self.limits, at_least=True)
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
                _check_extent(self.where, ref[0], ref[1], self.limits, declared=True)
        elif kind in ("sheetData", "sst"):
            self.sheetlike = True

    def _cell_has_value(self, qname: str) -> None:
        row, col = self.row, self.col
        if row > self.max_row or col > self.max_col:
            self.max_row, self.max_col = max(row, self.max_row, 1), max(col, self.max_col, 1)
            _check_extent(self.where, self.max_row, self.max_col, self.limits)
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
                _check_extent(self.where, table.max_row, table.max_col, self.limits)
            table.row += table.row_repeat
            table.row_repeat = 1
        elif table.cell_start >= 0:
            size = self.parser.CurrentByteIndex - table.cell_start + table.cell_extra
            if size > self.cell_guard:
                raise _long_cell(self.where, self.limits.max_cell_chars, self.limits,
                                 at_least=True)
            if table.cell_used:
                table.row_used = True
                table.max_col = max(table.max_col, table.col + table.cell_repeat)
                _check_extent(self.where, max(table.max_row, table.row + table.row_repeat),
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
                _check_extent(where, n, 1, limits)
                _check_extent(where, 1, n, limits)
            else:
                _check_extent(where, int(m.group(2)), _column_number(m.group(1).decode()),
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
                raise _too_many_bytes(where, counted[0], limits)
            yield chunk


def check_spreadsheet(path: Path, limits: SheetLimits, where: str | None = None) -> None:
    """Refuse a zip-based spreadsheet (XLSX, XLSM, ODS) over a limit, before it is read.

    A file that is not a zip (XLS) is only checked by size here, and by :func:`check_rows`
    once read (the XLS format cannot exceed 65,536 rows by 256 columns).

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
            _scan_zip(zf, where, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError, OSError) as exc:
            if isinstance(exc, SurveyError):
                raise
            raise SurveyError(
                _("{where}: cannot read this spreadsheet: it is damaged or compressed in a way "
                  "spreadsheet programs do not use ({error}); open it and save it again")
                .format(where=where, error=exc)) from exc


def _scan_zip(zf: zipfile.ZipFile, where: str, limits: SheetLimits) -> None:
    members = _members(zf)
    declared = sum(i.file_size for i in members)
    if declared > limits.max_bytes:
        raise _too_many_bytes(where, declared, limits)
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
