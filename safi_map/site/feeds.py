"""The news of the map as Atom feeds (issue #16 item 2), written with ``feedgen``.

One feed for the region (``flux/actualites.xml``) and one per department with published actors
(``flux/actualites-<code>.xml``): one entry per stop or build of the public history shown on
``changes.html`` (:func:`safi_map.ingestion.change_history.history_page`), listing the actors it added or
changed. Only what the site publishes goes in: names, communes, page links and the labels of the
changed fields. Contacts are never copied into a feed, so no actor's contact can leak through it,
consent or not.

The output is deterministic: an entry is dated by the stops it brought, else by the latest
survey date of its actors, else by the entry before it; the feed by its newest entry (by its
actors' latest survey date while it has none). Nothing
depends on the clock. Links are absolute when ``site_url`` is set, else relative to the feed
(Atom resolves them against the feed's own address).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from feedgen.feed import FeedGenerator
from markupsafe import escape

from safi_map.core.writer import Writer

__all__ = ["FEED_DIR", "MAX_ENTRIES", "news_feeds", "write_news_feeds"]

FEED_DIR = "flux"
MAX_ENTRIES = 50
"""The newest entries kept in a feed: feed readers only show the latest ones."""
_EPOCH = dt.date(1970, 1, 1)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _stamp(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _entry_dates(history: Sequence[Mapping[str, Any]], actors: Mapping[str, Mapping[str, Any]]
                 ) -> list[dt.date]:
    """The date of each entry of ``history`` (newest first, as ``history_page`` gives it)."""
    own: list[dt.date | None] = []
    for e in history:
        days = [d for s in e.get("stops", []) if (d := _date(s.get("date", "")))]
        if not days:
            ids = [a["id"] for a in e.get("new", [])] + [a["id"] for a, _f in e.get("changed", [])]
            days = [d for i in ids if i in actors
                    if (d := _date(actors[i].get("last_seen", "")))]
        own.append(max(days) if days else None)
    dates: list[dt.date] = []
    previous = _EPOCH
    for day in reversed(own):  # oldest first: an undated entry takes the date before it
        previous = max(day, previous) if day else previous
        dates.append(previous)
    return dates[::-1]


def _entry_html(entry: Mapping[str, Any], ids: set[str] | None,
                actors: Mapping[str, Mapping[str, Any]], link: Any,
                field_labels: Mapping[str, str]) -> tuple[str, int]:
    """The entry's content (HTML, escaped) and how many actors it lists (``ids``: the actors
    this feed covers, None for all)."""
    def item(a: Mapping[str, Any], extra: str = "") -> str:
        commune = actors.get(a["id"], {}).get("commune", "")
        name = (f'<a href="{escape(link(a["url"]))}">{escape(a["name"])}</a>' if a.get("url")
                else str(escape(a["name"])))
        return (f"<li>{name}{f' ({escape(commune)})' if commune else ''}"
                f"{f' : {escape(extra)}' if extra else ''}</li>")

    new = [item(a) for a in entry.get("new", []) if ids is None or a["id"] in ids]
    changed = [item(a, ", ".join(field_labels.get(f, f) for f in fields))
               for a, fields in entry.get("changed", []) if ids is None or a["id"] in ids]
    moved = [item(a, f"{m.get('before', {}).get('commune') or 'non localisée'} → "
                     f"{m.get('after', {}).get('commune') or 'non localisée'}")
             for a, m in entry.get("moved", []) if ids is None or a["id"] in ids]
    parts: list[str] = []
    for title, items in (("Nouvelles structures", new), ("Structures modifiées", changed),
                         ("Structures déplacées sur la carte", moved)):
        if items:
            parts.append(f"<h3>{title}</h3><ul>{''.join(items)}</ul>")
    return "".join(parts), len(new) + len(changed) + len(moved)


def _entry_title(entry: Mapping[str, Any]) -> str:
    if entry.get("first_build"):
        return "Première publication de la carte"
    towns = [str(s["town"]) for s in entry.get("stops", [])]
    if len(towns) == 1:
        return f"Étape de {towns[0]}"
    if towns:
        return f"Étapes de {', '.join(towns[:-1])} et {towns[-1]}"
    return f"Mise à jour n° {entry.get('number', 0)}"


def news_feeds(history: Sequence[Mapping[str, Any]] | None,
               actors: Sequence[Mapping[str, Any]], *, site_title: str, site_url: str,
               field_labels: Mapping[str, str], department_names: Mapping[str, str]
               ) -> list[tuple[dict[str, str], bytes]]:
    """Each feed as (description, Atom bytes): the region's first, then one per department.

    ``history``: the entries of ``changes.html`` (:func:`~safi_map.ingestion.change_history.history_page`,
    newest first; None when the site was built without comparison: then no feed). ``actors``: the site's
    public actor views (``id``, ``url``, ``name``, ``commune``, ``department``, ``last_seen``).
    A description has ``url`` (the feed's path in the site), ``label`` and ``department``.
    """
    if history is None:
        return []
    by_id = {a["id"]: a for a in actors}
    history = list(history)
    dates = _entry_dates(history, by_id)
    departments = sorted({a["department"] for a in actors if a.get("department")})
    feeds: list[tuple[dict[str, str], bytes]] = []
    for dep in ["", *departments]:
        ids = None if not dep else {a["id"] for a in actors if a.get("department") == dep}
        name = department_names.get(dep, dep)
        info = {"department": dep, "label": name or "Toute la région",
                "url": f"{FEED_DIR}/actualites{f'-{dep}' if dep else ''}.xml"}
        feeds.append((info, _feed(history, dates, ids, by_id, info, site_title=site_title,
                                  site_url=site_url, field_labels=field_labels)))
    return feeds


def _feed(history: Sequence[Mapping[str, Any]], dates: Sequence[dt.date], ids: set[str] | None,
          actors: Mapping[str, Mapping[str, Any]], info: Mapping[str, str], *, site_title: str,
          site_url: str, field_labels: Mapping[str, str]) -> bytes:
    def link(rel: str) -> str:  # a site path as the feed links it
        return f"{site_url}{rel}" if site_url else f"../{rel}"

    base = site_url or f"safi-map:{site_title}/"
    fg = FeedGenerator()
    fg.id(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}{info['url']}").urn)
    scope = f" — {info['label']}" if info["department"] else ""
    fg.title(f"{site_title} : actualités de la carte{scope}")
    fg.subtitle("Structures ajoutées ou modifiées à chaque étape du tour et mise à jour")
    fg.author({"name": site_title})
    fg.language("fr")
    fg.link(href=link("changes.html"), rel="alternate", type="text/html")
    if site_url:
        fg.link(href=f"{site_url}{info['url']}", rel="self", type="application/atom+xml")
    kept = 0
    newest = max((d for a in actors.values() if ids is None or a["id"] in ids
                  if (d := _date(a.get("last_seen", "")))), default=_EPOCH)
    for entry, day in zip(history, dates, strict=True):
        content, count = _entry_html(entry, ids, actors, link, field_labels)
        if entry.get("first_build"):
            total = entry.get("actors", 0) if ids is None else 0
            content = ("<p>Première publication de la carte"
                       f"{f' : {total} structures publiées' if total else ''}.</p>")
        elif not count:
            continue
        fe = fg.add_entry(order="append")
        fe.id(uuid.uuid5(uuid.NAMESPACE_URL,
                         f"{base}{info['url']}#maj-{entry.get('number', 0)}").urn)
        fe.title(_entry_title(entry))
        fe.link(href=link(f"changes.html#maj-{entry.get('number', 0)}"), rel="alternate",
                type="text/html")
        fe.updated(_stamp(day))
        fe.content(content, type="html")
        newest = max(newest, day) if kept else day
        kept += 1
        if kept >= MAX_ENTRIES:
            break
    fg.updated(_stamp(newest))
    return bytes(fg.atom_str(pretty=True))


def write_news_feeds(writer: Writer, history: Sequence[Mapping[str, Any]] | None,
                     actors: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[dict[str, str]]:
    """Write :func:`news_feeds` into the site; return their descriptions for the pages."""
    described = []
    for info, data in news_feeds(history, actors, **kwargs):
        writer.write_bytes(info["url"], data)
        described.append(info)
    return described
