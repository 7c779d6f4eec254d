"""Printable posters of the actor map: PDF (vector, several pages), PNG and SVG.

A poster is what organisers pin on the wall of a SAFI Tour stop: the map of the selected actors
over commune and department outlines (drawn offline from the packaged boundaries, so printing
needs no network), numbered markers coloured by theme, a legend, a numbered directory
(number -> name, commune, themes), the sources and date of the data, a QR code to the online
map and, when the map shows a part of the region, a locator map of the region.

Modules: :mod:`._entries` (what is listed), :mod:`._layout` (paper sizes, type sizes, boxes),
:mod:`._fonts` (the packaged font, text measurement), :mod:`._basemap` (outlines, extent,
locator, scale bar), :mod:`._markers` (marker placement, commune names),
:mod:`._directory` (the directory, its type size fitted to its column), :mod:`._render`
(the page and the file).

* The map extent holds every located actor with margins; a commune poster shows its commune
  whole, tinted, with its neighbours named; a theme poster colours every marker by its theme.
* Directory overflow: the PDF continues the directory on following pages; PNG and SVG are single
  images, so they list as many actors as fit and end with "suite : N acteurs de plus — voir la
  carte en ligne". :class:`PosterResult` says how many were left out.
* Output is deterministic: the date printed is the date of the data (latest ``last_seen``),
  never today, and PDF/SVG metadata dates are removed.
"""

from __future__ import annotations

from safi_map.core.french import french_date
from safi_map.export.poster._entries import PosterEntry, data_date, poster_entries
from safi_map.export.poster._layout import PAPER_SIZES_MM, TYPOGRAPHY
from safi_map.export.poster._markers import place_markers
from safi_map.export.poster._render import SOURCES_LINE, PosterResult, render_poster

__all__ = [
    "PAPER_SIZES_MM",
    "SOURCES_LINE",
    "TYPOGRAPHY",
    "PosterEntry",
    "PosterResult",
    "data_date",
    "french_date",
    "place_markers",
    "poster_entries",
    "render_poster",
]
