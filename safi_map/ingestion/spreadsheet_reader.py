"""Reading a spreadsheet survey (XLSX, XLSM, XLS, ODS) through python-calamine: every visible
sheet with a recognized header, or the one sheet asked for; each checked against the size
limits before its cells are copied.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.ingestion.sheet_limits import SheetLimits, check_rows, check_sheet_end
from safi_map.ingestion.table import SurveyTable, clean_cell, table_from_rows
from safi_map.ingestion.zip_scan import check_spreadsheet

__all__ = ["cell_text", "open_workbook", "read_spreadsheet", "sheet_rows"]

log = logging.getLogger(__name__)

def cell_text(value: Any) -> str:
    """The text a person sees for a spreadsheet cell value read by calamine.

    Numbers lose the ``.0`` that calamine gives integers (a postcode typed as a number reads
    ``6000``, not ``6000.0``) and otherwise show at most 15 significant digits, as Excel and
    LibreOffice do (``43.12``, and ``0.3`` for the float nearest 0.1 + 0.2); dates
    become ISO 8601 so validation does not have to guess a locale; booleans read as Excel
    shows them (``TRUE``/``FALSE``).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"  # Excel shows at most 15 significant digits
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    return clean_cell(str(value))


def open_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except BaseException as exc:  # calamine raises its own errors, pyo3 may raise a panic
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        what = _("password-protected") if type(exc).__name__ == "PasswordError" else _("corrupt")
        raise SurveyError(
            _("{name}: cannot read this spreadsheet (is it {what}, or not really a {x1} "
              "file?): {exc}").format(
                name=path.name, what=what, x1=path.suffix or _('spreadsheet'), exc=exc)
        ) from exc


def sheet_rows(workbook: Any, name: str, where: str, limits: SheetLimits) -> list[list[str]]:
    try:
        sheet = workbook.get_sheet_by_name(name)
        check_sheet_end(sheet.end, where, limits)  # XLS: not checked before calamine read it
        values = sheet.to_python(skip_empty_area=False)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | SurveyError):
            raise
        raise SurveyError(_("{where}: cannot read this sheet: {exc}").format(
            where=where, exc=exc)) from exc
    rows = [[cell_text(v) for v in row] for row in values]
    check_rows(rows, where, limits)
    return rows


def read_spreadsheet(
    path: Path, sheet: str | None, user: Mapping[str, str], limits: SheetLimits
) -> list[SurveyTable]:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    check_spreadsheet(path, limits)  # before calamine allocates anything
    workbook = open_workbook(path)
    try:
        metadata = list(workbook.sheets_metadata)
        names = [m.name for m in metadata]
        if sheet is not None:
            chosen = sheet if sheet in names else None
            if chosen is None:
                matches = [n for n in names if key(n) == key(sheet)]
                chosen = matches[0] if len(matches) == 1 else None
            if chosen is None:
                raise SurveyError(
                    _("{name}: no sheet named {sheet!r}; its sheets are {x1}").format(
                        name=path.name, sheet=sheet, x1=', '.join(map(repr, names)) or _('(none)'))
                )
            rows = sheet_rows(workbook, chosen, f"{path.name}[{chosen}]", limits)
            table = table_from_rows(rows, where=f"{path.name}[{chosen}]", file=path.name,
                                     sheet=chosen, user=user)
            table.path = path
            return [table]

        tables: list[SurveyTable] = []
        skipped: list[str] = []
        failures: list[str] = []
        for meta in metadata:
            where = f"{path.name}[{meta.name}]"
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart sheets, dialog sheets, macro sheets: no table there
            rows = sheet_rows(workbook, meta.name, where, limits)
            if not any(any(r) for r in rows):
                continue
            hidden = meta.visible != SheetVisibleEnum.Visible
            try:
                table = table_from_rows(rows, where=where, file=path.name, sheet=meta.name,
                                         user=user)
            except SurveyError as exc:
                failures.append(str(exc))
                skipped.append(_("{name}: sheet {sheet!r} skipped: no recognized header").format(
                    name=path.name, sheet=meta.name))
                continue
            if hidden:
                skipped.append(_("{name}: hidden sheet {sheet!r} skipped (ask for it by name "
                                 "to read it)").format(name=path.name, sheet=meta.name))
                continue
            table.path = path
            tables.append(table)
    finally:
        close = getattr(workbook, "close", None)
        if close is not None:
            close()
    if not tables:
        if failures:
            raise SurveyError(failures[0])
        if skipped:
            raise SurveyError(_("{name}: only hidden sheets hold data; ask for one by name").format(
                                  name=path.name))
        raise SurveyError(_("{name}: every sheet is empty").format(name=path.name))
    for message in skipped:
        log.warning("%s", message)
    tables[0].warnings.extend(skipped)
    return tables
