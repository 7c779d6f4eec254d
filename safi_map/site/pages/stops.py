"""One page per stop of the tour (``etapes/<id>.html``): the actors surveyed there, their
themes, a small map and the stop's poster."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.share_images import share_image
from safi_map.site.widgets import map_data, points, theme_bars


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    tpl = ctx.env.get_template("etape.html")
    acts = ctx.actors
    pages: Counter[str] = Counter()
    for s in ctx.stops_sorted:
        ids = ctx.records.by_stop.get(s["id"], [])
        themes = Counter(slug for i in ids for slug in acts[i]["theme_slugs"])
        ctx.write(writer, tpl, s["url"], stop=s, actors=[acts[i] for i in ids],
                  poster=ctx.poster("stops", s["id"]),
                  share_image=share_image(ctx, "stops", s["id"]),
                  theme_bars=theme_bars(themes, ctx.records.themes),
                  map_data=map_data(points(acts, ids, "../")), nav="annuaire")
        pages["stop"] += 1
    return pages
