"""The site's records: each public actor, theme, stop and commune as the pages show it.

Computed once per build from the public actors (:func:`build_records`): plain dicts (one pass
over the actors, no per-page DataFrame work) with every label, URL and link the templates
need, and the indexes from a theme, a stop or a commune to its actors (in directory order:
name, then id). :func:`add_fragments` pre-renders the HTML that many pages repeat.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from markupsafe import Markup, escape

from safi_map.core.columns import column_values
from safi_map.core.i18n import _
from safi_map.core.text import key, slugify
from safi_map.geo import places
from safi_map.model.labels import LEGAL_FORMS, PRECISION_LABELS
from safi_map.model.public import safe_url
from safi_map.model.taxonomy import Taxonomy
from safi_map.model.tour import Tour
from safi_map.site.hours_text import hours_view

__all__ = ["DEFAULT_COLOUR", "DEPARTMENTS", "Rec", "Records", "add_fragments", "build_records"]

DEPARTMENTS = places.DEPARTMENTS  # every French department: "69" reads "Rhône"
DEFAULT_COLOUR = "#6b6b6b"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}\Z")
_INSEE = re.compile(r"^[0-9AB]{5}\Z")


class Rec(dict[str, Any]):
    """A dict whose keys read as attributes too.

    Jinja resolves ``a.name`` with ``getattr`` first and falls back to ``a["name"]`` after an
    exception; on tens of thousands of pages that exception is a measurable cost. The keys used
    here never shadow dict methods (the site's environment reads them as keys first).
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Records:
    """Every view the pages need: actors (list, directory order of ``by_*``), themes, stops
    and communes by key, and the actors (indexes into ``actors``) of each of them."""

    actors: list[Rec]
    themes: dict[str, Rec]
    stops: dict[str, Rec]
    communes: dict[str, Rec]
    by_theme: dict[str, list[int]]
    by_stop: dict[str, list[int]]
    by_commune: dict[str, list[int]]


def _str(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _list(v: Any) -> list[str]:
    if isinstance(v, list | tuple | np.ndarray):
        return [str(x) for x in v if _str(x)]
    if isinstance(v, str) and v:
        return [x for x in v.split(";") if x]
    return []


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _theme_view(slug: str, label: str, colour: str, icon: str) -> Rec:
    return Rec({"slug": slug, "label": label or slug,
                "colour": colour if _HEX.match(colour) else DEFAULT_COLOUR,
                "icon": icon, "url": f"themes/{slugify(slug)}.html"})


def _stop_views(tour: Tour) -> dict[str, Rec]:
    return {s.id: Rec({"id": s.id, "town": s.town or s.id, "insee_code": s.insee_code or "",
                       "date": s.date.isoformat(), "venue": s.venue or "",
                       "url": f"etapes/{slugify(s.id)}.html"}) for s in tour.stops}


def _contact(rec: dict[str, Any]) -> dict[str, str]:
    website = safe_url(_str(rec.get("website")))
    if website and not website.lower().startswith(("http://", "https://")):
        website = ""
    email, phone = _str(rec.get("email")), _str(rec.get("phone"))
    digits = re.sub(r"[^\d+]", "", phone)
    return {"website": website, "website_label": re.sub(r"^https?://", "", website).rstrip("/"),
            "email": email,
            "email_href": safe_url(f"mailto:{email}") if email and "@" in email else "",
            "phone": phone, "phone_href": safe_url(f"tel:{digits}") if digits else ""}


def _actor(rec: dict[str, Any], aid: str, resources: dict[str, str]) -> Rec:
    lat, lon = _float(rec.get("latitude")), _float(rec.get("longitude"))
    located = math.isfinite(lat) and math.isfinite(lon)
    legal, dep = _str(rec.get("legal_form")), _str(rec.get("department"))
    precision = _str(rec.get("geocode_precision"))
    return Rec({
        "id": aid, "url": f"acteurs/{aid}.html",
        "name": _str(rec.get("name")) or aid, "sort": key(_str(rec.get("name"))) or aid,
        "legal_form": legal, "legal_form_label": LEGAL_FORMS.get(legal, legal),
        "theme_slugs": _list(rec.get("themes")),
        "description": _str(rec.get("description")),
        "address": _str(rec.get("address")), "postcode": _str(rec.get("postcode")),
        "commune": _str(rec.get("commune")), "commune_former": _str(rec.get("commune_former")),
        "insee_code": _str(rec.get("insee_code")),
        "department": dep, "department_name": DEPARTMENTS.get(dep, dep),
        "epci_name": _str(rec.get("epci_name")),
        **_contact(rec),
        "needs": [resources.get(x, x) for x in _list(rec.get("needs"))],
        "offers": [resources.get(x, x) for x in _list(rec.get("offers"))],
        "stop_ids": _list(rec.get("stops")),
        "first_seen": _str(rec.get("first_seen")), "last_seen": _str(rec.get("last_seen")),
        "siret": _str(rec.get("siret")),
        "hours": hours_view(rec.get("opening_hours")),
        "precision": precision, "precision_label": PRECISION_LABELS.get(precision, ""),
        "lat": round(lat, 6) if located else None, "lon": round(lon, 6) if located else None,
    })


def _rows(public: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    cols = [c for c in public.columns if c != public.geometry.name]
    values = [column_values(public[c]) for c in cols]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


def build_records(public: gpd.GeoDataFrame, taxonomy: Taxonomy, tour: Tour) -> Records:
    """The records of the public actors (already through the consent gate), their themes,
    stops and communes. A theme or stop the taxonomy or tour does not know is still shown
    (by its slug); an ``actor_id`` that cannot be a file name, or given twice, is refused."""
    themes = {t.slug: _theme_view(t.slug, t.label, t.colour, t.icon or "")
              for t in taxonomy.themes if t.slug}
    stops = _stop_views(tour)
    resources = {r.slug: r.label or r.slug for r in taxonomy.resources}
    actors: list[Rec] = []
    seen_ids: set[str] = set()
    for rec in _rows(public):
        aid = _str(rec.get("actor_id"))
        if not _SAFE_ID.match(aid):
            raise ValueError(_("actor_id {aid!r} cannot be used in a file name").format(aid=aid))
        if aid in seen_ids:
            raise ValueError(_("actor_id {aid!r} appears twice").format(aid=aid))
        seen_ids.add(aid)
        actor = _actor(rec, aid, resources)
        for slug in actor["theme_slugs"]:
            if slug not in themes:  # a theme the taxonomy does not know: still listed
                themes[slug] = _theme_view(slug, slug, DEFAULT_COLOUR, "")
        actors.append(actor)
    for a in actors:
        a["themes"] = [themes[s] for s in a["theme_slugs"]]
        a["colour"] = a["themes"][0]["colour"] if a["themes"] else DEFAULT_COLOUR

    by_theme: dict[str, list[int]] = defaultdict(list)
    by_stop: dict[str, list[int]] = defaultdict(list)
    by_commune: dict[str, list[int]] = defaultdict(list)
    communes: dict[str, Rec] = {}
    for i in sorted(range(len(actors)), key=lambda i: (actors[i]["sort"], actors[i]["id"])):
        a = actors[i]
        for slug in a["theme_slugs"]:
            by_theme[slug].append(i)
        for sid in a["stop_ids"]:
            by_stop[sid].append(i)
        code = a["insee_code"]
        if code and _INSEE.match(code):
            by_commune[code].append(i)
            if code not in communes:
                name = a["commune"] or code
                communes[code] = Rec({
                    "insee_code": code, "name": name, "department": a["department"],
                    "department_name": a["department_name"],
                    "url": f"communes/{code}-{slugify(name)}.html", "sort": key(name),
                })
    for a in actors:
        c = communes.get(a["insee_code"])
        a["commune_url"] = c["url"] if c else ""
        a["stops"] = [stops.get(s) or Rec(id=s, town=s, date="", venue="", url="",
                                           insee_code="") for s in a["stop_ids"]]
    for s in stops.values():
        c = communes.get(s["insee_code"])
        s["commune_url"] = c["url"] if c else ""
    return Records(actors, themes, stops, communes, dict(by_theme), dict(by_stop),
                   dict(by_commune))


def add_fragments(records: Records) -> None:
    """Pre-render the HTML that many pages repeat: each actor's link and list entry, each
    theme's badge. Escaping once per actor instead of once per mention keeps 50,000 pages fast.

    The fragments use ``../`` links: every page that lists actors or badges (actor, commune,
    theme and stop pages) sits one folder below the site root.
    """
    for t in records.themes.values():
        t["badge_html"] = Markup(
            '<li><a class="badge" href="../{url}"><svg class="swatch" width="12" height="12" '
            'viewBox="0 0 12 12" aria-hidden="true" focusable="false"><circle cx="6" cy="6" '
            'r="6" fill="{colour}"/></svg>{label}</a></li>'
        ).format(url=t["url"], colour=t["colour"], label=t["label"])
    # f-strings over escape() give what Markup.format gives, several times faster.
    theme_text: dict[tuple[str, ...], str] = {}
    for a in records.actors:
        link = f'<a href="../{escape(a["url"])}">{escape(a["name"])}</a>'
        labels = tuple(t["label"] for t in a["themes"])
        tail = theme_text.get(labels)
        if tail is None:
            themes = escape(", ".join(labels))
            tail = theme_text[labels] = f' <span class="muted">· {themes}</span>' if themes else ""
        a["link_html"] = Markup(link)
        a["li_html_here"] = Markup(link + tail)
        a["li_html"] = Markup(
            f'{link} <span class="muted">— {escape(a["commune"])}</span>{tail}'
            if a["commune"] else link + tail)
