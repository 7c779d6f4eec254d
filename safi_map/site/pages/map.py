"""``index.html`` (the filterable map of every actor, with its list) and
``carte-integree.html`` (the same map without the site's navigation, for an iframe), rendered
by :mod:`safi_map.map`. Actors new since the previous build get a filter and a badge; the
agenda's upcoming events are the "Rendez-vous" layer."""

from __future__ import annotations

from collections import Counter
from typing import Any

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.sharing import map_page_with_share_tags

MAP_MAIN_ID = "safi-main"
"""``id`` of the ``<main>`` element of the map page: the skip link's target there."""


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    from safi_map.map import render as maps

    changes = ctx.changes
    new_ids = changes.new if changes is not None and not changes.first_build else None
    map_ctx = {**ctx.base, "root": "", "page_path": "index.html", "nav": "carte",
               "in_map_page": True, "skip_target": MAP_MAIN_ID}
    header_html = ctx.env.get_template("_header.html").render(**map_ctx)
    footer_html = ctx.env.get_template("_footer.html").render(**map_ctx)
    common: dict[str, Any] = dict(taxonomy=ctx.taxonomy, tour=ctx.tour, title=ctx.settings.title,
                                  asset_prefix="assets/", actor_url="acteurs/{actor_id}.html",
                                  new_ids=new_ids)
    common["payload"] = maps.map_payload(ctx.public, taxonomy=ctx.taxonomy, tour=ctx.tour,
                                         actor_url=common["actor_url"], new_ids=new_ids,
                                         events=ctx.events.all)
    html = maps.render_map_page(ctx.public, header_html=header_html, footer_html=footer_html,
                                **common)
    writer.write_text("index.html", map_page_with_share_tags(html, ctx.base, "index.html"))
    html = maps.render_map_page(ctx.public, embed=True, **common)
    writer.write_text("carte-integree.html",
                      map_page_with_share_tags(html, ctx.base, "carte-integree.html"))
    return Counter(map=2)
