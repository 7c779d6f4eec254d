"""CSV cells that a spreadsheet cannot run: formula injection neutralised, in one place.

Every CSV the tool writes for people (the site's downloads, the synergies and diagnostic
tables, ``export --format csv`` with or without ``--excel``, the data.inclusion CSV, the
``geocode`` output, ``build/actors.csv``) goes through this module. A spreadsheet treats a cell
that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some also after a tab or a
carriage return: a survey answer such as ``=HYPERLINK("https://evil.example", "Cliquez")``
would become a live link, or worse, on the coordinator's computer.

The rule (OWASP, "CSV Injection"): a **text** cell that starts with one of those characters gets
a leading single quote (``'=HYPERLINK(...)``), which spreadsheets show as text and never
evaluate; the csv writer then quotes the cell if it holds a separator or a quote.

What counts as text is decided by the **column's type**, not by the look of a value:

- numeric columns (latitude, longitude, scores, distances, counts, populations) are written as
  numbers and never touched, even when negative (``-5.200000`` stays a number);
- text columns (names, descriptions, communes, phones, e-mails, ids...) are always neutralised,
  even when a value looks like a number: a phone ``+33 4 90 00 00 00`` is written
  ``'+33 4 90 00 00 00`` (the spreadsheet shows ``+33 4 90 00 00 00`` as text, instead of
  a formula or a number that lost its ``+``).

Within a table column of mixed Python values, the value's type decides: ``int``/``float``/
``bool`` (and numpy numbers) are numbers, ``str`` is text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise", "neutralise_frame", "neutralise_values",
           "safe_cell", "safe_row"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when it starts with one of :data:`FORMULA_PREFIXES`."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_cell(value: Any) -> Any:
    """A cell for a text column: strings neutralised, numbers and everything else as they are.

    Returns ``value`` itself when nothing is to be done (numbers stay numbers).
    """
    if isinstance(value, str):
        return neutralise(value)
    return value


def neutralise_values(values: list[Any]) -> list[Any]:
    """:func:`safe_cell` of every value of a text column (a new list, fast on long columns)."""
    prefixes = FORMULA_PREFIXES
    return ["'" + v if v.__class__ is str and v.startswith(prefixes) else
            safe_cell(v) if v.__class__ is not str else v for v in values]


def safe_row(row: Sequence[Any], numeric: Iterable[int] = ()) -> list[Any]:
    """``row`` with every cell made safe except those at the ``numeric`` positions (columns
    of numbers, already formatted, e.g. with a decimal comma)."""
    skip = set(numeric)
    return [v if i in skip else safe_cell(v) for i, v in enumerate(row)]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns (object or string dtype) are neutralised; numeric,
    boolean and date columns are left alone."""
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
            out[col] = pd.Series(neutralise_values(out[col].tolist()), index=out.index,
                                 dtype=dtype)
    return out
