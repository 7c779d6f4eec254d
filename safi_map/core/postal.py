"""Postcodes and communes as people type them: ``6000`` is ``06000``, ``13001 Marseille``
splits into its postcode and commune. Matching a commune to the gazetteer is the geocoder's job
(:mod:`safi_map.geo`)."""

from __future__ import annotations

import re

from safi_map.core.cells import Normalized, Note, squash
from safi_map.core.i18n import _

__all__ = ["clean_commune", "repair_postcode", "split_commune_cell"]

_CEDEX = re.compile(r"\bc[ée]dex\b(?:\s*\d{1,3}\b)?", re.IGNORECASE)
_FLOATY = re.compile(r"^(\d{4,5})[.,]0+\Z")
_GROUPED = re.compile(r"^(\d{2})[\s.](\d{3})\Z")
_DIGITS5 = re.compile(r"(?<!\d)(\d{2})[\s.]?(\d{3})(?!\d)")
_DIGITS4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _valid_postcode(code: str) -> bool:
    # French postcodes run from 01000 to 98999 (Corsica uses 20xxx, overseas 97xxx/98xxx).
    return len(code) == 5 and code.isdigit() and "01" <= code[:2] <= "98"


def repair_postcode(text: str) -> Normalized[str]:
    """Return a 5-digit French postcode, or ``""`` when none can be read.

    Spreadsheets drop the leading zero of Alpes-Maritimes postcodes (``6000``) and turn them into
    floats (``6000.0``); people add ``CEDEX 9`` or group digits (``83 000``). An unreadable
    postcode is dropped with a warning; the geocoder then works from the commune alone.
    """
    notes: list[Note] = []
    raw = squash(str(text))
    if not raw:
        return "", notes
    value = raw
    if _CEDEX.search(value):
        value = squash(_CEDEX.sub(" ", value))
        notes.append(Note("postcode.cedex", _("CEDEX mention removed from the postcode")))
    match = _FLOATY.match(value)
    if match:
        value = match.group(1)
    match = _GROUPED.match(value)
    if match:
        value = match.group(1) + match.group(2)
    if value.isdigit() and len(value) == 5:
        if _valid_postcode(value):
            return value, notes
        return "", [*notes, Note("postcode.invalid", _("{value!r} is not a French postcode").format(
                                                         value=value))]
    if value.isdigit() and len(value) == 4 and value[0] != "0":
        notes.append(
            Note("postcode.leading_zero", _("leading zero restored: {value!r} -> '0{value}'").format(
                                              value=value))
        )
        return "0" + value, notes
    # A postcode cell holding more than a postcode ("83000 Toulon"): take the only one in it.
    found = {m.group(1) + m.group(2) for m in _DIGITS5.finditer(value)}
    found = {c for c in found if _valid_postcode(c)}
    if len(found) == 1:
        code = found.pop()
        notes.append(Note("postcode.extracted", _("postcode {code!r} taken from {raw!r}").format(
                                                    code=code, raw=raw)))
        return code, notes
    return "", [*notes, Note("postcode.invalid", _("{raw!r} is not a French postcode").format(
                                                     raw=raw))]


# "Toulon (83000)", "Toulon - 83", "Toulon, 83": a trailing department or postcode.
_TRAILING_PAREN = re.compile(r"\s*\(\s*(\d{2}[\s.]?\d{3}|\d{4}|\d{2}|2[AaBb])\s*\)\s*$")
_TRAILING_DEPT = re.compile(r"\s*[-,/]\s*(\d{2}|2[AaBb])\s*$")
_LEADING_CODE = re.compile(r"^\s*(\d{2}[\s.]?\d{3}|\d{4})\s*[-,/]?\s*(?=\D)")
_TRAILING_CODE = re.compile(r"(?<=\D)\s*[-,/]?\s*(\d{2}[\s.]?\d{3})\s*$")
_EDGE_PUNCT = re.compile(r"^[\s\-–—,;:/.()\"'«»“”]+|[\s\-–—,;:/(\"'«»“”]+$")


def split_commune_cell(text: str) -> Normalized[tuple[str, str]]:
    """Split a cell that may hold a postcode and a commune into ``(postcode, commune)``.

    Handles ``83000 Toulon``, ``Toulon (83000)``, ``Marseille 13008``, ``TOULON CEDEX 9`` and
    ``Toulon - 83`` (a department number, dropped: the geocoder matches the commune name).
    The commune keeps its spelling and case; matching it to the gazetteer is the geocoder's job.
    Arrondissement suffixes such as ``Marseille 8e`` are kept: they name the arrondissement.
    """
    notes: list[Note] = []
    value = squash(str(text))
    if not value:
        return ("", ""), notes
    if _CEDEX.search(value):
        value = squash(_CEDEX.sub(" ", value))
        notes.append(Note("commune.cedex", _("CEDEX mention removed from the commune")))
    if re.fullmatch(r"\d[\d\s.,]*", value):  # a bare postcode in the commune column
        postcode, code_notes = repair_postcode(value)
        return (postcode, ""), [*notes, *code_notes]
    code_text = ""
    for pattern in (_TRAILING_PAREN, _LEADING_CODE, _TRAILING_CODE, _TRAILING_DEPT):
        match = pattern.search(value)
        if match:
            found = match.group(1)
            if len(re.sub(r"\D", "", found)) >= 4:
                code_text = found
            value = squash(value[: match.start()] + " " + value[match.end() :])
            break
    commune = _EDGE_PUNCT.sub("", value)
    postcode = ""
    if code_text:
        postcode, code_notes = repair_postcode(code_text)
        notes.extend(code_notes)
    if commune and not any(c.isalpha() for c in commune):
        commune = ""
    if not commune and not postcode:
        notes.append(Note("commune.invalid", _("no commune name in {text!r}").format(text=text)))
    return (postcode, commune), notes


def clean_commune(text: str) -> Normalized[str]:
    """Return the commune name of a cell without postcode, department number or CEDEX.

    Spaces are collapsed; case and accents are kept (the geocoder compares through
    ``text.key``).
    """
    (_unused, commune), notes = split_commune_cell(text)
    return commune, [n for n in notes if not n.code.startswith("postcode.")]
