"""The static site: map, directory, a page per commune, theme, stop and actor, statistics, data.

Built pelican-style, in three steps:

1. **the context** (:func:`~safi_map.site.context.build_context`), made once: the public actors
   (the consent gate is passed once, here, so contact details without consent and the internal
   ``sources`` column cannot reach a page or a download), the records of actors, communes,
   themes and stops, the neighbours, the synergy pairs, the calendars and the template
   variables every page shares; then the posters (:mod:`safi_map.site.posters`);
2. **the page families** (:mod:`safi_map.site.pages`), each rendering its pages from the
   context, in name order;
3. **the writer** (:class:`~safi_map.core.writer.Writer`), through which every file goes: it
   refuses duplicate paths and swaps the new site in only when everything succeeded.

Links are relative only (each page knows its ``root``, ``""`` or ``"../"``), so the site works
from ``file://``, from a USB stick at an event and under any sub-path of a static host.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from safi_map.core.i18n import _
from safi_map.core.parallel import default_workers
from safi_map.core.settings import Settings
from safi_map.core.writer import Writer
from safi_map.ingestion.agenda import Agenda
from safi_map.model.taxonomy import Taxonomy
from safi_map.model.tour import Tour
from safi_map.site.assets import copy_site_assets
from safi_map.site.context import SiteContext, build_context
from safi_map.site.env import CSP, json_for_script, make_environment
from safi_map.site.pages import WritePages, families
from safi_map.site.posters import write_posters
from safi_map.site.share_images import write_share_images
from safi_map.site.sharing import write_crawler_files

if TYPE_CHECKING:
    from safi_map.ingestion.changes import Changes
    from safi_map.ingestion.report import Report

__all__ = ["CSP", "SiteSummary", "build_site", "json_for_script", "make_environment"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in pages: called as the build advances (the CLI draws a bar)."""

PARALLEL_MIN_ACTORS = 4000
"""From this many actors, the actor pages are rendered by two processes (when the machine has
two cores or more): below, starting them costs more than it saves."""
_FIXED_PAGES = 12
"""Pages that do not grow with the data: map, embedded map, statistics, directory, embed,
404, calendar, changes, about, accessibility, synergies, diagnostic."""


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

    def __str__(self) -> str:
        return _("Built {pages} pages ({actors} actors, {communes} communes, {themes} themes, "
                 "{stops} stops) in {out_dir}").format(
                     pages=self.pages, actors=self.actors, communes=self.communes,
                     themes=self.themes, stops=self.stops, out_dir=self.out_dir)


class _ProgressWriter(Writer):
    """The site's writer: counts the pages (``.html``) written and reports every 100th."""

    def __init__(self, out_dir: Path, progress: Progress | None, expected: int) -> None:
        super().__init__(out_dir)
        self.progress = progress
        self.expected = expected
        self.pages = 0

    def write_text(self, rel: str, text: str) -> Path:
        path = super().write_text(rel, text)
        if rel.endswith(".html"):
            self.pages += 1
            if self.progress is not None and self.pages % 100 == 0:
                self.progress(self.pages, max(self.expected, self.pages))
        return path


def build_site(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Taxonomy,
    tour: Tour,
    settings: Settings,
    report: Report | None = None,
    out_dir: Path,
    progress: Progress | None = None,
    changes: Changes | None = None,
    force: bool = False,
    page_families: Iterable[tuple[str, WritePages]] | None = None,
    csp: str = CSP,
    workers: int | None = None,
    agenda: Agenda | None = None,
) -> SiteSummary:
    """Build the whole static site into ``out_dir``, replacing the previous one atomically.

    Parameters
    ----------
    actors
        The actors GeoDataFrame (canonical columns). It is passed through
        :func:`~safi_map.model.public.public_actors` here, so callers cannot forget the consent gate.
    taxonomy, tour
        The themes and the stops.
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
        :class:`~safi_map.ingestion.changes.Changes` since the previous build, shown on
        ``changes.html`` (and as "new" on the map); None when there is nothing to compare with.
    force
        Draw every poster again, even those whose content did not change (``--force``).
    page_families
        ``(name, write_pages)`` of the page families to run (default: every module of
        :mod:`safi_map.site.pages`, :func:`~safi_map.site.pages.families`).
    csp
        The Content-Security-Policy the pages declare.
    workers
        Processes rendering the actor pages; None: two from :data:`PARALLEL_MIN_ACTORS`
        actors on a machine with two cores or more, else one.
    agenda
        The actors' agenda (:class:`~safi_map.ingestion.agenda.Agenda`): the Agenda page, its
        calendar files and the events in the region's, communes' and themes' calendars.
    """
    started = time.perf_counter()
    last = [started]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        logger.debug("site: %s took %.2f s", stage, now - last[0])
        last[0] = now

    out_dir = Path(out_dir)
    writer = _ProgressWriter(out_dir, progress, len(actors) + _FIXED_PAGES)
    with writer:
        assets = copy_site_assets(writer)
        ctx = build_context(actors, taxonomy=taxonomy, tour=tour, settings=settings,
                            out_dir=out_dir, assets=assets, report=report, changes=changes,
                            force=force, csp=csp, workers=_workers(workers, len(actors)),
                            agenda=agenda)
        records = ctx.records
        writer.expected = (len(records.actors) + len(records.by_commune)
                           + len(records.by_theme) + len(records.stops) + _FIXED_PAGES)
        lap("context")
        ctx.posters = write_posters(writer, ctx.public, taxonomy=taxonomy, tour=tour,
                                    settings=settings, model=records,
                                    cache_dir=out_dir.parent / "cache" / "posters", force=force)
        lap("posters")
        write_share_images(writer, ctx, cache_dir=out_dir.parent / "cache" / "share", force=force)
        lap("share pictures")
        pages = _write_families(ctx, writer, families() if page_families is None
                                else page_families, lap)
        write_crawler_files(writer, ctx.site_url)  # last: the sitemap lists every page written
        summary = SiteSummary(out_dir=out_dir, actors=len(records.actors),
                              communes=len(records.by_commune), themes=len(records.by_theme),
                              stops=len(records.stops), files=len(writer.paths),
                              bytes=writer.bytes_written)
    lap("commit")
    summary.pages = sum(pages.values())
    if progress is not None:
        progress(summary.pages, summary.pages)
    summary.page_counts = dict(sorted(pages.items()))
    summary.seconds = time.perf_counter() - started
    logger.info("%s (%.1f s)", summary, summary.seconds)
    return summary


def _workers(asked: int | None, actors: int) -> int:
    """Processes for the actor pages (:func:`~safi_map.core.parallel.forked_map` runs in this
    one where it cannot fork)."""
    if asked is not None:
        return max(1, asked)
    return default_workers() if actors >= PARALLEL_MIN_ACTORS else 1


def _write_families(ctx: SiteContext, writer: Writer,
                    page_families: Iterable[tuple[str, WritePages]],
                    lap: Callable[[str], None]) -> Counter[str]:
    pages: Counter[str] = Counter()
    for name, write_pages in page_families:
        pages.update(write_pages(ctx, writer))
        lap(f"{name} pages")
    return pages
