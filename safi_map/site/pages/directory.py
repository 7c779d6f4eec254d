"""``annuaire.html``: the directory of every theme, stop and commune, with their counts."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.records import DEPARTMENTS, Rec
from safi_map.site.share_images import share_image


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    records = ctx.records
    communes = [Rec(c, count=len(records.by_commune[c["insee_code"]]))
                for c in ctx.communes_sorted]
    ctx.write(writer, "annuaire.html", "annuaire.html", themes=ctx.themes_listed,
              stops=ctx.stops_sorted, communes=communes,
              theme_counts={s: len(v) for s, v in records.by_theme.items()},
              stop_counts=ctx.stop_counts, total=len(ctx.actors),
              departments=sorted({c["department"] for c in communes}),
              department_names=DEPARTMENTS, nav="annuaire",
              share_image=share_image(ctx, "region", ""))
    return Counter(directory=1)
