"""``integrer.html``: how to embed the map in another site (the snippet of an iframe)."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    ctx.write(writer, "integrer.html", "integrer.html", nav="integrer")
    return Counter(embed=1)
