"""One page per actor (``acteurs/<id>.html``): its card, small map, nearby and similar actors,
and who it can help or be helped by (synergies)."""

from __future__ import annotations

from collections import Counter

from safi_map.core.french import french_number
from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.records import Rec
from safi_map.site.widgets import map_data, points


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    tpl = ctx.env.get_template("acteur.html")
    acts, themes, root = ctx.actors, ctx.records.themes, "../"
    for i, a in enumerate(acts):
        nearby = [Rec(actor=acts[j], km=french_number(d, 1)) for j, d in a["nearby"]]
        similar = [Rec(actor=acts[j], km=french_number(d, 1),
                       shared=[themes[s] for s in acts[j]["theme_slugs"]
                               if s in a["theme_slugs"]]) for j, d in a["similar"]]
        small_map = None
        if a["lat"] is not None:
            small_map = map_data(points(acts, [i, *(j for j, _ in a["nearby"])], root,
                                        highlight=a["id"]))
        ctx.write(writer, tpl, a["url"], root=root, actor=a, nearby=nearby, similar=similar,
                  map_data=small_map, nav="annuaire", synergies=ctx.synergies.get(a["id"]))
    return Counter(actor=len(acts))
