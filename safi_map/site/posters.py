"""The site's ready-made posters: one isolated step of the build.

:func:`write_posters` draws (through :func:`~safi_map.export.poster_set.poster_set` and its content
cache) the A3 posters of every commune, theme and stop with enough actors into ``affiches/``
and returns their URLs (:class:`Posters`), which the commune, theme, stop and statistics pages
link. The site calls it once, after the context is built and before the page families.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from safi_map.core.french import french_date
from safi_map.core.i18n import _
from safi_map.core.settings import Settings
from safi_map.core.text import key
from safi_map.core.writer import Writer
from safi_map.model.taxonomy import Taxonomy
from safi_map.model.tour import Tour
from safi_map.site.records import Records

__all__ = ["POSTERS_AUTO_MAX_ACTORS", "Posters", "write_posters"]

logger = logging.getLogger(__name__)

POSTERS_AUTO_MAX_ACTORS = 2000
"""With ``posters = "auto"``, posters are drawn only up to this many actors."""


@dataclass
class Posters:
    """Site-relative URLs of the ready-made posters, by commune, theme and stop."""

    communes: dict[str, str]
    themes: dict[str, str]
    stops: dict[str, str]
    listing: dict[str, Any]


def write_posters(writer: Writer, actors: gpd.GeoDataFrame, *, taxonomy: Taxonomy, tour: Tour,
                  settings: Settings, model: Records, cache_dir: Path, force: bool = False,
                  auto_max_actors: int = POSTERS_AUTO_MAX_ACTORS) -> Posters | None:
    """Ready-made A3 posters (``affiches/``) of every commune, theme and stop with enough
    actors, rendered through :func:`~safi_map.export.poster_set.poster_set` and its content cache
    (``build/cache/posters`` for ``build/site``): a rebuild renders only the posters whose
    content changed. With ``posters = "auto"`` none are drawn above ``auto_max_actors``."""
    if settings.posters == "auto" and len(actors) > auto_max_actors:
        logger.warning(_("posters skipped: %d actors (more than %d); set [site] posters = true "
                       "in safi-map.toml to draw them anyway"), len(actors),
                       auto_max_actors)
        return None
    if not settings.posters:
        return None
    from safi_map.export.poster_set import poster_set

    minimum = max(1, int(settings.posters_min_actors))
    maximum = int(settings.posters_max_actors)
    folder = writer.staging_dir / "affiches"
    made = poster_set(actors, folder, taxonomy=taxonomy, tour=tour, settings=settings,
                      fmt="pdf", size="A3", orientation="landscape", min_actors=minimum,
                      max_actors=maximum, cache_dir=cache_dir, refresh=force)
    urls: dict[str, dict[str, str]] = {}
    for kind in ("communes", "themes", "stops"):
        urls[kind] = {}
        for key_, rel in sorted(getattr(made, kind).items()):
            urls[kind][key_] = writer.adopt(folder / rel)
    logger.info("posters: %d rendered, %d reused", len(made.paths) - made.reused, made.reused)

    def labelled(kind: str, names: dict[str, str]) -> list[dict[str, str]]:
        return sorted(({"url": url, "label": names.get(k, k)} for k, url in urls[kind].items()),
                      key=lambda d: key(d["label"]))

    listing = {
        "min_actors": minimum,
        "themes": labelled("themes", {s: t["label"] for s, t in model.themes.items()}),
        "stops": sorted(({"url": u, "label": f"{model.stops[k]['town']} "
                          f"({french_date(model.stops[k]['date'])})", "date": model.stops[k]["date"]}
                         for k, u in urls["stops"].items() if k in model.stops),
                        key=lambda d: d["date"]),
        "communes": labelled("communes", {c: v["name"] for c, v in model.communes.items()}),
    }
    return Posters(urls["communes"], urls["themes"], urls["stops"], listing)
