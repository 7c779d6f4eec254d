"""The actors' events as the pages show them (French dates and times, links to pages that
exist), all of them and by actor, commune and theme (issue #16: the Agenda page, and "events on
actor, commune and theme pages")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from safi_map.core.french import WEEKDAYS, french_date, french_month, french_time
from safi_map.ingestion.agenda import AgendaEvent
from safi_map.site.agenda_ics import event_ics_path

__all__ = ["EventIndex", "event_views", "months", "when_text"]


def when_text(event: AgendaEvent) -> str:
    """``samedi 3 octobre 2015, 14 h – 17 h``."""
    day = f"{WEEKDAYS[event.date.weekday()]} {french_date(event.date.isoformat())}"
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
        out.append({"key": month, "label": french_month(int(month[:4]), int(month[5:7])),
                    "events": list(group)})
    return out



@dataclass(frozen=True)
class EventIndex:
    """Event views (see :func:`event_views`), in date order: all of
    them, and by actor id, INSEE code and theme slug (the themes of the event's actor). Made
    once per build, for the Agenda page and the pages that list their events."""

    all: list[dict[str, Any]] = field(default_factory=list)
    by_actor: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_commune: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_theme: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, agenda: Any, records: Any) -> EventIndex:
        if agenda is None or not agenda.events:
            return cls()
        actors = {a["id"]: a for a in records.actors}
        views = event_views(agenda.events,
                            actor_urls={i: a["url"] for i, a in actors.items()},
                            commune_urls={c: v["url"] for c, v in records.communes.items()})
        index = cls(all=views)
        for view in views:
            actor = actors.get(view["actor_id"])
            if actor is not None:
                index.by_actor.setdefault(actor["id"], []).append(view)
                for slug in actor["theme_slugs"]:
                    index.by_theme.setdefault(slug, []).append(view)
            if view["commune_code"]:
                index.by_commune.setdefault(view["commune_code"], []).append(view)
        return index
