"""What a share picture shows (:class:`SharePicture`), apart from how it is drawn.

The site reads only this to know whether a picture in its cache is still right (its
:meth:`~SharePicture.digest`); Pillow and the outlines (:mod:`safi_map.export.share_image`)
are loaded only when a picture must be drawn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["STYLE_VERSION", "SharePicture"]

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
        """A digest of everything drawn, the drawing's version and the boundaries' source."""
        from PIL._version import __version__ as pillow

        from safi_map.geo.derived import sources_digest

        h = hashlib.sha256()
        h.update(repr((STYLE_VERSION, pillow, sources_digest())).encode())
        h.update(repr(self).encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]
