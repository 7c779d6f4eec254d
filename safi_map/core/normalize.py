"""Pure cell normalizers for survey values.

Every normalizer takes the raw text of one cell (already stripped by the reader, but any string is
accepted) and returns ``(value, notes)``: the normalized value and a list of :class:`Note` telling
what was repaired or dropped. The notes become warnings in the ingest report, so a person can see
that ``6000`` became ``06000``. No normalizer ever raises on bad input: survey text is untrusted
and a bad cell must cost one warning, never the ingest.

No normalizer rejects a row. A value that cannot be repaired is dropped (``""``, ``None`` or NaN)
with a note, and the row is kept: a missing postcode still leaves the commune to geocode from.

Everything is deterministic and cacheable on unique values (``validate`` maps each distinct cell
value once), except :func:`parse_points`, which is vectorized because it tests points against the
reference boundaries.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Collection, Sequence
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from safi_map.core.i18n import _
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
    "parse_coordinate",
    "parse_date",
    "parse_point",
    "parse_points",
    "repair_postcode",
    "split_commune_cell",
    "split_list",
]

T = TypeVar("T")


class Note(NamedTuple):
    """One thing a normalizer repaired or dropped.

    ``code`` is stable and machine-readable (``"postcode.leading_zero"``); ``message`` is a short
    English sentence for the report. The report level is always "warning": a note never rejects
    the row it belongs to.
    """

    code: str
    message: str


Normalized = tuple[T, list[Note]]

# Cell values people type to mean "nothing here". Compared through ``text.key``.
_PLACEHOLDERS = frozenset(
    {
        "", "na", "n a", "nc", "n c", "nr", "neant", "aucun", "aucune", "non", "none", "null",
        "nan", "pas de site", "pas de site web", "pas de site internet", "pas de mail",
        "pas d email", "pas de telephone", "non communique", "non renseigne", "inconnu",
        "sans", "sans objet", "x", "xx", "xxx", "0",
    }
)

_PLACEHOLDER_MAX = 2 * max(map(len, _PLACEHOLDERS))


def is_placeholder(text: str) -> bool:
    """True for cells that mean "no value" (``-``, ``néant``, ``N/A``, ``aucun``...).

    Contact fields use it so that a "non" in the website column is read as an empty cell rather
    than reported as an invalid URL.
    """
    text = text.strip()
    if len(text) > _PLACEHOLDER_MAX or any(c.isdigit() or c == "@" for c in text):
        return text == "0"  # the only placeholder with a digit; fast path for real values
    return key(text) in _PLACEHOLDERS


_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    """Collapse every whitespace run (including no-break spaces) into one space and strip."""
    return _WS.sub(" ", text).strip()


# ---------------------------------------------------------------------------------------------
# Postcodes and communes
# ---------------------------------------------------------------------------------------------

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
    raw = _squash(str(text))
    if not raw:
        return "", notes
    value = raw
    if _CEDEX.search(value):
        value = _squash(_CEDEX.sub(" ", value))
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
    value = _squash(str(text))
    if not value:
        return ("", ""), notes
    if _CEDEX.search(value):
        value = _squash(_CEDEX.sub(" ", value))
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
            value = _squash(value[: match.start()] + " " + value[match.end() :])
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


# ---------------------------------------------------------------------------------------------
# Coordinates
# ---------------------------------------------------------------------------------------------

_HEMISPHERE = re.compile(r"^(?P<pre>[NSEOW])?\s*(?P<body>.*?)\s*(?P<post>[NSEOW])?\Z", re.IGNORECASE)
_DMS = re.compile(
    r"^(?P<sign>[-+])?(?P<d>\d{1,3}(?:[.,]\d+)?)\s*[°º˚d]?\s*"
    r"(?:(?P<m>\d{1,2}(?:[.,]\d+)?)\s*['′’m]\s*"
    r"(?:(?P<s>\d{1,2}(?:[.,]\d+)?)\s*(?:[\"″”]|''|s)?)?)?$",
    re.IGNORECASE,
)


def parse_coordinate(text: str) -> Normalized[float]:
    """Read one latitude or longitude written the way people write them.

    Accepts decimal commas (``43,1242``), degree signs, spaces, hemisphere letters
    (``43.12 N``, ``5.9 E``, ``O``/``W`` for west) and degrees-minutes-seconds
    (``43°07'27"N``). Returns NaN, with a note, for anything else. Range checks happen in
    :func:`parse_points`, which knows whether the value is a latitude or a longitude.
    """
    raw = _squash(str(text))
    if not raw:
        return math.nan, []
    value = raw.replace("\u2212", "-").replace(" ", "")
    match = _HEMISPHERE.match(value)
    assert match is not None  # the pattern matches any string
    pre, body, post = match.group("pre"), match.group("body"), match.group("post")
    if pre and post:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    hemisphere = (pre or post or "").upper()
    dms = _DMS.match(body)
    if not dms or (body.count(",") + body.count(".")) > 3:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    degrees = float(dms.group("d").replace(",", "."))
    minutes = float((dms.group("m") or "0").replace(",", "."))
    seconds = float((dms.group("s") or "0").replace(",", "."))
    if minutes >= 60 or seconds >= 60:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    number = degrees + minutes / 60 + seconds / 3600
    if dms.group("sign") == "-":
        number = -number
    if hemisphere in {"S", "W", "O"}:
        number = -abs(number)
    return number, []


def _default_in_france(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from safi_map.geo import gazetteer  # imported lazily: it loads reference data

    return np.asarray(gazetteer.in_france(lat, lon), dtype=bool)


def _default_in_paca(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from safi_map.geo import gazetteer

    return np.asarray(gazetteer.in_paca(lat, lon), dtype=bool)


def parse_points(
    lat_texts: Sequence[str], lon_texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[list[Note]]]:
    """Vectorized :func:`parse_point`: parse many coordinate pairs at once.

    Returns latitude and longitude arrays (NaN where no usable point) and one note list per pair.
    Rules, in order:

    - a pair with only one half, or an unreadable half, is dropped (``coordinates.incomplete`` /
      ``coordinates.invalid``);
    - a pair outside France whose swap is in France is swapped back (``coordinates.swapped``);
    - a pair outside France either way is dropped (``coordinates.outside_france``): the point is
      rejected, not the actor, whose row is then geocoded from its address or commune;
    - a pair in France but outside PACA is kept with a warning (``coordinates.outside_paca``):
      some actors of the network sit just across the border.
    """
    if len(lat_texts) != len(lon_texts):
        raise ValueError(_("latitude and longitude sequences differ in length"))
    n = len(lat_texts)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    notes: list[list[Note]] = [[] for _ in range(n)]
    cache: dict[str, Normalized[float]] = {}

    def parse(text: str) -> Normalized[float]:
        if text not in cache:
            cache[text] = parse_coordinate(text)
        return cache[text]

    for i, (lat_text, lon_text) in enumerate(zip(lat_texts, lon_texts, strict=True)):
        lat_text, lon_text = str(lat_text).strip(), str(lon_text).strip()
        if not lat_text and not lon_text:
            continue
        (y, y_notes), (x, x_notes) = parse(lat_text), parse(lon_text)
        if y_notes or x_notes:
            notes[i].extend([*y_notes, *x_notes])
            continue
        if not lat_text or not lon_text:
            notes[i].append(
                Note("coordinates.incomplete", _("only one of latitude and longitude is given"))
            )
            continue
        lat[i], lon[i] = y, x
    todo = np.flatnonzero(~np.isnan(lat))
    if todo.size == 0:
        return lat, lon, notes
    ys, xs = lat[todo], lon[todo]
    ok = _default_in_france(ys, xs)
    swappable = ~ok & _default_in_france(xs, ys)
    for j in np.flatnonzero(swappable):
        i = int(todo[j])
        notes[i].append(
            Note("coordinates.swapped", _("latitude and longitude were swapped; swapped them back"))
        )
        lat[i], lon[i] = lon[i], lat[i]
    for j in np.flatnonzero(~ok & ~swappable):
        i = int(todo[j])
        notes[i].append(
            Note(
                "coordinates.outside_france",
                _("point ({x1:g}, {x2:g}) is outside France; coordinates ignored").format(
                    x1=lat[i], x2=lon[i]),
            )
        )
        lat[i] = lon[i] = np.nan
    kept = todo[ok | swappable]
    if kept.size:
        in_paca = _default_in_paca(lat[kept], lon[kept])
        for i in kept[~in_paca]:
            notes[i].append(
                Note(
                    "coordinates.outside_paca",
                    _("point ({x1:g}, {x2:g}) is in France but outside PACA").format(
                        x1=lat[i], x2=lon[i]),
                )
            )
    return lat, lon, notes


def parse_point(lat_text: str, lon_text: str) -> Normalized[tuple[float, float]]:
    """Parse one latitude/longitude pair; see :func:`parse_points` for the rules."""
    lat, lon, notes = parse_points([lat_text], [lon_text])
    return (float(lat[0]), float(lon[0])), notes[0]


# ---------------------------------------------------------------------------------------------
# Contact details
# ---------------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9\u00e0-\u00ff-]{1,63}(?<!-)\Z")
_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}^|\x00-\x1f\x7f]")
_URL_SPLIT = re.compile(r"[;\s]+|\s,\s")
_URL_JOINERS = frozenset({"et", "ou", "and", "or", ","})
"""Words between two URLs of one cell ("www.a.fr ou www.b.fr"); never split inside a URL."""


def _valid_host(host: str) -> bool:
    if not host or len(host) > 253 or "." not in host:
        return False
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return False
    tld = labels[-1]
    return tld.isdigit() is False and len(tld) >= 2


def normalize_url(text: str) -> Normalized[str]:
    """Return an ``http(s)`` URL with a lower-case host, or ``""``.

    ``www.example.fr`` gains ``https://``. Other schemes (``javascript:``, ``data:``,
    ``mailto:``) and things that are not URLs are dropped with a note: the site only ever links
    to http(s). Several URLs in one cell: the first is kept, with a note.
    """
    raw = _squash(str(text))
    if is_placeholder(raw):
        return "", []
    notes: list[Note] = []
    tokens = [t for t in _URL_SPLIT.split(raw) if t and t.lower() not in _URL_JOINERS]
    if not tokens:
        return "", [Note("url.invalid", _("{raw!r} is not a web address").format(raw=raw))]
    if len(tokens) > 1:
        notes.append(Note("url.multiple", _("several URLs in one cell; kept {x1!r}").format(
                                              x1=tokens[0])))
    value = tokens[0].rstrip(".,;")
    scheme = _SCHEME.match(value)
    if scheme and not re.match(r"^[^:/]+:\d+(/|$)", value):  # "host:8080" is not a scheme
        if scheme.group(1).lower() not in {"http", "https"}:
            return "", [
                *notes,
                Note("url.unsafe", _("only http(s) links are published; dropped {raw!r}").format(
                                       raw=raw)),
            ]
    else:
        value = "https://" + value.lstrip("/")
        notes.append(Note("url.scheme_added", _("no http(s):// in the URL; added https://")))
    if _URL_FORBIDDEN.search(value):
        return "", [Note("url.invalid", _("{raw!r} is not a web address").format(raw=raw))]
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return "", [Note("url.invalid", _("{raw!r} is not a web address").format(raw=raw))]
    if not _valid_host(host.lower()) or parts.username or parts.password:
        return "", [Note("url.invalid", _("{raw!r} is not a web address").format(raw=raw))]
    netloc = host.lower() + (f":{port}" if port is not None else "")
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    return url, notes


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
_EMAIL_SPLIT = re.compile(r"[\s;,/|]+|\s+(?:ou|et|or|and)\s+")


def normalize_email(text: str) -> Normalized[str]:
    """Return one e-mail address with a lower-case domain, or ``""``.

    ``mailto:`` and surrounding ``<>`` are stripped. A cell with several addresses keeps the
    first (with a note): the actor record holds one contact address.
    """
    raw = _squash(str(text))
    if is_placeholder(raw):
        return "", []
    notes: list[Note] = []
    tokens = [t.strip("<>()[]\"'.:") for t in _EMAIL_SPLIT.split(raw)]
    tokens = [re.sub(r"^mailto:", "", t, flags=re.IGNORECASE) for t in tokens]
    candidates = [t for t in tokens if "@" in t]
    if not candidates:
        return "", [Note("email.invalid", _("{raw!r} is not an e-mail address").format(raw=raw))]
    if len(candidates) > 1:
        notes.append(
            Note("email.multiple", _("several e-mail addresses in one cell; kept {x1!r}").format(
                                       x1=candidates[0]))
        )
    value = candidates[0]
    if not _EMAIL.match(value):
        return "", [*notes, Note("email.invalid", _("{value!r} is not an e-mail address").format(
                                                      value=value))]
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}", notes


_PHONE_CHUNK = re.compile(r"(?:\+|\b00)?\s*\d[\d\s.\-()]*\d")
_PHONE_SEPARATORS = re.compile(r"\s*(?:[/;|,\n]|\bou\b|\bet\b)\s*")


def _format_french(digits: str) -> str:
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def normalize_phone(text: str) -> Normalized[str]:
    """Return a French phone number as ``04 94 12 34 56``, or ``""``.

    Accepts ``+33 4 94…``, ``+33 (0)4…``, ``0033…``, dots and dashes, and a national number that
    lost its leading zero in a spreadsheet (``494123456``). Foreign numbers are kept as
    ``+<digits>`` with a note. Anything else is dropped with a note. The first of several
    numbers is kept.
    """
    raw = _squash(str(text))
    if is_placeholder(raw):
        return "", []
    notes: list[Note] = []
    parts = [p for p in _PHONE_SEPARATORS.split(raw) if re.search(r"\d", p)]
    if not parts:
        return "", [Note("phone.invalid", _("{raw!r} is not a phone number").format(raw=raw))]
    if len(parts) > 1:
        notes.append(Note("phone.multiple", _("several phone numbers in one cell; kept {x1!r}").format(
                                                x1=parts[0])))
    part = parts[0].replace("(0)", "")
    chunks = _PHONE_CHUNK.findall(part)
    if not chunks:
        return "", [*notes, Note("phone.invalid", _("{raw!r} is not a phone number").format(
                                                      raw=raw))]
    chunk = max(chunks, key=lambda c: sum(ch.isdigit() for ch in c))
    international = chunk.lstrip().startswith(("+", "00"))
    digits = re.sub(r"\D", "", chunk)
    if international:
        digits = digits[2:] if chunk.lstrip().startswith("00") else digits
        if digits.startswith("33"):
            national = digits[2:]
            if len(national) == 10 and national.startswith("0"):
                national = national[1:]
            digits = "0" + national
        elif 8 <= len(digits) <= 15 and digits[0] != "0":  # country codes start with 1-9
            notes.append(Note("phone.foreign", _("foreign number kept as '+{digits}'").format(
                                                   digits=digits)))
            return "+" + digits, notes
        else:
            return "", [*notes, Note("phone.invalid", _("{raw!r} is not a phone number").format(
                                                          raw=raw))]
    elif len(digits) == 11 and digits.startswith("33"):
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits[0] != "0":
        digits = "0" + digits
        notes.append(Note("phone.leading_zero", _("leading zero restored in the phone number")))
    elif len(digits) == 20 and digits[0] == "0" and digits[10] == "0":
        digits = digits[:10]
        notes.append(Note("phone.multiple", _("two phone numbers in one cell; kept the first")))
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return _format_french(digits), notes
    return "", [*notes, Note("phone.invalid", _("{raw!r} is not a French phone number").format(
                                                  raw=raw))]


# ---------------------------------------------------------------------------------------------
# Consent, lists, identifiers, names, dates
# ---------------------------------------------------------------------------------------------

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
            item = _squash(_ITEM_EDGES.sub("", piece))
            if key(item):
                items.append(item)
    return items


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalize_siret(text: str) -> Normalized[str]:
    """Return a 14-digit SIRET, or ``""``.

    Spaces, dots and dashes are removed. A 9-digit SIREN identifies the organisation but not the
    establishment: the ``siret`` field stays empty and a note keeps the SIREN visible in the
    report. A number failing the Luhn check is kept with a note (La Poste establishments follow
    their own rule, the digit sum being a multiple of 5).
    """
    raw = _squash(str(text))
    if is_placeholder(raw):
        return "", []
    digits = re.sub(r"[\s.\-_/]", "", re.sub(r"[.,]0+$", "", raw))  # "…074.0" from a float cell
    if not digits.isdigit() or not digits.isascii():
        return "", [Note("siret.invalid", _("{raw!r} is not a SIRET number").format(raw=raw))]
    if len(digits) == 9:
        return "", [Note("siret.siren", _("{digits!r} is a SIREN (9 digits), not a SIRET (14)").format(
                                            digits=digits))]
    if len(digits) != 14:
        return "", [Note("siret.invalid", _("{raw!r} has {n} digits, a SIRET has 14").format(
                                              raw=raw, n=len(digits)))]
    la_poste = digits.startswith("356000000")
    ok = sum(map(int, digits)) % 5 == 0 if la_poste else _luhn_ok(digits)
    if not ok:
        return digits, [Note("siret.checksum", _("SIRET {digits!r} fails its check digit").format(
                                                   digits=digits))]
    return digits, []


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
    value = _squash(str(text)).strip(_QUOTES + " ")
    value = _squash(value)
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
    raw = _squash(str(text))
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
