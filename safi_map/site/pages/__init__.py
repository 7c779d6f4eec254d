"""The site's page families: one module per kind of page, found here by name.

Each module (not starting with ``_``) exposes::

    def write_pages(ctx: SiteContext, writer: Writer) -> collections.Counter[str]

which renders its pages from the context (:class:`~safi_map.site.context.SiteContext`) and
writes them (and any file that goes with them) through the writer, then returns the number of
pages written per kind. :func:`families` lists the modules in name order, so the build is the
same every time; adding a page family is adding a module here and its template.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from safi_map.core.i18n import _

if TYPE_CHECKING:
    from safi_map.core.writer import Writer
    from safi_map.site.context import SiteContext

__all__ = ["WritePages", "families"]

WritePages = Callable[["SiteContext", "Writer"], Counter[str]]


def families() -> list[tuple[str, WritePages]]:
    """``(name, write_pages)`` of every page family of this package, sorted by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        write_pages = getattr(module, "write_pages", None)
        if not callable(write_pages):
            raise TypeError(_("page family {module} has no write_pages(ctx, writer)").format(
                module=module.__name__))
        found.append((info.name, write_pages))
    return found
