"""The tour stops as iCalendar files (issue #16 item 1, the tour part), written with
``icalendar``.

``agenda/safi-tour.ics`` holds every dated stop of the tour; ``agenda/communes/<code>.ics`` the
stops held in a commune; ``agenda/themes/<slug>.ics`` the stops where actors of a theme were
surveyed; ``agenda/etapes/<slug>.ics`` one stop, for the "Ajouter à mon agenda" link of its page.
A stop is an all-day event (the tour gives a day, no hours).

The output is deterministic: an event's UID is derived from the stop's id (and ``site_url`` when
set), its DTSTAMP is the stop's day, never the time of the build; calendars and events are
sorted by date then id. Links are absolute only when ``site_url`` is set (a calendar
application has no page to resolve a relative link against, so none is given otherwise).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from icalendar import Event

from safi_map.core.french import a_commune, de_commune
from safi_map.core.text import slugify
from safi_map.core.writer import Writer
from safi_map.ingestion.agenda import AgendaEvent
from safi_map.site.agenda_ics import event_calendar, event_component

__all__ = ["AGENDA_DIR", "attach_calendars", "tour_calendars", "write_calendars"]

AGENDA_DIR = "agenda"


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _event(stop: Mapping[str, Any], day: dt.date, count: int, *, site_title: str,
           site_url: str) -> Event:
    ev = Event()
    sid = stop["id"]
    ev.add("uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, f'{site_url or site_title}#etape-{sid}')}"
                  "@safi-map")
    ev.add("dtstamp", dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    ev.add("dtstart", day)
    ev.add("dtend", day + dt.timedelta(days=1))
    ev.add("summary", f"SAFI Tour : étape {de_commune(stop['town'])}")
    ev.add("location", ", ".join(x for x in (stop.get("venue", ""), stop["town"]) if x))
    described = (f"{count} structure{'s' if count > 1 else ''} recensée{'s' if count > 1 else ''}"
                 " à cette étape." if count else "Étape du SAFI Tour.")
    if site_url:
        ev.add("url", f"{site_url}{stop['url']}")
        described += f"\n{site_url}{stop['url']}"
    ev.add("description", described)
    return ev


def _calendar(name: str, events: Iterable[Event], serialized: dict[int, bytes]) -> bytes:
    """A calendar file (with the Paris time zone when an event has hours: the agenda's)."""
    found = list(events)
    return event_calendar(name, found, timed=any(
        isinstance(ev.decoded("dtstart"), dt.datetime) for ev in found), serialized=serialized)


def tour_calendars(stops: Sequence[Mapping[str, Any]], actors: Sequence[Mapping[str, Any]],
                   by_stop: Mapping[str, Sequence[int]], *, themes: Mapping[str, Mapping[str, Any]],
                   communes: Mapping[str, Mapping[str, Any]], site_title: str, site_url: str,
                   agenda: Sequence[AgendaEvent] = ()) -> dict[str, tuple[str, bytes]]:
    """Every calendar of the tour and of the actors' agenda: ``{key: (path in the site,
    iCalendar bytes)}``.

    Keys: ``""`` (the whole region), ``"stop:<id>"``, ``"commune:<INSEE code>"``,
    ``"theme:<slug>"``; a commune or theme calendar exists only when it has a dated stop or an
    event. ``stops``: the site's stop views (``id``, ``town``, ``date``, ``venue``,
    ``insee_code``, ``url``), sorted by date; a stop without ``insee_code`` goes to the commune
    of the site whose name is its town, when only one has it; ``by_stop``: the indexes in
    ``actors`` surveyed at each stop. ``agenda``: the actors' events (``data/agenda.*``), in
    the region's calendar, their commune's and their actor's themes'.
    """
    dated = [(s, d) for s in stops if (d := _day(s.get("date", "")))]
    dated.sort(key=lambda sd: (sd[1], sd[0]["id"]))
    events = {s["id"]: _event(s, d, len(by_stop.get(s["id"], [])), site_title=site_title,
                              site_url=site_url) for s, d in dated}
    per_commune: dict[str, list[Event]] = {}
    per_theme: dict[str, list[Event]] = {}
    names = Counter(slugify(c["name"]) for c in communes.values())
    by_name = {slugify(c["name"]): code for code, c in communes.items()
               if names[slugify(c["name"])] == 1}  # a stop without INSEE code, by its town
    town: dict[str, str] = {}
    out: dict[str, tuple[str, bytes]] = {}
    serialized: dict[int, bytes] = {}  # each event written once (it is in several files)
    for s, _d in dated:
        out[f"stop:{s['id']}"] = (f"{AGENDA_DIR}/etapes/{slugify(s['id'])}.ics",
                                  _calendar(f"SAFI Tour : étape {de_commune(s['town'])}",
                                            [events[s["id"]]], serialized))
        code = s.get("insee_code") or by_name.get(slugify(s["town"]), "")
        if code:
            per_commune.setdefault(code, []).append(events[s["id"]])
            town.setdefault(code, s["town"])
        for slug in sorted({t for i in by_stop.get(s["id"], []) for t in actors[i]["theme_slugs"]}):
            per_theme.setdefault(slug, []).append(events[s["id"]])
    actor_themes = {a.get("actor_id") or a.get("id"): a.get("theme_slugs", []) for a in actors}
    region = list(events.values())
    for e in agenda:
        component = event_component(e, site_title=site_title, site_url=site_url)
        region.append(component)
        if e.commune_code:
            per_commune.setdefault(e.commune_code, []).append(component)
            town.setdefault(e.commune_code, e.commune)
        for slug in sorted(set(actor_themes.get(e.actor_id, []))):
            per_theme.setdefault(slug, []).append(component)
    more = " et rendez-vous des acteurs" if agenda else ""
    out[""] = (f"{AGENDA_DIR}/safi-tour.ics",
               _calendar(f"{site_title} : étapes du SAFI Tour{more}", region, serialized))
    for code, found in sorted(per_commune.items()):
        name = communes[code]["name"] if code in communes else town[code]
        out[f"commune:{code}"] = (f"{AGENDA_DIR}/communes/{code}.ics",
                                  _calendar(f"SAFI Tour : étapes{more} {a_commune(name)}", found,
                                            serialized))
    for slug, found in sorted(per_theme.items()):
        label = themes[slug]["label"] if slug in themes else slug
        out[f"theme:{slug}"] = (f"{AGENDA_DIR}/themes/{slugify(slug)}.ics",
                                _calendar(f"SAFI Tour : étapes{more}, {label}", found,
                                          serialized))
    return dict(sorted(out.items(), key=lambda kv: (kv[0] != "", kv[0])))


def attach_calendars(records: Any, stops: Sequence[dict[str, Any]], *, site_title: str,
                     site_url: str, agenda: Sequence[AgendaEvent] = ()
                     ) -> tuple[dict[str, tuple[str, bytes]], list[dict[str, str]]]:
    """:func:`tour_calendars` of the site's records (see :mod:`safi_map.site.records`); each
    stop, commune and theme view that has a calendar gets its path under ``ics`` (its page
    links it). Returns the files (``{key: (path, bytes)}``) and the calendars for the calendar
    page (``label``, ``url``, ``kind``: tour, commune or theme)."""
    found = tour_calendars(stops, records.actors, records.by_stop, themes=records.themes,
                           communes=records.communes, site_title=site_title, site_url=site_url,
                           agenda=agenda)
    listed: list[dict[str, str]] = []
    for key_, (rel, _data) in found.items():
        kind, _sep, ident = key_.partition(":")
        view = {"stop": records.stops, "commune": records.communes,
                "theme": records.themes}.get(kind, {}).get(ident)
        if view is not None:
            view["ics"] = rel
        if kind == "commune":
            listed.append({"kind": kind, "url": rel, "label": view["name"] if view
                           else next((s["town"] for s in stops if s.get("insee_code") == ident),
                                     ident)})
        elif kind == "theme":
            listed.append({"kind": kind, "url": rel, "label": view["label"] if view else ident})
        elif not kind:
            listed.append({"kind": "tour", "url": rel, "label": "Toutes les étapes"})
    return found, listed


def write_calendars(writer: Writer, files: Mapping[str, tuple[str, bytes]]) -> None:
    """Write the calendars :func:`attach_calendars` made."""
    for rel, data in files.values():
        writer.write_bytes(rel, data)
