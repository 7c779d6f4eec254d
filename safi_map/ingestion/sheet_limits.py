"""Size limits on survey files, checked before a reader allocates anything.

A spreadsheet is a zip of XML: a 1.5 KB XLSX with one cell at A1 and one at XFD1048576 makes
calamine allocate the whole rectangle between them (512 GiB, and the process aborts); a 1 MB
XLSX can inflate to gigabytes; an ODS row or cell can be "repeated" a million times; one shared
string can be referenced by every cell. So before calamine sees a file,
:func:`safi_map.ingestion.zip_scan.check_spreadsheet`

* adds up the sizes the zip *declares* for its members, then inflates every member as a stream,
  counting the bytes it really holds (a member larger than declared fails its CRC check);
* reads the XML of every member with expat, as a stream (:mod:`safi_map.ingestion.zip_scan`), to find the sheet's declared
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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _

__all__ = ["SheetLimits", "SheetTooLarge", "check_file_size", "check_rows", "check_sheet_end",
           "limited_records"]

_MB = 1_000_000


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
        """The limits of a :class:`~safi_map.core.settings.Settings` (defaults for what it lacks)."""
        default = cls()
        return cls(**{name: getattr(settings, name, getattr(default, name))
                      for name in cls.__dataclass_fields__})


class SheetTooLarge(SurveyError):
    """A survey file exceeds a :class:`SheetLimits` limit; it is not read."""


def _n(value: float) -> str:
    """A count as French readers write it (``1 048 576``), with plain spaces: a terminal of
    Windows cannot always show the narrow no-break space of the pages."""
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


def check_extent(where: str, rows: int, columns: int, limits: SheetLimits, *,
                 declared: bool = False) -> None:
    """Refuse a sheet of ``rows`` by ``columns`` (as declared by the file, or as found)."""
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


def too_many_bytes(where: str, size: int, limits: SheetLimits) -> SheetTooLarge:
    """The error for a file of ``size`` bytes once decompressed."""
    detail = _("it holds {n} MB once decompressed").format(n=_n(size / _MB))
    return _refuse(where, detail, _("{n} MB").format(n=_n(limits.max_megabytes)),
                   "max_megabytes")


def cell_too_long(where: str, chars: int, limits: SheetLimits, *, at_least: bool = False
                  ) -> SheetTooLarge:
    """The error for a cell of ``chars`` characters (``at_least``: of more than that)."""
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
        raise too_many_bytes(where or path.name, size, limits)


def check_sheet_end(end: tuple[int, int] | None, where: str, limits: SheetLimits) -> None:
    """Check a sheet by the last cell its reader found (0-based), before its cells are copied
    into Python: for XLS files, which are not checked before they are read."""
    if end is not None:
        check_extent(where, end[0] + 1, end[1] + 1, limits)


def check_rows(rows: list[list[str]], where: str, limits: SheetLimits) -> None:
    """Exact check of cells already read: rows, columns, area and the longest cell."""
    width = max((len(r) for r in rows), default=0)
    check_extent(where, len(rows), width, limits)
    for row in rows:
        longest = max(map(len, row), default=0)
        if longest > limits.max_cell_chars:
            raise cell_too_long(where, longest, limits)


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
                check_extent(where, len(out), width, limits)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise cell_too_long(where, limits.max_cell_chars, limits, at_least=True) from None
        raise
    return out
