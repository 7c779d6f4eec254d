"""Reading cells of the actors frame: one way for every module.

The actors frame holds list columns (``themes``, ``needs``...) as Python lists after ingest, but
as ``;``-joined strings when read back from a file, and missing values as ``None`` or NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["cell_list", "cell_text", "records"]


def cell_text(value: Any) -> str:
    """A cell as text: ``""`` for ``None`` and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def cell_list(value: Any) -> list[str]:
    """A list cell as a list of non-empty stripped str (lists, ``;``-joined strings, NaN)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return []


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, about twenty times faster on pandas' string columns.

    ``to_dict`` boxes every cell through the column's array one at a time; ``tolist`` converts
    each column in one call (same native Python values: str, float, int, list objects).
    """
    cols = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]
