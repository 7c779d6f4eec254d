"""Which columns of a survey table were read, which were not, and how to map the missing ones.

A survey whose themes, needs, offers, consent or place sit in a column safi-map does not
recognise still builds, but every actor lands under "Autre", without synergies or without its
contacts. :func:`check_columns` makes that visible: for each table it lists the columns found
(header -> field), the form tool's own columns (never read), the unread columns, the fields
that matter and have no column, and, for an unread column that looks like one of them, the
exact ``safi-map.toml`` line that maps it. The result goes into the ingest report
(``files[i]["column_check"]``); the CLI prints it and ``--strict`` fails on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safi_map.core.normalize import parse_bool
from safi_map.core.text import key
from safi_map.ingestion.headers import FIELDS, TOOL_NAMES

__all__ = ["WATCHED_FIELDS", "ColumnCheck", "check_columns", "toml_line"]

#: Fields whose absence loses something a visitor sees: the theme filter, the synergies, the
#: contacts (consent), the place on the map. "commune" stands for commune or postcode.
WATCHED_FIELDS: tuple[str, ...] = ("themes", "needs", "offers", "contact_consent", "commune")

# Word beginnings that make an unread header look like a watched field.
_HINTS: dict[str, tuple[str, ...]] = {
    "themes": ("domaine", "theme", "thematique", "secteur", "champ", "categori", "filiere",
               "sector", "field", "topic", "activit"),
    "needs": ("besoin", "manque", "recherch", "attente", "need", "souhait"),
    "offers": ("ressource", "offre", "offrir", "propos", "apport", "partag", "competence",
               "offer", "resource", "provid", "preter", "pret"),
    "contact_consent": ("accord", "consent", "autoris", "accept", "publi", "rgpd", "diffus",
                        "agree", "permission"),
    "commune": ("commune", "ville", "localit", "lieu", "localisation", "city", "town", "siege",
                "implant", "code", "cp", "postal", "zip", "situe", "adresse"),
}
_POSTCODE = re.compile(r"^\d{2}\s?\d{3}\Z|^\d{4}\Z")
_SAMPLE = 200


@dataclass
class ColumnCheck:
    """The columns of one survey table, as read (see the module docstring).

    ``found``: ``{"header", "field"}`` (and ``"option"`` for a multiple-choice option column),
    in field order. ``metadata``: ``{"header", "kind"}`` with kind ``"meta"`` (added by the form
    tool) or ``"respondent"`` (the person who answered; private). ``unread``: ``{"header",
    "looks_like"}`` for every column not read (``looks_like`` is a field or ``""``).
    ``missing``: watched fields without a column. ``toml``: the ``[columns]`` lines that would
    map the unread columns that look like a missing field.
    """

    file: str
    sheet: str = ""
    tool: str = ""
    found: list[dict[str, str]] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    unread: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    toml: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}[{self.sheet}]" if self.sheet else self.file

    @property
    def suspicious(self) -> list[dict[str, str]]:
        """Unread columns that look like a field that has no column."""
        return [u for u in self.unread if u["looks_like"]]

    @property
    def has_problems(self) -> bool:
        """True when a watched field has no column (``--strict`` fails on it)."""
        return bool(self.missing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "tool_name": TOOL_NAMES.get(self.tool, ""),
            "found": self.found,
            "metadata": self.metadata,
            "covered": self.covered,
            "unread": self.unread,
            "missing": self.missing,
            "toml": self.toml,
        }

    @classmethod
    def from_dict(cls, file: str, sheet: str, data: dict[str, Any]) -> ColumnCheck:
        return cls(file, sheet, data.get("tool", ""), list(data.get("found", [])),
                   list(data.get("metadata", [])), list(data.get("covered", [])),
                   list(data.get("unread", [])), list(data.get("missing", [])),
                   list(data.get("toml", [])))


def toml_line(header: str, field_name: str) -> str:
    """The ``[columns]`` line mapping ``header`` to ``field_name``, quoted as TOML wants."""
    return f"{json.dumps(header, ensure_ascii=False)} = {json.dumps(field_name)}"


def _hinted(header: str, fields: Iterable[str]) -> str:
    words = key(header).split()
    for fld in fields:
        if any(w.startswith(h) for w in words for h in _HINTS[fld]):
            return fld
    return ""


def _sample(values: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(v for v in values if v and v.strip()))
    return out[:_SAMPLE]


def _by_values(values: list[str], missing: list[str], taxonomy: Any) -> str:
    """The missing field an unread column's values look like, or ``""``."""
    if not values:
        return ""
    if "contact_consent" in missing and all(parse_bool(v)[0] is not None for v in values):
        return "contact_consent"
    if "commune" in missing and sum(bool(_POSTCODE.match(v)) for v in values) * 2 > len(values):
        return "commune"
    if "themes" in missing and taxonomy is not None:
        hits = sum(bool(taxonomy.theme_for(v)) for v in values)
        if hits * 2 > len(values) and any(len(key(v)) > 3 for v in values):
            return "themes"
    return ""


def check_columns(table: Any, taxonomy: Any = None) -> ColumnCheck:
    """The :class:`ColumnCheck` of one :class:`~safi_map.ingestion.readers.SurveyTable`.

    ``taxonomy`` (optional) lets an unread column whose values are themes be recognised.
    """
    columns: dict[str, str] = dict(getattr(table, "columns", {}) or {})
    options: dict[str, dict[str, str]] = dict(getattr(table, "options", {}) or {})
    check = ColumnCheck(getattr(table, "file", ""), getattr(table, "sheet", "") or "",
                        getattr(table, "tool", "") or "")
    option_headers = {h for opts in options.values() for h in opts}
    plain = set(getattr(table, "headers", []) or []) - option_headers - set(
        getattr(table, "covered", []) or [])
    for fld in FIELDS:
        if fld in options:
            check.found.extend({"header": h, "field": fld, "option": o}
                               for h, o in options[fld].items())
        if fld in columns and (fld not in options or columns[fld] in plain):
            check.found.append({"header": columns[fld], "field": fld})
        check.found.extend({"header": h, "field": fld}
                           for h in (getattr(table, "also", {}) or {}).get(fld, ()))
    check.metadata = [{"header": h, "kind": k}
                      for h, k in (getattr(table, "metadata", {}) or {}).items()]
    check.covered = list(getattr(table, "covered", []) or [])
    present = set(columns) | set(options)
    check.missing = [f for f in WATCHED_FIELDS
                     if f not in present and not (f == "commune" and "postcode" in present)]
    extras = getattr(table, "extras", None)
    for header in getattr(table, "unknown_columns", []) or []:
        looks = _hinted(header, check.missing)
        if not looks and extras is not None and header in extras.columns:
            looks = _by_values(_sample(extras[header].tolist()), check.missing, taxonomy)
        check.unread.append({"header": header, "looks_like": looks})
    for header, fld in (getattr(table, "duplicates", {}) or {}).items():
        check.unread.append({"header": header, "looks_like": "", "same_as": fld})
    taken: set[str] = set()
    for item in check.suspicious:
        if item["looks_like"] not in taken:  # one column per field: the first candidate
            taken.add(item["looks_like"])
            check.toml.append(toml_line(item["header"], item["looks_like"]))
    return check


def file_entry(path: Path, table: Any, taxonomy: Any = None) -> dict[str, Any]:
    """The report's entry for one table read from ``path``: its size, columns read and not
    read, encoding and separator, and the check of its columns."""
    entry: dict[str, Any] = {
        "file": path.name,
        "sheet": getattr(table, "sheet", "") or "",
        "rows": len(table.frame),
        "blank_rows": table.blank_rows,
        "columns": dict(sorted(table.columns.items())),
        "unknown_columns": list(table.unknown_columns),
    }
    for attr in ("encoding", "separator"):
        value = getattr(table, attr, None)
        if value:
            entry[attr] = value
    warnings = list(getattr(table, "warnings", []) or [])
    if warnings:
        entry["warnings"] = warnings
    entry["column_check"] = check_columns(table, taxonomy).to_dict()
    return entry
