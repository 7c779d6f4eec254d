"""What several pages show: HTML bar charts and the data of the small maps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from safi_map.site.env import BASE_MAP
from safi_map.site.records import Rec

__all__ = ["bars", "map_data", "points", "theme_bars"]


def bars(counter: Mapping[str, int], labels: Mapping[str, str] | None = None,
         urls: Mapping[str, str] | None = None, colours: Mapping[str, str] | None = None,
         *, order: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows of an HTML bar chart: label, count, percentage of the largest, link, colour."""
    keys = list(order) if order is not None else sorted(
        counter, key=lambda k: (-counter[k], (labels or {}).get(k, k))
    )
    peak = max((counter.get(k, 0) for k in keys), default=0) or 1
    total = sum(counter.get(k, 0) for k in keys) or 1
    return [
        {
            "key": k,
            "label": (labels or {}).get(k, k) or "non renseigné",
            "count": counter.get(k, 0),
            "width": round(100 * counter.get(k, 0) / peak, 1),
            "share": round(100 * counter.get(k, 0) / total, 1),
            "url": (urls or {}).get(k, ""),
            "colour": (colours or {}).get(k, "#2f5d8a"),
        }
        for k in keys
    ]


def theme_bars(counter: Mapping[str, int], themes: Mapping[str, Rec]) -> list[dict[str, Any]]:
    """:func:`bars` of a count per theme slug, with each theme's label, page and colour."""
    return bars(counter, {t: themes[t]["label"] for t in counter},
                {t: themes[t]["url"] for t in counter},
                {t: themes[t]["colour"] for t in counter})


def points(actors: Sequence[Rec], ids: Iterable[int], root: str,
           highlight: str = "") -> list[dict[str, Any]]:
    """The located actors among ``ids`` as points of a small map (``current``: the page's)."""
    pts = []
    for i in ids:
        a = actors[i]
        if a["lat"] is None:
            continue
        pts.append({"lat": a["lat"], "lon": a["lon"], "name": a["name"],
                    "url": root + a["url"], "colour": a["colour"],
                    **({"current": True} if a["id"] == highlight else {})})
    return pts


def map_data(pts: list[dict[str, Any]]) -> dict[str, Any]:
    """What a small map's script reads (its points and the tile layer)."""
    return {"points": pts, "tiles": BASE_MAP.get("url", ""),
            "subdomains": BASE_MAP.get("subdomains", ""),
            "attribution": BASE_MAP.get("attribution", ""),
            "max_zoom": BASE_MAP.get("max_zoom", 19)}
