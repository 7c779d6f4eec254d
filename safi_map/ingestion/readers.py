"""Survey readers: CSV (any usual encoding and separator), XLSX/XLSM/XLS and ODS.

Surveys are exported by people, not programs: Excel's French CSV (Windows-1252, ``;``), Google
Forms (UTF-8, ``,``, long question headers, an ``Horodateur`` column), LibreOffice sheets with a
title above the header, postcodes stored as numbers. The readers accept all of that and return a
*raw table*: every cell as the text a person sees, headers mapped onto canonical field names
(:data:`FIELDS`), nothing interpreted yet. Interpreting values is the job of ``validate.py``.

Row numbers (``_row``) are the numbers a person sees when opening the file in a spreadsheet:
the header sits on its own row (usually 1) and the first data row follows it. For CSV files this
is the *record* number, not the physical line number: a quoted cell spanning three lines is still
one spreadsheet row, which is how Excel and LibreOffice display it.

Cell text is cleaned the same way for every format (see :func:`clean_cell`), so that a survey
gives the same table whether it was saved as CSV, XLSX or ODS. The table is
:mod:`~safi_map.ingestion.table`; the formats are :mod:`~safi_map.ingestion.csv_reader` and
:mod:`~safi_map.ingestion.spreadsheet_reader`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.ingestion.csv_reader import read_csv
from safi_map.ingestion.headers import FIELDS, HEADER_ALIASES, compile_aliases, match_header
from safi_map.ingestion.sheet_limits import SheetLimits
from safi_map.ingestion.spreadsheet_reader import read_spreadsheet
from safi_map.ingestion.table import SurveyTable, clean_cell

__all__ = [
    "CSV_EXTENSIONS",
    "FIELDS",
    "HEADER_ALIASES",
    "SPREADSHEET_EXTENSIONS",
    "SURVEY_EXTENSIONS",
    "SurveyTable",
    "clean_cell",
    "iter_survey_files",
    "match_header",
    "read_survey",
]

log = logging.getLogger(__name__)

#: Extensions read as delimited text.
CSV_EXTENSIONS: frozenset[str] = frozenset({".csv", ".tsv", ".txt"})
#: Extensions read as spreadsheets (through python-calamine).
SPREADSHEET_EXTENSIONS: frozenset[str] = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
#: Every extension :func:`read_survey` accepts.
SURVEY_EXTENSIONS: frozenset[str] = CSV_EXTENSIONS | SPREADSHEET_EXTENSIONS
# Folder expansion leaves out .txt: a folder of surveys often holds a README.txt or notes.
_FOLDER_EXTENSIONS = SURVEY_EXTENSIONS - {".txt"}



def read_survey(
    path: str | Path,
    *,
    sheet: str | None = None,
    aliases: Mapping[str, str] | None = None,
    limits: SheetLimits | None = None,
) -> list[SurveyTable]:
    """Read one survey file into raw tables (one per sheet read).

    Parameters
    ----------
    path
        A ``.csv``/``.tsv``/``.txt`` file (UTF-8 with or without BOM, UTF-16 with BOM, or
        Windows-1252; ``;``, ``,`` or tab separated, detected) or a ``.xlsx``/``.xlsm``/
        ``.xls``/``.ods`` spreadsheet.
    sheet
        For spreadsheets, the one sheet to read (exact name, else case- and
        accent-insensitive). ``None`` reads every visible sheet that has data and a
        recognized header; hidden sheets and sheets without one (instructions, lookup
        lists) are skipped with a warning on the first table. Ignored for CSV.
    aliases
        Extra header aliases, ``{"header as written": "field"}`` (``[columns]`` in
        safi-map.toml); they take precedence over the built-in ones.
    limits
        The largest file read (``[limits]`` in safi-map.toml; default :class:`SheetLimits`).

    Raises
    ------
    SurveyError
        If the file cannot be read at all: missing, unknown extension, corrupt, empty,
        without a recognized header, or over a limit (:class:`SheetTooLarge`).
    ConfigError
        If ``aliases`` maps a header to an unknown field.
    """
    path = Path(path)
    user = compile_aliases(aliases)
    limits = limits or SheetLimits()
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SurveyError(_("{x1}: no such file").format(x1=path.name or path))
    if suffix in CSV_EXTENSIONS:
        if sheet is not None:
            log.debug("%s: --sheet ignored for a text file", path.name)
        return [read_csv(path, user, limits)]
    if suffix in SPREADSHEET_EXTENSIONS:
        return read_spreadsheet(path, sheet, user, limits)
    raise SurveyError(
        _("{name}: unsupported file type {x1!r}; expected one of {survey_extensions}").format(
            name=path.name, x1=path.suffix or _('(no extension)'), survey_extensions=', '.join(sorted(SURVEY_EXTENSIONS)))
    )


def _is_hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def iter_survey_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Expand survey paths: folders become their survey files, recursively and sorted.

    Files inside folders are kept when their extension is a survey one (``.txt`` excepted,
    as folders often hold notes); hidden files and folders and Office lock files (``~$...``)
    are ignored. Files named explicitly are kept whatever their extension, so that
    :func:`read_survey` can say what is wrong with them. Duplicates are dropped, first
    occurrence kept.

    Raises
    ------
    SurveyError
        If a path does not exist.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            candidates = sorted(
                (f for f in p.rglob("*")
                 if f.is_file() and f.suffix.lower() in _FOLDER_EXTENSIONS
                 and not any(_is_hidden(part) for part in f.relative_to(p).parents
                             if part != Path("."))
                 and not _is_hidden(f)),
                key=lambda f: f.relative_to(p).as_posix(),
            )
        elif p.is_file():
            candidates = [p]
        else:
            raise SurveyError(_("{p}: no such survey file or folder").format(p=p))
        for f in candidates:
            resolved = f.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(f)
    return found
