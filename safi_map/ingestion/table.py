"""The raw table of a survey sheet: every cell as text, the header found and its columns mapped
onto canonical field names (:data:`~safi_map.ingestion.headers.FIELDS`), nothing interpreted yet.

Every format's reader (:mod:`~safi_map.ingestion.csv_reader`,
:mod:`~safi_map.ingestion.spreadsheet_reader`) gives its cleaned rows to
:func:`table_from_rows`, so a survey gives the same table whether it was saved as CSV, XLSX or
ODS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _, ngettext
from safi_map.ingestion.columnplan import merge_option_row, option_value, plan_columns
from safi_map.ingestion.headers import LIST_FIELDS, META, RESPONDENT, match_key

__all__ = ["HEADER_SCAN_ROWS", "SurveyTable", "clean_cell", "column_letter", "header_fields",
           "table_from_rows"]

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


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def synthetic_header(index: int) -> str:
    return f"column {column_letter(index)}"


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


HEADER_SCAN_ROWS = 50


def header_fields(row: Sequence[str], user: Mapping[str, str]) -> set[str]:
    """The canonical fields a row's cells name (a header row names at least two)."""
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
    for i, row in enumerate(islice(rows, HEADER_SCAN_ROWS)):
        if not any(row):
            continue
        if first_non_blank is None:
            first_non_blank = i
        found = len(header_fields(row, user))
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


def table_from_rows(
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
    h, header_cells, first, warnings = _header(rows, where, user)
    body = _Body.of(rows[first:], first, len(header_cells))
    headers = header_cells + [""] * (body.width - len(header_cells))
    plan = plan_columns(headers, user)
    cols = _Columns.sort(headers, plan, body, where=where, named=len(header_cells))
    warnings += cols.warnings
    frame_data = cols.frame_data(body)
    if not cols.columns:
        shown = ", ".join(repr(c) for c in header_cells if c) or _("(none)")
        raise SurveyError(
            _("{where}: no recognized column header on row {h} (found {shown}); expected "
              "headers such as 'Nom', 'Commune', 'Code postal', or map them in safi-map.toml "
              "[columns]").format(where=where, h=h + 1, shown=shown)
        )
    if body.long_rows:
        long_rows = body.long_rows
        shown = ", ".join(map(str, long_rows[:10])) + (", ..." if len(long_rows) > 10 else "")
        warnings.append(
            ngettext("{where}: {n} row has more cells than the header (row {shown}); the extra "
                     "cells are kept as extra columns",
                     "{where}: {n} rows have more cells than the header (rows {shown}); the extra "
                     "cells are kept as extra columns", len(long_rows)).format(
                where=where, n=len(long_rows), shown=shown)
        )
    frame_data["_file"] = [file] * len(body.data)
    frame_data["_sheet"] = [sheet] * len(body.data)
    frame = pd.DataFrame(frame_data, dtype=object)
    frame["_row"] = pd.Series(body.row_numbers, dtype="int64")
    return SurveyTable(
        frame=frame,
        extras=pd.DataFrame({label: body.column(i) for i, label in cols.extras},
                            index=frame.index, dtype=object),
        columns=cols.columns,
        unknown_columns=cols.unknown,
        blank_rows=body.blank_rows,
        file=file,
        sheet=sheet,
        header_row=h + 1,
        warnings=warnings,
        tool=plan.tool,
        metadata=cols.metadata,
        options=cols.options,
        covered=cols.covered,
        also={fld: [h for _, h in more] for fld, more in cols.also.items()},
        tool_columns=pd.DataFrame({label: body.column(i) for i, label in cols.meta},
                                  index=frame.index, dtype=object),
        duplicates=cols.duplicates,
        headers=[h for h in header_cells if h],
    )


def _header(rows: list[list[str]], where: str, user: Mapping[str, str]
            ) -> tuple[int, list[str], int, list[str]]:
    """The header: its index, its cells (an option row under it merged in), the index of the
    first data row, and the warning about rows above it."""
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
    return h, header_cells, first, warnings


@dataclass
class _Body:
    """The data rows: blank ones dropped (counted when before the last data row)."""

    data: list[list[str]]
    row_numbers: list[int]
    blank_rows: int
    width: int
    long_rows: list[int]
    """Rows with a cell beyond the header's width."""

    @classmethod
    def of(cls, body: list[list[str]], first: int, header_width: int) -> _Body:
        body = list(body)
        while body and not any(body[-1]):
            body.pop()
        found = cls([], [], 0, header_width, [])
        for offset, row in enumerate(body):
            if not any(row):
                found.blank_rows += 1
                continue
            number = first + 1 + offset
            last = max(i for i, c in enumerate(row) if c)
            if last >= header_width:
                found.long_rows.append(number)
            found.width = max(found.width, last + 1)
            found.data.append(row)
            found.row_numbers.append(number)
        return found

    def column(self, i: int) -> list[str]:
        return [r[i] if i < len(r) else "" for r in self.data]

    def has_data(self, i: int) -> bool:
        return any(i < len(r) and r[i] for r in self.data)


@dataclass
class _Columns:
    """What each column is: a canonical field (the first column of a field wins), a further
    column of a list field, an option of a multiple choice, a form tool's column, or an extra
    kept under its header."""

    columns: dict[str, str] = field(default_factory=dict)
    canonical: list[tuple[int, str]] = field(default_factory=list)
    extras: list[tuple[int, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    meta: list[tuple[int, str]] = field(default_factory=list)
    option_cols: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    covered: list[str] = field(default_factory=list)
    also: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def sort(cls, headers: list[str], plan: Any, body: _Body, *, where: str,
             named: int) -> _Columns:
        cols = cls()
        used: dict[str, int] = {}
        taken: set[str] = set()
        for i, header in enumerate(headers):
            if not header:
                if body.has_data(i):  # (an empty spare column: nothing to keep)
                    cols._nameless(i, taken, where=where, named=i < named)
                continue
            fld, option = plan.roles[i], plan.options[i]
            if fld in (META, RESPONDENT):
                cols.metadata[header] = "meta" if fld == META else "respondent"
                cols.meta.append((i, _dedupe(header, taken)))
            elif option is not None and fld is not None:
                cols.option_cols.setdefault(fld, []).append((i, header, option))
            elif plan.covered[i]:
                cols.covered.append(header)
            elif fld is None:
                label = _dedupe(header, taken)
                cols.extras.append((i, label))
                cols.unknown.append(label)
            elif fld in used and fld in LIST_FIELDS:
                cols.also.setdefault(fld, []).append((i, header))  # "Autres besoins": read too
            elif fld in used:
                cols._duplicate(i, header, fld, used[fld], taken, where=where)
            else:
                used[fld] = i
                cols.columns[fld] = header
                cols.canonical.append((i, fld))
        return cols

    def _nameless(self, i: int, taken: set[str], *, where: str, named: bool) -> None:
        label = _dedupe(synthetic_header(i), taken)
        self.extras.append((i, label))
        self.unknown.append(label)
        if named:
            self.warnings.append(
                _("{where}: column {letter} has data but no header; kept as {label!r}")
                .format(where=where, letter=column_letter(i), label=label))

    def _duplicate(self, i: int, header: str, fld: str, first: int, taken: set[str], *,
                   where: str) -> None:
        self.duplicates[header] = fld
        self.extras.append((i, _dedupe(header, taken)))
        self.warnings.append(
            f"{where}: column {header!r} ({column_letter(i)}) is another {fld!r} column; "
            f"{self.columns[fld]!r} ({column_letter(first)}) is used and {header!r} is "
            f"kept as an extra column"
        )

    def frame_data(self, body: _Body) -> dict[str, Any]:
        """The canonical columns' cells, with the further columns of a list field and the
        ticked options of a multiple choice joined into their field."""
        data: dict[str, Any] = {fld: body.column(i) for i, fld in self.canonical}
        for fld, more in self.also.items():
            data[fld] = ["; ".join(v for v in values if v) for values in
                         zip(data[fld], *(body.column(i) for i, _ in more), strict=True)]
        for fld, cols in self.option_cols.items():
            self.options[fld] = {header: option for _, header, option in cols}
            ticked = zip(*([option_value(c, option) for c in body.column(i)]
                           for i, _, option in cols), strict=True)
            joined = ["; ".join(dict.fromkeys(v for v in values if v)) for values in ticked]
            if fld in data:  # a plain column of the same field: both are read
                joined = ["; ".join(v for v in pair if v)
                          for pair in zip(data[fld], joined, strict=True)]
            else:
                self.columns[fld] = _question_of(cols[0][1])
            data[fld] = joined
        return data


def _question_of(option_header: str) -> str:
    """``"Domaines [Culture]"`` or ``"Domaines/Culture"`` -> ``"Domaines"``."""
    if option_header.endswith("]") and "[" in option_header:
        return option_header[: option_header.rindex("[")].strip()
    return option_header.rsplit("/", 1)[0].strip()
