"""``changes.html``: what changed since the previous build and the public history of changes,
with its Atom news feeds (``flux/``)."""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.ingestion.change_history import history_page
from safi_map.model.labels import FIELD_LABELS
from safi_map.site.context import SiteContext
from safi_map.site.feeds import write_news_feeds
from safi_map.site.records import DEPARTMENTS


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    changes, acts = ctx.changes, ctx.actors
    history = history_page(changes.history, {a["id"]: (a["name"], a["url"]) for a in acts},
                           {s["id"]: s for s in ctx.stops_sorted}) if changes else None
    feeds = write_news_feeds(writer, history, acts, site_title=ctx.settings.title,
                             site_url=ctx.site_url, field_labels=FIELD_LABELS,
                             department_names=DEPARTMENTS)
    ctx.write(writer, "changes.html", "changes.html", changes=changes, history=history,
              feeds=feeds, nav="changes")
    return Counter(changes=1)
