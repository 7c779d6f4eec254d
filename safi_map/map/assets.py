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
    "MAP_SOURCES",
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


MAP_SOURCES = (
    "icons.js",
    "cluster.js",
    "hours.js",
    "core.js",
    "selection.js",
    "popup.js",
    "filters.js",
    "directory.js",
    "legend.js",
    "boundaries.js",
    "stops.js",
    "events.js",
    "layers.js",
    "url-state.js",
    "near.js",
    "download.js",
)
"""The map's scripts in ``resources/static/map/``, in load order: classic scripts, not ES
modules (Chrome refuses module scripts from ``file://``). ``core.js`` makes ``window.SafiMap``;
each control file after it registers on it (see the head of ``core.js``). They are published as
one file, ``assets/map/safi-map.js``, their concatenation in this order: one request instead of
fourteen (from ``file://`` the browser reads blocking scripts one after the other; at 50,000
actors separate files delayed the first markers by about 0.2-0.3 s)."""

MAP_SCRIPTS = ("leaflet/leaflet.js", "map/safi-map.js")
"""The map page's scripts (under ``assets/``), in load order."""

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
    sources: tuple[Path, ...]  # one file, or the parts of a concatenated script

    def data(self) -> bytes:
        """The file's bytes (a concatenated script names each part in a comment)."""
        if len(self.sources) == 1:
            return self.sources[0].read_bytes()
        return b"".join(
            f"/* ---- {p.name} ---- */\n".encode() + p.read_bytes().rstrip(b"\n") + b"\n"
            for p in self.sources
        )


def _xstatic_dir(module: str) -> Path:
    import importlib

    mod = importlib.import_module(module)
    return Path(mod.BASE_DIR)


@cache
def _assets() -> tuple[_Asset, ...]:
    leaflet = _xstatic_dir("xstatic.pkg.leaflet")
    static = _static_dir("map")
    out = [
        _Asset("leaflet/leaflet.js", (leaflet / "leaflet.js",)),
        _Asset("leaflet/leaflet.css", (leaflet / "leaflet.css",)),
    ]
    out += [
        _Asset(f"leaflet/images/{p.name}", (p,))
        for p in sorted((leaflet / "images").glob("*.png"))
    ]
    out.append(_Asset("map/safi-map.js", tuple(static / name for name in MAP_SOURCES)))
    # also alone: the actor pages' "Ouvert maintenant" badge needs it without the whole map
    out.append(_Asset("map/hours.js", (static / "hours.js",)))
    out += [
        _Asset(f"map/{p.name}", (p,))
        for p in sorted(static.iterdir())
        if p.is_file() and p.suffix in {".css", ".svg", ".png"}
    ]
    return tuple(out)


def asset_files() -> list[str]:
    """Relative paths (under ``assets/``) of every file :func:`copy_assets` writes."""
    return [a.rel for a in _assets()]


def copy_assets(dest: Path) -> list[Path]:
    """Copy Leaflet, our map script (its parts concatenated) and styles into ``dest``.

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
        if len(asset.sources) == 1:
            shutil.copyfile(asset.sources[0], target)
        else:
            target.write_bytes(asset.data())
        written.append(target)
    logger.debug("copied %d map assets into %s", len(written), dest)
    return written
