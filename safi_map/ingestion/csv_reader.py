"""Reading a CSV survey: any usual encoding (UTF-8 with or without BOM, UTF-16 with BOM,
Windows-1252) and separator (``;``, ``,``, tab), detected; a quoted cell may span lines.

Row numbers are *record* numbers, as a spreadsheet program shows them, not physical lines.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.ingestion.sheet_limits import SheetLimits, check_file_size, limited_records
from safi_map.ingestion.spreadsheet_reader import read_spreadsheet
from safi_map.ingestion.table import (
    HEADER_SCAN_ROWS,
    SurveyTable,
    clean_cell,
    header_fields,
    table_from_rows,
)

__all__ = ["csv_rows", "parse_csv_text", "read_csv"]

log = logging.getLogger(__name__)

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
        for i, r in enumerate(filled[:HEADER_SCAN_ROWS]):
            fields = header_fields([clean_cell(c) for c in r], user)
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


def parse_csv_text(text: str, separator: str, where: str, limits: SheetLimits
                   ) -> list[list[str]]:
    """The records of a decoded CSV text, refused as soon as one exceeds a limit."""
    old_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars)
    try:
        return limited_records(_records(text, separator), where, limits)
    except csv.Error as exc:
        raise SurveyError(_("{where}: not a readable CSV file ({exc})").format(
                              where=where, exc=exc)) from exc
    finally:
        csv.field_size_limit(old_limit)


def csv_rows(path: Path, limits: SheetLimits) -> list[list[str]]:
    """Every row of a CSV file as clean text (decoded and split like a survey), for tables
    that are not surveys (the agenda)."""
    check_file_size(path, limits)
    text, _encoding, _warnings = _decode(path.read_bytes(), path.name)
    records = parse_csv_text(text, _sniff_separator(text, {}), path.name, limits)
    return [[clean_cell(c) for c in record] for record in records]


def read_csv(path: Path, user: Mapping[str, str], limits: SheetLimits) -> SurveyTable:
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
        tables = read_spreadsheet(path, None, user, limits)
        if len(tables) != 1:
            raise SurveyError(_("{where}: a spreadsheet with several sheets named like a CSV "
                                "file; rename it with its real extension (.xlsx, .ods)").format(
                                  where=where))
        return tables[0]
    if not data.strip():
        raise SurveyError(_("{where}: the survey is empty").format(where=where))
    text, encoding, warnings = _decode(data, where)
    separator = _sniff_separator(text, user)
    records = parse_csv_text(text, separator, where, limits)
    if records and len(records) > 1 and any("\n" in c or "\r" in c for c in records[-1]):
        tail = text.rstrip("\r\n \t")
        if not tail.endswith('"'):
            warnings.append(
                _("{where}: a quote opened on row {row} is never closed; the rest of the file "
                  "was read as one cell").format(where=where, row=len(records))
            )
    rows = [[clean_cell(c) for c in record] for record in records]
    table = table_from_rows(rows, where=where, file=path.name, sheet="", user=user)
    if len(table.frame) and _ends_inside_quotes(text, separator, records):
        table.truncated_row = int(table.frame["_row"].iloc[-1])
    table.path = path
    table.encoding = encoding
    table.separator = separator
    table.warnings[:0] = warnings
    log.debug("%s: %d rows, encoding %s, separator %r", where, len(table), encoding, separator)
    return table
