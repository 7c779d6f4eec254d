"""The public history of changes shown on ``changes.html``.

Each build that changed something a visitor can see adds one entry; a build that changed nothing
visible adds nothing and removes nothing. The entries are kept from build to build in
``changes.json`` (under ``history``), so the page still tells what the stop of Toulon brought
after any number of rebuilds.

An entry holds only what is public, as published: fields are compared between the public views
(:func:`safi_map.model.public.public_actors`) of the previous and the new record, so a changed e-mail
of an actor who did not consent, or a move of their street-address point (published at their
commune's point), is not mentioned. Rejected rows are counted by public, French reasons: no file
name, row number or internal message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from safi_map.ingestion.compare import GEOCODE_FIELDS, moved, records, same

__all__ = ["PUBLIC_FIELDS", "first_entry", "history_page", "public_entry",
           "public_rejection_reason"]

PUBLIC_FIELDS = ("name", "legal_form", "themes", "description", "address", "postcode",
                 "commune", "insee_code", "website", "email", "phone", "needs", "offers",
                 "stops", "siret")
"""Fields compared for the public page, as published (contacts blank without consent). Consent
itself is not a public field: its effect, contacts appearing or going, is."""

_REJECTION_REASONS = {
    "row.empty": "ligne vide",
    "name.missing": "nom de la structure manquant",
}
_OTHER_REJECTION = "ligne qui ne décrit pas une structure"


def public_rejection_reason(code: str | None) -> str:
    """The French reason shown to the public for a row rejected with issue ``code``."""
    if code in _REJECTION_REASONS:
        return _REJECTION_REASONS[code]
    if code and code.startswith("name."):
        return _REJECTION_REASONS["name.missing"]
    return _OTHER_REJECTION


def _public_view(frame: gpd.GeoDataFrame, ids: list[str]) -> gpd.GeoDataFrame:
    from safi_map.model.public import public_actors

    sub = frame[frame["actor_id"].isin(ids)]
    missing = {"contact_consent": False, "geocode_source": ""}  # (an old or partial table)
    sub = sub.assign(**{k: v for k, v in missing.items() if k not in sub.columns})
    return public_actors(sub)


def _public_differences(previous: gpd.GeoDataFrame, actors: gpd.GeoDataFrame, ids: list[str]
                        ) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """Fields changed and moves between the public views of the actors ``ids`` (in both)."""
    if not ids:
        return {}, {}
    old_view, new_view = _public_view(previous, ids), _public_view(actors, ids)
    fields = [f for f in (*PUBLIC_FIELDS, *GEOCODE_FIELDS)
              if f in old_view.columns and f in new_view.columns]
    old, new = records(old_view, ids, fields), records(new_view, ids, fields)
    changed: dict[str, list[str]] = {}
    for f in PUBLIC_FIELDS:
        if f in old:
            for aid, a, b in zip(ids, old[f], new[f], strict=True):
                if not same(a, b):
                    changed.setdefault(aid, []).append(f)
    moves = {ids[i]: {when: {"commune": place["commune"], "precision": place["precision"]}
                      for when, place in move.items()}
             for i, move in sorted(moved(old, new).items())}
    return changed, moves


def _stops(frame: gpd.GeoDataFrame | None) -> set[str]:
    if frame is None or "stops" not in frame.columns:
        return set()
    found: set[str] = set()
    for value in frame["stops"].tolist():
        if isinstance(value, list | tuple):
            found.update(str(v) for v in value)
        elif hasattr(value, "tolist") and not isinstance(value, str):
            found.update(str(v) for v in value.tolist())
    return found


def first_entry(actors: gpd.GeoDataFrame, number: int = 1) -> dict[str, Any]:
    """The entry of a first publication of ``actors`` (also the start of the history of a
    build folder made before the history was kept)."""
    return {"number": number, "stops": sorted(_stops(actors)), "first_build": True,
            "actors": len(actors)}


def public_entry(changes: Any, previous: gpd.GeoDataFrame | None, actors: gpd.GeoDataFrame, *,
                 codes: Mapping[str, str], keep_removed: bool, number: int
                 ) -> dict[str, Any] | None:
    """The history entry of this build (see the module's docstring), or None when nothing
    visible changed.

    ``changes``: the full comparison (:class:`safi_map.ingestion.changes.Changes`); only the actors it
    found changed or moved can have changed publicly. ``codes``: issue code of each rejected
    row (``str(RowRef)`` → code).
    """
    if changes.first_build:
        return first_entry(actors, number)
    entry: dict[str, Any] = {"number": number, "stops": sorted(_stops(actors) - _stops(previous))}
    assert previous is not None
    candidates = sorted(set(changes.changed) | set(changes.geocoding))
    changed, moved = _public_differences(previous, actors, candidates)
    rejected = Counter(public_rejection_reason(codes.get(ref))
                       for ref in changes.newly_rejected)
    entry |= {"first_build": False, "new": list(changes.new), "changed": changed,
              "moved": moved, "removed": list(changes.removed), "kept": keep_removed,
              "rejected": dict(sorted(rejected.items()))}
    if not (entry["new"] or changed or moved or entry["removed"] or rejected):
        return None
    names = dict(zip(actors["actor_id"].tolist(), map(str, actors["name"].tolist()),
                     strict=True))
    old_names = dict(zip(previous["actor_id"].tolist(), map(str, previous["name"].tolist()),
                         strict=True))
    involved = set(entry["new"]) | set(changed) | set(moved) | set(entry["removed"])
    entry["names"] = {aid: names.get(aid, old_names.get(aid, aid)) for aid in sorted(involved)}
    return entry


def history_page(history: list[dict[str, Any]], published: Mapping[str, tuple[str, str]],
                 stops: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The entries of ``history`` as ``changes.html`` shows them, newest first.

    ``published``: actor id → (name, page URL) of the actors on the site now. Actors of an older
    entry that are no longer published (hidden by a correction since, or dropped from the
    surveys with ``keep_removed = false``) are not named (removed ones are counted), and an entry
    left with nothing is not shown; names are today's. ``stops``: stop id → stop (``town``,
    ``date``, ``url``), to title each entry by the stops it brought.
    """
    page: list[dict[str, Any]] = []
    for entry in reversed(history):
        stored = entry.get("names", {})

        def actor(aid: str, stored: Mapping[str, str] = stored) -> dict[str, str]:
            name, url = published.get(aid, (stored.get(aid, aid), ""))
            return {"id": aid, "name": name, "url": url}

        view: dict[str, Any] = {
            "number": entry.get("number", 0),
            "first_build": bool(entry.get("first_build")),
            "actors": entry.get("actors", 0),
            "stops": sorted((stops[s] for s in entry.get("stops", []) if s in stops),
                            key=lambda s: (str(s.get("date") or ""), str(s.get("id", "")))),
            "new": [actor(a) for a in entry.get("new", []) if a in published],
            "changed": [(actor(a), f) for a, f in entry.get("changed", {}).items()
                        if a in published],
            "moved": [(actor(a), m) for a, m in entry.get("moved", {}).items() if a in published],
            "removed": [actor(a) for a in entry.get("removed", []) if a in published],
            # not published any more (dropped, or hidden since): counted, never named
            "removed_unnamed": sum(1 for a in entry.get("removed", []) if a not in published),
            "kept": bool(entry.get("kept", True)),
            "rejected": dict(entry.get("rejected", {})),
        }
        view["rejected_total"] = sum(view["rejected"].values())
        if view["first_build"] or any(view[k] for k in ("new", "changed", "moved", "removed",
                                                        "removed_unnamed", "rejected")):
            page.append(view)
    return page
