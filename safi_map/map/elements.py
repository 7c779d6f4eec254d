"""The map as folium elements: one data block of actors, and small elements that each call
one control of the browser side (``resources/static/map/*.js``, one file per control).

Elements follow folium's pattern (a ``script`` macro, assets declared on the map): see
:func:`actor_map`. All assets are local (:mod:`safi_map.map.assets`); no CDN at view time.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from safi_map.core.i18n import _
from safi_map.map.assets import BASE_MAPS, MAP_SCRIPTS, MAP_STYLES, MAX_ZOOM
from safi_map.map.labels import labels_for
from safi_map.map.payload import DEFAULT_ACTOR_URL, _boundaries_payload, map_payload

__all__ = [
    "GZIP_THRESHOLD",
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
    "actor_map",
    "data_block",
    "embedded_data",
]

PACA_CENTER = (43.95, 6.05)
"""Roughly the middle of Provence-Alpes-Côte d'Azur."""
PACA_BOUNDS = ((42.95, 4.2), (45.15, 7.75))
MIN_ZOOM = 7
CLUSTER_OFF_ZOOM = 15
"""From this zoom on, only markers that overlap are grouped (cells of 20 px instead of 64)."""
CLUSTER_CELL_PX = 64
"""Side of a clustering cell in screen pixels below :data:`CLUSTER_OFF_ZOOM`."""


# --------------------------------------------------------------------------------------------
# Data blocks
# --------------------------------------------------------------------------------------------

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


DETAIL_FIELDS = ("desc", "web", "email", "phone")
"""The actors' columns only a popup, the search and the download read: embedded in a second
block (``safi-data-details``), decoded once the map is ready. At 50,000 actors they are two
thirds of the data (descriptions above all), so the map draws its markers and panels without
waiting for them."""
DETAILS_SUFFIX = "-details"


def split_details(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the payload without :data:`DETAIL_FIELDS`, those columns) for the two data blocks."""
    actors = payload.get("actors")
    if not isinstance(actors, dict):
        return payload, {}
    details = {k: actors[k] for k in DETAIL_FIELDS if k in actors}
    core = {**payload, "actors": {k: v for k, v in actors.items() if k not in details}}
    return core, details


def embedded_data(page: str, block_id: str = "safi-data") -> Any:
    """Read back a data block written by :func:`data_block` (for tests and exports); the
    actors' payload comes back whole, its details block merged in."""
    data = _embedded_block(page, block_id)
    if isinstance(data, dict) and isinstance(data.get("actors"), dict):
        with contextlib.suppress(KeyError):  # a page written before the details had a block
            data["actors"].update(_embedded_block(page, f"{block_id}{DETAILS_SUFFIX}"))
    return data


def _embedded_block(page: str, block_id: str) -> Any:
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
        core, details = split_details(payload)
        self.data_block = data_block(core, data_id, encoding=encoding)
        if details:
            self.data_block += data_block(details, f"{data_id}{DETAILS_SUFFIX}",
                                          encoding=encoding)
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


class EventsLayer(_AppElement):
    """"Rendez-vous": the actors' upcoming events (past ones are dropped in the browser)."""

    method = "addEvents"


class BaseLayers(_AppElement):
    """Base maps (OSM France, CartoDB Positron, none) and the layer control."""

    method = "addBaseLayers"


class UrlState(_AppElement):
    """Filters, view and selected actor kept in the URL hash; back/forward work."""

    method = "addUrlState"


class NearMe(_AppElement):
    """"Près de moi": the visitor's position (or a commune typed in) sorts the directory by
    distance and moves the map there."""

    method = "addNearMe"


class Downloads(_AppElement):
    """"Télécharger la sélection": the filtered actors as CSV and GeoJSON, made in the browser
    from the embedded (public) data."""

    method = "addDownloads"


class BoundaryLayers(_SafiElement):
    """Commune choropleth of actor counts and department outlines (data in a JSON block;
    ``boundaries=None``: the packaged ones)."""

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
        self, app: ActorLayer, boundaries: dict[str, Any] | None, *,
        data_id: str = "safi-boundaries", encoding: str = "auto",
    ):
        super().__init__()
        self._name = "BoundaryLayers"
        self.app = app
        self.data_id = data_id
        self.data_block = (_packaged_boundaries_block(data_id, encoding) if boundaries is None
                           else data_block(boundaries, data_id, encoding=encoding))
        self.options_json = _json_for_script({"data_id": data_id})


@cache
def _packaged_boundaries_block(data_id: str, encoding: str) -> str:
    """The data block of the packaged boundaries (``boundaries=None``): the same in every map
    page of a build (the site's map and its embeddable copy), so encoded once."""
    return data_block(_boundaries_payload(), data_id, encoding=encoding)


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
        el.default_js = [(f"safi-js-{i}", asset_prefix + rel) for i, rel in enumerate(MAP_SCRIPTS)]
        el.default_css = [
            (f"safi-css-{i}", asset_prefix + rel) for i, rel in enumerate(MAP_STYLES)
        ]
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
    events: Sequence[Mapping[str, Any]] = (),
) -> folium.Map:
    """The filterable actor map as a ``folium.Map`` (usable alone, e.g. in a notebook).

    Without ``panel_id`` the filter panel is a Leaflet control inside the map; without
    ``directory_id`` there is no directory (:func:`render_map_page` provides both containers).
    With ``inline_assets`` the scripts and styles are inlined when rendered through
    :func:`render_map_page`; a bare ``folium.Map`` always links to ``asset_prefix``, so copy the
    assets next to it with :func:`copy_assets`. ``new_ids``, ``events``: see :func:`map_payload`
    (without events, the page has neither the "Rendez-vous" layer nor its labels).
    ``payload``: a :func:`map_payload` already computed for these arguments (the site renders
    two pages from one).
    """
    if payload is None:
        payload = map_payload(
            actors, taxonomy=taxonomy, tour=tour, actor_url=actor_url,
            description_chars=description_chars, new_ids=new_ids, events=events,
        )
    lab = labels_for(labels)
    if "events" not in payload:  # no event, no byte about them
        lab = {k: v for k, v in lab.items() if not k.startswith("event_")}
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
        m.add_child(BoundaryLayers(app, None, encoding=data_encoding))
    m.add_child(StopsLayer(app))
    if "events" in payload:
        m.add_child(EventsLayer(app))
    # One live region announces the result count: the directory's when there is one.
    m.add_child(FilterPanel(app, container=panel_id or "", live=not directory_id))
    if directory_id:
        m.add_child(Directory(app, container=directory_id))
        m.add_child(NearMe(app, container=directory_id))
    m.add_child(Downloads(app))
    m.add_child(Legend(app, open=not panel_id))
    m.add_child(UrlState(app))
    _set_assets(m, asset_prefix)
    _deterministic_ids(m.get_root())
    return m


# --------------------------------------------------------------------------------------------
# Pages and CSP
