"""The data the map page embeds: public actors as columnar JSON, and the commune outlines.

Actors go through the consent gate (:func:`safi_map.model.public.public_actors`) here, so no caller
can forget it: the payload holds only public fields (names, themes, legal form, commune, stops,
a short description, website, and e-mail and phone only where the actor consented).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

import geopandas as gpd

from safi_map.core.hours import weekly_payload
from safi_map.core.i18n import _
from safi_map.core.text import fold
from safi_map.map.events import AGENDA_PAGE, event_rows
from safi_map.model.labels import LEGAL_FORMS
from safi_map.model.public import public_actors

__all__ = ["DEFAULT_ACTOR_URL", "DEFAULT_LEGAL_FORM_LABELS", "map_payload"]

logger = logging.getLogger("safi_map.map.render")

DEFAULT_ACTOR_URL = "acteurs/{actor_id}.html"

DEFAULT_LEGAL_FORM_LABELS = {**LEGAL_FORMS, "": "Non précisée"}
"""The legal forms' labels (one table: :data:`safi_map.model.labels.LEGAL_FORMS`)."""

_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
_ICON_NAME = re.compile(r"^[a-z0-9-]{1,40}\Z")
_FALLBACK_COLOURS = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
)
_AUTRE = {"slug": "autre", "label": "Autre", "colour": "#777777", "icon": "dot"}


# Payload
# --------------------------------------------------------------------------------------------

def _get(obj: Any, name: str, default: Any = "") -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _themes_of(taxonomy: Any) -> list[dict[str, str]]:
    """Theme dicts from a ``Taxonomy`` object (``.themes``) or a plain list of dicts."""
    raw: Any = taxonomy
    if taxonomy is None:
        raw = []
    elif not isinstance(taxonomy, list | tuple) and hasattr(taxonomy, "themes"):
        raw = taxonomy.themes
    if isinstance(raw, Mapping):
        raw = list(raw.values())
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, t in enumerate(raw):
        slug = str(_get(t, "slug"))
        if not slug or slug in seen:
            continue
        seen.add(slug)
        colour = str(_get(t, "colour", "") or _get(t, "color", ""))
        icon = str(_get(t, "icon", "") or "dot")
        out.append(
            {
                "slug": slug,
                "label": str(_get(t, "label", "") or slug),
                "colour": colour if _HEX_COLOUR.match(colour) else _FALLBACK_COLOURS[i % 8],
                "icon": icon if _ICON_NAME.match(icon) else "dot",
            }
        )
    return out


def _legal_form_labels(taxonomy: Any) -> dict[str, str]:
    labels = dict(DEFAULT_LEGAL_FORM_LABELS)
    forms = None if taxonomy is None or isinstance(taxonomy, list | tuple) else getattr(
        taxonomy, "legal_forms", None
    )
    if isinstance(forms, Mapping):
        for slug, v in forms.items():
            labels[str(slug)] = str(v if isinstance(v, str) else _get(v, "label", slug))
    elif isinstance(forms, Iterable) and not isinstance(forms, str):
        for f in forms:
            slug = str(_get(f, "slug"))
            if slug:
                labels[slug] = str(_get(f, "label", "") or slug)
    return labels


def _stops_of(tour: Any) -> list[dict[str, str]]:
    """Stop dicts from a ``Tour`` object (``.stops``), a list of Stop objects or of dicts."""
    if tour is None:
        return []
    raw = tour.stops if hasattr(tour, "stops") and not isinstance(tour, Mapping) else tour
    if isinstance(raw, Mapping):
        raw = raw.get("stops", list(raw.values()))
    out = []
    for s in raw:
        d = _get(s, "date", "")
        if isinstance(d, datetime | date):
            d = d.isoformat()[:10]
        out.append(
            {
                "id": str(_get(s, "id")),
                "town": str(_get(s, "town", "") or ""),
                "insee_code": str(_get(s, "insee_code", "") or ""),
                "date": str(d or ""),
                "venue": str(_get(s, "venue", "") or ""),
            }
        )
    return sorted(out, key=lambda s: (s["date"], s["id"]))


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [x.strip() for x in v.split(";") if x.strip()]
    if isinstance(v, float) and math.isnan(v):
        return []
    try:
        return [str(x) for x in v if str(x)]
    except TypeError:
        return []


def _str(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


@cache
def _commune_points() -> dict[str, tuple[float, float, str]]:
    """INSEE code -> (lat, lon, name) from the packaged gazetteer (for stops without actors)."""
    try:
        from safi_map.geo import gazetteer

        c = gazetteer._communes()  # read only here
    except Exception as exc:  # gazetteer missing: stops are placed from their actors instead
        logger.warning(_("gazetteer unavailable, tour stops placed from their actors: %s"), exc)
        return {}
    return dict(zip(c["code_insee"].tolist(),
                    zip(c["latitude"].tolist(), c["longitude"].tolist(), c["nom"].tolist(),
                        strict=True), strict=True))


def map_payload(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    actor_url: str = DEFAULT_ACTOR_URL,
    description_chars: int = 160,
    new_ids: Collection[str] | None = None,
    events: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The data the map page embeds: public fields only, columnar, deterministic.

    Actors go through :func:`safi_map.model.public.public_actors` here (the consent gate), so callers
    cannot forget it. Columns are parallel arrays (``actors.name[i]`` …) with themes, legal forms,
    communes and stops as indices into the lookup tables; coordinates are integers in 1e-5
    degree (about a metre). Actors are ordered by folded name then id: the directory's order,
    so the browser never sorts 50,000 strings.

    Parameters
    ----------
    actors
        Actors GeoDataFrame (docs/ARCHITECTURE.md, "Actors").
    taxonomy
        A ``Taxonomy`` (``.themes``) or a list of theme dicts (slug, label, colour, icon).
    tour
        A ``Tour`` (``.stops``) or a list of stop dicts/objects (id, town, date, venue).
    actor_url
        Template of the link to an actor page; ``{actor_id}`` is replaced (URL-encoded).
    description_chars
        Descriptions are cut to this length (on a word): the map shows a short description, the
        actor page the full one. Keeps 50,000 actors within a few megabytes.
    new_ids
        Ids of the actors new since the last stop (``changes.new``). The public ones among them
        are listed in ``actors.new`` (sorted row indices), which gives the page its "Nouveaux
        depuis la dernière étape" filter and "Nouveau" badges; the key is absent when there
        are none (no empty filter on the page). Ids of unknown or non-public actors are
        ignored: they never reach the page.
    events
        The agenda's public events (site views): see :func:`safi_map.map.events.event_rows`.
    """
    pub = public_actors(actors) if len(actors) else actors.copy()
    themes = _themes_of(taxonomy)
    legal_labels = _legal_form_labels(taxonomy)
    stops = _stops_of(tour)

    n = len(pub)
    names = [_str(v) for v in pub["name"]] if n else []
    ids = [_str(v) for v in pub["actor_id"]] if n else []
    order = sorted(range(n), key=lambda i: (fold(names[i]), ids[i]))

    def col(name: str) -> list[Any]:
        if name not in pub.columns:
            return [""] * n
        values = pub[name].tolist()
        return [values[i] for i in order]

    names = [names[i] for i in order]
    ids = [ids[i] for i in order]
    geoms = col("geometry") if "geometry" in pub.columns else [None] * n
    lats, lons = _coordinates(col("latitude"), col("longitude"), geoms)
    actor_themes = _theme_indices(col("themes"), themes)
    legal_raw = [_str(v) for v in col("legal_form")]
    legal_slugs = sorted(
        set(legal_raw), key=lambda s: (s == "", s == "autre", fold(legal_labels.get(s) or s))
    )
    legal_index = {s: i for i, s in enumerate(legal_slugs)}
    codes = [_str(v) for v in col("insee_code")]
    commune_names = [_str(v) for v in col("commune")]
    communes = _commune_table(codes, commune_names, [_str(v) for v in col("department")])
    commune_index = {c["code"]: i for i, c in enumerate(communes)}
    stop_index = {s["id"]: i for i, s in enumerate(stops)}
    actor_stops = [sorted({stop_index[s] for s in _as_list(raw) if s in stop_index})
                   for raw in col("stops")]

    payload: dict[str, Any] = {
        "version": 1,
        "actor_url": actor_url,
        "themes": themes,
        "legal_forms": [{"slug": s, "label": legal_labels.get(s, s)} for s in legal_slugs],
        "communes": communes,
        "stops": _stop_rows(stops, actor_stops, lats, lons, commune_names),
        "actors": {
            "n": n,
            "id": ids,
            "name": names,
            "lat": lats,
            "lon": lons,
            "themes": actor_themes,
            "legal": [legal_index[s] for s in legal_raw],
            "commune": [commune_index.get(c, -1) for c in codes],
            "stops": actor_stops,
            "desc": [_short(_str(v), description_chars) for v in col("description")],
            "web": [_str(v) for v in col("website")],
            "email": [_str(v) for v in col("email")],
            "phone": [_str(v) for v in col("phone")],
        },
    }
    _optional_columns(payload["actors"], _new_rows(ids, new_ids), col("opening_hours"))
    _add_events(payload, events, ids=ids, lats=lats, lons=lons, codes=codes)
    return payload


def _add_events(payload: dict[str, Any], events: Sequence[Mapping[str, Any]], *,
                ids: list[str], lats: list[int | None], lons: list[int | None],
                codes: list[str]) -> None:
    """``payload["events"]``: the Agenda page and the events with a point (none: no key)."""
    if not events:
        return
    rows, _unplaced = event_rows(events, ids=ids, lats=lats, lons=lons, codes=codes,
                                 commune_point=_commune_point)
    if rows:
        payload["events"] = {"page": AGENDA_PAGE, "items": rows}


def _commune_point(code: str) -> tuple[float, float] | None:
    """A commune's point (the gazetteer's), or None."""
    found = _commune_points().get(code)
    return None if found is None else (found[0], found[1])


def _optional_columns(actors: dict[str, Any], new_rows: list[int], hours: list[Any]) -> None:
    """The columns only some actors have: new since the previous build, opening hours
    (``[[i, open minutes of the week]]``, see ``map/hours.js``)."""
    if new_rows:
        actors["new"] = new_rows
    weekly = weekly_payload(hours)
    if weekly:
        actors["hours"] = weekly


def _new_rows(ids: list[str], new_ids: Collection[str] | None) -> list[int]:
    """Rows (sorted) of the public actors among ``new_ids``; unknown ids are ignored."""
    if not new_ids:
        return []
    wanted = {str(x) for x in new_ids}
    marked = [i for i, aid in enumerate(ids) if aid in wanted]
    logger.debug("%d of %d new actors are on the map", len(marked), len(wanted))
    return marked


def _coordinates(
    lat_raw: list[Any], lon_raw: list[Any], geoms: list[Any]
) -> tuple[list[int | None], list[int | None]]:
    """Latitudes and longitudes in 1e-5 degree (``None`` where unknown or out of range)."""

    def coord(lat: Any, lon: Any, g: Any) -> tuple[int | None, int | None]:
        try:
            la, lo = float(lat), float(lon)
        except (TypeError, ValueError):
            la = lo = math.nan
        if (math.isnan(la) or math.isnan(lo)) and g is not None and not g.is_empty:
            la, lo = g.y, g.x
        if math.isnan(la) or math.isnan(lo) or not (-90 <= la <= 90 and -180 <= lo <= 180):
            return None, None
        return round(la * 1e5), round(lo * 1e5)

    lats: list[int | None] = []
    lons: list[int | None] = []
    for la, lo, g in zip(lat_raw, lon_raw, geoms, strict=True):
        a, b = coord(la, lo, g)
        lats.append(a)
        lons.append(b)
    return lats, lons


def _theme_indices(column: list[Any], themes: list[dict[str, str]]) -> list[list[int]]:
    """Each actor's themes as indices into ``themes``; unknown slugs and actors without theme
    fall under "autre" (appended to ``themes`` when first needed)."""
    theme_index = {t["slug"]: i for i, t in enumerate(themes)}
    out: list[list[int]] = []
    for raw in column:
        idx: list[int] = []
        for s in _as_list(raw) or ["autre"]:
            if s not in theme_index:
                if "autre" not in theme_index:
                    theme_index["autre"] = len(themes)
                    themes.append(dict(_AUTRE))
                s = "autre"
            if theme_index[s] not in idx:
                idx.append(theme_index[s])
        out.append(idx)
    return out


def _commune_table(codes: list[str], names: list[str], deps: list[str]) -> list[dict[str, str]]:
    """The communes that have actors, in folded-name order: code, name, department."""
    info: dict[str, tuple[str, str]] = {}
    for code, name, dep in zip(codes, names, deps, strict=True):
        if code and code not in info:
            info[code] = (name or code, dep or code[:2])
    ordered = sorted(info, key=lambda c: (fold(info[c][0]), c))
    return [{"code": c, "name": info[c][0], "dep": info[c][1]} for c in ordered]


def _stop_rows(
    stops: list[dict[str, str]], actor_stops: list[list[int]], lats: list[int | None],
    lons: list[int | None], commune_names: list[str],
) -> list[dict[str, Any]]:
    """Stops with their point (the gazetteer's, else the median of their actors in that town)
    and their number of actors."""
    counts = [0] * len(stops)
    for idx in actor_stops:
        for j in idx:
            counts[j] += 1
    points = _commune_points() if stops else {}
    rows: list[dict[str, Any]] = []
    for j, stop in enumerate(stops):
        lat: int | None = None
        lon: int | None = None
        if stop["insee_code"] in points:
            la, lo, _unused = points[stop["insee_code"]]
            lat, lon = round(la * 1e5), round(lo * 1e5)
        else:  # no gazetteer point: the median of the actors surveyed there, in that town
            town = fold(stop["town"])
            here = [
                i for i, y in enumerate(lats)
                if y is not None and j in actor_stops[i] and fold(commune_names[i]).startswith(town)
            ]
            ys = sorted(lats[i] for i in here)  # type: ignore[type-var]
            xs = sorted(lons[i] for i in here)  # type: ignore[type-var]
            if ys:
                lat, lon = ys[len(ys) // 2], xs[len(xs) // 2]
        rows.append({**stop, "lat": lat, "lon": lon, "count": counts[j]})
    return rows


@cache
def _boundaries_payload() -> dict[str, Any]:
    """Light PACA commune polygons and department outlines (GeoJSON, 1e-3 degree), as shipped
    with the package (:mod:`safi_map.geo.derived`)."""
    from safi_map.geo import derived as _derived

    return _derived.load("map-boundaries")


def _compute_boundaries_payload() -> dict[str, Any]:
    """What :func:`_boundaries_payload` gives, computed from the reference data."""
    try:
        from safi_map.geo import gazetteer

        communes = gazetteer.commune_boundaries()
        departments = gazetteer.department_boundaries()
    except Exception as exc:  # boundaries are a layer, not a requirement
        logger.warning(_("boundaries unavailable, map without choropleth/outlines: %s"), exc)
        return {"communes": None, "departments": None}

    def to_geojson(frame: gpd.GeoDataFrame, props: Sequence[str], tol: float) -> dict[str, Any]:
        frame = frame.copy()
        frame["geometry"] = frame.geometry.simplify(tol, preserve_topology=True)
        frame = frame[~frame.geometry.is_empty]
        gj = json.loads(frame[[*props, "geometry"]].to_json(drop_id=True))
        for f in gj["features"]:
            f["geometry"]["coordinates"] = _round_coords(f["geometry"]["coordinates"], 3)
        return gj

    return {
        "communes": to_geojson(communes, ("code_insee", "nom"), 0.0015),
        "departments": to_geojson(departments, ("departement", "nom"), 0.001),
    }


def _round_coords(c: Any, nd: int) -> Any:
    if isinstance(c, list) and c and isinstance(c[0], int | float):
        return [round(float(x), nd) for x in c]
    return [_round_coords(x, nd) for x in c]
