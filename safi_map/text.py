"""Small text helpers shared by the readers, normalizers, geocoder and site.

Everything here is pure and vectorizable through ``pandas.Series.map``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["a_commune", "de_commune", "fold", "french_date", "key", "slugify"]

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


# French elision and contraction before a place name ("d'Arles", "du Luc", "aux Mées").
_VOWELS = "aeiouyàâäéèêëîïôöùûüÿœæ"
_ARTICLES = (("Le ", "du ", "au "), ("Les ", "des ", "aux "))


def _elides(name: str) -> bool:
    """Does "de" lose its vowel before ``name``? Before a vowel, and before "Hy" (Hyères).

    Other names in H keep "de" (most are aspirated: "de Hautes-Alpes"-like names).
    """
    low = name[:2].lower()
    return bool(low) and (low[0] in _VOWELS or low == "hy")


def de_commune(name: str) -> str:
    """ "de" + a commune's name with French elision and contraction.

    >>> [de_commune(n) for n in ("Arles", "Le Luc", "Les Mées", "La Seyne-sur-Mer", "Gap")]
    ["d'Arles", 'du Luc', 'des Mées', 'de La Seyne-sur-Mer', 'de Gap']
    """
    name = (name or "").strip()
    for article, contracted, _ in _ARTICLES:
        if name.startswith(article):
            return contracted + name[len(article):]
    return ("d'" if _elides(name) else "de ") + name


def a_commune(name: str) -> str:
    """ "à" + a commune's name with French contraction ("au Luc", "aux Mées", "à Arles").

    >>> [a_commune(n) for n in ("Arles", "Le Castellet", "Les Mées", "La Ciotat")]
    ['à Arles', 'au Castellet', 'aux Mées', 'à La Ciotat']
    """
    name = (name or "").strip()
    for article, _, contracted in _ARTICLES:
        if name.startswith(article):
            return contracted + name[len(article):]
    return "à " + name
