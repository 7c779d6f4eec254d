"""The actors' events as iCalendar (issue #16 item 1), written with ``icalendar``.

``agenda/evenements/<id>.ics`` holds one event (the "Ajouter à mon agenda" link of the agenda
page); the region's, each commune's and each theme's calendars (``calendars.py``) add these
events to the tour stops. An event with hours is in Europe/Paris time (a ``VTIMEZONE`` is
included so every calendar application reads it the same); one without is an all-day event.

Deterministic: an event's UID comes from its id (and ``site_url``), its DTSTAMP is its day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from safi_map.ingestion.agenda import AgendaEvent

__all__ = ["EVENTS_DIR", "event_calendar", "event_component", "event_ics_path"]

EVENTS_DIR = "agenda/evenements"
_PRODID = "-//SAFI Tour//safi-map//FR"
PARIS = ZoneInfo("Europe/Paris")


def event_ics_path(event: AgendaEvent) -> str:
    """Where an event's own calendar file lies in the site."""
    return f"{EVENTS_DIR}/{event.id}.ics"


def event_component(event: AgendaEvent, *, site_title: str, site_url: str,
                    page: str = "agenda.html") -> Event:
    """One ``VEVENT``: all-day without a start time, else from start to end (one hour when the
    end is unknown) in Paris time."""
    ev = Event()
    ev.add("uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, f'{site_url or site_title}#evt-{event.id}')}"
                  "@safi-map")
    ev.add("dtstamp", dt.datetime(event.date.year, event.date.month, event.date.day,
                                  tzinfo=dt.UTC))
    if event.start is None:
        ev.add("dtstart", event.date)
        ev.add("dtend", event.date + dt.timedelta(days=1))
    else:
        start = dt.datetime.combine(event.date, event.start, tzinfo=PARIS)
        end = (dt.datetime.combine(event.date, event.end, tzinfo=PARIS) if event.end
               else start + dt.timedelta(hours=1))
        ev.add("dtstart", start)
        ev.add("dtend", end)
    ev.add("summary", event.title)
    where = ", ".join(x for x in (event.place, event.commune) if x)
    if where:
        ev.add("location", where)
    lines = [x for x in (event.organiser and f"Organisé par {event.organiser}",
                         event.description) if x]
    if event.url:
        ev.add("url", event.url)
        lines.append(event.url)
    elif site_url:
        ev.add("url", f"{site_url}{page}#evt-{event.id}")
    if lines:
        ev.add("description", "\n".join(lines))
    return ev


@cache
def _timezone() -> Timezone:
    """The Europe/Paris ``VTIMEZONE`` (rules for the years around today's events): made once,
    the same component in every calendar file (they only read it)."""
    return Timezone.from_tzinfo(PARIS, first_date=dt.date(2020, 1, 1),
                                last_date=dt.date(2040, 1, 1))


def event_calendar(name: str, events: Iterable[Event], *, timed: bool,
                   serialized: dict[int, bytes] | None = None) -> bytes:
    """A calendar file of ``events`` (with the Paris time zone when one of them has hours).

    ``serialized``: the events' iCalendar text by ``id()``, kept across the calendars of one
    build, so that an event in the region's, its commune's and its themes' files is written
    once (the bytes icalendar gives for the whole calendar: ``test_calendars.py``)."""
    cal = Calendar()
    cal.add("prodid", _PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    if timed:
        cal.add_component(_timezone())
    head = bytes(cal.to_ical())  # its events go where icalendar would put them, at the end
    done = {} if serialized is None else serialized
    body = b"".join(done.get(id(ev)) or done.setdefault(id(ev), ev.to_ical()) for ev in events)
    return head[:-len(_END)] + body + _END


_END = b"END:VCALENDAR\r\n"


def event_files(events: Iterable[AgendaEvent], *, site_title: str, site_url: str
                ) -> Mapping[str, bytes]:
    """``{path in the site: bytes}`` of each event's own calendar."""
    return {event_ics_path(e): event_calendar(
                e.title, [event_component(e, site_title=site_title, site_url=site_url)],
                timed=e.start is not None)
            for e in events}
