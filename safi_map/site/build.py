"""The static site: map, directory, a page per commune, theme, stop and actor, statistics, data.

Why it is built this way:

* **Staged build.** Every view of the data is computed first from plain dicts (one pass over the
  actors, no per-page DataFrame work), then every file goes through one :class:`~._writer.Writer`
  that refuses duplicate paths and swaps the new site in only when everything succeeded.
* **Relative links only**, so the site works from ``file://``, from a USB stick at an event and
  under any sub-path of a static host. Each page knows its ``root`` (``""`` or ``"../"``).
* **Nothing from a CDN and no inline script**: Leaflet is copied into ``assets/`` and page
  scripts are files, so a strict Content-Security-Policy meta holds on every page. Data that a
  script needs travels as JSON in ``<script type="application/json">`` with ``<``, ``>`` and
  ``&`` escaped.
* **Only public data.** Everything is read from :func:`safi_map.model.public.public_actors`, so contact
  details without consent and the internal ``sources`` column cannot reach a page or a download.
* **Templates are package files** (Jinja2, autoescape on) that a ``templates/`` folder next to
  ``safi-map.toml`` can override one by one (datasette's ChoiceLoader pattern).
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import itertools
import json
import logging
import math
import multiprocessing as mp
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import jinja2
import numpy as np
from markupsafe import Markup, escape

from safi_map.core.i18n import _
from safi_map.core.settings import Settings
from safi_map.core.text import a_commune, de_commune, french_date, key, slugify
from safi_map.core.writer import PageCache, Writer
from safi_map.geo import places as _places
from safi_map.ingestion.change_history import history_page
from safi_map.ingestion.report import Report
from safi_map.map.assets import BASE_MAPS, CSP_IMG_SOURCES, copy_assets
from safi_map.model.cells import records as _records
from safi_map.model.public import public_actors, safe_url
from safi_map.model.taxonomy import LEGAL_FORMS
from safi_map.site.calendars import write_tour_calendars
from safi_map.site.feeds import write_news_feeds
from safi_map.site.hours_text import hours_view
from safi_map.site.report_change import report_link
from safi_map.site.sharing import map_page_with_share_tags, share_tags, write_crawler_files

__all__ = ["CSP", "SiteSummary", "build_site", "json_for_script", "make_environment"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in pages: called as the build advances (the CLI draws a bar)."""

BASE_MAP: dict[str, Any] = dict(BASE_MAPS[0])
"""The tile layer of the small maps: the map's own first base map."""
_IMG_SOURCES = tuple(CSP_IMG_SOURCES)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    f"img-src {' '.join(_IMG_SOURCES)}; connect-src 'self'; font-src 'self'; "
    "frame-src 'self'; base-uri 'none'; form-action 'none'"
)
"""The Content-Security-Policy every page declares: scripts and styles from the site only."""

DEPARTMENTS = _places.DEPARTMENTS  # every French department: "69" reads "Rhône"


FIELD_LABELS: dict[str, str] = {
    "name": "nom", "legal_form": "statut", "themes": "thématiques", "description": "description",
    "address": "adresse", "postcode": "code postal", "commune": "commune",
    "insee_code": "code commune", "website": "site web", "email": "courriel",
    "phone": "téléphone", "needs": "besoins", "offers": "ressources", "stops": "étapes",
    "contact_consent": "accord de publication", "siret": "SIRET",
}
"""French names of the actor fields, for the change report."""

PRECISIONS: dict[str, str] = {
    "provided": "coordonnées fournies",
    "housenumber": "adresse",
    "street": "rue",
    "locality": "lieu-dit",
    "municipality": "commune",
    "none": "non localisé",
}

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}\Z")
_DEFAULT_COLOUR = "#6b6b6b"
_MAP_MAIN_ID = "safi-main"
"""``id`` of the ``<main>`` element of the map page (``maps.render_map_page``): the skip link's
target there."""
NEARBY = 5
SIMILAR = 5


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------
@dataclass
class SiteSummary:
    """What a build produced; ``str()`` is the one line the CLI prints at the end."""

    out_dir: Path
    pages: int = 0
    files: int = 0
    actors: int = 0
    communes: int = 0
    themes: int = 0
    stops: int = 0
    bytes: int = 0
    seconds: float = 0.0
    page_counts: dict[str, int] = field(default_factory=dict)
    actor_pages_reused: int = 0
    """Actor pages whose inputs had not changed since the previous build: linked, not
    rendered (see :class:`~safi_map.core.writer.PageCache`)."""
    pages_reused: int = 0
    """Pages of every kind (actors, communes, themes, stops) reused that way."""

    def __str__(self) -> str:
        return _("Built {pages} pages ({actors} actors, {communes} communes, {themes} themes, "
                 "{stops} stops) in {out_dir}").format(
                     pages=self.pages, actors=self.actors, communes=self.communes,
                     themes=self.themes, stops=self.stops, out_dir=self.out_dir)


# --------------------------------------------------------------------------------------------
# Helpers usable from templates
# --------------------------------------------------------------------------------------------
def json_for_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes so survey text cannot close the
    element (``</script>``) or open a comment; U+2028/2029 are escaped for old JS parsers.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)


def french_number(value: float | int, digits: int = 0) -> str:
    """Numbers the French way: narrow no-break space for thousands, comma for decimals."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{french_number(count)} {singular if count <= 1 else (plural_form or singular + 's')}"


def _tel_href(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone or "")
    return safe_url(f"tel:{digits}") if digits else ""


def _mail_href(email: str) -> str:
    return safe_url(f"mailto:{email}") if email and "@" in email else ""


def _display_url(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")


class _SiteEnvironment(jinja2.Environment):
    """Jinja2 environment that reads ``a.name`` on the site's records straight from the dict.

    Jinja resolves ``a.name`` through ``Environment.getattr`` (``getattr`` first, then
    ``a["name"]``): about a million calls for 5,000 actor pages. For :class:`_Rec` (whose keys
    never shadow dict methods) the key is looked up first; anything else goes the usual way,
    so the output is the same.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is _Rec:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(user_templates: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: package templates, overridable from ``user_templates``.

    Autoescape is on for every template; undefined variables raise, so a typo in an override
    fails the build instead of publishing an empty field. Templates are compiled in every run
    (about 0.2 s): Jinja2's bytecode cache loads code from its files, and whoever can write in
    a build's cache folder must not get code run by the next build.
    """
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None and Path(user_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.PackageLoader("safi_map", "resources/templates"))
    env = _SiteEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["french_date"] = french_date
    env.filters["de_commune"] = de_commune
    env.filters["a_commune"] = a_commune
    env.filters["number"] = french_number
    env.filters["json_script"] = json_for_script
    env.filters["field_label"] = lambda f: FIELD_LABELS.get(f, f)
    env.filters["precision_label"] = lambda p: PRECISIONS.get(p, p)
    env.globals["plural"] = plural
    env.globals["csp"] = CSP
    env.globals["share_tags"] = share_tags
    env.globals["report_link"] = report_link
    return env


# --------------------------------------------------------------------------------------------
# Reading the taxonomy and the tour (duck-typed: objects or dicts)
# --------------------------------------------------------------------------------------------
def _get(obj: Any, name: str, default: Any = "") -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _theme_views(taxonomy: Any) -> dict[str, dict[str, Any]]:
    themes = _get(taxonomy, "themes", None) if not isinstance(taxonomy, list | tuple) else taxonomy
    if isinstance(themes, Mapping):
        themes = list(themes.values())
    out: dict[str, dict[str, Any]] = {}
    for t in themes or []:
        slug = str(_get(t, "slug"))
        if not slug:
            continue
        colour = str(_get(t, "colour", "") or _get(t, "color", ""))
        out[slug] = _Rec({
            "slug": slug,
            "label": str(_get(t, "label", slug) or slug),
            "colour": colour if _HEX.match(colour) else _DEFAULT_COLOUR,
            "icon": str(_get(t, "icon", "") or ""),
            "url": f"themes/{slugify(slug)}.html",
        })
    return out


def _vocabulary_labels(taxonomy: Any, *names: str) -> dict[str, str]:
    """Slug -> label for a vocabulary of the taxonomy (legal forms, resources), if it has one."""
    labels: dict[str, str] = {}
    for name in names:
        vocab = _get(taxonomy, name, None) if not isinstance(taxonomy, list | tuple) else None
        if isinstance(vocab, Mapping):
            vocab = [
                v if not isinstance(v, str) else {"slug": k, "label": v} for k, v in vocab.items()
            ]
        for item in vocab or []:
            if isinstance(item, str):
                labels.setdefault(item, item)
            else:
                slug = str(_get(item, "slug"))
                if slug:
                    labels.setdefault(slug, str(_get(item, "label", slug) or slug))
    return labels


def _stop_views(tour: Any) -> dict[str, dict[str, Any]]:
    stops = _get(tour, "stops", None) if not isinstance(tour, list | tuple) else tour
    if isinstance(stops, Mapping):
        stops = list(stops.values())
    out: dict[str, dict[str, Any]] = {}
    for s in stops or []:
        sid = str(_get(s, "id"))
        if not sid:
            continue
        date = _get(s, "date", "")
        date = date.isoformat() if hasattr(date, "isoformat") else str(date or "")
        out[sid] = _Rec({
            "id": sid,
            "town": str(_get(s, "town", sid) or sid),
            "insee_code": str(_get(s, "insee_code", "") or ""),
            "date": date,
            "venue": str(_get(s, "venue", "") or ""),
            "url": f"etapes/{slugify(sid)}.html",
        })
    return out


# --------------------------------------------------------------------------------------------
# The model: every view the pages need, computed once
# --------------------------------------------------------------------------------------------
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
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


class _Rec(dict[str, Any]):
    """A dict whose keys read as attributes too.

    Jinja resolves ``a.name`` with ``getattr`` first and falls back to ``a["name"]`` after an
    exception; on tens of thousands of pages that exception is a measurable cost. The keys used
    here never shadow dict methods.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class _Model:
    actors: list[dict[str, Any]]
    themes: dict[str, dict[str, Any]]
    stops: dict[str, dict[str, Any]]
    communes: dict[str, dict[str, Any]]
    by_theme: dict[str, list[int]]
    by_stop: dict[str, list[int]]
    by_commune: dict[str, list[int]]


def _build_model(public: gpd.GeoDataFrame, taxonomy: Any, tour: Any) -> _Model:
    themes = _theme_views(taxonomy)
    stops = _stop_views(tour)
    legal_labels = {**LEGAL_FORMS, **_vocabulary_labels(taxonomy, "legal_forms")}
    resource_labels = _vocabulary_labels(taxonomy, "resources", "needs", "offers")

    cols = [c for c in public.columns if c != public.geometry.name]
    records = _records(public[cols])
    actors: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for rec in records:
        aid = _str(rec.get("actor_id"))
        if not _SAFE_ID.match(aid):
            raise ValueError(_("actor_id {aid!r} cannot be used in a file name").format(aid=aid))
        if aid in seen_ids:
            raise ValueError(_("actor_id {aid!r} appears twice").format(aid=aid))
        seen_ids.add(aid)
        theme_slugs = _list(rec.get("themes"))
        for slug in theme_slugs:
            if slug not in themes:  # a theme the taxonomy does not know: still listed
                themes[slug] = _Rec({"slug": slug, "label": slug, "colour": _DEFAULT_COLOUR,
                                     "icon": "", "url": f"themes/{slugify(slug)}.html"})
        lat, lon = _float(rec.get("latitude")), _float(rec.get("longitude"))
        located = math.isfinite(lat) and math.isfinite(lon)
        website = safe_url(_str(rec.get("website")))
        if website and not website.lower().startswith(("http://", "https://")):
            website = ""
        email = _str(rec.get("email"))
        phone = _str(rec.get("phone"))
        legal = _str(rec.get("legal_form"))
        dep = _str(rec.get("department"))
        actors.append(_Rec({
            "id": aid,
            "url": f"acteurs/{aid}.html",
            "name": _str(rec.get("name")) or aid,
            "sort": key(_str(rec.get("name"))) or aid,
            "legal_form": legal,
            "legal_form_label": legal_labels.get(legal, legal),
            "theme_slugs": theme_slugs,
            "description": _str(rec.get("description")),
            "address": _str(rec.get("address")),
            "postcode": _str(rec.get("postcode")),
            "commune": _str(rec.get("commune")),
            "commune_former": _str(rec.get("commune_former")),
            "insee_code": _str(rec.get("insee_code")),
            "department": dep,
            "department_name": DEPARTMENTS.get(dep, dep),
            "epci_name": _str(rec.get("epci_name")),
            "website": website,
            "website_label": _display_url(website),
            "email": email,
            "email_href": _mail_href(email),
            "phone": phone,
            "phone_href": _tel_href(phone),
            "needs": [resource_labels.get(x, x) for x in _list(rec.get("needs"))],
            "offers": [resource_labels.get(x, x) for x in _list(rec.get("offers"))],
            "stop_ids": _list(rec.get("stops")),
            "first_seen": _str(rec.get("first_seen")),
            "last_seen": _str(rec.get("last_seen")),
            "siret": _str(rec.get("siret")),
            "hours": hours_view(rec.get("opening_hours")),
            "precision": _str(rec.get("geocode_precision")),
            "precision_label": PRECISIONS.get(_str(rec.get("geocode_precision")), ""),
            "lat": round(lat, 6) if located else None,
            "lon": round(lon, 6) if located else None,
        }))
    for a in actors:
        a["themes"] = [themes[s] for s in a["theme_slugs"]]
        a["colour"] = a["themes"][0]["colour"] if a["themes"] else _DEFAULT_COLOUR

    by_theme: dict[str, list[int]] = defaultdict(list)
    by_stop: dict[str, list[int]] = defaultdict(list)
    by_commune: dict[str, list[int]] = defaultdict(list)
    communes: dict[str, dict[str, Any]] = {}
    order = sorted(range(len(actors)), key=lambda i: (actors[i]["sort"], actors[i]["id"]))
    for i in order:
        a = actors[i]
        for slug in a["theme_slugs"]:
            by_theme[slug].append(i)
        for sid in a["stop_ids"]:
            by_stop[sid].append(i)
        code = a["insee_code"]
        if code and re.match(r"^[0-9AB]{5}\Z", code):
            by_commune[code].append(i)
            if code not in communes:
                name = a["commune"] or code
                communes[code] = _Rec({
                    "insee_code": code,
                    "name": name,
                    "department": a["department"],
                    "department_name": a["department_name"],
                    "url": f"communes/{code}-{slugify(name)}.html",
                    "sort": key(name),
                })
    for a in actors:
        c = communes.get(a["insee_code"])
        a["commune_url"] = c["url"] if c else ""
        a["stops"] = [stops.get(s) or _Rec(id=s, town=s, date="", venue="", url="",
                                            insee_code="") for s in a["stop_ids"]]
    for s in stops.values():
        c = communes.get(s["insee_code"])
        s["commune_url"] = c["url"] if c else ""
    return _Model(actors, themes, stops, communes, dict(by_theme), dict(by_stop),
                  dict(by_commune))


def _nearest_with_ties(xy: np.ndarray, members: np.ndarray, k: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` nearest of ``members`` to each member, plus every point tied with the k-th.

    Returns flat arrays (row member, candidate member, distance). Why the ties: actors located
    at a commune's centre share one point, and which of them a KD-tree returns at equal
    distance depends on the order of the rows; taking them all lets the caller break ties by
    id, so the lists do not change when an unrelated actor is added (or the rows reordered),
    and an unchanged page can be reused by the next build.
    """
    from scipy.spatial import cKDTree

    pts = xy[members]
    n = len(members)
    k = min(k, n)
    tree = cKDTree(pts)
    extra = min(k + 1, n)  # one more than asked: is the k-th tied with the next?
    dist, nn = tree.query(pts, k=extra)
    dist, nn = dist.reshape(n, -1), nn.reshape(n, -1)
    spill = (dist[:, k] <= dist[:, k - 1]) if extra > k else np.zeros(n, dtype=bool)
    rows = [np.repeat(np.flatnonzero(~spill), k)]
    cols = [nn[~spill, :k].ravel()]
    if spill.any():
        where = np.flatnonzero(spill)
        # A hair wider than the k-th distance: the tree's own rounding must not drop a tie
        # (anything further ranks after the ties anyway).
        found = tree.query_ball_point(pts[where], r=dist[where, k - 1] * (1 + 1e-9) + 1e-9)
        rows.append(np.repeat(where, [len(f) for f in found]))
        cols.append(np.fromiter((j for f in found for j in f), dtype=np.int64))
    r, c = np.concatenate(rows), np.concatenate(cols).astype(np.int64)
    diff = pts[r] - pts[c]
    d = np.sqrt(diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1])
    return members[r], members[c], d


def _first_per_row(rows: np.ndarray, keys: list[np.ndarray], limit: int) -> np.ndarray:
    """Indices of the first ``limit`` entries of each row, ordered by ``keys`` (most
    significant first) within the row."""
    order = np.lexsort((*reversed(keys), rows))
    sorted_rows = rows[order]
    start = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    return order[(np.arange(len(order)) - group_start) < limit]


def _neighbours(actors: list[dict[str, Any]]) -> None:
    """Fill ``nearby`` (5 nearest actors) and ``similar`` (5 sharing most themes, nearest first).

    Both use KD-trees on a local equirectangular projection (km), so 50,000 actors cost a
    second, not n². "Similar" looks among the nearest actors of each of the actor's themes and
    ranks them by number of shared themes, then distance. Equal distances (actors placed at
    one commune centre) are broken by actor id, whatever the order of the rows.
    """
    for a in actors:
        a["nearby"] = []
        a["similar"] = []
    located = [i for i, a in enumerate(actors) if a["lat"] is not None]
    if len(located) < 2:
        return
    lat = np.array([actors[i]["lat"] for i in located])
    lon = np.array([actors[i]["lon"] for i in located])
    kx = 111.32 * math.cos(math.radians(float(np.mean(lat))))
    xy = np.column_stack([lon * kx, lat * 110.57])
    idx = np.array(located)
    id_rank = np.empty(len(located), dtype=np.int64)
    id_rank[sorted(range(len(located)), key=lambda p: actors[located[p]]["id"])] = np.arange(
        len(located))

    everyone = np.arange(len(located))
    P, Q, D = _nearest_with_ties(xy, everyone, NEARBY + 1)
    other = P != Q
    P, Q, D = P[other], Q[other], D[other]
    pick = _first_per_row(P, [D, id_rank[Q]], NEARBY)
    nearby: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p, q, d in zip(P[pick].tolist(), idx[Q[pick]].tolist(), D[pick].tolist(), strict=True):
        nearby[p].append((q, d))
    for p, pairs in nearby.items():
        actors[int(idx[p])]["nearby"] = pairs

    # Similar: candidates are the nearest actors of each of the actor's themes; ranked by
    # shared themes (bit masks), then distance, then id.
    slugs = sorted({s for i in located for s in actors[i]["theme_slugs"]})
    if len(slugs) > 62:  # pragma: no cover - more themes than a 64-bit mask
        raise ValueError(_("more than 62 themes"))
    bit = {s: 1 << b for b, s in enumerate(slugs)}
    masks = np.array([sum(bit[s] for s in set(actors[i]["theme_slugs"])) for i in located],
                     dtype=np.int64)
    members: dict[str, list[int]] = defaultdict(list)
    for p, i in enumerate(located):
        for slug in actors[i]["theme_slugs"]:
            members[slug].append(p)
    parts = [_nearest_with_ties(xy, np.array(ps), SIMILAR * 2 + 1)
             for ps in members.values() if len(ps) >= 2]
    if not parts:
        return
    P = np.concatenate([x[0] for x in parts])
    Q = np.concatenate([x[1] for x in parts])
    D = np.concatenate([x[2] for x in parts])
    other = P != Q
    P, Q, D = P[other], Q[other], D[other]
    # One entry per (p, q): the same pair found through two themes has the same distance.
    order = np.lexsort((Q, P))
    first = np.r_[True, (P[order][1:] != P[order][:-1]) | (Q[order][1:] != Q[order][:-1])]
    P, Q, D = P[order[first]], Q[order[first]], D[order[first]]
    shared = np.bitwise_count(masks[P] & masks[Q]).astype(np.int64)
    pick = _first_per_row(P, [-shared, D, id_rank[Q]], SIMILAR)
    similar: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p, q, d in zip(P[pick].tolist(), idx[Q[pick]].tolist(), D[pick].tolist(), strict=True):
        similar[p].append((q, d))
    for p, pairs in similar.items():
        actors[int(idx[p])]["similar"] = pairs


def _fragments(model: _Model) -> None:
    """Pre-render the HTML that many pages repeat: each actor's link and list entry, each
    theme's badge. Escaping once per actor instead of once per mention keeps 50,000 pages fast.

    The fragments use ``../`` links: every page that lists actors or badges (actor, commune,
    theme and stop pages) sits one folder below the site root.
    """
    for t in model.themes.values():
        t["badge_html"] = Markup(
            '<li><a class="badge" href="../{url}"><svg class="swatch" width="12" height="12" '
            'viewBox="0 0 12 12" aria-hidden="true" focusable="false"><circle cx="6" cy="6" '
            'r="6" fill="{colour}"/></svg>{label}</a></li>'
        ).format(url=t["url"], colour=t["colour"], label=t["label"])
    # f-strings over escape() give what Markup.format gives, several times faster.
    theme_text: dict[tuple[str, ...], str] = {}
    for a in model.actors:
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


def _bars(counter: Mapping[str, int], labels: Mapping[str, str] | None = None,
          urls: Mapping[str, str] | None = None, colours: Mapping[str, str] | None = None,
          *, order: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows of an HTML bar chart: label, count, percentage of the largest, link, colour."""
    keys = list(order) if order is not None else sorted(
        counter, key=lambda k: (-counter[k], (labels or {}).get(k, k))
    )
    peak = max((counter.get(k, 0) for k in keys), default=0) or 1
    total = sum(counter.get(k, 0) for k in keys) or 1
    return [
        {
            "key": k,
            "label": (labels or {}).get(k, k) or "non renseigné",
            "count": counter.get(k, 0),
            "width": round(100 * counter.get(k, 0) / peak, 1),
            "share": round(100 * counter.get(k, 0) / total, 1),
            "url": (urls or {}).get(k, ""),
            "colour": (colours or {}).get(k, "#2f5d8a"),
        }
        for k in keys
    ]


def _theme_bars(counter: Mapping[str, int],
                themes: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`_bars` of a count per theme slug, with each theme's label, page and colour."""
    return _bars(counter, {t: themes[t]["label"] for t in counter},
                 {t: themes[t]["url"] for t in counter},
                 {t: themes[t]["colour"] for t in counter})


def _points(actors: list[dict[str, Any]], ids: Iterable[int], root: str,
            highlight: str = "") -> list[dict[str, Any]]:
    pts = []
    for i in ids:
        a = actors[i]
        if a["lat"] is None:
            continue
        pts.append({"lat": a["lat"], "lon": a["lon"], "name": a["name"],
                    "url": root + a["url"], "colour": a["colour"],
                    **({"current": True} if a["id"] == highlight else {})})
    return pts


def _map_data(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {"points": points, "tiles": BASE_MAP.get("url", ""),
            "subdomains": BASE_MAP.get("subdomains", ""),
            "attribution": BASE_MAP.get("attribution", ""),
            "max_zoom": BASE_MAP.get("max_zoom", 19)}


# --------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------
def _site_static_files() -> list[tuple[str, Any]]:
    base = resources.files("safi_map") / "resources" / "static" / "site"
    out = []
    for entry in sorted(base.iterdir(), key=lambda e: e.name):
        if entry.is_file() and not entry.name.startswith("."):
            out.append((entry.name, entry))
    return out


def _copy_assets(writer: Writer) -> dict[str, str]:
    """Copy the map's assets (:func:`safi_map.map.assets.copy_assets`: Leaflet included) and the
    site's own files.

    Returns the root-relative paths of the Leaflet script and stylesheet for the small maps.
    """
    found: dict[str, str] = {}
    for p in sorted(copy_assets(writer.staging_dir / "assets")):
        rel = writer.adopt(p)
        name = Path(rel).name
        if name in ("leaflet.js", "leaflet.css") and name not in found:
            found[name] = rel
    for name, entry in _site_static_files():
        writer.write_bytes(f"assets/site/{name}", entry.read_bytes())
    writer.write_text("assets/site/departements.js", _outlines_script())
    return found


def _outlines_script() -> str:
    """Department outlines as a script that sets a global: a base map without the network.

    A script file (not a .json fetched at run time) because ``fetch`` is refused from
    ``file://`` pages, and the site must work from a folder.
    """
    ref = resources.files("safi_map") / "resources" / "reference" / "departements_paca.geojson.gz"
    try:
        data = json.loads(gzip.decompress(ref.read_bytes()))
    except (FileNotFoundError, OSError, ValueError):
        data = {"type": "FeatureCollection", "features": []}
    return f"window.SAFI_OUTLINES = {json_for_script(data)};\n"


# --------------------------------------------------------------------------------------------
# Data downloads
# --------------------------------------------------------------------------------------------
def _write_downloads(writer: Writer, public: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    from safi_map.ingestion.io import actors_to_geojson, write_actors

    frame = public.sort_values("actor_id", kind="stable").reset_index(drop=True)
    files = []
    writer.write_text("donnees/acteurs.geojson", actors_to_geojson(frame))
    files.append(("donnees/acteurs.geojson", "GeoJSON", "pour les outils web et SIG"))
    write_actors(frame, writer.claim("donnees/acteurs.csv"), "csv")
    files.append(("donnees/acteurs.csv", "CSV", "pour les tableurs (UTF-8, séparateur virgule)"))
    write_actors(frame, writer.claim("donnees/acteurs.gpkg"), "gpkg")
    files.append(("donnees/acteurs.gpkg", "GeoPackage", "pour QGIS et les SIG"))
    out = []
    for rel, fmt, use in files:
        size = (writer.staging_dir / rel).stat().st_size
        out.append({"url": rel, "format": fmt, "use": use,
                    "size": french_number(size / 1024, 0 if size >= 10240 else 1) + " ko"})
    return out


# --------------------------------------------------------------------------------------------
# Actor pages (optionally in worker processes)
# --------------------------------------------------------------------------------------------
PAGE_CACHE = True
"""Reuse actor pages whose inputs are unchanged since the previous build (set False to render
every page, e.g. to time a cold build)."""
PARALLEL_MIN_ACTORS = 4000
"""Below this many actors, forking workers costs more than it saves."""
_CHUNK = 500


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def _inputs_salt(env: jinja2.Environment, *parts: Any) -> bytes:
    """Digest of what every page shares: templates, the code that renders, versions, context.

    Part of each cached page's digest (:class:`~._writer.PageCache`): a change to any template,
    to this module, to synergies (filters, fragments, items), to the sharing tags or the
    report link (Jinja globals), to Jinja2/MarkupSafe or to the
    site settings gives every page a new digest, so nothing stale is ever reused.
    """
    from safi_map.analysis import synergies, synergy_index
    from safi_map.site import report_change, sharing

    h = hashlib.blake2b(digest_size=20)
    for name in sorted(env.list_templates()):
        source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
        h.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
    for module in (__file__, synergies.__file__, synergy_index.__file__, sharing.__file__,
                   report_change.__file__):
        h.update(Path(module).read_bytes())
    h.update(" ".join(_version(d) for d in ("jinja2", "markupsafe", "safi-map")).encode())
    h.update(json.dumps([BASE_MAP, CSP, NEARBY, SIMILAR, *parts], sort_keys=True,
                        default=str).encode("utf-8"))
    return h.digest()


@dataclass
class _ActorPages:
    template: jinja2.Template
    actors: list[dict[str, Any]]
    themes: dict[str, dict[str, Any]]
    base_ctx: dict[str, Any]
    chrome: tuple[Markup, Markup]
    staging: Path
    synergies: Any  # synergies.SynergyIndex (None in the parent once the workers have it)
    cache: PageCache | None = None
    salt: bytes = b""
    _prints: dict[int, bytes] = field(default_factory=dict)

    def _print(self, i: int) -> bytes:
        """Digest of actor ``i``'s own fields (what any page may show of it), memoised."""
        found = self._prints.get(i)
        if found is None:
            # repr, not JSON: twice as fast, and as deterministic here (the records are built
            # in a fixed key order and hold only str, numbers, None, lists, dicts, Markup).
            a = self.actors[i]
            own = [(k, v) for k, v in a.items() if k not in ("nearby", "similar")]
            found = self._prints[i] = hashlib.blake2b(repr(own).encode("utf-8"),
                                                      digest_size=16).digest()
        return found

    def compute_prints(self) -> None:
        """:meth:`_print` of every actor at once."""
        for i in range(len(self.actors)):
            self._print(i)

    def digest(self, i: int) -> str:
        """Digest of every input of actor ``i``'s page: the actor, its nearby and similar
        actors (their fields, distances), its synergies, and the shared salt."""
        a = self.actors[i]
        h = hashlib.blake2b(self.salt, digest_size=20)
        h.update(self._print(i))
        for label, pairs in ((b"n", a["nearby"]), (b"s", a["similar"])):
            h.update(label)
            for j, d in pairs:  # the page shows the distance to 0.1 km, not the float
                h.update(self._print(j) + french_number(d, 1).encode())
        # The rows the synergy entry is made of: cheaper than building the entry.
        h.update(b"f" + self.synergies.fingerprint(a["id"]))
        return h.hexdigest()

    def render_range(self, start: int, stop: int) -> tuple[int, int, int, list[str]]:
        """Render and write the pages of actors ``start:stop``.

        Returns (pages, bytes, pages reused from the cache, digests of the pages).
        """
        acts, root = self.actors, "../"
        nbytes = reused = 0
        digests: list[str] = []
        cache = self.cache if self.cache is not None and self.cache.enabled else None
        for i in range(start, stop):
            a = acts[i]
            target = self.staging / a["url"]
            digest = ""
            if cache is not None:
                digest = self.digest(i)
                digests.append(digest)
                size = cache.reuse(digest, target)
                if size is not None:
                    nbytes += size
                    reused += 1
                    continue
            synergies = self.synergies.get(a["id"])
            nearby = [_Rec(actor=acts[j], km=french_number(d, 1)) for j, d in a["nearby"]]
            similar = [_Rec(actor=acts[j], km=french_number(d, 1),
                            shared=[self.themes[s] for s in acts[j]["theme_slugs"]
                                    if s in a["theme_slugs"]]) for j, d in a["similar"]]
            map_data = None
            if a["lat"] is not None:
                pts = _points(acts, [i, *(j for j, _ in a["nearby"])], root, highlight=a["id"])
                map_data = _map_data(pts)
            html = self.template.render(
                **self.base_ctx, root=root, page_path=a["url"], header_html=self.chrome[0],
                footer_html=self.chrome[1], actor=a, nearby=nearby, similar=similar,
                map_data=map_data, nav="annuaire", synergies=synergies,
            ).encode("utf-8")
            with open(target, "wb") as fh:
                fh.write(html)
            nbytes += len(html)
            if cache is not None:
                cache.add(digest, target)
        return stop - start, nbytes, reused, digests


Side = Callable[[Writer], Any]
"""A site output that needs the whole data but no page (synergies, diagnostic, downloads): it
writes its files through the (detached) writer it is given and returns what the parent needs."""

_WORK: tuple[_ActorPages | None, dict[str, Side], Writer] | None = None
"""Set in the parent before forking; read by the workers."""


def _run_side(side: Side, writer: Writer) -> tuple[Any, list[str], int]:
    """Run ``side`` into a detached view of ``writer``: (its result, paths written, bytes)."""
    view = writer.detached()
    result = side(view)
    return result, view.paths, view.bytes_written


def _side_process(conn: Any, names: list[str]) -> None:
    """Body of a lone side worker (a forked process): runs the side outputs ``names`` in
    order and sends each result, or the error that stopped it, down the pipe ``conn``."""
    assert _WORK is not None
    _unused, sides, writer = _WORK
    try:
        for name in names:
            conn.send(("side", name, _run_side(sides[name], writer)))
    except BaseException as exc:  # handed to the parent, which raises it
        import traceback

        detail = traceback.format_exc()
        try:
            conn.send(("error", exc, detail))
        except Exception:  # an exception that cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), detail))
    finally:
        conn.close()


def _work(task: tuple[Any, ...]) -> tuple[Any, ...]:
    assert _WORK is not None
    job, sides, writer = _WORK
    if task[0] == "actors":
        assert job is not None
        return ("actors", job.render_range(task[1], task[2]))
    return ("side", task[1], _run_side(sides[task[1]], writer))


class _PageRun:
    """Render the actor pages and the side outputs, in forked workers when it pays off.

    Entering starts the workers at once, so they render actor pages and the side outputs
    (the map, synergies, diagnostic and downloads: seconds of work at the scale of the
    region, needed by no page) while the parent goes on with the rest of the site. Without
    workers, the side outputs run when the parent calls :meth:`run_sides` and the actor pages
    as :meth:`results` is read. :meth:`results` yields ``("actors", (pages, bytes, reused,
    digests))`` per chunk and ``("side", name, (result, paths, bytes))`` per side output; the
    caller registers the side paths with its writer. Leaving always stops the workers, so an
    error or Ctrl-C elsewhere does not leave processes behind.

    With side outputs only and one worker, the worker is a plain forked process talking
    through a pipe rather than a pool: a pool runs threads in the parent, and the parent
    forks again later (the page workers), which is best done without threads running.
    """

    def __init__(self, job: _ActorPages | None, total: int, sides: dict[str, Side],
                 writer: Writer, *, parallel: bool | None = None,
                 workers: int | None = None) -> None:
        self.job = job
        self.sides = sides
        self.writer = writer
        self.chunks = [(i, min(i + _CHUNK, total)) for i in range(0, total, _CHUNK)]
        cpus = min(os.cpu_count() or 1, 4)
        wanted = total >= PARALLEL_MIN_ACTORS if parallel is None else parallel
        self.parallel = wanted and cpus >= 2 and "fork" in mp.get_all_start_methods()
        self.workers = workers or cpus
        self._pool: Any = None
        self._process: Any = None
        self._conn: Any = None
        self._results: Iterator[tuple[Any, ...]] | None = None
        self._done: list[tuple[Any, ...]] = []
        self._early: list[tuple[Any, ...]] = []  # results read while waiting for take()
        self._taken: set[str] = set()

    def __enter__(self) -> _PageRun:
        global _WORK
        if not self.parallel:
            return self
        _WORK = (self.job, self.sides, self.writer)
        context = mp.get_context("fork")
        if self.job is None and self.workers == 1:
            self._conn, child_end = context.Pipe(duplex=False)
            self._process = context.Process(target=_side_process,
                                            args=(child_end, list(self.sides)), daemon=True)
            self._process.start()
            child_end.close()
            self._results = iter(self._receive())
            return self
        self._pool = context.Pool(self.workers)
        # Side outputs first: they are the longest tasks, the chunks fill in around them.
        tasks: list[tuple[str, Any] | tuple[str, int, int]] = [
            ("side", name) for name in self.sides]
        tasks += [("actors", start, stop) for start, stop in self.chunks]
        self._results = self._pool.imap_unordered(_work, tasks)
        return self

    def _receive(self) -> Iterator[tuple[Any, ...]]:
        for _unused in self.sides:
            try:
                message = self._conn.recv()
            except EOFError:
                raise RuntimeError(_("the worker writing the site's side outputs stopped "
                                   "unexpectedly")) from None
            if message[0] == "error":
                logger.debug("side output failed in its worker:\n%s", message[2])
                raise message[1]
            yield message

    def take(self, name: str) -> Any:
        """The result of the side output ``name`` (one that writes no file), as soon as it is
        ready: computed now without workers, else waited for (the results that come first
        are kept for :meth:`results`, which will not yield this one)."""
        self._taken.add(name)
        if self._results is None:
            return self.sides[name](self.writer)
        for item in self._results:
            if item[0] == "side" and item[1] == name:
                return item[2][0]
            self._early.append(item)
        raise RuntimeError(_("side output {name!r} never came back from its worker").format(
                               name=name))

    def run_sides(self) -> None:
        """Without workers, run the side outputs now (with workers: they are running)."""
        if not self.parallel:
            self._done = [("side", name, _run_side(side, self.writer))
                          for name, side in self.sides.items() if name not in self._taken]

    def results(self) -> Iterable[tuple[Any, ...]]:
        if self._results is not None:
            yield from self._early
            yield from self._results
        else:
            yield from self._done
            for bounds in self.chunks:
                assert self.job is not None
                yield ("actors", self.job.render_range(*bounds))

    def __exit__(self, *exc: object) -> None:
        global _WORK
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._conn.close()
            self._process = None
        _WORK = None


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------
def build_site(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    settings: Settings,
    report: Report | None = None,
    out_dir: Path,
    progress: Progress | None = None,
    changes: Any = None,
    force: bool = False,
) -> SiteSummary:
    """Build the whole static site into ``out_dir``, replacing the previous one atomically.

    Parameters
    ----------
    actors
        The actors GeoDataFrame (canonical columns). It is passed through
        :func:`~safi_map.model.public.public_actors` here, so callers cannot forget the consent gate.
    taxonomy, tour
        The themes and the stops (``Taxonomy``/``Tour`` objects, or lists of dicts with the
        same fields).
    settings
        Title, ``site_url`` (for the embed snippet and the 404 page) and, through
        ``config_path``, the ``templates/`` folder that may override the package templates.
    report
        The ingest report; its summary is shown on the statistics page.
    out_dir
        Destination folder; the previous content is kept if the build fails.
    progress
        ``progress(done, total)`` counted in pages, called as pages are written.
    changes
        :class:`~safi_map.ingestion.changes.Changes` since the previous build, shown on ``changes.html``
        (and as "new" on the map); None when there is nothing to compare with.
    force
        Render every page, even those the previous build left unchanged (``--force``).

    Returns
    -------
    SiteSummary
    """
    # The build makes millions of small objects and few reference cycles: Python's cyclic
    # collector would walk the whole heap again and again (seconds at 50,000 actors) and, in
    # the forked page workers, touch every inherited object (copy-on-write: memory). It is
    # paused for the build and restored after.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_site(actors, taxonomy=taxonomy, tour=tour, settings=settings,
                           report=report, out_dir=out_dir, progress=progress, changes=changes,
                           force=force)
    finally:
        if paused:
            gc.enable()


def _memory_mb() -> tuple[int, int]:
    """(resident, peak resident) memory of this process in MB, for the laps (0 if unknown)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20, peak
    except (ImportError, OSError, ValueError, IndexError, AttributeError):
        return 0, 0


def _build_site(actors: gpd.GeoDataFrame, *, taxonomy: Any, tour: Any, settings: Settings,
                report: Report | None, out_dir: Path, progress: Progress | None,
                changes: Any, force: bool = False) -> SiteSummary:
    started = time.perf_counter()
    last = [started, time.process_time()]

    def lap(stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        logger.debug("site: %s took %.2f s (%.2f s CPU), %d MB resident (peak %d MB)", stage,
                     now - last[0], cpu - last[1], *_memory_mb())
        last[0], last[1] = now, cpu

    out_dir = Path(out_dir)
    public = public_actors(actors)
    user_templates = (
        settings.config_path.parent / "templates" if settings.config_path is not None else None
    )
    env = make_environment(user_templates)
    title = settings.title
    site_url = settings.site_url.strip()
    if site_url and not site_url.endswith("/"):
        site_url += "/"

    with Writer(out_dir) as writer, ExitStack() as stack:
        assets = _copy_assets(writer)
        base_ctx: dict[str, Any] = {
            "site_title": title,
            "site_url": site_url,
            "report_url": settings.report_url,
            "leaflet_js": assets.get("leaflet.js", ""),
            "leaflet_css": assets.get("leaflet.css", ""),
        }
        # The synergy pairs, then the map, need only the public actors: when the site is
        # large they start now in a forked worker, while this process computes the model and
        # the neighbours (then takes the pairs). scipy (KD-trees), loaded before the fork,
        # serves both processes. The downloads and the diagnostic go to the page workers.
        import scipy.spatial  # noqa: F401

        from safi_map.analysis import synergies

        early = stack.enter_context(_PageRun(
            None, 0, {"pairs": lambda w: synergies.suggest_pairs(public, taxonomy=taxonomy),
                      "map": lambda w: _write_map_pages(
                          w, public, taxonomy=taxonomy, tour=tour, title=title, env=env,
                          base_ctx=base_ctx, new_ids=changes.new if changes is not None
                          and not changes.first_build else None)},
            writer, parallel=len(public) >= PARALLEL_MIN_ACTORS, workers=1))
        lap("assets")
        model = _build_model(public, taxonomy, tour)
        lap("model")
        _neighbours(model.actors)
        lap("neighbours")
        pairs = early.take("pairs")
        syn_by_actor = synergies.SynergyIndex(pairs, taxonomy=taxonomy)
        lap("synergies")
        _fragments(model)
        agendas = write_tour_calendars(writer, model, sorted(model.stops.values(), key=lambda s: (
            s["date"], s["id"])), site_title=title, site_url=site_url)
        summary = SiteSummary(out_dir=out_dir, actors=len(model.actors),
                              communes=len(model.by_commune), themes=len(model.by_theme),
                              stops=len(model.stops))
        pages: Counter[str] = Counter()
        acts = model.actors

        expected = (len(model.actors) + len(model.by_commune) + len(model.by_theme)
                    + len(model.stops) + 11)

        def emit() -> None:
            if progress is not None:
                progress(sum(pages.values()), expected)

        header_tpl = env.get_template("_header.html")
        footer_tpl = env.get_template("_footer.html")
        chrome_cache: dict[tuple[str, str], tuple[Markup, Markup]] = {}

        def chrome_for(root: str, nav: str) -> tuple[Markup, Markup]:
            """Header and footer, rendered once per (depth, current section)."""
            chrome = chrome_cache.get((root, nav))
            if chrome is None:
                chrome = chrome_cache[(root, nav)] = (
                    Markup(header_tpl.render(**base_ctx, root=root, nav=nav)),
                    Markup(footer_tpl.render(**base_ctx, root=root, nav=nav)),
                )
            return chrome

        def render(template: jinja2.Template, rel: str, kind: str, *, root: str | None = None,
                   digest: str = "", **ctx: Any) -> None:
            """Render and write one page; ``digest`` (see :func:`page_digest`) caches it."""
            if root is None:
                root = "../" * rel.count("/")
            chrome = chrome_for(root, ctx.get("nav", ""))
            html = template.render(**base_ctx, root=root, page_path=rel, header_html=chrome[0],
                                   footer_html=chrome[1], **ctx)
            path = writer.write_text(rel, html)
            if digest and page_cache is not None:
                page_cache.add(digest, path)
                used_digests.add(digest)
            pages[kind] += 1

        # Actors ----------------------------------------------------------------------------
        # The one part that grows with the data (50,000 actors = 50,000 files): started now in
        # forked workers (when there are many) that write their files into the staging folder
        # while this process writes everything else. Paths are claimed here first, so
        # duplicates are still refused.
        writer.reserve(a["url"] for a in acts)
        chrome = chrome_for("../", "annuaire")
        page_cache = PageCache(out_dir, reuse=not force) if PAGE_CACHE else None
        actor_job = _ActorPages(env.get_template("acteur.html"), acts, model.themes, base_ctx,
                                chrome, writer.staging_dir, syn_by_actor, page_cache,
                                _inputs_salt(env, base_ctx, chrome,
                                             sorted(syn_by_actor.labels.items())))
        used_digests: set[str] = set()
        held = {"pairs": pairs}  # dropped as soon as the synergy pages are written
        del pairs

        if page_cache is not None and page_cache.enabled:
            # Every actor's print and the synergy rows' hashes, before the workers fork: they
            # (and the listing pages) use them.
            actor_job.compute_prints()
            syn_by_actor.prepare()
        actor_run = stack.enter_context(_PageRun(
            actor_job, len(acts),
            {"synergies": lambda w: _write_synergy_pages(
                w, public, held.pop("pairs"), taxonomy=taxonomy, tour=tour, settings=settings,
                env=env, base_ctx=base_ctx),
             "downloads": lambda w: _write_downloads(w, public),
             "diagnostic": lambda w: _write_diagnostic_pages(
                 w, public, taxonomy=taxonomy, tour=tour, settings=settings, env=env,
                 base_ctx=base_ctx)}, writer))
        # Commune, theme and stop pages are cached like actor pages: a digest of the page's
        # own context, of every actor it lists (their memoised prints) and of the shared salt
        # (templates, code, chrome) plus the theme views that colour its bars.
        list_salt = hashlib.blake2b(actor_job.salt + repr(model.themes).encode("utf-8"),
                                    digest_size=20).digest()

        def page_digest(template: jinja2.Template, rel: str, ids: Iterable[int],
                        **parts: Any) -> str:
            """Digest of a listing page: ``parts`` are its context besides the actors."""
            if page_cache is None or not page_cache.enabled:
                return ""
            h = hashlib.blake2b(list_salt, digest_size=20)
            h.update(f"{template.name}\0{rel}\0{sorted(parts.items())!r}".encode())
            print_of = actor_job._print
            h.update(b"".join([print_of(i) for i in ids]))
            return h.hexdigest()

        def reused(rel: str, kind: str, digest: str) -> bool:
            """Link the page cached under ``digest`` to ``rel``; False if it must be made."""
            if not digest or not writer.reuse(rel, page_cache, digest):
                return False
            used_digests.add(digest)
            pages[kind] += 1
            summary.pages_reused += 1
            return True
        lap("fragments, prints, page workers started")
        # Without workers, the synergy pages first: then the pairs (a quarter of a million rows
        # at 50,000 actors) can go before the downloads and the map, which peak in memory.
        actor_run.run_sides()
        early.run_sides()
        if actor_run.parallel:  # the workers have their own copy (fork)
            held.clear()
            actor_job.synergies = None
            del syn_by_actor
        lap("side outputs (when there are no workers)")

        surveyed_stops = {
            str(_get(stop, "id")) for stop in (_get(tour, "stops", None) or [])
            if _get(stop, "surveys", None) and any(Path(p).is_file() for p in _get(stop, "surveys"))
        } if not isinstance(tour, list | tuple) else set()

        # Index pages ------------------------------------------------------------------------
        themes_sorted = sorted(model.themes.values(), key=lambda t: key(t["label"]))
        themes_listed = [t for t in themes_sorted if t["slug"] in model.by_theme]
        stops_sorted = sorted(model.stops.values(), key=lambda s: (s["date"], s["id"]))
        communes_sorted = sorted(model.communes.values(), key=lambda c: (c["sort"], c["insee_code"]))
        for c in communes_sorted:
            c["count"] = len(model.by_commune[c["insee_code"]])
        theme_counts = {s: len(v) for s, v in model.by_theme.items()}
        stop_counts = {s: len(model.by_stop.get(s, [])) for s in model.stops}

        posters = _write_posters(writer, public, taxonomy=taxonomy, tour=tour, settings=settings,
                                 model=model, cache_dir=out_dir.parent / "cache" / "posters",
                                 force=force)
        lap("posters")
        by_dep: Counter[str] = Counter(a["department"] for a in acts)
        by_legal: Counter[str] = Counter(a["legal_form"] for a in acts)
        by_precision: Counter[str] = Counter(a["precision"] for a in acts)
        legal_labels = {a["legal_form"]: a["legal_form_label"] for a in acts}
        stats = {
            "themes": _theme_bars(theme_counts, model.themes),
            "departments": _bars(by_dep, {d: DEPARTMENTS.get(d, d) for d in by_dep}, None,
                                 order=sorted(by_dep)),
            "legal_forms": _bars(by_legal, legal_labels),
            "stops": _bars(stop_counts, {s: f"{v['town']} ({french_date(v['date'])})"
                                         for s, v in model.stops.items()},
                           {s: v["url"] for s, v in model.stops.items()},
                           order=[s["id"] for s in stops_sorted]),
            "communes": _bars({c: len(v) for c, v in model.by_commune.items()},
                              {c: v["name"] for c, v in model.communes.items()},
                              {c: v["url"] for c, v in model.communes.items()})[:20],
            "precision": _bars(by_precision, PRECISIONS, order=[
                p for p in PRECISIONS if p in by_precision
            ] + sorted(set(by_precision) - set(PRECISIONS))),
            "communes_covered": len(model.by_commune),
            "departments_covered": len([d for d in by_dep if d]),
            "located": sum(1 for a in acts if a["lat"] is not None),
            "with_contact": sum(1 for a in acts if a["email"] or a["phone"]),
        }
        report_summary = report.summary() if report is not None else None
        render(env.get_template("statistiques.html"), "statistiques.html", "stats",
               stats=stats, total=len(acts), report=report_summary, nav="stats",
               posters=posters.listing if posters else None)
        render(env.get_template("annuaire.html"), "annuaire.html", "directory",
               themes=themes_listed, stops=stops_sorted, communes=communes_sorted,
               theme_counts=theme_counts, stop_counts=stop_counts, total=len(acts),
               departments=sorted({c["department"] for c in communes_sorted}),
               department_names=DEPARTMENTS, nav="annuaire")
        render(env.get_template("integrer.html"), "integrer.html", "embed",
               nav="integrer")
        render(env.get_template("404.html"), "404.html", "404", root=site_url)
        calendar = [{**s, "count": stop_counts.get(s["id"], 0),
                     "done": stop_counts.get(s["id"], 0) > 0 or s["id"] in surveyed_stops}
                    for s in stops_sorted]
        render(env.get_template("calendrier.html"), "calendrier.html", "calendar",
               stops=calendar, done=sum(1 for s in calendar if s["done"]), agendas=agendas,
               nav="calendrier")
        history = history_page(changes.history, {a["id"]: (a["name"], a["url"]) for a in acts},
                               {s["id"]: s for s in stops_sorted}) if changes else None
        news = write_news_feeds(writer, history, acts, site_title=title, site_url=site_url,
                                field_labels=FIELD_LABELS, department_names=DEPARTMENTS)
        render(env.get_template("changes.html"), "changes.html", "changes", changes=changes,
               history=history, feeds=news, nav="changes")
        lap("calendar and changes")

        lap("index pages")
        # Themes -----------------------------------------------------------------------------
        tpl = env.get_template("theme.html")
        for t in themes_listed:
            ids = model.by_theme[t["slug"]]
            poster = posters.themes.get(t["slug"], "") if posters else ""
            digest = page_digest(tpl, t["url"], ids, theme=t, poster=poster)
            if reused(t["url"], "theme", digest):
                continue
            deps = Counter(acts[i]["department"] for i in ids)
            coms = Counter(acts[i]["insee_code"] for i in ids if acts[i]["insee_code"])
            render(tpl, t["url"], "theme", digest=digest, theme=t, actors=[acts[i] for i in ids],
                   poster=poster,
                   departments=_bars(deps, {d: DEPARTMENTS.get(d, d) for d in deps},
                                     order=sorted(deps)),
                   communes_count=len(coms), nav="annuaire")
        emit()

        # Stops ------------------------------------------------------------------------------
        tpl = env.get_template("etape.html")
        for s in stops_sorted:
            ids = model.by_stop.get(s["id"], [])
            poster = posters.stops.get(s["id"], "") if posters else ""
            digest = page_digest(tpl, s["url"], ids, stop=s, poster=poster)
            if reused(s["url"], "stop", digest):
                continue
            tc = Counter(slug for i in ids for slug in acts[i]["theme_slugs"])
            root = "../"
            render(tpl, s["url"], "stop", digest=digest, stop=s, actors=[acts[i] for i in ids],
                   poster=poster,
                   theme_bars=_theme_bars(tc, model.themes),
                   map_data=_map_data(_points(acts, ids, root)), nav="annuaire")
        emit()

        # Communes ---------------------------------------------------------------------------
        tpl = env.get_template("commune.html")
        stops_by_commune: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for s in stops_sorted:
            if s["insee_code"]:
                stops_by_commune[s["insee_code"]].append(s)
        total = len(communes_sorted)
        for n, c in enumerate(communes_sorted, 1):
            ids = model.by_commune[c["insee_code"]]
            poster = posters.communes.get(c["insee_code"], "") if posters else ""
            here = stops_by_commune.get(c["insee_code"], [])
            digest = page_digest(tpl, c["url"], ids, commune=c, poster=poster, stops=here)
            if not reused(c["url"], "commune", digest):
                tc = Counter(slug for i in ids for slug in acts[i]["theme_slugs"])
                root = "../"
                render(tpl, c["url"], "commune", digest=digest, commune=c,
                       actors=[acts[i] for i in ids], poster=poster,
                       theme_bars=_theme_bars(tc, model.themes),
                       stops=here, map_data=_map_data(_points(acts, ids, root)),
                       nav="annuaire")
            if n % 200 == 0 or n == total:
                emit()

        lap("theme, stop and commune pages")
        # Actors: collect what the workers rendered ---------------------------------------
        downloads: list[dict[str, Any]] = []
        for item in itertools.chain(early.results(), actor_run.results()):
            if item[0] == "side":
                name, (result, paths, nbytes) = item[1], item[2]
                writer.register(paths, nbytes)
                if name == "downloads":
                    downloads = result
                else:
                    pages.update(result)
                continue
            count, nbytes, reused_here, digests = item[1]
            writer.bytes_written += nbytes
            pages["actor"] += count
            summary.actor_pages_reused += reused_here
            summary.pages_reused += reused_here
            used_digests.update(digests)
            emit()
        lap("actor pages (and side outputs with workers)")
        # After the downloads: it gives their sizes.
        render(env.get_template("a-propos.html"), "a-propos.html", "about",
               downloads=downloads, total=len(acts), nav="apropos")
        render(env.get_template("accessibilite.html"), "accessibilite.html", "about")
        write_crawler_files(writer, site_url)  # last: the sitemap lists every page written
        summary.files = len(writer.paths)
        summary.bytes = writer.bytes_written
    if page_cache is not None and page_cache.enabled:
        page_cache.prune(used_digests)
    lap("commit")
    logger.debug("site: %d of %d actor pages and %d other pages reused from the previous "
                 "build", summary.actor_pages_reused, summary.actors,
                 summary.pages_reused - summary.actor_pages_reused)
    summary.pages = sum(pages.values())
    if progress is not None:
        progress(summary.pages, summary.pages)
    summary.page_counts = dict(sorted(pages.items()))
    summary.seconds = time.perf_counter() - started
    logger.info("%s (%.1f s)", summary, summary.seconds)
    return summary


def _page_context(public: gpd.GeoDataFrame, pairs: Any, *, taxonomy: Any, tour: Any,
                  settings: Settings, env: jinja2.Environment,
                  base_ctx: dict[str, Any]) -> SimpleNamespace:
    """What a page family's ``write_pages(ctx, writer)`` reads (site/pages/*.py)."""
    return SimpleNamespace(public=public, taxonomy=taxonomy, tour=tour, settings=settings,
                           env=env, base=base_ctx, pairs=pairs)


def _write_synergy_pages(writer: Writer, public: gpd.GeoDataFrame, pairs: Any, *,
                         taxonomy: Any, tour: Any, settings: Settings, env: jinja2.Environment,
                         base_ctx: dict[str, Any]) -> Counter[str]:
    """``synergies.html`` (who can help whom) and its CSV; the pages written."""
    from safi_map.site.pages import synergies

    return synergies.write_pages(_page_context(
        public, pairs, taxonomy=taxonomy, tour=tour, settings=settings, env=env,
        base_ctx=base_ctx), writer)


def _write_diagnostic_pages(writer: Writer, public: gpd.GeoDataFrame, *, taxonomy: Any,
                            tour: Any, settings: Settings, env: jinja2.Environment,
                            base_ctx: dict[str, Any]) -> Counter[str]:
    """``diagnostic.html`` (coverage, gaps) and its CSV tables; the pages written."""
    from safi_map.site.pages import diagnostic

    return diagnostic.write_pages(_page_context(
        public, None, taxonomy=taxonomy, tour=tour, settings=settings, env=env,
        base_ctx=base_ctx), writer)


POSTERS_AUTO_MAX_ACTORS = 2000
"""With ``posters = "auto"``, posters are drawn only up to this many actors."""


@dataclass
class _Posters:
    """Site-relative URLs of the ready-made posters, by commune, theme and stop."""

    communes: dict[str, str]
    themes: dict[str, str]
    stops: dict[str, str]
    listing: dict[str, Any]


def _write_posters(writer: Writer, actors: gpd.GeoDataFrame, *, taxonomy: Any, tour: Any,
                   settings: Settings, model: _Model, cache_dir: Path,
                   force: bool = False) -> _Posters | None:
    """Ready-made A3 posters (``affiches/``) of every commune, theme and stop with enough
    actors, rendered through :func:`~safi_map.export.api.poster_set` and its content cache
    (``build/cache/posters`` for ``build/site``): a rebuild renders only the posters whose
    content changed."""
    if settings.posters == "auto" and len(actors) > POSTERS_AUTO_MAX_ACTORS:
        logger.warning(_("posters skipped: %d actors (more than %d); set [site] posters = true "
                       "in safi-map.toml to draw them anyway"), len(actors),
                       POSTERS_AUTO_MAX_ACTORS)
        return None
    if not settings.posters:
        return None
    from safi_map.export.api import poster_set

    minimum = max(1, int(settings.posters_min_actors))
    maximum = int(settings.posters_max_actors)
    folder = writer.staging_dir / "affiches"
    made = poster_set(actors, folder, taxonomy=taxonomy, tour=tour, settings=settings,
                      fmt="pdf", size="A3", orientation="landscape", min_actors=minimum,
                      max_actors=maximum, cache_dir=cache_dir, refresh=force)
    urls: dict[str, dict[str, str]] = {}
    for kind in ("communes", "themes", "stops"):
        urls[kind] = {}
        for key_, rel in sorted(getattr(made, kind).items()):
            urls[kind][key_] = writer.adopt(folder / rel)
    logger.info("posters: %d rendered, %d reused", len(made.paths) - made.reused, made.reused)

    def labelled(kind: str, names: dict[str, str]) -> list[dict[str, str]]:
        return sorted(({"url": url, "label": names.get(k, k)} for k, url in urls[kind].items()),
                      key=lambda d: key(d["label"]))

    listing = {
        "min_actors": minimum,
        "themes": labelled("themes", {s: t["label"] for s, t in model.themes.items()}),
        "stops": sorted(({"url": u, "label": f"{model.stops[k]['town']} "
                          f"({french_date(model.stops[k]['date'])})", "date": model.stops[k]["date"]}
                         for k, u in urls["stops"].items() if k in model.stops),
                        key=lambda d: d["date"]),
        "communes": labelled("communes", {c: v["name"] for c, v in model.communes.items()}),
    }
    return _Posters(urls["communes"], urls["themes"], urls["stops"], listing)


def _write_map_pages(writer: Writer, public: gpd.GeoDataFrame, *, taxonomy: Any, tour: Any,
                     title: str, env: jinja2.Environment, base_ctx: dict[str, Any],
                     new_ids: list[str] | None = None) -> Counter[str]:
    """``index.html`` (map + directory) and ``carte-integree.html`` through ``maps``;
    ``new_ids`` (new since the previous build) get a filter and a badge on the map. Returns
    the pages written."""
    from safi_map.map import render as maps

    pages: Counter[str] = Counter()
    map_ctx = {**base_ctx, "root": "", "page_path": "index.html", "nav": "carte",
               "in_map_page": True, "skip_target": _MAP_MAIN_ID}
    header_html = env.get_template("_header.html").render(**map_ctx)
    footer_html = env.get_template("_footer.html").render(**map_ctx)

    common: dict[str, Any] = dict(taxonomy=taxonomy, tour=tour, title=title,
                                  asset_prefix="assets/", actor_url="acteurs/{actor_id}.html",
                                  new_ids=new_ids)
    common["payload"] = maps.map_payload(public, taxonomy=taxonomy, tour=tour,
                                         actor_url=common["actor_url"], new_ids=new_ids)
    html = maps.render_map_page(public, header_html=header_html, footer_html=footer_html,
                                **common)
    writer.write_text("index.html", map_page_with_share_tags(html, base_ctx, "index.html"))
    pages["map"] += 1
    html = maps.render_map_page(public, embed=True, **common)
    writer.write_text("carte-integree.html",
                      map_page_with_share_tags(html, base_ctx, "carte-integree.html"))
    pages["map"] += 1
    return pages
