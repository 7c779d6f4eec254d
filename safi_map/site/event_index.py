"""The actors' events by actor, commune and theme, for the pages that list them (issue #16:
"events on actor, commune and theme pages")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from safi_map.site.pages.events import event_views

__all__ = ["EventIndex"]


@dataclass(frozen=True)
class EventIndex:
    """Event views (see :func:`safi_map.site.pages.events.event_views`), in date order, listed
    by actor id, INSEE code and theme slug (the themes of the event's actor)."""

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
        index = cls()
        for view in views:
            actor = actors.get(view["actor_id"])
            if actor is not None:
                index.by_actor.setdefault(actor["id"], []).append(view)
                for slug in actor["theme_slugs"]:
                    index.by_theme.setdefault(slug, []).append(view)
            if view["commune_code"]:
                index.by_commune.setdefault(view["commune_code"], []).append(view)
        return index
