"""The "Agenda" page family: the actors' events by month (issue #16 item 1); ``agenda.py``
is the tour's calendar.

``agenda.html`` lists every public event of ``data/agenda.*`` by month, each with its
"Ajouter à mon agenda" calendar file; ``agenda/evenements.ics`` holds them all. Whether an event
is past is decided in the visitor's browser (``assets/site/agenda.js`` moves past events into
the archive), so the page is the same whatever day the site is built; without scripts every
event stays listed in date order.
"""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.ingestion.agenda import AgendaEvent
from safi_map.site.agenda_ics import event_calendar, event_component, event_files
from safi_map.site.context import SiteContext
from safi_map.site.event_index import months

__all__ = ["AGENDA_ICS", "write_pages"]

AGENDA_ICS = "agenda/evenements.ics"


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    """``agenda.html``, ``agenda/evenements.ics`` and one calendar file per event."""
    agenda = ctx.agenda
    events: list[AgendaEvent] = list(agenda.events) if agenda is not None else []
    site_title, site_url = ctx.settings.title, ctx.site_url
    for rel, data in event_files(events, site_title=site_title, site_url=site_url).items():
        writer.write_bytes(rel, data)
    if events:
        writer.write_bytes(AGENDA_ICS, event_calendar(
            f"{site_title} : agenda des acteurs",
            [event_component(e, site_title=site_title, site_url=site_url) for e in events],
            timed=any(e.start for e in events)))
    ctx.write(writer, "agenda.html", "agenda.html", months=months(ctx.events.all),
              count=len(events), ics=AGENDA_ICS if events else "",
              has_agenda=agenda is not None, nav="agenda")
    return Counter(agenda=1)
