"""``integrer.html``: how to embed the map in another site: a form chooses what the map shows
(themes, commune, stop, height), the iframe code follows it with a live preview."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    ctx.write(writer, "integrer.html", "integrer.html", nav="integrer",
              themes=[{"slug": t["slug"], "label": t["label"]} for t in ctx.themes_listed],
              communes=[{"code": c["insee_code"], "name": c["name"]}
                        for c in ctx.communes_sorted],
              stops=[{"id": s["id"], "town": s["town"]} for s in ctx.stops_sorted])
    return Counter(embed=1)
