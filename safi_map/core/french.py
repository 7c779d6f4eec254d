"""French text for people: numbers, distances, plurals, dates and the elision of place names.

One module for what every page, poster and message writes in French, so that "12 345" and
"d'Arles" read the same everywhere:

* :func:`french_number`: narrow no-break space between thousands, comma for decimals
  (``12 345``, ``3,5``); :func:`french_distance` (``3,4 km``, ``moins de 100 m``);
* :func:`plural`: a count and its noun (``1 commune``, ``2 communes``);
* :func:`french_date`: ``"2015-09-28"`` -> ``"28 septembre 2015"`` (``1er`` for the first);
* :func:`de_commune` / :func:`a_commune`: ``d'Arles``, ``de La Seyne-sur-Mer``, ``du Luc``,
  ``au Castellet``, ``aux Mées``.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["WEEKDAYS", "a_commune", "de_commune", "french_clock", "french_date",
           "french_distance", "french_month", "french_number", "french_time", "plural"]


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
"""Monday first, as ``datetime.date.weekday()`` counts."""

_NBSP = "\u00a0"


def french_month(year: int, month: int) -> str:
    """``(2015, 10)`` -> ``"octobre 2015"``."""
    return f"{_MONTHS[month - 1]} {year}"


def french_clock(minutes: int) -> str:
    """Minutes since midnight the French way, no-break spaces: ``9 h``, ``9 h 30``, ``24 h``."""
    hours, mins = divmod(minutes, 60)
    return f"{hours}{_NBSP}h" + (f"{_NBSP}{mins:02d}" if mins else "")


def french_time(value: dt.time) -> str:
    """``14:00`` -> ``14 h``; ``9:30`` -> ``9 h 30``."""
    return french_clock(value.hour * 60 + value.minute)


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


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun, agreed: ``0 commune``, ``1 commune``, ``2 communes``
    (``plural_form`` when adding an s is not the plural: ``plural(2, "lieu", "lieux")``)."""
    return f"{french_number(count)} {singular if count <= 1 else (plural_form or singular + 's')}"
