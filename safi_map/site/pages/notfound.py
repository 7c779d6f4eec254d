"""``404.html``: the page a static host shows for a missing address. Its links start from
``site_url`` (it is served at any depth), or are relative to the root without it."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    ctx.write(writer, "404.html", "404.html", root=ctx.site_url)
    return Counter({"404": 1})
