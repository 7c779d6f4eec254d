"""Comparing one actor's published fields between two builds: the values as the change report
and the public history see them (NaN, empty and None alike; lists as lists of text)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from safi_map.core.columns import column_values
from safi_map.core.i18n import _

__all__ = ["GEOCODE_FIELDS", "moved", "norm", "place", "records", "same"]

GEOCODE_FIELDS = ("geocode_precision", "latitude", "longitude")


def norm(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value) if value != "" else None


def same(old: Any, new: Any) -> bool:
    """``norm(old) == norm(new)``, deciding the common cases without normalizing: equal
    strings, and equal lists of strings (other list items would compare by their text)."""
    if old.__class__ is str and new.__class__ is str:
        return old == new
    if (old.__class__ is list and new.__class__ is list and old == new
            and all(v.__class__ is str for v in old)):
        return True
    return norm(old) == norm(new)


def records(frame: pd.DataFrame, ids: list[str], fields: list[str]) -> dict[str, list[Any]]:
    """``fields`` of the actors ``ids`` of ``frame`` (one per actor id), one list per field, the
    values as ``to_dict`` gives them."""
    position = pd.Index(frame["actor_id"])
    if not position.is_unique:
        raise ValueError(_("actor_id is not unique: cannot compare the builds"))
    rows = position.get_indexer(ids)
    return {f: column_values(frame[f].iloc[rows]) for f in fields}


def moved(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> dict[int, dict[str, Any]]:
    """Positions whose place (see :func:`place`) differs, with the place before and after.

    Most actors did not move: where precision, coordinates and commune are the very same values
    (equal, of the same type), the places are equal without building them.
    """
    n = len(next(iter(old.values()), []))
    maybe = [True] * n if n else []
    fields = ("geocode_precision", "latitude", "longitude", "commune")
    if all(f in old for f in fields):  # else a missing field counts as None: build the places
        maybe = [False] * n
        for f in fields:
            for i, (a, b) in enumerate(zip(old[f], new[f], strict=True)):
                if a != b or a.__class__ is not b.__class__:
                    maybe[i] = True
    moved: dict[int, dict[str, Any]] = {}
    for i in (i for i, m in enumerate(maybe) if m):
        before = place({f: old[f][i] for f in old})
        after = place({f: new[f][i] for f in new})
        if before != after:
            moved[i] = {"before": before, "after": after}
    return moved


def place(record: dict[str, Any]) -> dict[str, Any]:
    lat, lon = record.get("latitude"), record.get("longitude")
    return {
        "precision": str(record.get("geocode_precision") or "none"),
        "latitude": None if lat is None or pd.isna(lat) else round(float(lat), 5),
        "longitude": None if lon is None or pd.isna(lon) else round(float(lon), 5),
        "commune": str(record.get("commune") or ""),
    }
