"""The filterable regional actor map: folium elements, one embedded data set, local assets.

Why it is built this way
------------------------
* **One data set, not one folium marker per actor.** The actors are embedded once as compact
  columnar JSON in a ``<script type="application/json">`` block (never executed, escaped so survey
  text cannot close it); above 200 kB it is gzipped and base64-encoded (``application/gzip``,
  decoded with the browser's ``DecompressionStream``). 50,000 actors take about 2 MB.
* **Our own clusterer, not Leaflet.markercluster.** markercluster builds a marker hierarchy for
  every zoom level when markers are added (about 1 s for 50,000 actors on a small machine, and
  again after each filter). ``safi-cluster.js`` projects the points once to Web-Mercator in
  typed arrays and, on each redraw, groups the currently filtered points of the viewport on a
  grid of screen-sized cells (O(n) with one ``Map``), drawing only the clusters and points in
  view. Clicking a cluster zooms to it; actors that share a place are listed in a popup.
  Filters compute the matching set over typed arrays (``bench/bench_map.py`` has the figures).
* **No CDN at view time.** folium's default assets (jQuery, Bootstrap, Leaflet from CDNs) are
  replaced by local copies that :func:`copy_assets` puts in ``<out>/assets/`` (Leaflet from the
  ``xstatic-leaflet`` package, our own JS/CSS from ``resources/static``), or
  inlined with ``inline_assets=True`` for a single file that works with no network.
* **A strict Content-Security-Policy.** The page carries a CSP meta tag whose ``script-src``
  lists the SHA-256 of every inline script actually emitted (computed after rendering), so
  injected markup could not run even if escaping failed somewhere.
* **Survey text is untrusted.** It only reaches the page inside the escaped JSON block; the
  browser side builds popups and cards with ``textContent`` and only allows
  http(s)/mailto/tel links.

Public API (stable; used by ``site.py`` and ``export.py``): :func:`copy_assets`,
:func:`map_payload`, :func:`actor_map`, :func:`render_map_page`, :func:`mini_map_html`,
:func:`mini_map_head`, :func:`content_security_policy`, :func:`inline_script_hashes`,
:func:`data_block`, :func:`embedded_data`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from safi_map.core.i18n import _
from safi_map.core.text import fold
from safi_map.map.assets import (  # noqa: F401 - BASE_MAPS, copy_assets, ... are part of this module's API
    BASE_MAPS,
    CSP_IMG_SOURCES,
    MAX_ZOOM,
    _Asset,
    _assets,
    asset_files,
    copy_assets,
)
from safi_map.core.hours import weekly_payload
from safi_map.core.i18n import _
from safi_map.model.public import public_actors
from safi_map.core.text import fold

__all__ = [
    "CSP_IMG_SOURCES",
    "DEFAULT_ACTOR_URL",
    "LABELS",
    "ActorLayer",
    "BaseLayers",
    "BoundaryLayers",
    "Directory",
    "FilterPanel",
    "Legend",
    "StopsLayer",
    "UrlState",
    "actor_map",
    "asset_files",
    "content_security_policy",
    "copy_assets",
    "data_block",
    "embedded_data",
    "inline_script_hashes",
    "map_payload",
    "mini_map_head",
    "mini_map_html",
    "render_map_page",
]

logger = logging.getLogger(__name__)

DEFAULT_ACTOR_URL = "acteurs/{actor_id}.html"

PACA_CENTER = (43.95, 6.05)
"""Roughly the middle of Provence-Alpes-Côte d'Azur."""
PACA_BOUNDS = ((42.95, 4.2), (45.15, 7.75))
MIN_ZOOM = 7
CLUSTER_OFF_ZOOM = 15
"""From this zoom on, only markers that overlap are grouped (cells of 20 px instead of 64)."""
CLUSTER_CELL_PX = 64
"""Side of a clustering cell in screen pixels below :data:`CLUSTER_OFF_ZOOM`."""

DEFAULT_LEGAL_FORM_LABELS = {
    "association": "Association",
    "cooperative": "Coopérative",
    "mutuelle": "Mutuelle",
    "fondation": "Fondation",
    "entreprise-ess": "Entreprise de l’ESS",
    "collectivite": "Collectivité",
    "autre": "Autre",
    "": "Non précisée",
}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "filters": "Filtrer les acteurs",
        "search": "Rechercher (nom, description)",
        "search_placeholder": "ex. jardin, recyclerie…",
        "themes": "Thèmes",
        "legal_forms": "Forme juridique",
        "commune": "Commune",
        "commune_placeholder": "Tapez le nom d’une commune",
        "stop": "Étape du tour",
        "all_stops": "Toutes les étapes",
        "reset": "Réinitialiser",
        "result_one": "{n} acteur",
        "result_many": "{n} acteurs",
        "result_none": "Aucun acteur ne correspond",
        "visible_only": "Seulement ce qui est visible sur la carte",
        "visible_count": "{n} visibles sur la carte",
        "directory": "Annuaire des acteurs",
        "page": "Page {p} sur {n}",
        "pagination": "Pages de résultats",
        "previous": "Précédent",
        "next": "Suivant",
        "show_on_map": "Voir sur la carte",
        "actor_page": "Fiche de l’acteur",
        "website": "Site web",
        "email": "Courriel",
        "phone": "Téléphone",
        "no_location": "Pas de localisation précise",
        "legend": "Légende",
        "layer_actors": "Acteurs",
        "layer_communes": "Communes (nombre d’acteurs)",
        "layer_departments": "Départements",
        "layer_stops": "Étapes du tour",
        "base_osm": "OpenStreetMap France",
        "base_positron": "CartoDB Positron",
        "base_none": "Sans fond de carte (contours)",
        "stop_actors_one": "{n} acteur recensé à cette étape",
        "stop_actors_many": "{n} acteurs recensés à cette étape",
        "filter_stop": "Afficher les acteurs de cette étape",
        "filter_commune": "Afficher les acteurs de cette commune",
        "commune_actors": "{name} : {n} acteur(s)",
        "toggle_filters": "Filtres",
        "skip_to_directory": "Aller à l’annuaire des acteurs",
        "skip_to_filters": "Aller aux filtres",
        "map_label": "Carte des acteurs",
        "count_scale": "Acteurs par commune",
        "unknown_commune": "Commune inconnue : choisissez-la dans la liste",
        "new_only": "Nouveaux depuis la dernière étape",
        "new_badge": "Nouveau",
        "here_count": "{n} acteurs à cet endroit",
        "more_in_directory": "… et {n} autres : voir l’annuaire",
    },
    "en": {
        "filters": "Filter actors",
        "search": "Search (name, description)",
        "search_placeholder": "e.g. garden, repair…",
        "themes": "Themes",
        "legal_forms": "Legal form",
        "commune": "Municipality",
        "commune_placeholder": "Type a municipality name",
        "stop": "Tour stop",
        "all_stops": "All stops",
        "reset": "Reset",
        "result_one": "{n} actor",
        "result_many": "{n} actors",
        "result_none": "No actor matches",
        "visible_only": "Only what is visible on the map",
        "visible_count": "{n} visible on the map",
        "directory": "Directory of actors",
        "page": "Page {p} of {n}",
        "pagination": "Result pages",
        "previous": "Previous",
        "next": "Next",
        "show_on_map": "Show on the map",
        "actor_page": "Actor page",
        "website": "Website",
        "email": "Email",
        "phone": "Phone",
        "no_location": "No precise location",
        "legend": "Legend",
        "layer_actors": "Actors",
        "layer_communes": "Municipalities (number of actors)",
        "layer_departments": "Departments",
        "layer_stops": "Tour stops",
        "base_osm": "OpenStreetMap France",
        "base_positron": "CartoDB Positron",
        "base_none": "No base map (outlines)",
        "stop_actors_one": "{n} actor surveyed at this stop",
        "stop_actors_many": "{n} actors surveyed at this stop",
        "filter_stop": "Show the actors of this stop",
        "filter_commune": "Show the actors of this municipality",
        "commune_actors": "{name}: {n} actor(s)",
        "toggle_filters": "Filters",
        "skip_to_directory": "Skip to the directory",
        "skip_to_filters": "Skip to the filters",
        "map_label": "Map of actors",
        "count_scale": "Actors per municipality",
        "unknown_commune": "Unknown municipality: pick one from the list",
        "new_only": "New since the last stop",
        "new_badge": "New",
        "here_count": "{n} actors at this place",
        "more_in_directory": "… and {n} more: see the directory",
    },
}
"""Interface text; French is the site language, English a variant (``labels="en"``)."""

_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
_ICON_NAME = re.compile(r"^[a-z0-9-]{1,40}\Z")
_FALLBACK_COLOURS = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
)
_AUTRE = {"slug": "autre", "label": "Autre", "colour": "#777777", "icon": "dot"}


# --------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------

_MAP_CSS = ("leaflet/leaflet.css", "safi-map.css")
_MAP_JS = ("leaflet/leaflet.js", "safi-icons.js", "safi-cluster.js", "safi-hours.js", "safi-map.js")
_MINI_CSS = ("leaflet/leaflet.css", "safi-map.css")
_MINI_JS = ("leaflet/leaflet.js", "safi-icons.js", "safi-mini.js")


def _asset_source(rel: str) -> Path:
    for a in _assets():
        if a.rel == rel:
            return a.source
    raise KeyError(rel)


def _css_inlined(rel: str) -> str:
    """A stylesheet with its relative ``url(...)`` images turned into data URIs."""
    text = _asset_source(rel).read_text(encoding="utf-8")
    base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""

    def repl(m: re.Match[str]) -> str:
        url = m.group(2)
        if url.startswith(("data:", "http:", "https:", "#")):
            return m.group(0)
        try:
            data = _asset_source(base + url).read_bytes()
        except KeyError:
            return m.group(0)
        mime = "image/png" if url.endswith(".png") else "image/svg+xml"
        return f"url({m.group(1)}data:{mime};base64,{base64.b64encode(data).decode()}{m.group(1)})"

    text = re.sub(r"url\((['\"]?)([^'\")]+)\1\)", repl, text)
    # Inline <style> must never contain a closing tag.
    return text.replace("</", "<\\/")


def _js_inlined(rel: str) -> str:
    text = _asset_source(rel).read_text(encoding="utf-8")
    # Drop source-map comments (the map file is not there) and protect the <script> element.
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    return text.replace("</script", "<\\/script")


# --------------------------------------------------------------------------------------------
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

        c = gazetteer.communes()
    except Exception as exc:  # gazetteer missing: stops are placed from their actors instead
        logger.warning(_("gazetteer unavailable, tour stops placed from their actors: %s"), exc)
        return {}
    return {
        code: (float(lat), float(lon), str(name))
        for code, lat, lon, name in zip(
            c["code_insee"], c["latitude"], c["longitude"], c["nom"], strict=True
        )
    }


def map_payload(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    actor_url: str = DEFAULT_ACTOR_URL,
    description_chars: int = 160,
    new_ids: Collection[str] | None = None,
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
    """
    pub = public_actors(actors) if len(actors) else actors.copy()
    themes = _themes_of(taxonomy)
    theme_index = {t["slug"]: i for i, t in enumerate(themes)}
    legal_labels = _legal_form_labels(taxonomy)
    stops = _stops_of(tour)
    stop_index = {s["id"]: i for i, s in enumerate(stops)}

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
    lat_raw, lon_raw = col("latitude"), col("longitude")
    if "geometry" in pub.columns and n:
        geoms = pub.geometry.tolist()
        geoms = [geoms[i] for i in order]
    else:
        geoms = [None] * n

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

    # Themes: unknown slugs and actors without theme fall under "autre".
    actor_themes: list[list[int]] = []
    for raw in col("themes"):
        slugs = _as_list(raw)
        idx = []
        for s in slugs or ["autre"]:
            if s not in theme_index:
                if "autre" not in theme_index:
                    theme_index["autre"] = len(themes)
                    themes.append(dict(_AUTRE))
                s = "autre"
            if theme_index[s] not in idx:
                idx.append(theme_index[s])
        actor_themes.append(idx)

    legal_raw = [_str(v) for v in col("legal_form")]
    legal_slugs = sorted(
        set(legal_raw), key=lambda s: (s == "", s == "autre", fold(legal_labels.get(s) or s))
    )
    legal_index = {s: i for i, s in enumerate(legal_slugs)}

    codes = [_str(v) for v in col("insee_code")]
    commune_names = [_str(v) for v in col("commune")]
    deps = [_str(v) for v in col("department")]
    commune_info: dict[str, tuple[str, str]] = {}
    for code, name, dep in zip(codes, commune_names, deps, strict=True):
        if code and code not in commune_info:
            commune_info[code] = (name or code, dep or code[:2])
    commune_codes = sorted(commune_info, key=lambda c: (fold(commune_info[c][0]), c))
    commune_index = {c: i for i, c in enumerate(commune_codes)}

    actor_stops: list[list[int]] = []
    stop_counts = [0] * len(stops)
    for raw in col("stops"):
        idx = sorted({stop_index[s] for s in _as_list(raw) if s in stop_index})
        for j in idx:
            stop_counts[j] += 1
        actor_stops.append(idx)

    points = _commune_points() if stops else {}
    stop_rows: list[dict[str, Any]] = []
    for j, stop in enumerate(stops):
        lat: int | None = None
        lon: int | None = None
        if stop["insee_code"] in points:
            la, lo, _unused = points[stop["insee_code"]]
            lat, lon = round(la * 1e5), round(lo * 1e5)
        else:  # no gazetteer point: the median of the actors surveyed there, in that town
            town = fold(stop["town"])
            ys = sorted(
                y for i, y in enumerate(lats)
                if y is not None and j in actor_stops[i] and fold(commune_names[i]).startswith(town)
            )
            xs = sorted(
                x for i, x in enumerate(lons)
                if x is not None and j in actor_stops[i] and fold(commune_names[i]).startswith(town)
            )
            if ys:
                lat, lon = ys[len(ys) // 2], xs[len(xs) // 2]
        stop_rows.append({**stop, "lat": lat, "lon": lon, "count": stop_counts[j]})

    payload: dict[str, Any] = {
        "version": 1,
        "actor_url": actor_url,
        "themes": themes,
        "legal_forms": [{"slug": s, "label": legal_labels.get(s, s)} for s in legal_slugs],
        "communes": [
            {"code": c, "name": commune_info[c][0], "dep": commune_info[c][1]} for c in commune_codes
        ],
        "stops": stop_rows,
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
    hours = weekly_payload(col("opening_hours"))  # [[i, open minutes]], see safi-hours.js
    if hours:
        payload["actors"]["hours"] = hours
    if new_ids:
        wanted = {str(x) for x in new_ids}
        marked = [i for i, aid in enumerate(ids) if aid in wanted]
        if marked:
            payload["actors"]["new"] = marked
        logger.debug("%d of %d new actors are on the map", len(marked), len(wanted))
    return payload


def _json_for_script(obj: Any) -> str:
    """JSON safe inside an HTML ``<script>`` element (cannot close it or open a comment)."""
    return _escape_json(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    )


def _escape_json(text: str) -> str:
    """Escape ``<``, ``>``, ``&`` and U+2028/2029 of JSON text (valid JSON string escapes)."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


GZIP_THRESHOLD = 200_000
"""Data blocks larger than this (characters of JSON) are embedded gzip-compressed."""


def data_block(obj: Any, block_id: str, *, encoding: str = "auto") -> str:
    """A ``<script>`` data block holding ``obj``: never executed, safe for any survey text.

    ``encoding="json"`` writes escaped JSON (``type="application/json"``); ``"gzip"`` writes
    base64 of gzipped JSON (``type="application/gzip"``, decoded in the browser with
    ``DecompressionStream``): 50,000 actors take about a third of the space. ``"auto"`` picks
    gzip above :data:`GZIP_THRESHOLD`. Output is deterministic (gzip mtime 0).
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", block_id):
        raise ValueError(_("invalid data block id {block_id!r}").format(block_id=block_id))
    if encoding not in ("auto", "json", "gzip"):
        raise ValueError(_("unknown data encoding {encoding!r} (json, gzip or auto)").format(
                             encoding=encoding))
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    if encoding == "auto":
        encoding = "gzip" if len(raw) > GZIP_THRESHOLD else "json"
    if encoding == "json":
        return f'<script type="application/json" id="{block_id}">{_escape_json(raw)}</script>'
    packed = base64.b64encode(gzip.compress(raw.encode("utf-8"), compresslevel=6, mtime=0))
    return f'<script type="application/gzip" data-encoding="base64" id="{block_id}">{packed.decode("ascii")}</script>'


def embedded_data(page: str, block_id: str = "safi-data") -> Any:
    """Read back a data block written by :func:`data_block` (for tests and exports)."""
    m = re.search(
        rf'<script type="(application/json|application/gzip)"(?: data-encoding="base64")? id="{re.escape(block_id)}">(.*?)</script>',
        page,
        re.DOTALL,
    )
    if not m:
        raise KeyError(block_id)
    if m.group(1) == "application/json":
        return json.loads(m.group(2))
    return json.loads(gzip.decompress(base64.b64decode(m.group(2))).decode("utf-8"))


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


# --------------------------------------------------------------------------------------------
# folium elements
# --------------------------------------------------------------------------------------------

class _SafiElement(JSCSSMixin, MacroElement):
    """Base of our elements: local assets only (the map declares them, see :func:`actor_map`)."""


class ActorLayer(_SafiElement):
    """The actors: one JSON block, markers made in the browser, clustered in bulk.

    Creates the ``SafiMap`` application object for the map; the other elements attach to it.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {{ this.data_block }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = SafiMap.create({{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self, payload: dict[str, Any], *, data_id: str = "safi-data", encoding: str = "auto",
        **options: Any,
    ):
        super().__init__()
        self._name = "ActorLayer"
        self.data_id = data_id
        self.data_block = data_block(payload, data_id, encoding=encoding)
        self.options_json = _json_for_script({"data_id": data_id, **options})


class _AppElement(_SafiElement):
    """An element that calls one method of the ``SafiMap`` application object."""

    method = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.app.get_name() }}.{{ this.method }}({{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, app: ActorLayer, **options: Any):
        super().__init__()
        self._name = type(self).__name__
        self.app = app
        self.options_json = _json_for_script(options)


class FilterPanel(_AppElement):
    """Themes, legal forms, commune, stop and free text, with live counts and a reset."""

    method = "addFilterPanel"


class Directory(_AppElement):
    """The accessible list of results next to the map, paginated, synced with filters/view."""

    method = "addDirectory"


class Legend(_AppElement):
    """Theme colours and icons, and the scale of the commune choropleth."""

    method = "addLegend"


class StopsLayer(_AppElement):
    """Tour stops: date, venue and number of actors surveyed there."""

    method = "addStops"


class BaseLayers(_AppElement):
    """Base maps (OSM France, CartoDB Positron, none) and the layer control."""

    method = "addBaseLayers"


class UrlState(_AppElement):
    """Filters, view and selected actor kept in the URL hash; back/forward work."""

    method = "addUrlState"


class BoundaryLayers(_SafiElement):
    """Commune choropleth of actor counts and department outlines (data in a JSON block)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {{ this.data_block }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.app.get_name() }}.addBoundaries({{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self, app: ActorLayer, boundaries: dict[str, Any], *, data_id: str = "safi-boundaries",
        encoding: str = "auto",
    ):
        super().__init__()
        self._name = "BoundaryLayers"
        self.app = app
        self.data_id = data_id
        self.data_block = data_block(boundaries, data_id, encoding=encoding)
        self.options_json = _json_for_script({"data_id": data_id})


def _labels(labels: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(labels, str):
        return dict(LABELS.get(labels, LABELS["fr"]))
    out = dict(LABELS["fr"])
    out.update({str(k): str(v) for k, v in labels.items()})
    return out


def _deterministic_ids(root: Element) -> None:
    """Replace folium's random element ids by sequential ones (byte-identical output)."""
    counter = 0

    def walk(el: Element) -> None:
        nonlocal counter
        counter += 1
        el._id = f"{counter:04d}"
        for child in el._children.values():
            walk(child)

    walk(root)


def _set_assets(el: Element, asset_prefix: str) -> None:
    """Point every element of the tree at local assets (no CDN)."""
    if isinstance(el, folium.Map):
        el.default_js = [(f"safi-js-{i}", asset_prefix + rel) for i, rel in enumerate(_MAP_JS)]
        el.default_css = [(f"safi-css-{i}", asset_prefix + rel) for i, rel in enumerate(_MAP_CSS)]
    elif isinstance(el, JSCSSMixin):
        el.default_js = []
        el.default_css = []
    for child in el._children.values():
        _set_assets(child, asset_prefix)


def actor_map(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    asset_prefix: str = "assets/",
    actor_url: str = DEFAULT_ACTOR_URL,
    inline_assets: bool = False,
    labels: str | Mapping[str, str] = "fr",
    panel_id: str | None = None,
    directory_id: str | None = None,
    boundaries: bool = True,
    link_target: str = "",
    description_chars: int = 160,
    data_encoding: str = "auto",
    new_ids: Collection[str] | None = None,
    payload: dict[str, Any] | None = None,
) -> folium.Map:
    """The filterable actor map as a ``folium.Map`` (usable alone, e.g. in a notebook).

    Without ``panel_id`` the filter panel is a Leaflet control inside the map; without
    ``directory_id`` there is no directory (:func:`render_map_page` provides both containers).
    With ``inline_assets`` the scripts and styles are inlined when rendered through
    :func:`render_map_page`; a bare ``folium.Map`` always links to ``asset_prefix``, so copy the
    assets next to it with :func:`copy_assets`. ``new_ids``: see :func:`map_payload`.
    ``payload``: a :func:`map_payload` already computed for these arguments (the site renders
    two pages from one).
    """
    if payload is None:
        payload = map_payload(
            actors, taxonomy=taxonomy, tour=tour, actor_url=actor_url,
            description_chars=description_chars, new_ids=new_ids,
        )
    lab = _labels(labels)
    m = folium.Map(
        location=list(PACA_CENTER),
        zoom_start=8,
        tiles=None,
        control_scale=True,
        maxZoom=MAX_ZOOM,
        minZoom=MIN_ZOOM,
        zoomSnap=0.5,
    )
    m._safi_inline = inline_assets  # type: ignore[attr-defined]
    app = ActorLayer(
        payload,
        encoding=data_encoding,
        labels=lab,
        bounds=[list(PACA_BOUNDS[0]), list(PACA_BOUNDS[1])],
        cluster_off_zoom=CLUSTER_OFF_ZOOM,
        cluster_cell=CLUSTER_CELL_PX,
        link_target=link_target,
    )
    m.add_child(app)
    m.add_child(BaseLayers(app, bases=[dict(b) for b in BASE_MAPS]))
    if boundaries:
        m.add_child(BoundaryLayers(app, _boundaries_payload(), encoding=data_encoding))
    m.add_child(StopsLayer(app))
    # One live region announces the result count: the directory's when there is one.
    m.add_child(FilterPanel(app, container=panel_id or "", live=not directory_id))
    if directory_id:
        m.add_child(Directory(app, container=directory_id))
    m.add_child(Legend(app, open=not panel_id))
    m.add_child(UrlState(app))
    _set_assets(m, asset_prefix)
    _deterministic_ids(m.get_root())
    return m


# --------------------------------------------------------------------------------------------
# Pages and CSP
# --------------------------------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script>", re.DOTALL)


def inline_script_hashes(page: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of every inline, executable script of ``page``.

    Scripts with ``src`` or with a non-JavaScript ``type`` (our JSON data blocks) are skipped:
    the browser does not execute them, so CSP does not apply to them.
    """
    hashes = []
    for m in _INLINE_SCRIPT.finditer(page):
        attrs = m.group("attrs")
        if re.search(r"\bsrc\s*=", attrs):
            continue
        t = re.search(r"\btype\s*=\s*[\"']?([^\"'\s>]+)", attrs)
        if t and t.group(1).lower() not in {"text/javascript", "module", "application/javascript"}:
            continue
        digest = hashlib.sha256(m.group("body").encode("utf-8")).digest()
        h = f"'sha256-{base64.b64encode(digest).decode()}'"
        if h not in hashes:
            hashes.append(h)
    return hashes


def content_security_policy(script_hashes: Sequence[str] = (), *, img_sources: Sequence[str] = CSP_IMG_SOURCES) -> str:
    """The Content-Security-Policy of our pages (for a ``<meta http-equiv>``).

    ``'self'`` serves the copied assets; inline scripts are allowed only by hash; inline
    styles are allowed because Leaflet positions tiles and markers with ``style`` attributes.
    """
    script = " ".join(["'self'", *script_hashes])
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {' '.join(img_sources)}; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


_CSP_PLACEHOLDER = "<!--safi-csp-->"


def _with_csp(page: str) -> str:
    policy = content_security_policy(inline_script_hashes(page))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'
    return page.replace(_CSP_PLACEHOLDER, meta, 1)


_FOLIUM_VIEWPORT = re.compile(r"<meta name=\"viewport\"[^>]*>", re.DOTALL)
_LINK_TAG = re.compile(r"\s*<link rel=\"stylesheet\" href=\"([^\"]+)\"\s*/?>")
_SCRIPT_SRC_TAG = re.compile(r"\s*<script src=\"([^\"]+)\"></script>")


def _dedent_blank(text: str) -> str:
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


def render_map_page(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    title: str,
    header_html: str = "",
    footer_html: str = "",
    asset_prefix: str = "assets/",
    actor_url: str = DEFAULT_ACTOR_URL,
    inline_assets: bool = False,
    embed: bool = False,
    labels: str | Mapping[str, str] = "fr",
    lang: str = "fr",
    description_chars: int = 160,
    data_encoding: str = "auto",
    new_ids: Collection[str] | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """A complete HTML document: map, filter panel and directory, with its CSP.

    Parameters
    ----------
    header_html, footer_html
        Trusted HTML of the site navigation (inserted as is; never survey text).
    asset_prefix
        URL prefix of the copied assets (``copy_assets(out / "assets")``), e.g. ``"../assets/"``.
    inline_assets
        Inline every script, style and image: one file that works with no network at all.
    embed
        The page for an ``<iframe>``: map and filters only, links open in the parent page.
    new_ids
        Ids of the actors new since the last stop (``changes.new``): a "Nouveaux depuis la
        dernière étape (N)" filter, combinable with the others, "Nouveau" badges on cards and
        popups, ``n=1`` in the URL. ``None`` or empty: no such filter.
    """
    lab = _labels(labels)
    m = actor_map(
        actors, taxonomy=taxonomy, tour=tour, asset_prefix=asset_prefix, actor_url=actor_url,
        inline_assets=inline_assets, labels=labels, panel_id="safi-panel",
        directory_id=None if embed else "safi-directory",
        link_target="_top" if embed else "", description_chars=description_chars,
        data_encoding=data_encoding, new_ids=new_ids, payload=payload,
    )
    fig: Any = m.get_root()
    fig.render()
    head = fig.header.render()
    body = fig.html.render()
    script = fig.script.render()
    head = _FOLIUM_VIEWPORT.sub("", head)
    css_links = _LINK_TAG.findall(head)
    js_links = _SCRIPT_SRC_TAG.findall(head)
    head = _SCRIPT_SRC_TAG.sub("", _LINK_TAG.sub("", head))
    head = head.replace('<meta http-equiv="content-type" content="text/html; charset=UTF-8" />', "")
    for url in css_links + js_links:
        if not url.startswith(asset_prefix) or "://" in url[len(asset_prefix):]:
            raise ValueError(_("unexpected non-local asset {url!r}").format(url=url))

    def rel(url: str) -> str:
        return url[len(asset_prefix):]

    if inline_assets:
        styles = "\n".join(f"<style>\n{_css_inlined(rel(u))}\n</style>" for u in css_links)
        scripts = "\n".join(f"<script>\n{_js_inlined(rel(u))}\n</script>" for u in js_links)
    else:
        styles = "\n".join(f'<link rel="stylesheet" href="{html.escape(u)}">' for u in css_links)
        scripts = "\n".join(f'<script src="{html.escape(u)}"></script>' for u in js_links)

    e = html.escape
    page_class = "safi-page safi-embed" if embed else "safi-page"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        _CSP_PLACEHOLDER,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(title)}</title>",
        styles,
        _dedent_blank(head),
        "</head>",
        f'<body class="{page_class}">',
        '<div class="safi-skip">',
        f'<a href="#safi-panel">{e(lab["skip_to_filters"])}</a>',
        "" if embed else f'<a href="#safi-directory">{e(lab["skip_to_directory"])}</a>',
        "</div>",
        "" if embed or not header_html else f'<header class="safi-header">{header_html}</header>',
        '<main class="safi-layout" id="safi-main">',
        '<div class="safi-side">',
        f'<button type="button" class="safi-toggle" aria-expanded="false" aria-controls="safi-panel">{e(lab["toggle_filters"])}</button>',
        f'<section id="safi-panel" class="safi-panel" tabindex="-1" aria-label="{e(lab["filters"])}"></section>',
        "" if embed else (
            '<section id="safi-directory" class="safi-directory" tabindex="-1" '
            f'aria-labelledby="safi-directory-title"><h2 id="safi-directory-title">{e(lab["directory"])}</h2></section>'
        ),
        "</div>",
        f'<div class="safi-map" role="region" aria-label="{e(lab["map_label"])}">',
        _dedent_blank(body),
        "</div>",
        "</main>",
        "" if embed or not footer_html else f'<footer class="safi-footer">{footer_html}</footer>',
        scripts,
        f"<script>\n{_dedent_blank(script)}\n</script>",
        "</body>",
        "</html>",
        "",
    ]
    page = "\n".join(p for p in parts if p)
    return _with_csp(page)


def mini_map_head(asset_prefix: str = "assets/") -> str:
    """``<link>``/``<script>`` tags an actor page needs for :func:`mini_map_html` (no inline JS).

    Put the returned tags in the page ``<head>`` (scripts are ``defer``). The page's CSP can be
    :func:`content_security_policy` with no hashes: the mini map has no inline script.
    """
    e = html.escape
    css = "".join(f'<link rel="stylesheet" href="{e(asset_prefix + r)}">' for r in _MINI_CSS)
    js = "".join(f'<script defer src="{e(asset_prefix + r)}"></script>' for r in _MINI_JS)
    return css + js


def mini_map_html(
    latitude: float | None,
    longitude: float | None,
    *,
    label: str = "",
    colour: str = "#1b9e77",
    icon: str = "dot",
    zoom: int = 13,
    base: str = "osm",
    height: str = "220px",
) -> str:
    """A small static-position map for an actor page (a ``<div>`` read by ``safi-mini.js``).

    Returns ``""`` when there is no location. Everything is in ``data-`` attributes (escaped),
    so the page needs no inline script. ``label`` is survey text: it is escaped here and set
    with ``textContent``/``title`` in the browser.
    """
    try:
        lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if math.isnan(lat) or math.isnan(lon):
        return ""
    colour = colour if _HEX_COLOUR.match(colour) else "#1b9e77"
    icon = icon if _ICON_NAME.match(icon) else "dot"
    base_map = next((b for b in BASE_MAPS if b["id"] == base), BASE_MAPS[0])
    height = height if re.fullmatch(r"\d{1,4}(px|rem|em|vh)", height) else "220px"
    e = html.escape
    return (
        f'<div class="safi-mini-map" style="height:{height}" role="img" '
        f'aria-label="{e("Carte : " + label if label else "Carte")}" '
        f'data-lat="{lat:.6f}" data-lon="{lon:.6f}" data-zoom="{int(zoom)}" '
        f'data-label="{e(label)}" data-colour="{e(colour)}" data-icon="{e(icon)}" '
        f'data-tiles="{e(base_map["url"])}" data-subdomains="{e(base_map["subdomains"])}" '
        f'data-attribution="{e(base_map["attribution"])}"></div>'
    )
