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
gives the same table whether it was saved as CSV, XLSX or ODS.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _, ngettext
from safi_map.core.text import key
from safi_map.ingestion.columnplan import merge_option_row, option_value, plan_columns
from safi_map.ingestion.headers import (
    FIELDS,
    HEADER_ALIASES,
    LIST_FIELDS,
    META,
    RESPONDENT,
    compile_aliases,
    match_header,
    match_key,
)
from safi_map.ingestion.sheet_limits import (
    SheetLimits,
    check_file_size,
    check_rows,
    check_sheet_end,
    limited_records,
)
from safi_map.ingestion.zip_scan import check_spreadsheet

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

# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u200b": None,
                         "\ufeff": None})
_NEWLINES = re.compile(r"\r\n?")


def clean_cell(text: str) -> str:
    """Clean one cell's text, identically for every file format.

    Line ends become ``\\n`` (XLSX and ODS cannot store a bare ``\\r``); no-break, narrow
    no-break and figure spaces become plain spaces; zero-width spaces and stray byte-order
    marks are removed; leading and trailing whitespace (``str.strip``) is removed. Nothing
    else changes: inner spacing and control characters are kept for validation to judge.
    """
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if not text.isascii():  # translate() is slow; most cells are plain ASCII
        text = text.translate(_SPACES)
    return text.strip()


def _cell_text(value: Any) -> str:
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


def _column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _synthetic_header(index: int) -> str:
    return f"column {_column_letter(index)}"


# --------------------------------------------------------------------------------------------
# The raw table
# --------------------------------------------------------------------------------------------


@dataclass
class SurveyTable:
    """One sheet (or one CSV file) of a survey, as text, with canonical column names.

    Attributes
    ----------
    frame
        One row per non-blank data row; columns are the canonical fields found (file order),
        then ``_file``, ``_sheet`` and ``_row`` (the row number a person sees). Every cell is a
        cleaned ``str``; an empty cell is ``""``.
    extras
        Same index as ``frame``: unknown columns, columns that repeat a field already read,
        and cells beyond the header's width, under their original (or synthetic) header.
    columns
        Canonical field -> original header, for messages ("column 'Code Postal'").
    unknown_columns
        Original headers that were not recognized (also columns of ``extras``).
    blank_rows
        Fully blank rows dropped between the header and the last data row.
    warnings
        File-level messages (duplicate columns, over-long rows, skipped sheets), each naming
        the file.
    tool
        The form tool that exported the table (``"google-forms"``, ``"microsoft-forms"``,
        ``"limesurvey"``, ``"kobotoolbox"``, ``"framaforms"``) or ``""``.
    metadata
        Header -> ``"meta"`` (a column the form tool adds: ids, start time, IP address) or
        ``"respondent"`` (the person who answered: private). Neither is read nor kept.
    options
        List field -> {header: option label} for multiple choices given one column per
        option; the field's cell in ``frame`` joins the ticked options with ``"; "``.
    covered
        Headers of joined answers read through their option columns instead (KoboToolbox).
    tool_columns
        Same index as ``frame``: the ``metadata`` columns' cells, for the tabular geocoder only
        (``safi-map geocode`` keeps every input column); ingest never reads them.
    also
        List field -> further headers read into it ("Autres besoins" beside "Besoins").
    duplicates
        Header -> field, for a second column of a single-valued field: kept in ``extras``.
    headers
        The header row as read (an option row merged in: ``"Question [Option]"``).
    truncated_row
        Row number of a last CSV record cut inside a quoted cell (a file saved while still
        being written), or None.
    """

    frame: pd.DataFrame
    extras: pd.DataFrame
    columns: dict[str, str]
    unknown_columns: list[str]
    blank_rows: int = 0
    file: str = ""
    sheet: str = ""
    path: Path | None = None
    encoding: str | None = None
    separator: str | None = None
    header_row: int = 1
    warnings: list[str] = field(default_factory=list)
    tool: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    covered: list[str] = field(default_factory=list)
    also: dict[str, list[str]] = field(default_factory=dict)
    tool_columns: pd.DataFrame | None = None
    duplicates: dict[str, str] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    truncated_row: int | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def where(self) -> str:
        """``file`` or ``file[sheet]``, as used in messages."""
        return f"{self.file}[{self.sheet}]" if self.sheet else self.file


_HEADER_SCAN_ROWS = 50


def _header_fields(row: Sequence[str], user: Mapping[str, str]) -> set[str]:
    found: set[str] = set()
    for cell in row:
        fld = match_key(cell, user) if cell else None
        if fld:
            found.add(fld)
    return found


def _find_header(rows: Sequence[Sequence[str]], user: Mapping[str, str]) -> int | None:
    """Index of the header row (None if every row is blank).

    The first row with two recognized headers; failing that, the first row with one if only
    single-cell rows (titles) come before it; failing that, the first non-blank row, which
    then fails with a clear message.
    """
    first_non_blank = first_with_one = None
    titles_only = True
    for i, row in enumerate(islice(rows, _HEADER_SCAN_ROWS)):
        if not any(row):
            continue
        if first_non_blank is None:
            first_non_blank = i
        found = len(_header_fields(row, user))
        if found >= 2:
            return i
        if found == 1 and first_with_one is None and titles_only:
            first_with_one = i
        titles_only = titles_only and sum(1 for c in row if c) <= 1
    if first_with_one is not None:
        return first_with_one
    if first_non_blank is None:
        for i, row in enumerate(rows):
            if any(row):
                return i
    return first_non_blank


def _dedupe(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name} ({n})"
        n += 1
    taken.add(candidate)
    return candidate


def _table_from_rows(
    rows: list[list[str]],
    *,
    where: str,
    file: str,
    sheet: str,
    user: Mapping[str, str],
) -> SurveyTable:
    """Build a :class:`SurveyTable` from cleaned rows; ``rows[i]`` is spreadsheet row i + 1.

    Raises
    ------
    SurveyError
        If every row is blank, or the header row holds no recognized header.
    """
    h = _find_header(rows, user)
    if h is None:
        raise SurveyError(_("{where}: the survey is empty (no header row, no data)").format(
                              where=where))
    header_cells = [" ".join(c.split()) for c in rows[h]]
    warnings: list[str] = []
    above = sum(1 for r in rows[:h] if any(r))
    if above:
        warnings.append(
            ngettext("{where}: the header is on row {h}; {n} non-empty row above it (titles, "
                     "notes) was not read as data",
                     "{where}: the header is on row {h}; {n} non-empty rows above it (titles, "
                     "notes) were not read as data", above).format(where=where, h=h + 1, n=above)
        )
    first = h + 1  # index of the first data row
    if first < len(rows):  # a row of options under the questions (Framaforms, LimeSurvey)
        merged = merge_option_row(header_cells, [" ".join(c.split()) for c in rows[first]], user)
        if merged is not None:
            header_cells, first = merged, first + 1

    # Data rows: drop blank ones (counting those before the last data row), pad short ones.
    body = rows[first:]
    while body and not any(body[-1]):
        body.pop()
    data: list[list[str]] = []
    row_numbers: list[int] = []
    blank_rows = 0
    width = len(header_cells)
    long_rows: list[int] = []
    for offset, row in enumerate(body):
        if not any(row):
            blank_rows += 1
            continue
        number = first + 1 + offset
        last = max(i for i, c in enumerate(row) if c)
        if last >= len(header_cells):
            long_rows.append(number)
        width = max(width, last + 1)
        data.append(row)
        row_numbers.append(number)

    def column(i: int) -> list[str]:
        return [r[i] if i < len(r) else "" for r in data]

    # Columns: canonical when recognized (first one wins), else extras under their header.
    headers = header_cells + [""] * (width - len(header_cells))
    plan = plan_columns(headers, user)
    used: dict[str, int] = {}
    columns: dict[str, str] = {}
    extras_cols: list[tuple[int, str]] = []
    unknown: list[str] = []
    taken: set[str] = set()
    canon_cols: list[tuple[int, str]] = []
    metadata: dict[str, str] = {}
    option_cols: dict[str, list[tuple[int, str, str]]] = {}
    covered: list[str] = []
    also: dict[str, list[tuple[int, str]]] = {}
    duplicates: dict[str, str] = {}
    meta_cols: list[tuple[int, str]] = []
    for i, header in enumerate(headers):
        has_data = any(i < len(r) and r[i] for r in data)
        if not header:
            if not has_data:
                continue  # an empty spare column: nothing to keep
            label = _dedupe(_synthetic_header(i), taken)
            extras_cols.append((i, label))
            unknown.append(label)
            if i < len(header_cells):
                warnings.append(
                    _("{where}: column {letter} has data but no header; kept as {label!r}")
                    .format(where=where, letter=_column_letter(i), label=label)
                )
            continue
        fld = plan.roles[i]
        option = plan.options[i]
        if fld in (META, RESPONDENT):
            metadata[header] = "meta" if fld == META else "respondent"
            meta_cols.append((i, _dedupe(header, taken)))
        elif option is not None and fld is not None:
            option_cols.setdefault(fld, []).append((i, header, option))
        elif plan.covered[i]:
            covered.append(header)
        elif fld is None:
            label = _dedupe(header, taken)
            extras_cols.append((i, label))
            unknown.append(label)
        elif fld in used and fld in LIST_FIELDS:
            also.setdefault(fld, []).append((i, header))  # "Autres besoins": read as well
        elif fld in used:
            duplicates[header] = fld
            label = _dedupe(header, taken)
            extras_cols.append((i, label))
            warnings.append(
                f"{where}: column {header!r} ({_column_letter(i)}) is another {fld!r} column; "
                f"{columns[fld]!r} ({_column_letter(used[fld])}) is used and {header!r} is "
                f"kept as an extra column"
            )
        else:
            used[fld] = i
            columns[fld] = header
            canon_cols.append((i, fld))
    frame_data: dict[str, Any] = {fld: column(i) for i, fld in canon_cols}
    for fld, more in also.items():
        frame_data[fld] = ["; ".join(v for v in values if v) for values in
                           zip(frame_data[fld], *(column(i) for i, _ in more), strict=True)]
    options: dict[str, dict[str, str]] = {}
    for fld, cols in option_cols.items():
        options[fld] = {header: option for _, header, option in cols}
        ticked = zip(*([option_value(c, option) for c in column(i)] for i, _, option in cols),
                     strict=True)
        joined = ["; ".join(dict.fromkeys(v for v in values if v)) for values in ticked]
        if fld in frame_data:  # a plain column of the same field: both are read
            joined = ["; ".join(v for v in pair if v)
                      for pair in zip(frame_data[fld], joined, strict=True)]
        else:
            columns[fld] = _question_of(cols[0][1])
        frame_data[fld] = joined
    if not columns:
        shown = ", ".join(repr(c) for c in header_cells if c) or _("(none)")
        raise SurveyError(
            _("{where}: no recognized column header on row {h} (found {shown}); expected "
              "headers such as 'Nom', 'Commune', 'Code postal', or map them in safi-map.toml "
              "[columns]").format(where=where, h=h + 1, shown=shown)
        )
    if long_rows:
        shown = ", ".join(map(str, long_rows[:10])) + (", ..." if len(long_rows) > 10 else "")
        warnings.append(
            ngettext("{where}: {n} row has more cells than the header (row {shown}); the extra "
                     "cells are kept as extra columns",
                     "{where}: {n} rows have more cells than the header (rows {shown}); the extra "
                     "cells are kept as extra columns", len(long_rows)).format(
                where=where, n=len(long_rows), shown=shown)
        )

    frame_data["_file"] = [file] * len(data)
    frame_data["_sheet"] = [sheet] * len(data)
    frame = pd.DataFrame(frame_data, dtype=object)
    frame["_row"] = pd.Series(row_numbers, dtype="int64")
    extras = pd.DataFrame({label: column(i) for i, label in extras_cols}, index=frame.index,
                          dtype=object)
    return SurveyTable(
        frame=frame,
        extras=extras,
        columns=columns,
        unknown_columns=unknown,
        blank_rows=blank_rows,
        file=file,
        sheet=sheet,
        header_row=h + 1,
        warnings=warnings,
        tool=plan.tool,
        metadata=metadata,
        options=options,
        covered=covered,
        also={fld: [h for _, h in more] for fld, more in also.items()},
        tool_columns=pd.DataFrame({label: column(i) for i, label in meta_cols},
                                  index=frame.index, dtype=object),
        duplicates=duplicates,
        headers=[h for h in header_cells if h],
    )


def _question_of(option_header: str) -> str:
    """``"Domaines [Culture]"`` or ``"Domaines/Culture"`` -> ``"Domaines"``."""
    if option_header.endswith("]") and "[" in option_header:
        return option_header[: option_header.rindex("[")].strip()
    return option_header.rsplit("/", 1)[0].strip()


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

_SEPARATORS = (";", ",", "\t")
_SNIFF_RECORDS = 100


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # The five bytes Windows-1252 leaves undefined decode as their Latin-1 control characters,
    # like Windows itself does, instead of failing the whole file.
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(chr(b) for b in bad), error.end


codecs.register_error("safi_map_cp1252", _cp1252_fallback)


def _decode(data: bytes, where: str) -> tuple[str, str, list[str]]:
    """Decode survey bytes: BOM first, then strict UTF-8, else Windows-1252.

    A file valid as UTF-8 is UTF-8: Windows-1252 text that happens to be valid UTF-8 needs a
    byte sequence such as "Ã©", which French surveys do not contain.
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", warnings
        except UnicodeDecodeError as exc:
            warnings.append(
                _("{where}: the file says it is UTF-8 but byte {byte} is not; unreadable "
                  "characters were replaced by {replacement!r}").format(
                    where=where, byte=exc.start + 3, replacement="\ufffd")
            )
            return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", warnings
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        try:
            return data.decode("utf-16"), "utf-16", warnings
        except UnicodeDecodeError as exc:
            raise SurveyError(_("{where}: the file is not valid UTF-16 text ({exc})").format(
                                  where=where, exc=exc)) from exc
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        # UTF-16 without a BOM: every other byte of French text is NUL.
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding), encoding, warnings
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="safi_map_cp1252"), "cp1252", warnings


def _records(text: str, separator: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"',
                      doublequote=True, strict=False)


def _parse(text: str, separator: str, limit: int | None = None) -> list[list[str]]:
    reader = _records(text, separator)
    return list(islice(reader, limit)) if limit is not None else list(reader)


def _sniff_separator(text: str, user: Mapping[str, str]) -> str:
    """Pick the separator under which the file looks most like a table.

    csv.Sniffer is misled by commas inside French sentences, so each candidate is scored on
    what matters. First, whether it yields a header row (two recognized headers); then how
    many of the following records have exactly that row's width; then how early that row
    comes; then how many headers it recognizes. Without a header under any candidate: how many records share the most common
    field count (at least 2). A single-column file gets the separator that occurs least.
    """
    scores: dict[str, tuple[int, int, int, int]] = {}
    for sep in _SEPARATORS:
        try:
            records = _parse(text, sep, _SNIFF_RECORDS)
        except csv.Error:
            continue
        filled = [r for r in records if any(c.strip() for c in r)]
        header = None
        for i, r in enumerate(filled[:_HEADER_SCAN_ROWS]):
            fields = _header_fields([clean_cell(c) for c in r], user)
            if len(fields) >= 2:
                header = (i, len(fields))
                break
        if header is not None:
            at, recognized = header
            width = len(filled[at])
            same = sum(len(r) == width for r in filled[at + 1 :])
            scores[sep] = (1, same, -at, recognized)
        else:
            counts = Counter(len(r) for r in filled)
            mode, same = max(counts.items(), key=lambda kv: (kv[1], kv[0]), default=(0, 0))
            scores[sep] = (0, same if mode >= 2 else 0, 0, mode)
    if not scores:
        return ";"
    best = max(_SEPARATORS, key=lambda s: scores.get(s, (-1, -1, -1, -1)))
    if scores[best][:2] == (0, 0):
        best = min(_SEPARATORS, key=text.count)
    return best


def _ends_inside_quotes(text: str, separator: str, records: list[list[str]]) -> bool:
    """True when the last record stops inside a quoted cell (``A,"Marseille,13 005,sol``):
    a file saved while someone was still typing. Checked only on a last record narrower than
    the first one or spanning lines, by parsing that record again strictly."""
    if len(records) < 2:
        return False
    last = records[-1]
    if len(last) >= len(records[0]) and not any("\n" in c or "\r" in c for c in last):
        return False
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    start = 0
    for _record in islice(reader, len(records) - 1):
        start = reader.line_num
    tail = "".join(io.StringIO(text, newline="").readlines()[start:])
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=separator, strict=True))
    except csv.Error as exc:
        return "end of data" in str(exc)
    return False


def _read_csv(path: Path, user: Mapping[str, str], limits: SheetLimits) -> SurveyTable:
    where = path.name
    try:
        check_file_size(path, limits)
        data = path.read_bytes()
    except OSError as exc:
        raise SurveyError(_("{where}: cannot read the file ({x1})").format(
                              where=where, x1=exc.strerror or exc)) from exc
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        # A spreadsheet saved under a text extension: read it for what it is.
        log.info("%s: a spreadsheet with a text extension; reading it as a spreadsheet", where)
        tables = _read_spreadsheet(path, None, user, limits)
        if len(tables) != 1:
            raise SurveyError(_("{where}: a spreadsheet with several sheets named like a CSV "
                                "file; rename it with its real extension (.xlsx, .ods)").format(
                                  where=where))
        return tables[0]
    if not data.strip():
        raise SurveyError(_("{where}: the survey is empty").format(where=where))
    text, encoding, warnings = _decode(data, where)
    separator = _sniff_separator(text, user)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars)
    try:
        records = limited_records(_records(text, separator), where, limits)
    except csv.Error as exc:
        raise SurveyError(_("{where}: not a readable CSV file ({exc})").format(
                              where=where, exc=exc)) from exc
    finally:
        csv.field_size_limit(old_limit)
    if records and len(records) > 1 and any("\n" in c or "\r" in c for c in records[-1]):
        tail = text.rstrip("\r\n \t")
        if not tail.endswith('"'):
            warnings.append(
                _("{where}: a quote opened on row {row} is never closed; the rest of the file "
                  "was read as one cell").format(where=where, row=len(records))
            )
    rows = [[clean_cell(c) for c in record] for record in records]
    table = _table_from_rows(rows, where=where, file=path.name, sheet="", user=user)
    if len(table.frame) and _ends_inside_quotes(text, separator, records):
        table.truncated_row = int(table.frame["_row"].iloc[-1])
    table.path = path
    table.encoding = encoding
    table.separator = separator
    table.warnings[:0] = warnings
    log.debug("%s: %d rows, encoding %s, separator %r", where, len(table), encoding, separator)
    return table


# --------------------------------------------------------------------------------------------
# Spreadsheets
# --------------------------------------------------------------------------------------------


def _open_workbook(path: Path) -> Any:
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


def _sheet_rows(workbook: Any, name: str, where: str, limits: SheetLimits) -> list[list[str]]:
    try:
        sheet = workbook.get_sheet_by_name(name)
        check_sheet_end(sheet.end, where, limits)  # XLS: not checked before calamine read it
        values = sheet.to_python(skip_empty_area=False)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | SurveyError):
            raise
        raise SurveyError(_("{where}: cannot read this sheet: {exc}").format(
            where=where, exc=exc)) from exc
    rows = [[_cell_text(v) for v in row] for row in values]
    check_rows(rows, where, limits)
    return rows


def _read_spreadsheet(
    path: Path, sheet: str | None, user: Mapping[str, str], limits: SheetLimits
) -> list[SurveyTable]:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    check_spreadsheet(path, limits)  # before calamine allocates anything
    workbook = _open_workbook(path)
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
            rows = _sheet_rows(workbook, chosen, f"{path.name}[{chosen}]", limits)
            table = _table_from_rows(rows, where=f"{path.name}[{chosen}]", file=path.name,
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
            rows = _sheet_rows(workbook, meta.name, where, limits)
            if not any(any(r) for r in rows):
                continue
            hidden = meta.visible != SheetVisibleEnum.Visible
            try:
                table = _table_from_rows(rows, where=where, file=path.name, sheet=meta.name,
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


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


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
        return [_read_csv(path, user, limits)]
    if suffix in SPREADSHEET_EXTENSIONS:
        return _read_spreadsheet(path, sheet, user, limits)
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
