"""Small text helpers shared by the readers, normalizers, geocoder and site.

Everything here is pure and vectorizable through ``pandas.Series.map``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["a_commune", "de_commune", "fold", "french_date", "french_distance", "french_number",
           "key", "slugify"]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Characters that NFKD does not decompose but people type for plain letters.
_EXTRA = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "‘": "'", "ʼ": "'", "ø": "o"}
)


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, keeping other characters.

    ``"Électricité Œuvre"`` -> ``"electricite oeuvre"``. Cached: the same names and communes
    are folded by the normalizers, the merge, the map and the site.
    """
    if text.isascii():
        return text.lower()
    text = text.translate(_EXTRA)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def key(text: str) -> str:
    """A comparison key: folded, every run of non-alphanumerics turned into one space.

    Two strings that differ only by case, accents, punctuation or spacing share a key:
    ``key("Thématique(s)") == key("thematique s")``.
    """
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def slugify(text: str, max_length: int = 60) -> str:
    """A URL-safe slug made of ``[a-z0-9-]``, never empty (``"x"`` for empty input)."""
    slug = _NON_ALNUM.sub("-", fold(text)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug or "x"


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def french_date(value: object) -> str:
    """``"2015-09-28"`` -> ``"28 septembre 2015"``; anything else as given."""
    text = str(value or "")
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if not m:
        return text
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= month <= 12:
        return text
    return f"{'1er' if day == 1 else day} {_MONTHS[month - 1]} {year}"


_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüÿœæ")
_ASPIRATED_H = ("hau", "hal", "ham", "han", "har", "hér", "hon", "hou", "hu")
"""Beginnings of place names whose h is aspirated (no elision: "de Hauteville")."""


def _elides(word: str) -> bool:
    low = word.lower()
    if not low:
        return False
    if low[0] in _VOWELS:
        return True
    return low[0] == "h" and not low.startswith(_ASPIRATED_H)


def _article(name: str) -> tuple[str, str]:
    """(article, rest) of a place name: ``"Le Luc"`` -> ``("le", "Luc")``."""
    for article in ("Les ", "Le ", "La ", "L'", "L’"):
        if name.startswith(article):
            return article.strip().lower(), name[len(article):]
    return "", name


def de_commune(name: str) -> str:
    """``de`` before a place name, elided and contracted as French wants.

    ``"Arles"`` -> ``"d'Arles"``, ``"Hyères"`` -> ``"d'Hyères"``, ``"Toulon"`` -> ``"de Toulon"``,
    ``"La Seyne-sur-Mer"`` -> ``"de La Seyne-sur-Mer"``, ``"Le Luc"`` -> ``"du Luc"``,
    ``"Les Mées"`` -> ``"des Mées"``, ``"L'Escarène"`` -> ``"de L'Escarène"``.
    """
    article, rest = _article(name)
    if article == "le":
        return f"du {rest}"
    if article == "les":
        return f"des {rest}"
    if article:
        return f"de {name}"
    return f"d'{name}" if _elides(name) else f"de {name}"


def a_commune(name: str) -> str:
    """``à`` before a place name: ``"à Arles"``, ``"au Castellet"``, ``"aux Mées"``,
    ``"à La Seyne-sur-Mer"``."""
    article, rest = _article(name)
    if article == "le":
        return f"au {rest}"
    if article == "les":
        return f"aux {rest}"
    return f"à {name}"


def french_number(value: object, digits: int = 0, *, grouped: bool = True) -> str:
    """A number the French way: ``1234.5`` -> ``"1 234,5"`` (narrow no-break space, comma).

    ``grouped=False`` leaves out the thousands separator (CSV cells a spreadsheet reads as
    numbers: ``"1234,50"``). ``None``, NaN and anything that is not a number give ``""``.
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if number != number or number in (float("inf"), float("-inf")):
        return ""
    text = f"{number:{',' if grouped else ''}.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def french_distance(km: float, space: str = " ") -> str:
    """A distance as a French sentence says it: ``"12 km"``, ``"3,4 km"``, ``"moins de 100 m"``.

    ``space`` goes between the number and its unit (``"\u00a0"`` on a page, so "km" never
    starts a line alone).
    """
    if km < 0.1:
        return f"moins de 100{space}m"
    return f"{french_number(km, 1 if km < 10 else 0)}{space}km"
