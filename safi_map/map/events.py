"""The actors' events on the map: the "Rendez-vous" layer's data (issue #16 item 1).

The site hands the events as the Agenda page shows them (``safi_map.site.event_index``: French
date and time already written, the ``.ics`` file of each); only public events exist there (rows
with ``Public = non`` never leave ingestion). Each event gets a point:

* its actor's, when it names an actor that is on the map (public) with a location, and it takes
  place in that actor's commune (or names no commune);
* else its commune's (the gazetteer's point);
* else none: it is left out of the map (the Agenda page still lists it) and counted.

Which events are upcoming is decided in the visitor's browser (``map/events.js``), like the
Agenda page does: the page is the same whatever day it is built.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from safi_map.core.i18n import ngettext

__all__ = ["AGENDA_PAGE", "event_rows"]

logger = logging.getLogger("safi_map.map.render")

AGENDA_PAGE = "agenda.html"
"""The Agenda page (its events have the anchors ``#evt-<id>``), relative to the map page."""

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*\.ics\Z")
_HTTP = re.compile(r"^https?://[^\s<>\"'`\\]+\Z", re.IGNORECASE)


def event_rows(
    events: Sequence[Mapping[str, Any]],
    *,
    ids: Sequence[str],
    lats: Sequence[int | None],
    lons: Sequence[int | None],
    codes: Sequence[str],
    commune_point: Callable[[str], tuple[float, float] | None],
) -> tuple[list[dict[str, Any]], int]:
    """The events placed on the map, and how many could not be placed.

    Parameters
    ----------
    events
        Event views (``event_views``: id, date, when, title, organiser, actor_id, commune,
        commune_code, place, url, ics), in date order.
    ids, lats, lons, codes
        The map's actors (payload order): id, coordinates in 1e-5 degree, INSEE code.
    commune_point
        INSEE code -> (latitude, longitude), or None when unknown.

    Each row: ``id``, ``date`` (ISO), ``when`` (French), ``title``, ``place``, ``commune``
    (name) and ``commune_code``, ``actor`` (row of the payload's actors, -1 when none: then
    ``organiser`` holds the name as written), ``lat``/``lon`` (1e-5 degree), ``ics``, and
    ``url`` only when it is an http(s) address.
    """
    row_of = {aid: i for i, aid in enumerate(ids)}
    rows: list[dict[str, Any]] = []
    unplaced = 0
    for e in events:
        event_id, ics = str(e.get("id", "")), str(e.get("ics", ""))
        if not _SAFE_ID.match(event_id) or not _SAFE_PATH.match(ics):
            unplaced += 1  # never a path or anchor built from odd text
            continue
        actor = row_of.get(str(e.get("actor_id") or ""), -1)
        code = str(e.get("commune_code") or "")
        point = _point(actor, code, lats, lons, codes, commune_point)
        if point is None:
            unplaced += 1
            continue
        row: dict[str, Any] = {
            "id": event_id, "date": str(e.get("date", ""))[:10], "when": str(e.get("when", "")),
            "title": str(e.get("title", "")), "place": str(e.get("place") or ""),
            "commune": str(e.get("commune") or ""), "commune_code": code, "actor": actor,
            "lat": point[0], "lon": point[1], "ics": ics,
        }
        if actor < 0:
            row["organiser"] = str(e.get("organiser") or "")
        url = str(e.get("url") or "").strip()
        if _HTTP.match(url):
            row["url"] = url
        rows.append(row)
    if unplaced:
        logger.info(ngettext(
            "%d event has no place on the map (no located actor, no commune of the region); "
            "the Agenda page lists it",
            "%d events have no place on the map (no located actor, no commune of the region); "
            "the Agenda page lists them", unplaced), unplaced)
    return rows, unplaced


def _point(actor: int, code: str, lats: Sequence[int | None], lons: Sequence[int | None],
           codes: Sequence[str], commune_point: Callable[[str], tuple[float, float] | None]
           ) -> tuple[int, int] | None:
    """The actor's point when the event is in its commune (or names none), else the
    commune's, else the actor's (a commune without a point), else None."""
    if actor >= 0:
        la, lo = lats[actor], lons[actor]
        if la is not None and lo is not None and (not code or code == codes[actor]):
            return la, lo
    found = commune_point(code) if code else None
    if found is not None:
        return round(found[0] * 1e5), round(found[1] * 1e5)
    if actor >= 0 and lats[actor] is not None and lons[actor] is not None:
        return lats[actor], lons[actor]  # type: ignore[return-value]
    return None
