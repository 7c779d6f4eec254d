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

from safi_map.core.i18n import _
from safi_map.core.text import key

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


_HEADER, _TOTAL_CELL, _COUNT_CELL, _OTHER = 1, 2, 3, 0


def _row_reason(kinds: Sequence[int]) -> tuple[str, str] | None:
    """``(code, reason)`` when a row's filled cells (their kinds) make it a non-actor."""
    if not kinds:
        return None
    headers = kinds.count(_HEADER)
    if headers >= 2 or headers == len(kinds):
        return "row.header", _("the header row repeated inside the table, not an actor")
    totals, counts = kinds.count(_TOTAL_CELL), kinds.count(_COUNT_CELL)
    if totals and totals + counts == len(kinds):
        return "row.total", _("a total or subtotal line, not an actor")
    if counts == len(kinds):
        return "row.count", _("the row holds only numbers (a count or a sum), not an actor")
    return None


class _Kinds:
    """Kind of a cell under a header (memoized: survey cells repeat)."""

    def __init__(self) -> None:
        self.memo: dict[tuple[str, str], int] = {}
        self.keys: dict[str, str] = {}

    def key(self, text: str) -> str:
        k = self.keys.get(text)
        if k is None:
            k = self.keys[text] = key(text)
        return k

    def __call__(self, cell: str, header: str) -> int | None:
        found = self.memo.get((cell, header))
        if found is None:
            k = self.key(cell)
            if not k:
                found = -1
            elif k == self.key(header):
                found = _HEADER
            elif _is_total(k):
                found = _TOTAL_CELL
            elif _is_count(k):
                found = _COUNT_CELL
            else:
                found = _OTHER
            self.memo[(cell, header)] = found
        return None if found < 0 else found


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
    names = list(raw.get("name", ())) or [""] * len(row_numbers)
    name_header = key(columns.get("name", ""))
    fields = [f for f in raw if f != "name" and any(raw[f])]
    headers = {f: columns.get(f, f) for f in fields}
    kind = _Kinds()
    suspects = {n: _candidate(key(n), name_header) for n in set(names)}
    for i, name in enumerate(names):
        if i in found or not suspects[name]:
            continue
        cells = [(raw[f][i], headers[f]) for f in fields if raw[f][i]]
        cells.extend((v, h) for h, v in extras[i].items())
        # A repeated header row repeats the name's header too; otherwise only a total or a
        # count is left, and the first other cell (usually the first one) rules them out.
        name_kind = kind(name, columns.get("name", "name"))
        if name_header and name_kind != _HEADER and any(
                kind(c, h) in (_OTHER, _HEADER) for c, h in cells):
            continue
        kinds = [k for k in (kind(c, h) for c, h in cells) if k is not None]
        if name_kind is not None:
            kinds.append(name_kind)
        reason = _row_reason(kinds)
        if reason is not None:
            found[i] = reason
    return found
