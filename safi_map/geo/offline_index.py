"""The offline geocoder's lookup tables over every commune of France, built once per process
from the gazetteer: communes by postcode, by name (with and without article), by department,
former names, and spatial trees of the PACA polygons and of every commune's point."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from safi_map.geo import derived, gazetteer
from safi_map.geo import former as geocode_former
from safi_map.geo.gazetteer import (
    ARRONDISSEMENT_CITIES,
    PACA_DEPARTMENTS,
    commune_key,
    strip_article,
)

__all__ = ["LookupTables", "commune_points", "commune_polygons", "index", "text_column"]


@dataclass(frozen=True)
class LookupTables:
    """Lookup tables built once from the gazetteer."""

    table: pd.DataFrame  # indexed by code_insee
    codes: pd.Index
    by_postcode: pd.DataFrame  # postcode, key, key2, code, population (alias rows for ARM)
    by_name: pd.DataFrame  # key, key2, group, code, paca, population (COM only)
    names: dict[str, str]  # code -> official name
    paca_counts: dict[str, dict[str, int]]  # "key"/"key2" -> key -> PACA communes with it
    postcode_choices: dict[str, tuple[list[str], list[str]]]  # postcode -> (keys, codes)
    group_choices: dict[str, tuple[list[str], list[str]]]  # department group -> (keys, codes)
    paca_choices: tuple[list[str], list[str]]
    national_choices: tuple[list[str], list[str]]
    known_postcodes: frozenset[str]
    former: geocode_former.FormerIndex  # former names and INSEE codes of communes
    current_keys: dict[str, str]  # code -> name key, communes (COM) only


def _choices(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    return frame["key"].tolist(), frame["code"].tolist()


def _group_choices(frame: pd.DataFrame, column: str) -> dict[str, tuple[list[str], list[str]]]:
    """``column`` value -> (keys, codes), keeping the frame's preference order within a group
    (a stable sort by group, then one slice per group: 40,000 rows in a few milliseconds)."""
    groups = frame[column].to_numpy(dtype=object)
    order = np.argsort(groups, kind="stable")
    groups = groups[order]
    keys = frame["key"].to_numpy(dtype=object)[order]
    codes = frame["code"].to_numpy(dtype=object)[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]).tolist()
    ends = [*starts[1:], len(groups)]
    return {groups[s]: (keys[s:e].tolist(), codes[s:e].tolist())
            for s, e in zip(starts, ends, strict=True)}


def text_column(values: list[str], like: pd.Series) -> pd.Series:
    """``values`` as a column of the dtype and index of ``like``, the string column they were
    computed from: what ``like.map(function)`` gives, without pandas calling the function
    through its per-value machinery (half the cost of the index)."""
    return pd.Series(values, index=like.index, dtype=like.dtype)


_TABLES: LookupTables | None = None  # this process's lookup tables, once built


def index() -> LookupTables:
    """The lookup tables over every commune of France: built once per process (about a
    quarter of a second; they were kept on disk, as a pickle, until a measurement showed that
    this saved under 3% of a rebuild, for a file that runs code when loaded)."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _build_index()
    return _TABLES


def _compute_commune_keys() -> list[str]:
    """:func:`~safi_map.geo.gazetteer.commune_key` of every commune's name, in the gazetteer's
    order (shipped as derived data: 35,000 keys cost a sixth of a second to compute)."""
    return [commune_key(n) for n in gazetteer._communes()["nom"].tolist()]


def _commune_keys(communes: pd.DataFrame) -> list[str]:
    keys: list[str] = derived.load("commune-keys")
    if len(keys) != len(communes):  # pragma: no cover - the digest of the sources matched
        keys = _compute_commune_keys()
    return keys


def _build_index() -> LookupTables:
    """Build the lookup tables from the gazetteer.

    Built over plain lists where it loops over the communes, pandas calling a function per
    value costing as much again.
    """
    communes = gazetteer._communes()
    keys = text_column(_commune_keys(communes), communes["nom"])
    paca = communes["departement"].isin(PACA_DEPARTMENTS)
    table = communes.assign(key=keys, paca=paca).set_index("code_insee", drop=False)
    order = ["paca", "population"]  # preferred candidates first: PACA, then most populated

    is_parent = communes["code_insee"].isin(list(ARRONDISSEMENT_CITIES))
    is_arm = communes["type"] == "ARM"
    base = pd.DataFrame(
        {
            "code": communes["code_insee"],
            "key": keys,
            "postcode": communes["codes_postaux"].str.split("|"),
            "population": communes["population"],
            "paca": paca,
        }
    )
    # Postcode index: cities with arrondissements are replaced by their arrondissements, which
    # also answer to the city's own name ("Marseille" + 13008 -> Marseille 8e).
    arm_alias = base[is_arm].assign(
        key=communes.loc[is_arm, "commune_parent"].map(ARRONDISSEMENT_CITIES)
    )
    by_postcode = pd.concat([base[~is_parent], arm_alias], ignore_index=True).explode("postcode")
    by_postcode = by_postcode[by_postcode["postcode"].str.len() == 5]
    by_postcode = by_postcode.assign(
        key2=text_column([strip_article(k) for k in by_postcode["key"].tolist()],
                          by_postcode["key"])
    )
    by_postcode = by_postcode.sort_values(order, ascending=False, kind="stable")
    by_postcode = by_postcode.reset_index(drop=True)

    by_name = base[~is_arm].drop(columns="postcode")
    departments = communes.loc[~is_arm, "departement"]
    by_name = by_name.assign(
        key2=text_column([strip_article(k) for k in by_name["key"].tolist()], by_name["key"]),
        group=text_column([gazetteer.department_group(d) for d in departments.tolist()],
                           departments),
    )
    by_name = by_name.sort_values(order, ascending=False, kind="stable").reset_index(drop=True)

    postcode_choices = _group_choices(by_postcode, "postcode")
    group_choices = _group_choices(by_name, "group")
    key_of = dict(zip(communes["code_insee"].tolist(), keys.tolist(), strict=True))
    return LookupTables(
        table=table,
        codes=pd.Index(table.index),
        by_postcode=by_postcode,
        by_name=by_name,
        names=dict(zip(communes["code_insee"].tolist(), communes["nom"].tolist(), strict=True)),
        paca_counts={
            column: by_name.loc[by_name["paca"], column].value_counts().to_dict()
            for column in ("key", "key2")
        },
        postcode_choices=postcode_choices,
        group_choices=group_choices,
        paca_choices=_choices(by_name[by_name["paca"]]),
        national_choices=_choices(by_name),
        known_postcodes=frozenset(by_postcode["postcode"].tolist()),
        former=geocode_former.build_former_index(table, key_of),
        current_keys={c: k for c, k, t in zip(communes["code_insee"].tolist(), keys.tolist(),
                                              communes["type"].tolist(), strict=True)
                      if t == "COM"},
    )


@cache
def commune_polygons() -> tuple[Any, np.ndarray]:
    import shapely

    frame = gazetteer._commune_boundaries()
    frame = frame[~frame["code_insee"].isin(list(ARRONDISSEMENT_CITIES))]  # arrondissements win
    return shapely.STRtree(frame.geometry.values), frame["code_insee"].to_numpy()


@cache
def commune_points() -> tuple[Any, np.ndarray]:
    import shapely

    table = index().table
    table = table[~table["code_insee"].isin(list(ARRONDISSEMENT_CITIES))]
    points = shapely.points(table["longitude"].to_numpy(), table["latitude"].to_numpy())
    return shapely.STRtree(points), table["code_insee"].to_numpy()
