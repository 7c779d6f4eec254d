"""The map's static side: base map tiles, the image sources a page's CSP allows, and the
script and style files copied into a site.

Kept apart from :mod:`safi_map.map.render` (which builds on folium) so that the site builder can copy
the assets and write its Content-Security-Policy without importing folium: with a large site
the map pages are rendered by a forked worker, and the parent never needs folium at all.
:mod:`safi_map.map.render` re-exports every name here.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "BASE_MAPS",
    "CSP_IMG_SOURCES",
    "MAP_SCRIPTS",
    "MAP_STYLES",
    "MAX_ZOOM",
    "asset_files",
    "copy_assets",
    "site_static_files",
]

logger = logging.getLogger("safi_map.map.render")

MAX_ZOOM = 18

CSP_IMG_SOURCES = (
    "'self'",
    "data:",
    "https://*.tile.openstreetmap.fr",
    "https://*.basemaps.cartocdn.com",
)

BASE_MAPS: tuple[dict[str, Any], ...] = (
    {
        "id": "osm",
        "url": "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
        "attribution": "© les contributeurs d’OpenStreetMap (ODbL), tuiles OSM France",
        "subdomains": "abc",
        "max_zoom": 19,
    },
    {
        "id": "positron",
        "url": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "attribution": "© les contributeurs d’OpenStreetMap, © CARTO",
        "subdomains": "abcd",
        "max_zoom": 20,
    },
    {"id": "none", "url": "", "attribution": "", "subdomains": "", "max_zoom": MAX_ZOOM},
)


MAP_SCRIPTS = (
    "leaflet/leaflet.js",
    "map/icons.js",
    "map/cluster.js",
    "map/hours.js",
    "map/core.js",
    "map/selection.js",
    "map/popup.js",
    "map/filters.js",
    "map/directory.js",
    "map/legend.js",
    "map/boundaries.js",
    "map/stops.js",
    "map/layers.js",
    "map/url-state.js",
    "map/near.js",
    "map/download.js",
)
"""The map page's scripts (under ``assets/``), in load order: classic scripts, not ES modules
(Chrome refuses module scripts from ``file://``). ``core.js`` makes ``window.SafiMap``; each
control file after it registers on it (see the head of ``core.js``)."""

MAP_STYLES = ("leaflet/leaflet.css", "map/map.css")
"""The map page's stylesheets (under ``assets/``)."""


def _static_dir(owner: str) -> Path:
    """``resources/static/map`` (the map's files) or ``resources/static/site`` (the pages')."""
    return Path(str(resources.files("safi_map") / "resources" / "static" / owner))


def site_static_files() -> list[tuple[str, Path]]:
    """(name, path) of the site pages' own scripts and styles, in name order.

    They are published under ``assets/site/``; the map's files (:func:`copy_assets`) under
    ``assets/map/``.
    """
    base = _static_dir("site")
    return [(p.name, p) for p in sorted(base.iterdir(), key=lambda p: p.name)
            if p.is_file() and not p.name.startswith(".")]


@dataclass(frozen=True)
class _Asset:
    rel: str  # path under assets/
    source: Path


def _xstatic_dir(module: str) -> Path:
    import importlib

    mod = importlib.import_module(module)
    return Path(mod.BASE_DIR)


@cache
def _assets() -> tuple[_Asset, ...]:
    leaflet = _xstatic_dir("xstatic.pkg.leaflet")
    static = _static_dir("map")
    out = [
        _Asset("leaflet/leaflet.js", leaflet / "leaflet.js"),
        _Asset("leaflet/leaflet.css", leaflet / "leaflet.css"),
    ]
    out += [
        _Asset(f"leaflet/images/{p.name}", p) for p in sorted((leaflet / "images").glob("*.png"))
    ]
    out += [
        _Asset(f"map/{p.name}", p)
        for p in sorted(static.iterdir())
        if p.is_file() and p.suffix in {".js", ".css", ".svg", ".png"}
    ]
    return tuple(out)


def asset_files() -> list[str]:
    """Relative paths (under ``assets/``) of every file :func:`copy_assets` writes."""
    return [a.rel for a in _assets()]


def copy_assets(dest: Path) -> list[Path]:
    """Copy Leaflet and our map scripts (clusterer included) and styles into ``dest``.

    ``dest`` is the site's ``assets/`` folder (created if needed). Files come from the
    ``xstatic-leaflet`` package and from ``safi_map/resources/static/map``, so nothing is fetched
    from a CDN at view time.

    Returns
    -------
    list of Path
        The files written, in a stable order.
    """
    dest = Path(dest)
    written = []
    for asset in _assets():
        target = dest / asset.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset.source, target)
        written.append(target)
    logger.debug("copied %d map assets into %s", len(written), dest)
    return written
