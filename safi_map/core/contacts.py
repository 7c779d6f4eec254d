"""Contact details and identifiers: web addresses, e-mail addresses, phone numbers, SIRET.

Each normalizer repairs what people commonly type (a missing scheme, ``+33 (0)6…``, spaces in a
SIRET) and drops, with a note, what is not a usable value."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from safi_map.core.cells import Normalized, Note, is_placeholder, squash
from safi_map.core.i18n import _

__all__ = ["normalize_email", "normalize_phone", "normalize_siret", "normalize_url"]

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
    raw = squash(str(text))
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
    raw = squash(str(text))
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
    raw = squash(str(text))
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
    raw = squash(str(text))
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
