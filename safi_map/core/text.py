"""Small text helpers shared by the readers, normalizers, geocoder and site.

Everything here is pure and vectorizable through ``pandas.Series.map``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "key", "slugify"]

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
