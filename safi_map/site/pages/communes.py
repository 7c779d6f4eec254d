"""One page per commune with actors (``communes/<code>-<name>.html``): its actors, their themes,
the tour stops held there, a small map and the commune's poster."""

from __future__ import annotations

from collections import Counter, defaultdict

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.records import Rec
from safi_map.site.share_images import share_image
from safi_map.site.widgets import map_data, points, theme_bars


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    tpl = ctx.env.get_template("commune.html")
    acts, records = ctx.actors, ctx.records
    stops_here: dict[str, list[Rec]] = defaultdict(list)
    for s in ctx.stops_sorted:
        if s["insee_code"]:
            stops_here[s["insee_code"]].append(s)
    pages: Counter[str] = Counter()
    for c in ctx.communes_sorted:
        ids = records.by_commune[c["insee_code"]]
        themes = Counter(slug for i in ids for slug in acts[i]["theme_slugs"])
        ctx.write(writer, tpl, c["url"], commune=c, actors=[acts[i] for i in ids],
                  events=ctx.events.by_commune.get(c["insee_code"], []),
                  poster=ctx.poster("communes", c["insee_code"]),
                  share_image=share_image(ctx, "communes", c["insee_code"]),
                  theme_bars=theme_bars(themes, records.themes),
                  stops=stops_here.get(c["insee_code"], []),
                  map_data=map_data(points(acts, ids, "../")), nav="annuaire")
        pages["commune"] += 1
    return pages
