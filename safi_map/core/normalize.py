"""Pure cell normalizers for survey values.

Every normalizer takes the raw text of one cell (already stripped by the reader, but any string is
accepted) and returns ``(value, notes)``: the normalized value and a list of :class:`Note` telling
what was repaired or dropped. The notes become warnings in the ingest report, so a person can see
that ``6000`` became ``06000``. No normalizer ever raises on bad input: survey text is untrusted
and a bad cell must cost one warning, never the ingest.

No normalizer rejects a row. A value that cannot be repaired is dropped (``""``, ``None`` or NaN)
with a note, and the row is kept: a missing postcode still leaves the commune to geocode from.

Everything is deterministic and cacheable on unique values (``validate`` maps each distinct cell
value once). This module holds consent, lists, names and dates, and gathers the normalizers of
:mod:`~safi_map.core.postal` (postcodes, communes) and :mod:`~safi_map.core.contacts` (web,
e-mail, phone, SIRET); coordinates, checked against the reference boundaries, are read by
:mod:`safi_map.geo.coordinates`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Collection

from safi_map.core.cells import Normalized, Note, is_placeholder, squash
from safi_map.core.contacts import normalize_email, normalize_phone, normalize_siret, normalize_url
from safi_map.core.i18n import _
from safi_map.core.postal import clean_commune, repair_postcode, split_commune_cell
from safi_map.core.text import fold, key

__all__ = [
    "Normalized",
    "Note",
    "clean_commune",
    "is_placeholder",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_siret",
    "normalize_url",
    "parse_bool",
    "parse_date",
    "repair_postcode",
    "split_commune_cell",
    "split_list",
]


_TRUE = frozenset({"oui", "o", "yes", "y", "x", "1", "vrai", "true", "ok", "d accord", "accord"})
_FALSE = frozenset({"non", "n", "no", "0", "faux", "false", "refus", "pas d accord"})
_ACCEPTANCES = frozenset({"j accepte", "accepte", "j accepte la publication", "je suis d accord",
                          "bien sur", "tout a fait", "volontiers", "avec plaisir"})
_REFUSALS = frozenset({"je refuse", "refuse", "je ne suis pas d accord", "pas de publication"})
_RESERVATIONS = frozenset({"sauf", "mais", "pas", "uniquement", "seulement", "except", "but",
                           "only", "ne", "hors", "sans", "pour", "not", "partiellement"})
# Whole sentences of form options: "Oui, j'accepte que mes coordonnées apparaissent sur la
# carte", "Je n'accepte pas", "I agree to ...".
_ACCEPT_OPENINGS = ("oui", "yes", "j accepte", "i agree", "i accept", "j autorise",
                    "je suis d accord", "d accord", "accepte", "bien sur", "tout a fait")
_REFUSE_OPENINGS = ("je refuse", "je n accepte pas", "je ne souhaite pas", "je ne veux pas",
                    "je ne suis pas d accord", "pas d accord", "i do not", "i don t",
                    "i disagree", "i refuse", "refuse", "pas de publication", "je n autorise pas")


def _opens(value: str, openings: tuple[str, ...]) -> bool:
    return any(value == o or value.startswith(o + " ") for o in openings)


def parse_bool(text: str) -> Normalized[bool | None]:
    """Read a yes/no cell (consent to publish contact details).

    Returns True, False, or None for an empty or unreadable cell. None means "unknown", which
    callers treat as no consent; an unreadable value also gets a note so someone can ask again.
    A sentence counts when it opens with a yes ("Oui, j'accepte que mes coordonnées
    apparaissent sur la carte") and holds no reservation ("sauf", "mais", "pour", "only"...),
    or opens with a no ("Je n'accepte pas").
    """
    value = key(str(text))
    if not value:
        return None, []
    if value in _TRUE:
        return True, []
    if value in _FALSE:
        return False, []
    words = value.split()
    # "Oui sauf le téléphone" is a partial answer, so unknown. "Non, ..." is always a no:
    # refusing is the safe reading.
    if words[0] in _FALSE or value in _REFUSALS or _opens(value, _REFUSE_OPENINGS):
        return False, []
    if (words[0] in _TRUE or value in _ACCEPTANCES or _opens(value, _ACCEPT_OPENINGS)) \
            and not _RESERVATIONS & set(words) and not _FALSE & set(words[1:]):
        return True, []
    return None, [Note("consent.unknown", _("{text!r} is not a yes/no answer; read as unknown").format(
        text=text))]


_LIST_SEPARATORS = re.compile(r"\s*(?:[;,/|\n\r\t•·]|\s-\s)\s*")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_AND = re.compile(r"\s+(?:et|&)\s+", re.IGNORECASE)
_MAX_JOINED = 4  # pieces a known label may span
_ITEM_EDGES = re.compile(r"^[\s\-*–—•·.:()\"'«»“”]+|[\s\-*–—•·.:;(\"'«»“”]+$")


def _enclosed(raw: str) -> list[tuple[int, int]]:
    """Spans of the matched parenthesis pairs of ``raw`` (an unmatched one encloses nothing)."""
    pairs: list[tuple[int, int]] = []
    opened: list[int] = []
    for i, c in enumerate(raw):
        if c == "(":
            opened.append(i)
        elif c == ")" and opened:
            pairs.append((opened.pop(), i))
    return pairs


def _spans(raw: str) -> list[tuple[int, int]]:
    """Spans of the items of ``raw``: separators inside parentheses do not count, so
    "Économie circulaire (réemploi, recyclage)" stays whole."""
    spans: list[tuple[int, int]] = []
    start = 0
    pairs = _enclosed(raw) if "(" in raw else []
    for m in _LIST_SEPARATORS.finditer(raw):
        if any(a < m.start() < b for a, b in pairs):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(raw)))
    return spans


def _join_known(raw: str, spans: list[tuple[int, int]],
                known: Collection[str]) -> list[tuple[str, bool]]:
    """Items of ``raw``, adjacent pieces joined again when together they are a known label
    ("Citoyenneté, droits et égalité"); each with whether it is a known label."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(spans):
        j = i
        if known:
            for end in range(min(len(spans), i + _MAX_JOINED) - 1, i - 1, -1):
                if key(raw[spans[i][0]:spans[end][1]]) in known:
                    j = end
                    break
        text = raw[spans[i][0]:spans[j][1]]
        out.append((text, j > i or (bool(known) and key(text) in known)))
        i = j + 1
    return out


def split_list(text: str, *, split_and: bool = True,
               known: Collection[str] = ()) -> Normalized[list[str]]:
    """Split a multi-valued cell into trimmed, de-duplicated items (first spelling kept).

    Separators: ``;`` ``,`` ``/`` ``|`` bullets, new lines, `` - `` and, when ``split_and``, the
    word ``et`` (or ``&``) between spaces, never inside a word (``Lettres`` stays whole).
    Separators inside parentheses are not separators, and pieces that together make one of the
    ``known`` labels (folded with :func:`~safi_map.core.text.key`: a form's options, the taxonomy's
    labels and synonyms) stay one item: "Citoyenneté, droits et égalité".
    Theme cells are split with ``split_and=False`` first because labels such as "Sport et
    loisirs" contain "et"; the taxonomy splits unknown items on "et" itself.
    Items that differ only by case or accents are duplicates.
    """
    raw = _TAG.sub(" ", str(text))  # "<b>Culture</b>": markup is noise, and "/" a separator
    items = _items(raw, split_and, known)
    for _attempt in range(4):  # trimmed edges can change what a parenthesis encloses: settle it
        again = _items("; ".join(items), split_and, known)
        if again == items:
            break
        items = again
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out, []


def _items(raw: str, split_and: bool, known: Collection[str]) -> list[str]:
    items: list[str] = []
    for part, whole in _join_known(raw, _spans(raw), known):
        pieces = _AND.split(part) if split_and and not whole else [part]
        for piece in pieces:
            item = squash(_ITEM_EDGES.sub("", piece))
            if key(item):
                items.append(item)
    return items


_QUOTES = "\"'«»“”„‟‘’`"
_SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "et", "a", "à", "au", "aux", "en", "pour", "sur",
     "par", "d", "l", "un", "une", "dans", "avec", "sous", "chez"}
)
_ACRONYMS = frozenset(
    {"ess", "ccas", "cias", "scic", "scop", "sas", "sarl", "sa", "eurl", "admr", "adie", "caf",
     "cpam", "paca", "sos", "cae", "aci", "etti", "geiq", "siae", "iae", "epci", "mjc", "cfa",
     "esat", "ehpad", "amap", "asbl", "ong", "fabl", "ffb", "cgt", "cfdt", "udaf", "unicef"}
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _recase_word(match: re.Match[str], first: list[bool]) -> str:
    word = match.group(0)
    lower = word.lower()
    is_first = first[0]
    first[0] = False
    if not is_first and fold(lower) in _SMALL_WORDS:
        return lower
    if lower in _ACRONYMS or (len(word) <= 4 and not re.search(r"[AEIOUYÀ-ÖØ-Ý]", word)):
        return word if len(word) > 1 else word.upper()
    return lower[:1].upper() + lower[1:]


def normalize_name(text: str) -> Normalized[str]:
    """Return a display name: spaces collapsed, surrounding quotes removed.

    Names typed entirely in capitals with at least one word of five letters or more
    (``LES JARDINS DU CŒUR``) are recased to ``Les Jardins du Cœur``; known acronyms and short
    vowel-less words stay in capitals. Shorter all-caps names (``ADIE``, ``CCAS 83``) are kept
    as written: they are most likely acronyms. Recasing changes only the display; merging
    compares names through ``text.key``.
    """
    value = squash(str(text)).strip(_QUOTES + " ")
    value = squash(value)
    letters = [c for c in value if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and any(
        len(w) >= 5 for w in _WORD.findall(value)
    ):
        first = [True]
        value = _WORD.sub(lambda m: _recase_word(m, first), value)
    return value, []


# The time form tools add after the date: "10:02:11", "- 10:01" (Framaforms), "10:02:11 AM
# UTC+1" (Google Forms), "T09:10:00.000+01:00" (KoboToolbox).
_TIME = (r"(?:(?:T|\s*(?:-|à|,)?\s*)\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?"
         r"\s*(?:(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?|Z|UTC|GMT)?)?")
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME + r"\Z"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME + r"\Z"), "dmy"),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})\Z"), "dmy2"),
)
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_FRENCH_DATE = re.compile(r"^(?:[a-z]+ )?(\d{1,2})(?: ?er)? ([a-z]+) (\d{4})\Z")


def parse_date(text: str) -> Normalized[str]:
    """Return an ISO date (``2015-09-28``) from the ways people write dates, or ``""``.

    Accepts ISO dates (with a time, as spreadsheets and form tools export them), French
    day-first dates (``28/09/2015``, ``28.09.15``, ``01/12/2026 - 10:01``) and written dates
    (``lundi 28 septembre 2015``). Day-first is assumed (the surveys are French) unless the
    second number cannot be a month (Google Forms in English: ``11/28/2026 10:02:11``).
    """
    raw = squash(str(text))
    if not raw:
        return "", []
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        a, b, c = (int(g) for g in match.groups()[:3])
        if order == "ymd":
            year, month, day = a, b, c
        elif order == "dmy":
            day, month, year = (b, a, c) if b > 12 >= a else (a, b, c)  # US "11/28/2026"
        else:
            day, month, year = a, b, 2000 + c
        return _iso(year, month, day, raw)
    match = _FRENCH_DATE.match(key(raw))
    if match and match.group(2) in _MONTHS:
        return _iso(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)), raw)
    return "", [Note("date.invalid", _("{raw!r} is not a date").format(raw=raw))]


def _iso(year: int, month: int, day: int, raw: str) -> Normalized[str]:
    try:
        return _dt.date(year, month, day).isoformat(), []
    except ValueError:
        return "", [Note("date.invalid", _("{raw!r} is not a valid date").format(raw=raw))]
