"""The whole job, as ``safi-map build`` does it: :func:`build`.

``ingest -> write the ingest outputs (staged) -> site (with its posters) -> put the outputs in
place``, in the build folder held for the run (checked, locked, cleaned: see
:func:`safi_map.core.outdir.build_folder`). The command line only parses its arguments, calls
this and prints the result; a notebook or a script gets the same site from the same call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safi_map.core.outdir import build_folder
from safi_map.core.settings import Settings, load_settings
from safi_map.ingestion.outputs import IngestOutputs, write_ingest_outputs
from safi_map.ingestion.pipeline import ingest
from safi_map.ingestion.result import IngestResult, Progress

__all__ = ["BuildResult", "build", "project_settings"]

SiteWritten = Callable[[Any, float, int], None]
"""``on_site(summary, seconds, posters_left)``: called once the site is written and usable,
before the posters it does not link yet are drawn (the command line says the site is ready)."""

Ingested = Callable[[IngestResult, IngestOutputs], None]
"""``on_ingest(result, outputs)``: called once the surveys are ingested and their outputs
written, before the site is built (the command line prints its summary then)."""


@dataclass
class BuildResult:
    """What :func:`build` did: everything the command line reports."""

    ingest: IngestResult
    """The actors, the report (every row read, merged or rejected) and the changes."""
    outputs: IngestOutputs
    """The coordinator's files in the build folder (actors, reports, changes)."""
    site: Any
    """The site's :class:`~safi_map.site.build.SiteSummary` (pages written, reused…); None
    when :func:`build` was asked for the ingest outputs only (``site=False``)."""
    seconds: float
    """Wall time of the whole build."""
    posters_drawn: int = 0
    """Posters drawn after the site was written (then the site was written again to link
    them); 0 when every poster came from the cache."""
    posters_seconds: float = 0.0
    """Wall time of drawing them and linking them (and the share pictures)."""
    previews_drawn: int = 0
    """Share pictures (link previews, with ``site_url``) drawn after the site was written,
    like the posters."""

    @property
    def site_index(self) -> Path | None:
        """The page to open in a browser (None without a site)."""
        if self.site is None:
            return None
        return self.ingest.settings.out / "site" / "index.html"

    @property
    def ok(self) -> bool:
        """False when a whole survey file could not be read (see :attr:`IngestResult.ok`)."""
        return self.ingest.ok


def project_settings(project_dir: str | Path | None = None, *, config: str | Path | None = None,
                     out: str | Path | None = None) -> Settings:
    """The settings of a project: ``config`` (default: ``safi-map.toml`` in ``project_dir``,
    or the current folder), paths resolved against its folder; ``out`` replaces the build
    folder."""
    settings = load_settings(config, base=project_dir)
    return settings.with_(out=Path(out).resolve()) if out is not None else settings


def build(
    surveys: Sequence[str | Path] | None = None,
    *,
    project_dir: str | Path | None = None,
    config: str | Path | None = None,
    out: str | Path | None = None,
    settings: Settings | None = None,
    online: bool | None = None,
    refresh: bool = False,
    force: bool = False,
    site: bool = True,
    command: str = "build",
    lock_wait: float | None = None,
    progress: Progress | None = None,
    on_ingest: Ingested | None = None,
    on_site: SiteWritten | None = None,
) -> BuildResult:
    """Ingest the surveys, write the ingest outputs and build the site, as ``safi-map build``.

    Parameters
    ----------
    surveys
        Survey files or folders; default: ``settings.surveys`` (``data/surveys``).
    project_dir, config, out
        Where the project is (default: the current folder), its settings file (default:
        ``safi-map.toml`` there, if any) and the build folder (default: ``build`` there). Not
        used when ``settings`` is given.
    online, refresh, force
        As the command's ``--online``, ``--refresh`` and ``--force``: geocode addresses
        online, ask the provider again, redo every file and page.
    site
        False to write the ingest outputs only (``safi-map ingest``): they are then put in
        place at once. With the site, they are put in place once the site is (they are the
        base the next build compares itself with).
    command
        Named in the lock of the build folder, for a second run that has to wait.
    lock_wait
        Seconds to wait for another run working in the same build folder (default:
        :data:`safi_map.core.outdir.LOCK_WAIT`).
    progress
        ``progress(stage, done, total)`` for the stages ``read``, ``geocode``, ``site`` and
        ``posters``; if it also has a ``start(stage)`` method, that is called when the site
        stage begins (its first count comes late).
    on_ingest
        Called with the ingest result and its outputs before the site is built.
    on_site
        Called once the site is written and usable, with its summary, the seconds since the
        start and how many posters it does not link yet. Those posters are then drawn (only
        them: the others come from the poster cache) and the site written again to link them:
        posters never hold up the site (issue #13). Interrupted meanwhile, the site stays
        usable, without them.

    Raises
    ------
    OutputFolderError
        The build folder holds things the tool did not write, or lies inside the data.
    BuildFolderBusyError
        Another run kept the build folder longer than the lock waits.
    """
    started = time.perf_counter()
    if settings is None:
        settings = project_settings(project_dir, config=config, out=out)
    with build_folder(settings, command=command, wait=lock_wait):
        result = ingest(surveys, settings=settings, online=online, refresh=refresh, force=force,
                        progress=progress)
        outputs = write_ingest_outputs(result, settings.out, commit=not site)
        if on_ingest is not None:
            try:
                on_ingest(result, outputs)
            except BaseException:
                outputs.discard()
                raise
        if not site:
            return BuildResult(result, outputs, None, time.perf_counter() - started)
        left: list[Path] = []
        try:
            summary = _site(result, force=force, progress=progress, left=left)
        except BaseException:
            outputs.discard()  # never leave the staged ingest outputs behind
            raise
        outputs.commit()
        from safi_map.site.share_images import FOLDER as SHARE_FOLDER

        previews = sum(1 for p in left if SHARE_FOLDER in p.parts)  # drawn with the posters
        if on_site is not None:
            on_site(summary, time.perf_counter() - started, len(left) - previews)
        drawn, drawing = 0, 0.0
        if left:
            began = time.perf_counter()
            summary = _site(result, force=force, progress=progress, left=None)
            drawn, drawing = len(left) - previews, time.perf_counter() - began
    return BuildResult(result, outputs, summary, time.perf_counter() - started, drawn, drawing,
                       previews)


def _site(result: IngestResult, *, force: bool, progress: Progress | None,
          left: list[Path] | None) -> Any:
    """The site of ``result`` in ``<out>/site``.

    With ``left`` (a list), the site links only the posters already drawn and the others are
    added to ``left``; without, the missing posters are drawn (progress told as ``posters``).
    """
    from safi_map.export.poster_set import POSTER_PROGRESS, POSTERS_LEFT
    from safi_map.site.build import build_site

    start = getattr(progress, "start", None)
    if start is not None:
        start("site" if left is not None else "posters")
    tokens = (POSTERS_LEFT.set(left), POSTER_PROGRESS.set(
        (lambda done, total: progress("posters", done, total)) if progress else None))
    try:
        return build_site(
            result.actors, taxonomy=result.taxonomy, tour=result.tour, settings=result.settings,
            report=result.report, out_dir=result.settings.out / "site",
            progress=((lambda done, total: progress("site", done, total))
                      if progress and left is not None else None),
            changes=result.changes, force=force, agenda=result.agenda,
        )
    finally:
        POSTERS_LEFT.reset(tokens[0])
        POSTER_PROGRESS.reset(tokens[1])
