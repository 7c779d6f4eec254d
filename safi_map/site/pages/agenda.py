"""The tour's calendar: ``calendrier.html`` (every stop, done or to come) and the iCalendar
files of the tour, of each stop, commune and theme (``agenda/``, made with the context)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from safi_map.core.writer import Writer
from safi_map.site.calendars import write_calendars
from safi_map.site.context import SiteContext


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    write_calendars(writer, ctx.calendars)
    counts = ctx.stop_counts
    surveyed = {stop.id for stop in ctx.tour.stops
                if stop.surveys and any(Path(p).is_file() for p in stop.surveys)}
    stops = [{**s, "count": counts.get(s["id"], 0),
              "done": counts.get(s["id"], 0) > 0 or s["id"] in surveyed}
             for s in ctx.stops_sorted]
    ctx.write(writer, "calendrier.html", "calendrier.html", stops=stops,
              done=sum(1 for s in stops if s["done"]), agendas=ctx.agendas, nav="calendrier")
    return Counter(calendar=1)
