"""One page per theme with actors (``themes/<slug>.html``): its actors, their departments and
the theme's poster."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.records import DEPARTMENTS
from safi_map.site.share_images import share_image
from safi_map.site.widgets import bars


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    tpl = ctx.env.get_template("theme.html")
    acts = ctx.actors
    pages: Counter[str] = Counter()
    for t in ctx.themes_listed:
        ids = ctx.records.by_theme[t["slug"]]
        deps = Counter(acts[i]["department"] for i in ids)
        coms = {acts[i]["insee_code"] for i in ids if acts[i]["insee_code"]}
        ctx.write(writer, tpl, t["url"], theme=t, actors=[acts[i] for i in ids],
                  events=ctx.events.by_theme.get(t["slug"], []),
                  poster=ctx.poster("themes", t["slug"]),
                  share_image=share_image(ctx, "themes", t["slug"]),
                  departments=bars(deps, {d: DEPARTMENTS.get(d, d) for d in deps},
                                   order=sorted(deps)),
                  communes_count=len(coms), nav="annuaire")
        pages["theme"] += 1
    return pages
