"""Row validation: a raw survey table (strings) becomes row records plus report entries.

Each cell goes through its normalizer from :mod:`safi_map.core.normalize`; every note a normalizer
returns becomes a warning naming the file, the row, the column as the survey wrote it and the
raw value. The only hard rule is the name: a row without one is rejected (an error and a
``report.reject`` line), because an actor without a name cannot be shown, merged or corrected.
Everything else is repaired or dropped cell by cell and the row is kept.

Normalizers run once per distinct cell value (survey columns repeat a lot: communes, themes,
consent answers), so a 50,000-row table validates in about a second.

Exact duplicate rows are kept here: the merge folds them and records them as merged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from safi_map.core.cells import by_unique
from safi_map.core.hours import normalize_hours
from safi_map.core.i18n import _
from safi_map.core.normalize import (
    Note,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_siret,
    normalize_url,
    parse_bool,
    parse_date,
    repair_postcode,
    split_commune_cell,
    split_list,
)
from safi_map.core.text import key
from safi_map.geo.coordinates import parse_coordinate, parse_points
from safi_map.ingestion.nonactors import non_actor_rows
from safi_map.ingestion.report import Report, RowRef
from safi_map.ingestion.stop_binding import bind_stops
from safi_map.model.taxonomy import OTHER, Taxonomy, map_legal_form
from safi_map.model.tour import Tour

__all__ = ["ROW_COLUMNS", "validate_table"]

log = logging.getLogger(__name__)

ROW_COLUMNS: tuple[str, ...] = (
    "name", "legal_form", "themes", "description", "address", "postcode", "commune_input",
    "latitude", "longitude", "website", "email", "phone", "needs", "offers", "stops",
    "contact_consent", "siret", "survey_date", "opening_hours", "source", "_file", "_sheet", "_row",
    "extras",
)
"""Columns of the row records, in order (docs/ARCHITECTURE.md, "Row records")."""

_INPUT_FIELDS = (
    "name", "legal_form", "themes", "description", "address", "postcode", "commune", "latitude",
    "longitude", "website", "email", "phone", "needs", "offers", "stop", "contact_consent",
    "siret", "survey_date", "opening_hours",
)

T = TypeVar("T")
_WS = re.compile(r"\s+")
# "12 rue X, 83000 Toulon": a postcode and commune at the end of an address.
_ADDRESS_TAIL = re.compile(r"(?:^|[\s,])(\d{5})\s+([^\d,]*[^\W\d_][^\d,]*)$")


def _squash(text: str) -> str:
    return _WS.sub(" ", text).strip()


class _Issues:
    """Collects one table's warnings so that rejected rows do not also get cell warnings."""

    def __init__(self, table: Any, refs: list[RowRef]) -> None:
        self.columns: dict[str, str] = dict(getattr(table, "columns", {}) or {})
        self.refs = refs
        self.items: list[tuple[int, str, str, str | None, str]] = []

    def column(self, field: str) -> str | None:
        if field in self.columns:
            return self.columns[field]
        return field if field else None

    def add(self, i: int, code: str, message: str, column: str | None, value: str) -> None:
        self.items.append((i, code, message, column, value))

    def notes(self, field: str, raws: Sequence[str], notes: Sequence[Sequence[Note]]) -> None:
        column = self.column(field)
        for i, row_notes in enumerate(notes):
            for note in row_notes:
                self.add(i, note.code, note.message, column, raws[i])

    def flush(self, report: Report, kept: np.ndarray) -> None:
        for i, code, message, column, value in sorted(self.items, key=lambda t: t[0]):
            if kept[i]:
                report.warning(code, message, self.refs[i], column=column, value=value)


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    series = frame[name]
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in series.tolist()]


def _is_junk(text: str) -> bool:
    # Not ``text.key``: it keeps only latin letters, and a name in another script is a name.
    return not any(c.isalnum() for c in text)


def validate_table(table: Any, *, taxonomy: Taxonomy, tour: Tour, report: Report) -> pd.DataFrame:
    """Turn one :class:`~safi_map.ingestion.readers.SurveyTable` into row records.

    Returns one row per kept row, indexed like ``table.frame``, with :data:`ROW_COLUMNS`.
    Rejected rows are recorded with ``report.reject`` and an error issue; every repaired or
    dropped value with a warning. ``report.rows_read`` is not touched: the caller counts rows
    when it reads them.

    Parameters
    ----------
    table
        A ``SurveyTable`` (``frame`` of str with canonical columns and ``_file``, ``_sheet``,
        ``_row``; ``extras``; ``columns``; optionally ``path``).
    taxonomy, tour
        Vocabularies for themes, legal forms and needs/offers, and the tour stops.
    report
        Receives issues and rejections.
    """
    rows = _Rows(table)
    names = [v for v, _ in by_unique(rows.raw["name"], normalize_name)]
    kept = _reject_rows(rows, names, table, report)
    options: dict[str, dict[str, str]] = dict(getattr(table, "options", {}) or {})
    known = {fld: taxonomy.list_terms(fld) | {key(o) for o in options.get(fld, {}).values()}
             for fld in ("themes", "needs", "offers")}
    columns: dict[str, Any] = {
        "name": names,
        **_kinds(rows, taxonomy, known, has_themes="themes" in table.frame.columns),
        **_places(rows),
        **_contacts(rows),
        **_resources(rows, taxonomy, known, options),
        "stops": bind_stops(table, tour, rows.raw["stop"], rows.files, rows.issues),
    }
    records = _records(rows, columns, table.frame.index)
    rows.issues.flush(report, kept)
    result = records[kept]
    log.debug("%s: %d rows kept, %d rejected", getattr(table, "file", "") or "table",
              len(result), rows.n - len(result))
    return result


class _Rows:
    """One table's cells as plain lists, with each row's reference and the warnings."""

    def __init__(self, table: Any) -> None:
        frame: pd.DataFrame = table.frame
        self.n = len(frame)
        self.files = _column(frame, "_file")
        self.sheets = _column(frame, "_sheet")
        self.row_numbers = [int(float(r)) if r else 0 for r in _column(frame, "_row")]
        self.refs = [RowRef(f, r, s)
                     for f, r, s in zip(self.files, self.row_numbers, self.sheets, strict=True)]
        self.issues = _Issues(table, self.refs)
        self.raw = {f: _column(frame, f) for f in _INPUT_FIELDS}
        self.extras: list[dict[str, str]] = [{} for _ in range(self.n)]
        extras_frame = getattr(table, "extras", None)
        if extras_frame is not None and len(extras_frame.columns):
            for i, rec in enumerate(extras_frame.astype(object).to_dict("records")):
                self.extras[i] = {
                    str(k): str(v) for k, v in rec.items()
                    if v is not None and not (isinstance(v, float) and np.isnan(v))
                    and str(v).strip()
                }

def _reject_rows(rows: _Rows, names: list[str], table: Any, report: Report) -> np.ndarray:
    """Which rows are kept: a row without a name, or that does not describe a structure (a
    total, a repeated header, a line cut short), is rejected with its reason."""
    raw, refs = rows.raw, rows.refs
    kept = np.array([not _is_junk(v) for v in names], dtype=bool)
    name_column = rows.issues.column("name") if "name" in table.frame.columns else None
    not_actors = non_actor_rows(raw, rows.extras, rows.issues.columns, rows.row_numbers,
                                getattr(table, "truncated_row", None))
    for i, (code, reason) in sorted(not_actors.items()):
        kept[i] = False
        report.error(code, reason, refs[i], column=None, value=raw["name"][i])
        report.reject(refs[i], reason)
    for i in map(int, np.flatnonzero(~kept)):
        if i in not_actors:
            continue
        ref = refs[i]
        empty = all(_is_junk(raw[f][i]) for f in _INPUT_FIELDS) and all(
            _is_junk(v) for v in rows.extras[i].values()
        )
        if empty:
            reason = _("row holds no usable data (only blanks or punctuation)")
            report.error("row.empty", _("{reason}; row rejected").format(reason=reason), ref,
                         column=None, value=raw["name"][i])
        elif name_column is None:
            reason = _("no column holds the name of the structure")
            report.error("name.missing", _("{reason}; row rejected").format(reason=reason), ref,
                         column=None)
        else:
            reason = _("name is empty (column {column!r})").format(column=name_column)
            report.error("name.missing", _("{reason}; row rejected").format(reason=reason), ref,
                         column=name_column, value=raw["name"][i])
        report.reject(ref, reason)
    return kept


def _kinds(rows: _Rows, taxonomy: Taxonomy, known: dict[str, frozenset[str]], *,
           has_themes: bool) -> dict[str, list[Any]]:
    """Legal forms and themes (a row without a known theme is tagged "other")."""
    raw, issues = rows.raw, rows.issues
    legal = by_unique(raw["legal_form"], map_legal_form)
    issues.notes("legal_form", raw["legal_form"],
                 [[Note("legal_form.unknown", note)] if note else [] for _, note in legal])

    def themes_of(cell: str) -> tuple[list[str], list[str]]:
        values, _unused = split_list(cell, split_and=False, known=known["themes"])
        return taxonomy.map_themes(values)

    themes: list[list[str]] = []
    theme_notes: list[list[Note]] = []
    for slugs, unknown in by_unique(raw["themes"], themes_of):
        row_notes = [Note("themes.unknown", _("theme {u!r} not recognized; tagged {other!r}")
                          .format(u=u, other=OTHER))
                     for u in unknown]
        if not slugs:
            slugs = [OTHER]
            if has_themes:  # a file without a theme column is not warned about on every row
                row_notes.append(Note("themes.missing", _("no theme given; tagged {other!r}")
                                      .format(other=OTHER)))
        themes.append(list(slugs))
        theme_notes.append(row_notes)
    issues.notes("themes", raw["themes"], theme_notes)
    return {"legal_form": [slug for slug, _ in legal], "themes": themes}


def _places(rows: _Rows) -> dict[str, list[Any]]:
    """Description, address, postcode and commune (from the address's end when both are
    missing), and the point when the survey gives one."""
    raw, issues = rows.raw, rows.issues
    descriptions = by_unique(raw["description"], _squash)
    addresses = by_unique(raw["address"], _squash)
    postcode_results = by_unique(raw["postcode"], repair_postcode)
    issues.notes("postcode", raw["postcode"], [notes for _, notes in postcode_results])
    commune_results = by_unique(raw["commune"], split_commune_cell)
    issues.notes("commune", raw["commune"], [notes for _, notes in commune_results])
    postcodes: list[str] = []
    communes: list[str] = []
    for i in range(rows.n):
        postcode = postcode_results[i][0]
        (cell_postcode, commune) = commune_results[i][0]
        if not postcode:
            postcode = cell_postcode
        if not postcode and not commune:
            tail = _ADDRESS_TAIL.search(addresses[i])
            if tail:
                postcode, commune = tail.group(1), _squash(tail.group(2))
                if not repair_postcode(postcode)[0]:
                    postcode = ""
        postcodes.append(postcode)
        communes.append(commune)
    latitudes, longitudes = _points(rows)
    return {"description": descriptions, "address": addresses, "postcode": postcodes,
            "commune_input": communes, "latitude": latitudes, "longitude": longitudes}


def _points(rows: _Rows) -> tuple[Any, Any]:
    raw, issues = rows.raw, rows.issues
    lat_parsed = by_unique(raw["latitude"], parse_coordinate)
    lon_parsed = by_unique(raw["longitude"], parse_coordinate)
    issues.notes("latitude", raw["latitude"], [notes for _, notes in lat_parsed])
    issues.notes("longitude", raw["longitude"], [notes for _, notes in lon_parsed])
    lat_ok = [r if not notes else "" for r, (_, notes) in zip(raw["latitude"], lat_parsed,
                                                                 strict=True)]
    lon_ok = [r if not notes else "" for r, (_, notes) in zip(raw["longitude"], lon_parsed,
                                                                 strict=True)]
    # A pair with an unreadable half is dropped, already reported once for that half.
    bad = [bool(ra and not a) or bool(rb and not b)
           for a, b, ra, rb in zip(lat_ok, lon_ok, raw["latitude"], raw["longitude"], strict=True)]
    lat_in = ["" if x else a for a, x in zip(lat_ok, bad, strict=True)]
    lon_in = ["" if x else b for b, x in zip(lon_ok, bad, strict=True)]
    latitudes, longitudes, point_notes = parse_points(lat_in, lon_in)
    pair_column = f"{issues.column('latitude')} / {issues.column('longitude')}"
    for i, row_notes in enumerate(point_notes):
        for note in row_notes:
            issues.add(i, note.code, note.message, pair_column,
                       f"{raw['latitude'][i]}, {raw['longitude'][i]}")
    return latitudes, longitudes


def _contacts(rows: _Rows) -> dict[str, list[Any]]:
    """Consent, website, e-mail, phone, SIRET, survey date; the report never quotes an
    e-mail or phone of a row without consent."""
    raw, issues = rows.raw, rows.issues

    def simple(field: str, fn: Callable[[str], tuple[T, list[Note]]],
               consents: list[bool] | None = None) -> list[T]:
        results = by_unique(raw[field], fn)
        notes = [row_notes for _, row_notes in results]
        if consents is None:
            issues.notes(field, raw[field], notes)
        else:  # contact details: the report never keeps what an actor did not let us publish
            issues.notes(field, *_masked(raw[field], notes, consents))
        return [value for value, _ in results]

    consents = [bool(v) for v in simple("contact_consent", parse_bool)]
    return {"contact_consent": consents, "website": simple("website", normalize_url),
            "email": simple("email", normalize_email, consents),
            "phone": simple("phone", normalize_phone, consents),
            "siret": simple("siret", normalize_siret),
            "survey_date": simple("survey_date", parse_date),
            "opening_hours": simple("opening_hours", normalize_hours)}


def _resources(rows: _Rows, taxonomy: Taxonomy, known: dict[str, frozenset[str]],
               options: dict[str, dict[str, str]]) -> dict[str, list[Any]]:
    """Needs and offers: the taxonomy's tags, then free text."""
    def resources_of(fld: str) -> Callable[[str], list[str]]:
        labels = {key(o) for o in options.get(fld, {}).values()}

        def read(cell: str) -> list[str]:
            values, _unused = split_list(cell, split_and=False, known=known[fld])
            tags, free = taxonomy.map_resources(values, choices=labels)
            return [*tags, *free]
        return read

    return {fld: [list(v) for v in by_unique(rows.raw[fld], resources_of(fld))]
            for fld in ("needs", "offers")}


def _records(rows: _Rows, columns: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """The row records (:data:`ROW_COLUMNS`, typed) of every row, kept or not."""
    records = pd.DataFrame(
        {**columns, "source": [str(r) for r in rows.refs], "_file": rows.files,
         "_sheet": rows.sheets, "_row": rows.row_numbers, "extras": rows.extras},
        index=index,
        columns=list(ROW_COLUMNS),
    )
    for col in ROW_COLUMNS:
        if col not in {"latitude", "longitude", "contact_consent", "_row"}:
            records[col] = records[col].astype(object)
    records["latitude"] = records["latitude"].astype(float)
    records["longitude"] = records["longitude"].astype(float)
    records["contact_consent"] = records["contact_consent"].astype(bool)
    records["_row"] = records["_row"].astype(int)
    return records


def _masked(raws: list[str], notes: list[list[Note]], consents: list[bool]
            ) -> tuple[list[str], list[list[Note]]]:
    """Contact values and notes (which quote the value) of rows without consent, masked."""
    hidden = _("(hidden: no consent to publish contact details)")
    shown_raws = [r if ok or not r else hidden for r, ok in zip(raws, consents, strict=True)]
    shown_notes = [row if ok else [Note(n.code, _("{code}: the value is not shown, this actor "
                                                  "did not consent to publishing contact "
                                                  "details").format(code=n.code))
                                   for n in row]
                   for row, ok in zip(notes, consents, strict=True)]
    return shown_raws, shown_notes
