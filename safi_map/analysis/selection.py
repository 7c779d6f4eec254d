"""Choosing which actors an export shows: by commune, department, EPCI, theme, stop or distance.

Event organisers ask for "the actors of Toulon", "insertion in the Var" or "everything within
15 km of Gap". They type names as they say them (``toulon``, ``Saint Raphael``), so commune,
department and EPCI names are resolved through the packaged gazetteer with accent-, case- and
punctuation-insensitive keys, and an unknown name is an error that suggests close names rather
than an empty poster.

Criteria combine with AND; the values of one criterion combine with OR
(``communes=["Toulon", "La Seyne-sur-Mer"], themes=["insertion"]`` = insertion actors of either
town).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safi_map.core.french import de_commune
from safi_map.core.i18n import _
from safi_map.core.text import key

__all__ = ["ResolvedCommune", "Selection", "describe", "resolve_commune", "select",
           "selection_mask"]

log = logging.getLogger(__name__)

_EARTH_RADIUS_KM = 6371.0088
_PACA = ("04", "05", "06", "13", "83", "84")


@dataclass(frozen=True)
class Selection:
    """What to show. Every field is optional; an empty selection keeps every actor.

    Attributes
    ----------
    communes
        Commune names (any spelling) or INSEE codes. A city divided into arrondissements
        (Marseille) selects all of them.
    departments
        Department codes (``"83"``) or names (``"Var"``).
    epcis
        EPCI SIREN codes or names (``"Métropole Toulon-Provence-Méditerranée"``).
    themes
        Theme slugs (or labels, when a taxonomy is given to :func:`select`).
    stops
        Tour stop ids (or towns, when a tour is given to :func:`select`).
    around, radius_km
        Keep actors within ``radius_km`` kilometres (great-circle) of the point of the commune
        ``around``. Both or neither.
    """

    communes: tuple[str, ...] = field(default_factory=tuple)
    departments: tuple[str, ...] = field(default_factory=tuple)
    epcis: tuple[str, ...] = field(default_factory=tuple)
    themes: tuple[str, ...] = field(default_factory=tuple)
    stops: tuple[str, ...] = field(default_factory=tuple)
    around: str | None = None
    radius_km: float | None = None

    def __post_init__(self) -> None:
        # Accept lists (or a lone string) from callers; store tuples so the object is hashable.
        for name in ("communes", "departments", "epcis", "themes", "stops"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(str(v).strip() for v in value if str(v).strip()))
        if (self.around is None) != (self.radius_km is None):
            raise ValueError(_("'around' and 'radius_km' go together: give both or neither"))
        if self.radius_km is not None and not self.radius_km > 0:
            raise ValueError(_("radius_km must be positive, got {radius_km!r}").format(
                                 radius_km=self.radius_km))

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not (self.communes or self.departments or self.epcis or self.themes or self.stops
                    or self.around)


# --------------------------------------------------------------------------------------------
# Gazetteer look-ups


@dataclass(frozen=True)
class ResolvedCommune:
    """A commune as the gazetteer knows it, with the codes actors may carry for it."""

    code: str
    name: str
    department: str
    latitude: float
    longitude: float
    codes: tuple[str, ...]  # itself plus its arrondissements (Marseille)


@cache
def _commune_table() -> pd.DataFrame:
    from safi_map.geo import gazetteer

    frame = gazetteer.communes()
    frame["paca"] = frame["departement"].isin(_PACA)
    return frame


@cache
def _commune_keys() -> pd.Series:
    """The folded name of each commune of :func:`_commune_table` (only a lookup by name needs
    them: 35,000 names fold in a quarter of a second)."""
    table = _commune_table()
    return pd.Series([key(n) for n in table["nom"].tolist()], index=table.index)


def _suggest(value: str, choices: Iterable[str], limit: int = 3) -> str:
    from rapidfuzz import fuzz, process

    names = sorted(set(choices))
    found = process.extract(key(value), {n: key(n) for n in names}, scorer=fuzz.WRatio,
                            limit=limit, score_cutoff=60)
    if not found:
        return ""
    return " " + _("Did you mean {names}?").format(names=", ".join(repr(f[2]) for f in found))


@cache
def _commune_index() -> tuple[dict[str, int], dict[str, list[str]]]:
    """Row of each INSEE code in :func:`_commune_table`, and each city's arrondissements: a
    lookup by code costs a dict access, not a scan of 35,000 rows (posters resolve every
    commune of the site)."""
    table = _commune_table()
    codes = table["code_insee"].tolist()
    rows = {code: i for i, code in enumerate(codes)}
    children: dict[str, list[str]] = {}
    for code, parent in zip(codes, table["commune_parent"].tolist(), strict=True):
        if parent:
            children.setdefault(parent, []).append(code)
    return rows, children


@cache
def resolve_commune(value: str) -> ResolvedCommune:
    """The commune ``value`` names: an INSEE code or a name in any case/accents.

    A name shared by several communes of France resolves to the one in PACA; a name shared by
    several PACA communes is an error listing their codes (give the code instead). Answers are
    kept for the process (the gazetteer does not change; a build asks for the same communes
    for each page, poster and selection).

    Raises
    ------
    ValueError
        Unknown or ambiguous commune, with close names suggested.
    """
    table = _commune_table()
    value = str(value).strip()
    index, children_of = _commune_index()
    at = index.get(value.upper())
    rows = table.iloc[[at]] if at is not None else table.iloc[[]]
    if rows.empty:
        k = key(value)
        rows = table[_commune_keys() == k]
        if rows.empty:
            # "Marseille 8e" and friends
            from safi_map.geo.gazetteer import parse_arrondissement

            code = parse_arrondissement(value)
            if code:
                rows = table[table["code_insee"] == code]
        if len(rows) > 1 and rows["paca"].any():
            rows = rows[rows["paca"]]
        # A city and its arrondissements never share a name, so >1 here is a true homonym.
        if len(rows) > 1:
            listing = ", ".join(f"{n} ({c}, dép. {d})" for n, c, d in
                                zip(rows["nom"], rows["code_insee"], rows["departement"],
                                    strict=True))
            raise ValueError(_("commune {value!r} is ambiguous: {listing}; give the INSEE code").format(
                                 value=value, listing=listing))
    if rows.empty:
        paca = table[table["paca"]]
        raise ValueError(_("unknown commune {value!r}.{x1}").format(
                             value=value, x1=_suggest(value, paca['nom'])))
    row = rows.iloc[0]
    children = children_of.get(row["code_insee"], [])
    return ResolvedCommune(
        code=row["code_insee"], name=row["nom"], department=row["departement"],
        latitude=float(row["latitude"]), longitude=float(row["longitude"]),
        codes=(row["code_insee"], *children),
    )


@cache
def _departments() -> dict[str, str]:
    from safi_map.geo import gazetteer

    frame = gazetteer.department_boundaries()
    return dict(zip(frame["departement"], frame["nom"], strict=True))


def _resolve_department(value: str) -> tuple[str, str]:
    deps = _departments()
    v = value.strip()
    if v.isdigit() and len(v) == 1:
        v = "0" + v
    if v in deps:
        return v, deps[v]
    for code, name in deps.items():
        if key(name) == key(v):
            return code, name
    raise ValueError(_("unknown department {value!r} (PACA: {x1}).{x2}").format(
                         value=value, x1=', '.join((f'{c} {n}' for c, n in deps.items())), x2=_suggest(v, deps.values())))


@cache
def _epcis() -> dict[str, str]:
    table = _commune_table()
    paca = table[table["paca"] & (table["epci_code"] != "")]
    return dict(sorted(set(zip(paca["epci_code"], paca["epci_nom"], strict=True))))


def _resolve_epci(value: str) -> tuple[str, str]:
    epcis = _epcis()
    v = value.strip()
    if v in epcis:
        return v, epcis[v]
    matches = [(c, n) for c, n in epcis.items() if key(n) == key(v)]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(_("unknown EPCI {value!r}.{x1}").format(
                         value=value, x1=_suggest(v, epcis.values())))


def _theme_items(taxonomy: Any) -> list[Any]:
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else []
    return list(themes or [])


def _attr(item: Any, name: str, default: Any = "") -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def _resolve_theme(value: str, taxonomy: Any, present: set[str]) -> tuple[str, str]:
    items = _theme_items(taxonomy)
    if items:
        for item in items:
            slug, label = _attr(item, "slug"), _attr(item, "label") or _attr(item, "slug")
            if value == slug or key(value) in (key(slug), key(label)):
                return slug, label
        raise ValueError(_("unknown theme {value!r}.{x1}").format(
                             value=value, x1=_suggest(value, [_attr(i, 'slug') for i in items])))
    if value not in present:
        log.warning(_("theme %r appears in no actor"), value)
    return value, value


def _resolve_stop(value: str, tour: Any) -> tuple[str, str]:
    stops = list(getattr(tour, "stops", tour) or []) if tour is not None else []
    if stops:
        for stop in stops:
            sid, town = str(_attr(stop, "id")), str(_attr(stop, "town") or _attr(stop, "id"))
            if value == sid or key(value) in (key(sid), key(town)):
                return sid, town
        raise ValueError(_("unknown stop {value!r}.{x1}").format(
                             value=value, x1=_suggest(value, [str(_attr(s, 'id')) for s in stops])))
    return value, value


# --------------------------------------------------------------------------------------------
# Selecting


def _haversine_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p0, p = np.radians(lat0), np.radians(lat)
    dlat = p - p0
    dlon = np.radians(lon) - np.radians(lon0)
    a = np.sin(dlat / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _has_any(column: pd.Series, wanted: set[str]) -> pd.Series:
    return column.map(lambda v: isinstance(v, list | tuple | np.ndarray)
                      and any(str(x) in wanted for x in v))


def _actor_points(actors: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of each actor (NaN when not located), from geometry if present."""
    import shapely

    geoms = np.asarray(actors.geometry.values, dtype=object)
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    lat = np.full(len(actors), np.nan)
    lon = np.full(len(actors), np.nan)
    if ok.any():
        lon[ok] = shapely.get_x(geoms[ok])
        lat[ok] = shapely.get_y(geoms[ok])
    return lat, lon


def select(actors: gpd.GeoDataFrame, selection: Selection | None, *, taxonomy: Any = None,
           tour: Any = None) -> gpd.GeoDataFrame:
    """The actors that ``selection`` keeps, in their original order (a copy).

    Parameters
    ----------
    actors
        The actors GeoDataFrame (docs/ARCHITECTURE.md, "Actors").
    selection
        What to keep; ``None`` or an empty selection keeps everything.
    taxonomy, tour
        Optional: let themes and stops be given by label/town and reject unknown ones.

    Raises
    ------
    ValueError
        A commune, department, EPCI, theme or stop that does not exist (with suggestions).
    """
    if selection is None or selection.is_empty:
        return actors.copy()
    out = actors[selection_mask(actors, selection, taxonomy=taxonomy, tour=tour)].copy()
    log.debug("selection %s kept %d of %d actors", selection, len(out), len(actors))
    return out


def selection_mask(actors: gpd.GeoDataFrame, selection: Selection | None, *,
                   taxonomy: Any = None, tour: Any = None) -> np.ndarray:
    """Which rows of ``actors`` :func:`select` keeps, as booleans (no frame is copied: the
    posters of a site count and digest dozens of selections)."""
    keep = pd.Series(True, index=actors.index)
    if selection is None or selection.is_empty:
        return keep.to_numpy()
    if selection.communes:
        codes: set[str] = set()
        for value in selection.communes:
            codes.update(resolve_commune(value).codes)
        keep &= actors["insee_code"].astype(str).isin(codes)
    if selection.departments:
        deps = {_resolve_department(v)[0] for v in selection.departments}
        keep &= actors["department"].astype(str).isin(deps)
    if selection.epcis:
        epcis = {_resolve_epci(v)[0] for v in selection.epcis}
        keep &= actors["epci"].astype(str).isin(epcis)
    if selection.themes:
        present = {str(t) for ts in actors["themes"] if isinstance(ts, list | tuple) for t in ts}
        slugs = {_resolve_theme(v, taxonomy, present)[0] for v in selection.themes}
        keep &= _has_any(actors["themes"], slugs)
    if selection.stops:
        ids = {_resolve_stop(v, tour)[0] for v in selection.stops}
        keep &= _has_any(actors["stops"], ids)
    if selection.around is not None and selection.radius_km is not None:
        centre = resolve_commune(selection.around)
        lat, lon = _actor_points(actors)
        dist = _haversine_km(centre.latitude, centre.longitude, lat, lon)
        keep &= pd.Series(np.nan_to_num(dist, nan=np.inf) <= selection.radius_km,
                          index=actors.index)
    return keep.to_numpy()


def _join_fr(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def describe(selection: Selection | None, *, taxonomy: Any = None, tour: Any = None) -> str:
    """A French subtitle for the selection: ``"Toulon · thème Insertion et emploi"``.

    Names are the official ones (``"toulon"`` -> ``"Toulon"``), theme labels come from the
    taxonomy and stop towns from the tour when given. Empty for an empty selection.
    """
    if selection is None or selection.is_empty:
        return ""
    parts: list[str] = []
    if selection.communes:
        parts.append(_join_fr([resolve_commune(v).name for v in selection.communes]))
    if selection.epcis:
        parts.append(_join_fr([_resolve_epci(v)[1] for v in selection.epcis]))
    if selection.departments:
        names = [_resolve_department(v) for v in selection.departments]
        parts.append(_join_fr([f"{n} ({c})" for c, n in names]))
    if selection.around is not None:
        centre = resolve_commune(selection.around)
        radius = f"{selection.radius_km:g}".replace(".", ",")
        parts.append(f"à {radius} km autour {de_commune(centre.name)}")
    if selection.themes:
        labels = [_resolve_theme(v, taxonomy, {v})[1] for v in selection.themes]
        parts.append(("thèmes " if len(labels) > 1 else "thème ") + _join_fr(labels))
    if selection.stops:
        towns = [_resolve_stop(v, tour)[1] for v in selection.stops]
        parts.append(("étapes " if len(towns) > 1 else "étape ")
                     + _join_fr([de_commune(t) for t in towns]))
    return " · ".join(parts)
