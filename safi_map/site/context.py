"""The site's context: everything the pages render from, built once per build.

:func:`build_context` passes the actors through the consent gate once
(:func:`~safi_map.model.public.public_actors`), makes the records (actors, communes, themes,
stops), the neighbours, the synergy pairs, the calendars and the template variables every page
shares. Page families (:mod:`safi_map.site.pages`) only read it; :meth:`SiteContext.render` is
how they write a page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import jinja2
import pandas as pd
from markupsafe import Markup

from safi_map.core.settings import Settings
from safi_map.core.text import key
from safi_map.model.public import public_actors
from safi_map.model.taxonomy import Taxonomy
from safi_map.model.tour import Tour
from safi_map.site.calendars import attach_calendars
from safi_map.site.env import CSP, make_environment
from safi_map.site.event_index import EventIndex
from safi_map.site.neighbours import add_neighbours
from safi_map.site.records import Rec, Records, add_fragments, build_records

if TYPE_CHECKING:
    from safi_map.analysis.synergies import SynergyIndex
    from safi_map.core.writer import Writer
    from safi_map.ingestion.agenda import Agenda
    from safi_map.ingestion.changes import Changes
    from safi_map.ingestion.report import Report
    from safi_map.site.posters import Posters

__all__ = ["SiteContext", "build_context"]

logger = logging.getLogger(__name__)


@dataclass
class SiteContext:
    """What every page family renders from (read-only for them).

    The contract with the page families: ``public`` (the public actors, GeoDataFrame),
    ``taxonomy``, ``tour``, ``settings``, ``env`` (the Jinja environment), ``base`` (the
    template variables of every page), ``pairs`` (the synergy pairs, or None); the rest are
    the site's own views of them.
    """

    public: gpd.GeoDataFrame
    taxonomy: Taxonomy
    tour: Tour
    settings: Settings
    env: jinja2.Environment
    base: dict[str, Any]
    pairs: pd.DataFrame | None
    records: Records
    synergies: SynergyIndex
    out_dir: Path
    report: Report | None = None
    changes: Changes | None = None
    force: bool = False
    workers: int = 1
    """Processes rendering the actor pages (1: this one only)."""
    calendars: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """The iCalendar files (``{key: (path, bytes)}``), written by the agenda family."""
    agendas: list[dict[str, str]] = field(default_factory=list)
    """The calendars as the calendar page lists them."""
    posters: Posters | None = None
    """The ready-made posters (set by the build before the page families run)."""
    agenda: Agenda | None = None
    """The actors' agenda (``data/agenda.*``), None when the project has none."""
    _chrome: dict[tuple[str, str], tuple[Markup, Markup]] = field(default_factory=dict,
                                                                  repr=False)

    # -- views the families share ----------------------------------------------------------
    @cached_property
    def events(self) -> EventIndex:
        """The agenda's events as the pages show them, by actor, commune and theme."""
        return EventIndex.of(self.agenda, self.records)

    @property
    def site_url(self) -> str:
        return str(self.base["site_url"])

    @property
    def actors(self) -> list[Rec]:
        return self.records.actors

    @property
    def themes_listed(self) -> list[Rec]:
        """Themes with at least one actor, by label."""
        return [t for t in sorted(self.records.themes.values(), key=lambda t: key(t["label"]))
                if t["slug"] in self.records.by_theme]

    @property
    def stops_sorted(self) -> list[Rec]:
        return sorted(self.records.stops.values(), key=lambda s: (s["date"], s["id"]))

    @property
    def communes_sorted(self) -> list[Rec]:
        return sorted(self.records.communes.values(), key=lambda c: (c["sort"], c["insee_code"]))

    @property
    def stop_counts(self) -> dict[str, int]:
        return {s: len(self.records.by_stop.get(s, [])) for s in self.records.stops}

    def poster(self, kind: str, ident: str) -> str:
        """The URL of the poster of a commune, theme or stop (``kind``), or ``""``."""
        if self.posters is None:
            return ""
        found: Mapping[str, str] = getattr(self.posters, kind)
        return found.get(ident, "")

    # -- rendering -------------------------------------------------------------------------
    def chrome(self, root: str, nav: str) -> tuple[Markup, Markup]:
        """Header and footer, rendered once per (depth, current section)."""
        found = self._chrome.get((root, nav))
        if found is None:
            found = self._chrome[(root, nav)] = (
                Markup(self.env.get_template("_header.html").render(**self.base, root=root,
                                                                    nav=nav)),
                Markup(self.env.get_template("_footer.html").render(**self.base, root=root,
                                                                    nav=nav)),
            )
        return found

    def render(self, template: str | jinja2.Template, rel: str, *, root: str | None = None,
               **page: Any) -> str:
        """The HTML of the page at ``rel``: ``template`` with :attr:`base`, the page's
        ``root`` (``""`` or ``"../"``: relative links), its header and footer, and ``page``."""
        tpl = self.env.get_template(template) if isinstance(template, str) else template
        if root is None:
            root = "../" * rel.count("/")
        header, footer = self.chrome(root, page.get("nav", ""))
        return tpl.render(**self.base, root=root, page_path=rel, header_html=header,
                          footer_html=footer, **page)

    def write(self, writer: Writer, template: str | jinja2.Template, rel: str, *,
              root: str | None = None, **page: Any) -> None:
        """:meth:`render` the page and write it at ``rel``."""
        writer.write_text(rel, self.render(template, rel, root=root, **page))


def _site_url(settings: Settings) -> str:
    site_url = settings.site_url.strip()
    return site_url if not site_url or site_url.endswith("/") else site_url + "/"


def build_context(actors: gpd.GeoDataFrame, *, taxonomy: Taxonomy, tour: Tour,
                  settings: Settings, out_dir: Path, assets: Mapping[str, str] | None = None,
                  report: Report | None = None, changes: Changes | None = None,
                  force: bool = False, csp: str = CSP, workers: int = 1,
                  agenda: Agenda | None = None) -> SiteContext:
    """The context of one build. ``assets``: the paths of ``leaflet.js`` and ``leaflet.css``
    in the site (the small maps load them); ``csp`` the policy the pages declare."""
    from safi_map.analysis import synergies

    public = public_actors(actors)
    user_templates = (settings.config_path.parent / "templates"
                      if settings.config_path is not None else None)
    site_url = _site_url(settings)
    assets = assets or {}
    base: dict[str, Any] = {
        "site_title": settings.title,
        "site_url": site_url,
        "report_url": settings.report_url,
        "leaflet_js": assets.get("leaflet.js", ""),
        "leaflet_css": assets.get("leaflet.css", ""),
    }
    records = build_records(public, taxonomy, tour)
    add_neighbours(records.actors)
    pairs = synergies.suggest_pairs(public, taxonomy=taxonomy)
    index = synergies.SynergyIndex(pairs, taxonomy=taxonomy)
    add_fragments(records)
    ctx = SiteContext(public=public, taxonomy=taxonomy, tour=tour, settings=settings,
                      env=make_environment(user_templates, csp=csp), base=base, pairs=pairs,
                      records=records, synergies=index, out_dir=Path(out_dir), report=report,
                      changes=changes, force=force, workers=workers, agenda=agenda)
    ctx.calendars, ctx.agendas = attach_calendars(
        records, ctx.stops_sorted, site_title=settings.title, site_url=site_url,
        agenda=agenda.events if agenda is not None else ())
    return ctx
