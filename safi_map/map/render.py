"""The filterable regional actor map: folium elements, one embedded data set, local assets.

Why it is built this way
------------------------
* **One data set, not one folium marker per actor.** The actors are embedded once as compact
  columnar JSON in a ``<script type="application/json">`` block (never executed, escaped so survey
  text cannot close it); above 200 kB it is gzipped and base64-encoded (``application/gzip``,
  decoded with the browser's ``DecompressionStream``). 50,000 actors take about 2 MB.
* **Our own clusterer, not Leaflet.markercluster.** markercluster builds a marker hierarchy for
  every zoom level when markers are added (about 1 s for 50,000 actors on a small machine, and
  again after each filter). ``cluster.js`` projects the points once to Web-Mercator in
  typed arrays and, on each redraw, groups the currently filtered points of the viewport on a
  grid of screen-sized cells (O(n) with one ``Map``), drawing only the clusters and points in
  view. Clicking a cluster zooms to it; actors that share a place are listed in a popup.
  Filters compute the matching set over typed arrays (``bench/bench_map.py`` has the figures).
* **No CDN at view time.** folium's default assets (jQuery, Bootstrap, Leaflet from CDNs) are
  replaced by local copies that :func:`copy_assets` puts in ``<out>/assets/`` (Leaflet from the
  ``xstatic-leaflet`` package, our own JS/CSS from ``resources/static/map``), or
  inlined with ``inline_assets=True`` for a single file that works with no network.
* **A strict Content-Security-Policy.** The page carries a CSP meta tag whose ``script-src``
  lists the SHA-256 of every inline script actually emitted (computed after rendering), so
  injected markup could not run even if escaping failed somewhere.
* **Survey text is untrusted.** It only reaches the page inside the escaped JSON block; the
  browser side builds popups and cards with ``textContent`` and only allows
  http(s)/mailto/tel links.

Public API (stable; used by ``site.py`` and ``export.py``): :func:`copy_assets`,
:func:`map_payload`, :func:`actor_map`, :func:`render_map_page`,
:func:`content_security_policy`, :func:`inline_script_hashes`, :func:`data_block`,
:func:`embedded_data`.

Where the code is
-----------------
This module only gathers the public names. The work is in focused modules:
:mod:`safi_map.map.payload` (the embedded data: consent gate, columnar actors, outlines),
:mod:`safi_map.map.elements` (folium elements, data blocks, :func:`actor_map`),
:mod:`safi_map.map.page` (the HTML page, inlined assets, CSP), :mod:`safi_map.map.labels`
(interface text), :mod:`safi_map.map.events` (the agenda's events: the "Rendez-vous" layer) and
:mod:`safi_map.map.assets` (the files copied into a site). The browser side
is ``resources/static/map/``: ``core.js`` and one script per control.
"""

from __future__ import annotations

from safi_map.map.assets import (
    BASE_MAPS,
    CSP_IMG_SOURCES,
    MAP_SCRIPTS,
    MAP_STYLES,
    MAX_ZOOM,
    asset_files,
    copy_assets,
)
from safi_map.map.elements import (
    CLUSTER_CELL_PX,
    CLUSTER_OFF_ZOOM,
    GZIP_THRESHOLD,
    MIN_ZOOM,
    PACA_BOUNDS,
    PACA_CENTER,
    ActorLayer,
    BaseLayers,
    BoundaryLayers,
    Directory,
    Downloads,
    EventsLayer,
    FilterPanel,
    Legend,
    NearMe,
    StopsLayer,
    UrlState,
    actor_map,
    data_block,
    embedded_data,
)
from safi_map.map.labels import LABELS
from safi_map.map.page import content_security_policy, inline_script_hashes, render_map_page
from safi_map.map.payload import (
    DEFAULT_ACTOR_URL,
    DEFAULT_LEGAL_FORM_LABELS,
    _boundaries_payload,
    _compute_boundaries_payload,  # safi_map.geo.derived computes the shipped outlines with it
    map_payload,
)

__all__ = [
    "BASE_MAPS",
    "CLUSTER_CELL_PX",
    "CLUSTER_OFF_ZOOM",
    "CSP_IMG_SOURCES",
    "DEFAULT_ACTOR_URL",
    "DEFAULT_LEGAL_FORM_LABELS",
    "GZIP_THRESHOLD",
    "LABELS",
    "MAP_SCRIPTS",
    "MAP_STYLES",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "PACA_BOUNDS",
    "PACA_CENTER",
    "ActorLayer",
    "BaseLayers",
    "BoundaryLayers",
    "Directory",
    "Downloads",
    "EventsLayer",
    "FilterPanel",
    "Legend",
    "NearMe",
    "StopsLayer",
    "UrlState",
    "_boundaries_payload",
    "_compute_boundaries_payload",
    "actor_map",
    "asset_files",
    "content_security_policy",
    "copy_assets",
    "data_block",
    "embedded_data",
    "inline_script_hashes",
    "map_payload",
    "render_map_page",
]
