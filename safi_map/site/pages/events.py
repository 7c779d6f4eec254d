"""The "Agenda" page family: the actors' events by month (issue #16 item 1); ``agenda.py``
is the tour's calendar.

``agenda.html`` lists every public event of ``data/agenda.*`` by month, each with its
"Ajouter à mon agenda" calendar file; ``agenda/evenements.ics`` holds them all. Whether an event
is past is decided in the visitor's browser (``assets/site/agenda.js`` moves past events into
the archive), so the page is the same whatever day the site is built; without scripts every
event stays listed in date order.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any

from safi_map.core.french import french_date
from safi_map.core.writer import Writer
from safi_map.ingestion.agenda import AgendaEvent
from safi_map.site.agenda_ics import event_calendar, event_component, event_files, event_ics_path

__all__ = ["AGENDA_ICS", "event_views", "write_pages"]

AGENDA_ICS = "agenda/evenements.ics"
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def french_time(value: dt.time) -> str:
    """``14:00`` -> ``14 h``; ``9:30`` -> ``9 h 30`` (French typography, non-breaking)."""
    return f"{value.hour}\u00a0h" + (f"\u00a0{value.minute:02d}" if value.minute else "")


def when_text(event: AgendaEvent) -> str:
    """``samedi 3 octobre 2015, 14 h – 17 h``."""
    day = f"{_WEEKDAYS[event.date.weekday()]} {french_date(event.date.isoformat())}"
    if event.start and event.end:
        return f"{day}, {french_time(event.start)}\u00a0–\u00a0{french_time(event.end)}"
    if event.start:
        return f"{day}, {french_time(event.start)}"
    return day


def event_views(events: Iterable[AgendaEvent], *, actor_urls: Mapping[str, str],
                commune_urls: Mapping[str, str]) -> list[dict[str, Any]]:
    """What a template shows of each event (links only to pages that exist)."""
    return [{
        "id": e.id, "date": e.date.isoformat(), "when": when_text(e), "title": e.title,
        "organiser": e.organiser, "actor_url": actor_urls.get(e.actor_id, ""),
        "commune": e.commune, "commune_url": commune_urls.get(e.commune_code, ""),
        "place": e.place, "url": e.url, "description": e.description, "ics": event_ics_path(e),
        "actor_id": e.actor_id, "commune_code": e.commune_code,
    } for e in events]


def months(views: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Events grouped by month: ``[{"key": "2015-10", "label": "octobre 2015", "events": [...]}]``."""
    out = []
    for month, group in groupby(views, key=lambda v: v["date"][:7]):
        year, number = int(month[:4]), int(month[5:7])
        out.append({"key": month, "label": f"{_MONTHS[number - 1]} {year}", "events": list(group)})
    return out


def _urls(ctx: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The actor and commune pages that exist: ``{actor id: url}``, ``{INSEE code: url}``."""
    records = getattr(ctx, "records", None)
    if records is None:  # a context made by hand (tests): what it gives
        return getattr(ctx, "actor_urls", {}), getattr(ctx, "commune_urls", {})
    return ({a["id"]: a["url"] for a in records.actors},
            {code: c["url"] for code, c in records.communes.items()})


def write_pages(ctx: Any, writer: Writer) -> Counter[str]:
    """``agenda.html``, ``agenda/evenements.ics`` and one calendar file per event."""
    agenda = getattr(ctx, "agenda", None)
    events: list[AgendaEvent] = list(agenda.events) if agenda is not None else []
    base = dict(ctx.base)
    site_title = str(base.get("site_title", ""))
    site_url = str(base.get("site_url", "") or "")
    actor_urls, commune_urls = _urls(ctx)
    views = event_views(events, actor_urls=actor_urls, commune_urls=commune_urls)
    for rel, data in event_files(events, site_title=site_title, site_url=site_url).items():
        writer.write_bytes(rel, data)
    if events:
        writer.write_bytes(AGENDA_ICS, event_calendar(
            f"{site_title} : agenda des acteurs",
            [event_component(e, site_title=site_title, site_url=site_url) for e in events],
            timed=any(e.start for e in events)))
    page = {"months": months(views), "count": len(views), "ics": AGENDA_ICS if events else "",
            "has_agenda": agenda is not None, "nav": "agenda"}
    if hasattr(ctx, "write"):
        ctx.write(writer, "agenda.html", "agenda.html", **page)
    else:  # a context made by hand (tests)
        writer.write_text("agenda.html", ctx.env.get_template("agenda.html").render(
            **{**base, "root": "", "page_path": "agenda.html"}, **page))
    return Counter(agenda=1)
