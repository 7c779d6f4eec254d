"""Reading an agenda file into rows of text, with the surveys' readers and size limits.

CSV files are decoded and split like surveys (BOM, UTF-8 or Windows-1252, the separator
sniffed); spreadsheets are read with calamine, dates as ISO text and times as ``HH:MM:SS``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.ingestion.csv_reader import csv_rows
from safi_map.ingestion.sheet_limits import SheetLimits, check_file_size
from safi_map.ingestion.spreadsheet_reader import open_workbook, sheet_rows
from safi_map.ingestion.zip_scan import check_spreadsheet

__all__ = ["read_rows", "region_communes"]

_PACA = ("04", "05", "06", "13", "83", "84")


def read_rows(path: Path, limits: SheetLimits) -> list[list[str]]:
    """Every row of the file (the first sheet holding something), cells as clean text."""
    where = path.name
    try:
        check_file_size(path, limits)
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise SurveyError(_("{where}: cannot read the file ({x1})").format(
            where=where, x1=exc.strerror or exc)) from exc
    if path.suffix.lower() in (".xlsx", ".xlsm", ".ods", ".xls") or magic in (
            b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        return _spreadsheet_rows(path, limits)
    return csv_rows(path, limits)


def _spreadsheet_rows(path: Path, limits: SheetLimits) -> list[list[str]]:
    if path.suffix.lower() != ".xls":
        check_spreadsheet(path, limits)
    workbook = open_workbook(path)
    try:
        for name in workbook.sheet_names:
            rows = sheet_rows(workbook, name, f"{path.name}[{name}]", limits)
            if any(any(r) for r in rows):
                return rows
    finally:
        close = getattr(workbook, "close", None)
        if close is not None:
            close()
    return []


@cache
def _region_communes() -> dict[str, tuple[str, str]]:
    from safi_map.geo import gazetteer

    frame = gazetteer.communes()
    frame = frame[frame["departement"].isin(_PACA) & (frame["type"] == "COM")]
    names: dict[str, list[tuple[str, str]]] = {}
    for code, name in zip(frame["code_insee"], frame["nom"], strict=True):
        names.setdefault(key(name), []).append((code, name))
        names.setdefault(gazetteer.commune_key(name), []).append((code, name))
    out = {k: v[0] for k, v in names.items() if len({c for c, _n in v}) == 1}
    for code, name in zip(frame["code_insee"], frame["nom"], strict=True):
        out.setdefault(code, (code, name))
    return out


def region_communes() -> dict[str, tuple[str, str]]:
    """Folded commune name (or INSEE code) -> (INSEE code, official name), for the region's
    communes whose name is not ambiguous."""
    return dict(_region_communes())
