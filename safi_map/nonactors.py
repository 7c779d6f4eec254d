"""Rows of a survey table that are not actors: totals, repeated headers, a line cut short.

People add a "Total : 6 structures" line under an Excel table, paste two exports one under the
other (the second header becomes a data row), or export a CSV while a form is still being
filled (the last line stops inside a quoted cell). None of these rows is an actor; each is
rejected with its reason (:func:`non_actor_rows`), never published.

Only a few rows are examined closely: those whose name is empty, looks like a total or a
count, or repeats its header, plus the last row of a cut file. Other rows cost one look-up per
distinct name, so validation stays fast on large tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .i18n import _
from .text import key

__all__ = ["non_actor_rows"]

_TOTAL = re.compile(
    r"^(?:sous total|sous totaux|total|totaux|grand total|total general|nombre|nb|nbre|somme|"
    r"moyenne|effectif|count|sum|subtotal|sub total|grand total)(?: |$)"
)
_COUNT = re.compile(
    r"^\d+(?: \d+)?(?: (?:structures?|acteurs?|associations?|reponses?|lignes?|rows?|actors?|"
    r"organisations?|organismes?|entreprises?|responses?|structure s))?$"
)


def _is_total(k: str) -> bool:
    return bool(_TOTAL.match(k))


def _is_count(k: str) -> bool:
    return bool(_COUNT.match(k))


def _candidate(name_key: str, name_header_key: str) -> bool:
    return (not name_key or _is_total(name_key) or _is_count(name_key)
            or name_key == name_header_key)


def _row_reason(cells: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """``(code, reason)`` when a row's ``(cell, header)`` pairs make it a non-actor."""
    filled = [(key(c), key(h)) for c, h in cells if key(c)]
    if not filled:
        return None
    headers = sum(1 for c, h in filled if c == h)
    if headers >= 2 or headers == len(filled):
        return "row.header", _("the header row repeated inside the table, not an actor")
    totals = sum(1 for c, _h in filled if _is_total(c))
    counts = sum(1 for c, _h in filled if _is_count(c))
    if totals and totals + counts == len(filled):
        return "row.total", _("a total or subtotal line, not an actor")
    if counts == len(filled):
        return "row.count", _("the row holds only numbers (a count or a sum), not an actor")
    return None


def non_actor_rows(
    raw: Mapping[str, Sequence[str]],
    extras: Sequence[Mapping[str, str]],
    columns: Mapping[str, str],
    row_numbers: Sequence[int],
    truncated_row: int | None = None,
) -> dict[int, tuple[str, str]]:
    """Positions of the rows that are not actors -> ``(code, reason)``.

    Parameters
    ----------
    raw
        Field -> the table's cells (every row), as read.
    extras
        Per row, the unknown columns' non-empty cells (header -> cell).
    columns
        Field -> the header it was read from.
    row_numbers
        The spreadsheet row number of each row.
    truncated_row
        Row number of a last line cut inside a quoted cell, if any.
    """
    found: dict[int, tuple[str, str]] = {}
    if truncated_row is not None:
        for i, number in enumerate(row_numbers):
            if number == truncated_row:
                found[i] = ("row.truncated", _(
                    "the last line stops inside a quoted cell (the file was saved while "
                    "still being written); not read"))
    names = raw.get("name", ())
    name_header = key(columns.get("name", ""))
    memo: dict[str, bool] = {}
    fields = [f for f in raw if any(raw[f])]
    for i in range(len(row_numbers)):
        if i in found:
            continue
        name = names[i] if i < len(names) else ""
        suspect = memo.get(name)
        if suspect is None:
            suspect = memo[name] = _candidate(key(name), name_header)
        if not suspect:
            continue
        cells: list[tuple[str, Any]] = [(raw[f][i], columns.get(f, f)) for f in fields]
        cells.extend((v, h) for h, v in extras[i].items())
        reason = _row_reason(cells)
        if reason is not None:
            found[i] = reason
    return found
