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

from .errors import ConfigError, SurveyError
from .i18n import _
from .sheet_limits import (
    SheetLimits,
    check_file_size,
    check_rows,
    check_sheet_end,
    check_spreadsheet,
    limited_records,
)
from .text import key

__all__ = [
    "CSV_EXTENSIONS",
    "FIELDS",
    "HEADER_ALIASES",
    "QUESTION_PREFIXES",
    "SPREADSHEET_EXTENSIONS",
    "SURVEY_EXTENSIONS",
    "SurveyTable",
    "clean_cell",
    "iter_survey_files",
    "match_header",
    "read_survey",
]

log = logging.getLogger(__name__)

#: Canonical input fields, in the order of the data model.
FIELDS: tuple[str, ...] = (
    "name",
    "legal_form",
    "themes",
    "description",
    "address",
    "postcode",
    "commune",
    "latitude",
    "longitude",
    "website",
    "email",
    "phone",
    "needs",
    "offers",
    "stop",
    "contact_consent",
    "siret",
    "survey_date",
)

#: Extensions read as delimited text.
CSV_EXTENSIONS: frozenset[str] = frozenset({".csv", ".tsv", ".txt"})
#: Extensions read as spreadsheets (through python-calamine).
SPREADSHEET_EXTENSIONS: frozenset[str] = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
#: Every extension :func:`read_survey` accepts.
SURVEY_EXTENSIONS: frozenset[str] = CSV_EXTENSIONS | SPREADSHEET_EXTENSIONS
# Folder expansion leaves out .txt: a folder of surveys often holds a README.txt or notes.
_FOLDER_EXTENSIONS = SURVEY_EXTENSIONS - {".txt"}

# --------------------------------------------------------------------------------------------
# Header aliases
# --------------------------------------------------------------------------------------------

_ALIASES_BY_FIELD: dict[str, tuple[str, ...]] = {
    "name": (
        "Nom", "Nom de la structure", "Nom de votre structure", "Nom structure", "Nom / Structure",
        "Structure", "Organisation", "Organisme", "Nom de l'organisme", "Nom de l'organisation",
        "Nom de l'association", "Nom de votre association", "Association", "Raison sociale",
        "Dénomination", "Name", "Organisation name", "Organization", "Organization name",
        "Structure name",
    ),
    "legal_form": (
        "Statut", "Statut juridique", "Forme juridique", "Type de structure", "Type",
        "Type d'organisation", "Legal form", "Legal status",
    ),
    "themes": (
        "Secteur", "Secteurs", "Secteur d'activité", "Secteurs d'activité", "Thématique",
        "Thématiques", "Thématique(s)", "Thème", "Thèmes", "Thème(s)", "Domaine", "Domaines",
        "Domaine d'activité", "Domaines d'activité", "Domaine(s) d'activité",
        "Domaine(s) d'intervention", "Champ d'action", "Champs d'action",
        "Champ d'intervention", "Champs d'intervention", "Themes", "Theme", "Sector", "Sectors",
    ),
    "description": (
        "Description", "Présentation", "Activités", "Activité", "Objet", "Objet social",
        "Missions", "Description de la structure", "Présentation de la structure",
        "Présentation de votre structure", "Activities", "About",
    ),
    "address": (
        "Adresse", "Adresse postale", "Rue", "Voie", "N° et rue", "Numéro et rue",
        "Adresse (rue)", "Adresse de la structure", "Address", "Street", "Street address",
    ),
    "postcode": (
        "Code postal", "CP", "C.P.", "Code Postal", "Postcode", "Post code", "Postal code", "Zip",
        "Zip code", "Code postal de la structure",
    ),
    "commune": (
        "Commune", "Ville", "Localité", "City", "Town", "Municipality",
        # a combined cell: validation splits the postcode out of the commune text
        "CP / Ville", "CP Ville", "CP - Ville", "CP et ville", "CP Commune", "CP / Commune",
        "Code postal et ville", "Code postal / Ville", "Code postal ville",
        "Code postal et commune", "Code postal / Commune", "Code postal commune",
        "Ville (CP)", "Ville CP", "Commune (CP)", "Commune CP", "Ville et code postal",
        "Commune et code postal", "Ville / Code postal", "Commune / Code postal",
    ),
    "latitude": ("Latitude", "Lat"),
    "longitude": ("Longitude", "Lon", "Long", "Lng"),
    "website": (
        "Site web", "Site internet", "Site", "Web", "Website", "URL", "Site Web de la structure",
        "Adresse du site", "Adresse du site web", "Adresse du site internet", "Adresse web",
        "Adresse internet", "Page web", "Web site",
    ),
    "email": (
        "Courriel", "E-mail", "Email", "Mail", "Adresse mail", "Adresse e-mail", "Adresse email",
        "Adresse électronique", "Adresse courriel", "Mél", "Mel", "E-mail address",
        "Email address",
    ),
    "phone": (
        "Téléphone", "Tél", "Tel", "Tél.", "Phone", "Portable", "Mobile", "Numéro de téléphone",
        "N° de téléphone", "N° téléphone", "Phone number", "Telephone",
    ),
    "needs": ("Besoins", "Besoin", "Vos besoins", "Nos besoins", "Needs"),
    "offers": (
        "Ressources", "Offres", "Offre", "Ce que nous pouvons apporter",
        "Ce que vous pouvez apporter", "Ce que je peux apporter", "Nos ressources",
        "Vos ressources", "Ce que nous proposons", "Offers", "Resources",
    ),
    "stop": (
        "Étape", "Etape du tour", "Étape du SAFI Tour", "Ville étape", "Ville de l'étape",
        "Stop", "Tour stop",
    ),
    "contact_consent": (
        "Accord de publication", "Consentement", "J'accepte la publication de mes coordonnées",
        "Autorisation de publication", "Publication des coordonnées", "Accord RGPD", "RGPD",
        "Consent", "Publication consent",
    ),
    "siret": (
        "SIRET", "N° SIRET", "Siret", "Numéro SIRET", "N° de SIRET", "Numéro de SIRET",
        "SIREN / SIRET", "SIRET / SIREN",
    ),
    "survey_date": (
        "Date", "Date de l'enquête", "Date d'enquête", "Horodateur", "Horodatage", "Timestamp",
        "Date de saisie", "Date de réponse", "Date de soumission", "Heure de soumission",
        "Soumis le", "Submitted", "Submitted on", "Submission date", "Survey date",
    ),
}

# Prefixes of long questions from online forms (Google Forms, Framaforms): a header *starting*
# with one of these words (whole words, after folding) maps to the field. Kept conservative:
# words that also begin unrelated questions ("Nom du contact", "Date de création", "Type de
# public", "Secteur géographique", "Statut du répondant") are deliberately absent.
_PREFIXES_BY_FIELD: dict[str, tuple[str, ...]] = {
    "name": (
        "nom de la structure", "nom de votre structure", "nom de l organisme",
        "nom de votre organisme", "nom de l organisation", "nom de votre organisation",
        "nom de l association", "nom de votre association", "quel est le nom de",
        "raison sociale", "denomination",
    ),
    "legal_form": (
        "statut juridique", "forme juridique", "type de structure", "quel est le statut",
        "quelle est la forme juridique", "legal form", "legal status",
    ),
    "themes": (
        "secteur d activite", "secteurs d activite", "domaine d activite",
        "domaines d activite", "domaine s d activite", "domaine d intervention",
        "domaines d intervention", "domaine s d intervention", "thematique", "thematiques",
        "thematique s", "theme", "themes", "champ d action", "champs d action",
        "champ d intervention", "champs d intervention", "dans quel domaine",
        "dans quels domaines", "dans quel s domaine", "quel secteur", "quels secteurs",
    ),
    "description": (
        "description", "presentation", "activites", "activite", "objet social",
        "decrivez", "presentez", "quelles sont vos activites", "quelles sont les activites",
    ),
    "address": ("adresse", "adresse postale", "numero et rue", "n et rue"),
    "postcode": ("code postal",),
    "commune": (
        "commune", "ville", "localite", "dans quelle commune", "dans quelle ville",
        "cp ville", "cp et ville", "cp commune", "code postal et ville", "code postal ville",
        "code postal et commune", "code postal commune",
    ),
    "latitude": ("latitude",),
    "longitude": ("longitude",),
    "website": (
        "site web", "site internet", "adresse du site", "adresse web", "adresse internet",
        "page web", "website",
    ),
    "email": (
        "courriel", "e mail", "email", "adresse mail", "adresse e mail", "adresse email",
        "adresse electronique", "adresse courriel",
    ),
    "phone": ("telephone", "numero de telephone", "n de telephone", "phone"),
    "needs": (
        "besoins", "vos besoins", "nos besoins", "quels sont vos besoins",
        "de quoi avez vous besoin", "avez vous des besoins", "ce dont nous avons besoin",
        "ce dont vous avez besoin",
    ),
    "offers": (
        "ressources", "vos ressources", "nos ressources", "ce que nous pouvons apporter",
        "ce que vous pouvez apporter", "que pouvez vous apporter", "que pouvez vous offrir",
        "que pouvez vous proposer", "quelles ressources", "offres",
    ),
    "stop": ("etape du tour", "etape du safi", "ville etape"),
    "contact_consent": (
        "accord de publication", "consentement", "j accepte", "acceptez vous", "j autorise",
        "autorisez vous", "autorisation de publication", "publication des coordonnees",
    ),
    "siret": ("siret", "numero siret", "n siret", "numero de siret", "n de siret"),
    "survey_date": ("horodateur", "date de l enquete", "date d enquete", "timestamp"),
}

#: Header as commonly written -> canonical field. Matching ignores case, accents, punctuation
#: and spacing (:func:`safi_map.text.key`); every field name itself is also an alias, so the
#: CSV files safi-map writes can be read back.
HEADER_ALIASES: dict[str, str] = {
    alias: fld for fld, aliases in _ALIASES_BY_FIELD.items() for alias in aliases
} | {fld: fld for fld in FIELDS}

#: Folded question prefix -> canonical field (see :func:`match_header`).
QUESTION_PREFIXES: dict[str, str] = {
    prefix: fld for fld, prefixes in _PREFIXES_BY_FIELD.items() for prefix in prefixes
}


def _build_exact() -> dict[str, str]:
    exact: dict[str, str] = {}
    for alias, fld in HEADER_ALIASES.items():
        k = key(alias)
        if exact.get(k, fld) != fld:  # pragma: no cover - guarded by a test
            raise AssertionError(_("header alias {alias!r} maps to two fields").format(alias=alias))
        exact[k] = fld
    return exact


_EXACT: dict[str, str] = _build_exact()
# Longest prefix first, so "adresse e mail" (email) wins over "adresse" (address).
_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(((key(p), f) for p, f in QUESTION_PREFIXES.items()), key=lambda t: (-len(t[0]), t[0]))
)
# Politeness and question words that forms put before the subject of a question.
_FILLER = frozenset(
    {
        "votre", "vos", "ton", "tes", "quel", "quelle", "quels", "quelles", "est", "sont",
        "le", "la", "les", "l", "de", "du", "des", "d", "merci", "bien", "vouloir",
        "indiquer", "indiquez", "precisez", "preciser", "svp", "your", "the", "what", "is",
    }
)
# Token that maps a header to "keep it as an unknown column" in the [columns] config table.
_IGNORE = ""


def _strip_filler(k: str) -> str:
    words = k.split()
    i = 0
    while i < len(words) - 1 and words[i] in _FILLER:
        i += 1
    return " ".join(words[i:])


def _compile_aliases(aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Check user aliases (safi-map.toml ``[columns]``) and index them by header key.

    A value of ``""`` forces a header to stay an unknown column, for when a prefix rule maps a
    question to the wrong field.
    """
    if not aliases:
        return {}
    compiled: dict[str, str] = {}
    for header, fld in aliases.items():
        if not isinstance(header, str) or not isinstance(fld, str):
            raise ConfigError(_("[columns]: expected 'header' = 'field' strings, got "
                                "{header!r}").format(header=header))
        if fld != _IGNORE and fld not in FIELDS:
            raise ConfigError(
                _("[columns]: header {header!r} is mapped to unknown field {fld!r}; known "
                  'fields: {fields} (or "" to ignore the column)').format(
                    header=header, fld=fld, fields=', '.join(FIELDS))
            )
        k = key(header)
        if not k:
            raise ConfigError(_("[columns]: header {header!r} has no letters or digits").format(
                                  header=header))
        compiled[k] = fld
    return compiled


def _match_key(k: str, user: Mapping[str, str]) -> str | None:
    if not k:
        return None
    if k in user:
        return user[k] or None
    if k in _EXACT:
        return _EXACT[k]
    stripped = _strip_filler(k)
    if stripped in user:
        return user[stripped] or None
    if stripped in _EXACT:
        return _EXACT[stripped]
    for candidate in (k, stripped):
        for prefix, fld in _PREFIXES:
            if candidate == prefix or candidate.startswith(prefix + " "):
                return fld
    return None


def match_header(header: str, aliases: Mapping[str, str] | None = None) -> str | None:
    """The canonical field a column header stands for, or None if it is not recognized.

    Matching is insensitive to case, accents, punctuation and spacing. In order: the user's
    ``aliases`` (safi-map.toml ``[columns]``, header -> field, ``""`` = ignore), the built-in
    :data:`HEADER_ALIASES`, the same two after dropping leading question words ("Quel est le
    nom de votre structure ?" -> "nom de votre structure"), then the longest matching
    :data:`QUESTION_PREFIXES` entry (whole words only).

    Raises
    ------
    ConfigError
        If ``aliases`` maps a header to a field that does not exist.
    """
    return _match_key(key(header), _compile_aliases(aliases))


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
        fld = _match_key(key(cell), user) if cell else None
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
            f"{where}: the header is on row {h + 1}; {above} non-empty row(s) above it "
            f"(titles, notes) were not read as data"
        )

    # Data rows: drop blank ones (counting those before the last data row), pad short ones.
    body = rows[h + 1 :]
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
        number = h + 2 + offset
        last = max(i for i, c in enumerate(row) if c)
        if last >= len(header_cells):
            long_rows.append(number)
        width = max(width, last + 1)
        data.append(row)
        row_numbers.append(number)

    # Columns: canonical when recognized (first one wins), else extras under their header.
    headers = header_cells + [""] * (width - len(header_cells))
    used: dict[str, int] = {}
    columns: dict[str, str] = {}
    extras_cols: list[tuple[int, str]] = []
    unknown: list[str] = []
    taken: set[str] = set()
    canon_cols: list[tuple[int, str]] = []
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
                    f"{where}: column {_column_letter(i)} has data but no header; "
                    f"kept as {label!r}"
                )
            continue
        fld = _match_key(key(header), user)
        if fld is None:
            label = _dedupe(header, taken)
            extras_cols.append((i, label))
            unknown.append(label)
        elif fld in used:
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
    if not columns:
        shown = ", ".join(repr(c) for c in header_cells if c) or "(none)"
        raise SurveyError(
            _("{where}: no recognized column header on row {h} (found {shown}); expected "
              "headers such as 'Nom', 'Commune', 'Code postal', or map them in safi-map.toml "
              "[columns]").format(where=where, h=h + 1, shown=shown)
        )
    if long_rows:
        shown = ", ".join(map(str, long_rows[:10])) + (", ..." if len(long_rows) > 10 else "")
        warnings.append(
            f"{where}: {len(long_rows)} row(s) have more cells than the header (rows {shown}); "
            f"the extra cells are kept as extra columns"
        )

    def column(i: int) -> list[str]:
        return [r[i] if i < len(r) else "" for r in data]

    frame_data: dict[str, Any] = {fld: column(i) for i, fld in canon_cols}
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
    )


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
                f"{where}: the file says it is UTF-8 but byte {exc.start + 3} is not; "
                f"unreadable characters were replaced by '\ufffd'"
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
                f"{where}: a quote opened on row {len(records)} is never closed; the rest of "
                f"the file was read as one cell"
            )
    rows = [[clean_cell(c) for c in record] for record in records]
    table = _table_from_rows(rows, where=where, file=path.name, sheet="", user=user)
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
                name=path.name, what=what, x1=path.suffix or 'spreadsheet', exc=exc)
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
                        name=path.name, sheet=sheet, x1=', '.join(map(repr, names)) or '(none)')
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
                skipped.append(f"{path.name}: sheet {meta.name!r} skipped: no recognized header")
                continue
            if hidden:
                skipped.append(f"{path.name}: hidden sheet {meta.name!r} skipped "
                               f"(ask for it by name to read it)")
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
    user = _compile_aliases(aliases)
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
            name=path.name, x1=path.suffix or '(no extension)', survey_extensions=', '.join(sorted(SURVEY_EXTENSIONS)))
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
