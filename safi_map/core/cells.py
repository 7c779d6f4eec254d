"""What every cell normalizer returns, and the helpers they share.

A normalizer takes the raw text of one cell and returns ``(value, notes)``: the normalized value
and the list of :class:`Note` telling what was repaired or dropped (see
:mod:`safi_map.core.normalize`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

from safi_map.core.text import key

__all__ = ["Normalized", "Note", "by_unique", "is_placeholder", "squash"]

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


def squash(text: str) -> str:
    """Collapse every whitespace run (including no-break spaces) into one space and strip."""
    return _WS.sub(" ", text).strip()


def by_unique(values: Sequence[Hashable], fn: Callable[[Any], T]) -> list[T]:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct value (survey columns
    repeat a lot: communes, themes, consent answers, stops)."""
    cache: dict[Hashable, T] = {}
    out: list[T] = []
    for v in values:
        try:
            out.append(cache[v])
        except KeyError:
            cache[v] = result = fn(v)
            out.append(result)
    return out
