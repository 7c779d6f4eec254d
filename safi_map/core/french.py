"""French text for people: numbers, plurals, dates and the elision of place names.

One module for what every page and poster writes in French, so that "12 345" and "d'Arles" read
the same everywhere:

* :func:`french_number`: narrow no-break space between thousands, comma for decimals
  (``12 345``, ``3,5``);
* :func:`plural`: a count and its noun (``1 commune``, ``2 communes``);
* :func:`french_date`: ``"2015-09-28"`` -> ``"28 septembre 2015"`` (``1er`` for the first);
* :func:`de_commune` / :func:`a_commune`: ``d'Arles``, ``de La Seyne-sur-Mer``, ``du Luc``,
  ``au Castellet``, ``aux Mées``.

The last three live in :mod:`safi_map.core.text` today (with the folding helpers) and are
re-exported here, so the site imports every French formatter from this one module.
"""

from __future__ import annotations

from safi_map.core.text import a_commune, de_commune, french_date

__all__ = ["a_commune", "de_commune", "french_date", "french_number", "plural"]


def french_number(value: float | int, digits: int = 0) -> str:
    """Numbers the French way: narrow no-break space for thousands, comma for decimals.

    >>> french_number(12345)
    '12\\u202f345'
    >>> french_number(3.14159, 1)
    '3,1'
    """
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun, agreed: ``0 commune``, ``1 commune``, ``2 communes``
    (``plural_form`` when adding an s is not the plural: ``plural(2, "lieu", "lieux")``)."""
    return f"{french_number(count)} {singular if count <= 1 else (plural_form or singular + 's')}"
