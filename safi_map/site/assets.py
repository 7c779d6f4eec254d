"""The site's static files: the map's assets (Leaflet included), the site's stylesheet and
scripts, and the department outlines of the small maps."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

from safi_map.core.writer import Writer
from safi_map.map.assets import copy_assets, site_static_files
from safi_map.site.env import json_for_script

__all__ = ["copy_site_assets"]


def _outlines_script() -> str:
    """Department outlines as a script that sets a global: a base map without the network.

    A script file (not a .json fetched at run time) because ``fetch`` is refused from
    ``file://`` pages, and the site must work from a folder.
    """
    ref = resources.files("safi_map") / "resources" / "reference" / "departements_paca.geojson.gz"
    try:
        data = json.loads(gzip.decompress(ref.read_bytes()))
    except (FileNotFoundError, OSError, ValueError):
        data = {"type": "FeatureCollection", "features": []}
    return f"window.SAFI_OUTLINES = {json_for_script(data)};\n"


def _communes_script() -> str:
    """The region's commune outlines (the map's light polygons, 1e-3 degree) as a script that
    sets a global: the small maps draw them, so a page read offline still shows where it is."""
    from safi_map.geo import derived

    communes = derived.load("map-boundaries").get("communes") or {
        "type": "FeatureCollection", "features": []}
    return f"window.SAFI_COMMUNES = {json_for_script(communes)};\n"


def copy_site_assets(writer: Writer) -> dict[str, str]:
    """Copy the map's assets (:func:`safi_map.map.assets.copy_assets`: Leaflet included) and
    the site's own files into ``assets/``.

    Returns the root-relative paths of the Leaflet script and stylesheet for the small maps.
    """
    found: dict[str, str] = {}
    for p in sorted(copy_assets(writer.staging_dir / "assets")):
        rel = writer.adopt(p)
        name = Path(rel).name
        if name in ("leaflet.js", "leaflet.css") and name not in found:
            found[name] = rel
    for name, entry in site_static_files():
        writer.write_bytes(f"assets/site/{name}", entry.read_bytes())
    writer.write_text("assets/site/departements.js", _outlines_script())
    writer.write_text("assets/site/communes.js", _communes_script())
    return found
