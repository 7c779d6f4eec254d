"""What a share picture shows (:class:`SharePicture`), apart from how it is drawn.

The site reads only this to know whether a picture in its cache is still right (its
:meth:`~SharePicture.digest`); Pillow and the outlines (:mod:`safi_map.export.share_image`)
are loaded only when a picture must be drawn.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["STYLE_VERSION", "SharePicture", "drawing_tools"]

STYLE_VERSION = "2"
"""Part of every picture's digest: change it when the drawing changes, so caches redraw."""


@dataclass(frozen=True)
class SharePicture:
    """What one picture shows (and all it depends on: its :meth:`digest`).

    ``dots``: ``(longitude, latitude, "#rrggbb")`` of the actors; ``focus``: INSEE code of the
    commune to frame and tint; ``mark``: INSEE code of a town to mark (a stop's), labelled
    ``mark_label``; ``legend``: ``(label, "#rrggbb", count)`` lines under the count;
    ``footer``: a short line at the bottom of the panel (the site's address).
    """

    site_title: str
    heading: str
    detail: str = ""
    dots: tuple[tuple[float, float, str], ...] = ()
    focus: str = ""
    mark: str = ""
    mark_label: str = ""
    legend: tuple[tuple[str, str, int], ...] = ()
    footer: str = ""

    def digest(self) -> str:
        """A digest of everything drawn and of what draws it (:func:`drawing_tools`)."""
        h = hashlib.sha256(drawing_tools())
        h.update(repr(self).encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]


@cache
def drawing_tools() -> bytes:
    """What a picture's bytes depend on besides what it shows: the drawing's version, Pillow's,
    the boundaries' source and the font files (their sizes), read without loading them."""
    from PIL._version import __version__ as pillow

    from safi_map.geo.derived import sources_digest

    spec = importlib.util.find_spec("matplotlib")
    fonts = []
    if spec is not None and spec.submodule_search_locations:
        folder = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            try:
                fonts.append((folder / name).stat().st_size)
            except OSError:
                fonts.append(-1)
    return repr((STYLE_VERSION, pillow, sources_digest(), fonts)).encode()
