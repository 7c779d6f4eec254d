"""`safi-map build`: the posters the site did not wait for (issue #13).

The build writes the site with :data:`safi_map.export.POSTERS_LEFT` set, so the site links the
posters its cache already has and says it is ready; then :func:`posters_after_site` draws the
missing ones (only those) and writes the site again to link them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ._cli_base import progress_bars
from .export import POSTER_PROGRESS
from .i18n import ngettext
from .settings import Settings
from .site import build_site


def posters_after_site(echo: Callable[[str], None], quiet: bool, result: Any,
                       settings: Settings, count: int, force: bool) -> None:
    """Draw the posters the site just written does not link yet, then write the site again to
    link them (its unchanged pages are reused). Interrupted, the site stays as it was: usable,
    without those posters. See :data:`safi_map.export.POSTERS_LEFT`."""
    started = time.perf_counter()
    echo(ngettext(
        "Drawing {n} poster; the site links it once drawn (the site is usable meanwhile).",
        "Drawing {n} posters; the site links them once drawn (the site is usable meanwhile).",
        count).format(n=count))
    with progress_bars(quiet) as progress:
        token = POSTER_PROGRESS.set(lambda done, total: progress("posters", done, total))
        try:
            build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
                       settings=settings, report=result.report, out_dir=settings.out / "site",
                       changes=result.changes, force=force)
        finally:
            POSTER_PROGRESS.reset(token)
    echo(ngettext("{n} poster drawn and linked from the site ({seconds:.1f} s).",
                  "{n} posters drawn and linked from the site ({seconds:.1f} s).",
                  count).format(n=count, seconds=time.perf_counter() - started))
