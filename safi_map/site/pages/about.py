"""``a-propos.html`` with the data it offers for download (``donnees/``: GeoJSON, CSV,
GeoPackage of the public actors) and ``accessibilite.html``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from safi_map.core.french import french_number
from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext


def write_downloads(ctx: SiteContext, writer: Writer) -> list[dict[str, Any]]:
    """The public actors as files, sorted by id; their descriptions for the page."""
    from safi_map.ingestion.io import actors_to_geojson, write_actors

    frame = ctx.public.sort_values("actor_id", kind="stable").reset_index(drop=True)
    writer.write_text("donnees/acteurs.geojson", actors_to_geojson(frame))
    write_actors(frame, writer.claim("donnees/acteurs.csv"), "csv")
    write_actors(frame, writer.claim("donnees/acteurs.gpkg"), "gpkg")
    files = [("donnees/acteurs.geojson", "GeoJSON", "pour les outils web et SIG"),
             ("donnees/acteurs.csv", "CSV", "pour les tableurs (UTF-8, séparateur virgule)"),
             ("donnees/acteurs.gpkg", "GeoPackage", "pour QGIS et les SIG")]
    out = []
    for rel, fmt, use in files:
        size = (writer.staging_dir / rel).stat().st_size
        out.append({"url": rel, "format": fmt, "use": use,
                    "size": french_number(size / 1024, 0 if size >= 10240 else 1) + " ko"})
    return out


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    downloads = write_downloads(ctx, writer)
    ctx.write(writer, "a-propos.html", "a-propos.html", downloads=downloads,
              total=len(ctx.actors), nav="apropos")
    ctx.write(writer, "accessibilite.html", "accessibilite.html")
    return Counter(about=2)
