"""Drawing a poster: header, map, legend, directory, QR code, locator, footer; then the file."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from safi_map.core.errors import EmptySelectionError
from safi_map.core.french import french_date
from safi_map.core.i18n import _
from safi_map.export.poster import _basemap, _directory, _markers
from safi_map.export.poster._entries import (
    PosterEntry,
    clean,
    data_date,
    legend_items,
    located,
    poster_entries,
)
from safi_map.export.poster._fonts import FONTS, fit, put, register_fonts, text_width
from safi_map.export.poster._layout import MM, PAPER_SIZES_MM, Box, Layout, layout
from safi_map.model.public import public_actors

log = logging.getLogger(__name__)

SOURCES_LINE = ("Sources : enquêtes SAFI Tour ; fonds communes IGN ADMIN EXPRESS, "
                "Licence Ouverte 2.0")
INK = "#222222"
GREY = "#5f5f5f"
_LOCATOR_MAX_SHARE = 0.45
"""A locator map of the region is drawn when the map shows less than this share of its width."""


@dataclass(frozen=True)
class PosterResult:
    """What :func:`render_poster` wrote."""

    path: Path
    fmt: str
    pages: int
    actors: int
    listed: int  # directory entries printed
    omitted: int  # directory entries left out (PNG/SVG only; the PDF continues on more pages)


def _hline(fig: Any, lay: Layout, y_mm: float, width: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([lay.margin / lay.page_w, 1 - lay.margin / lay.page_w],
                  [y_mm / lay.page_h] * 2, transform=fig.transFigure, color="#b5b5b5",
                  linewidth=width)


def _header(fig: Any, lay: Layout, title: str, subtitle: str) -> None:
    t, h = lay.type, lay.header
    x = h.x / lay.page_w
    title = clean(title)
    # a long title gets smaller (down to 70 %) before it is cut: portrait sheets are narrow
    size = max(t.title * 0.7, min(t.title, t.title * h.w * MM / max(
        text_width(title, t.title, True), 1.0)))
    put(fig, x, (h.top - 0.5 * lay.scale) / lay.page_h, fit(title, size, h.w * MM, True),
        fontsize=size, fontweight="bold", color=INK, va="top")
    if subtitle:
        put(fig, x, (h.top - 0.5 * lay.scale - t.title * 1.3 / MM) / lay.page_h,
                 fit(clean(subtitle), t.subtitle, h.w * MM), fontsize=t.subtitle, color=GREY,
                 va="top")
    fig.add_artist(_hline(fig, lay, h.y + 0.5 * lay.scale, 0.8 * lay.scale))


def _footer(fig: Any, lay: Layout, line: str, right: str) -> None:
    f, size = lay.footer, lay.type.small
    fig.add_artist(_hline(fig, lay, f.top + 0.5 * lay.scale, 0.5 * lay.scale))
    right_w = text_width(right, size) + 4 * lay.scale * MM if right else 0.0
    y = (f.y + f.h / 2) / lay.page_h
    put(fig, f.x / lay.page_w, y, fit(line, size, f.w * MM - right_w), fontsize=size,
             color=GREY, va="center")
    if right:
        put(fig, (f.x + f.w) / lay.page_w, y, right, fontsize=size, color=GREY, va="center",
                 ha="right")


def _heading(fig: Any, lay: Layout, x: float, top: float, text: str) -> float:
    """A bold heading at ``top`` (mm); returns the height it takes in mm."""
    size = lay.type.heading
    put(fig, x / lay.page_w, top / lay.page_h, text, fontsize=size, fontweight="bold",
             color=INK, va="top")
    return size * 1.55 / MM


def _legend(fig: Any, lay: Layout, box: Box, items: Sequence[tuple[str, str, int]],
            theme: bool) -> float:
    """Theme legend at the top of ``box``; returns the height used in mm."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Ellipse

    size = lay.type.small * 1.1
    line = size * 1.55 / MM
    head = "Thème de l'affiche" if theme else "Thèmes (couleur du marqueur)"
    top = box.top - _heading(fig, lay, box.x, box.top, head)
    ncols = 2 if len(items) > 5 else 1
    col_w = box.w / ncols
    rows = math.ceil(len(items) / ncols)
    r = size * 0.42 / MM
    discs = []
    for i, (label, colour, count) in enumerate(items):
        col, row = divmod(i, rows)
        x = box.x + col * col_w
        y = top - row * line - line / 2
        discs.append(Ellipse(((x + r) / lay.page_w, y / lay.page_h), 2 * r / lay.page_w,
                             2 * r / lay.page_h, facecolor=colour, edgecolor="white"))
        text = fit(f"{label} ({count})", size, (col_w - 2 * r) * MM - size * 1.2)
        put(fig, (x + 2 * r + size * 0.4 / MM) / lay.page_w, y / lay.page_h, text,
                 fontsize=size, color=INK, va="center")
    used = rows * line
    if theme:
        note = "Les autres thèmes de chaque acteur sont en petit dans l'annuaire."
        put(fig, box.x / lay.page_w, (top - used - line / 2) / lay.page_h,
                 fit(note, size * 0.9, box.w * MM), fontsize=size * 0.9, color=GREY,
                 va="center")
        used += line
    fig.add_artist(PatchCollection(discs, match_original=True, transform=fig.transFigure))
    return box.top - (top - used) + 2.5 * lay.scale


def _qr(fig: Any, lay: Layout, box: Box, url: str) -> float:
    """QR code of ``url`` (vector squares) with a caption, bottom-left of ``box``; returns
    the width it takes in mm."""
    import segno
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import Affine2D

    qr = segno.make(url, error="m")
    matrix = np.array([list(row) for row in qr.matrix_iter(border=2)], dtype=bool)
    n = len(matrix)
    side = min(box.h, box.w)
    # drawn on the figure (an Axes costs 20 ms to make and draw, for nothing here): module
    # (column, row) -> figure fraction, rows downwards
    w, h = side / lay.page_w / n, side / lay.page_h / n
    to_fig = Affine2D().scale(w, -h).translate(box.x / lay.page_w, (box.y + side) / lay.page_h)
    # every dark module in one vector path (one patch per module was a fifth of a poster)
    rows, cols = np.nonzero(matrix)
    square = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], dtype=float)
    verts = (square[None, :, :] + np.stack([cols, rows], axis=1)[:, None, :]).reshape(-1, 2)
    codes = np.tile([MplPath.MOVETO, *[MplPath.LINETO] * 3, MplPath.CLOSEPOLY], len(rows))
    fig.add_artist(PathPatch(MplPath(verts, codes), facecolor="black", edgecolor="none",
                             transform=to_fig + fig.transFigure))
    size = lay.type.small
    cx = box.x + side + 2.5 * lay.scale
    caption_w = max(text_width("La carte en ligne", lay.type.heading, True),
                    text_width(url, size)) / MM
    room = (box.x + box.w - cx) * MM
    put(fig, cx / lay.page_w, (box.y + side * 0.62) / lay.page_h, "La carte en ligne",
             fontsize=lay.type.heading, fontweight="bold", color=INK, va="center")
    put(fig, cx / lay.page_w, (box.y + side * 0.38) / lay.page_h, fit(url, size, room),
             fontsize=size, color=GREY, va="center")
    return side + 2.5 * lay.scale + min(caption_w, box.w)


def _map(fig: Any, lay: Layout, entries: Sequence[PosterEntry], focus: Sequence[str]
         ) -> tuple[float, float, float, float]:
    """The map frame; returns its extent (Lambert-93 metres)."""
    box, s = lay.map, lay.scale
    ax = fig.add_axes(box.rect(lay.page_w, lay.page_h))
    here = located(entries)
    xs = np.array([e.x for e in here])
    ys = np.array([e.y for e in here])
    view = _basemap.extent(xs, ys, box.w / box.h, _basemap.focus_bounds(focus) if focus else None)
    drawn = _basemap.draw_base(ax, view, s, focus)
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * s)
        spine.set_color("#9a9a9a")
    frame = (box.w * MM, box.h * MM)
    if here:
        mx, my, diameter = _markers.draw_markers(ax, here, view, frame, s, lay.k)
    else:
        mx, my, diameter = np.empty(0), np.empty(0), 0.0
        put(ax, 0.5, 0.5, "Aucun acteur localisé pour cette sélection", transform=ax.transAxes,
                ha="center", va="center", fontsize=lay.type.subtitle, color=GREY)
    _markers.label_communes(ax, here, mx, my, diameter, view, frame, s, lay.type.small,
                            drawn if focus else None)
    _basemap.draw_scale_bar(ax, view, s, lay.type.small)
    return view


def _side(fig: Any, lay: Layout, view: tuple[float, float, float, float],
          legend: list[tuple[str, str, int]], qr_url: str | None, theme: bool) -> Box:
    """Legend, QR code and locator in the side area; returns the box left for the directory."""
    side, s = lay.side, lay.scale
    used = _legend(fig, lay, side, legend, theme) if legend else 0.0
    x0, x1, _y0, _y1 = view
    region = _basemap.base().region
    locator = (x1 - x0) < _LOCATOR_MAX_SHARE * (region[2] - region[0])
    band_h = 26.0 * s if (qr_url or locator) else 0.0
    band = Box(side.x, side.y, side.w, band_h)
    if qr_url:
        _qr(fig, lay, band, qr_url)
    if locator:
        aspect = (region[2] - region[0]) / (region[3] - region[1])
        w = band_h * aspect
        _basemap.draw_locator(fig, Box(side.x + side.w - w, side.y, w, band_h).rect(
            lay.page_w, lay.page_h), view, s, (lay.page_w, lay.page_h))
    bottom = side.y + (band_h + 4 * s if band_h else 0.0)
    top = side.top - used
    top -= _heading(fig, lay, side.x, top, "Annuaire (numéro sur la carte)")
    return Box(side.x, bottom, side.w, top - bottom)


def _check(fmt: str, size: str, orientation: str) -> None:
    if fmt not in ("pdf", "png", "svg"):
        raise ValueError(_("unknown poster format {fmt!r}; expected pdf, png or svg").format(
            fmt=fmt))
    if size not in PAPER_SIZES_MM:
        raise ValueError(_("unknown paper size {size!r}; expected one of {paper_sizes_mm}").format(
            size=size, paper_sizes_mm=", ".join(PAPER_SIZES_MM)))
    if orientation not in ("portrait", "landscape"):
        raise ValueError(_("orientation must be 'portrait' or 'landscape', got {orientation!r}").format(
            orientation=orientation))


def render_poster(
    actors: gpd.GeoDataFrame,
    *,
    path: str | Path,
    fmt: str | None = None,
    size: str = "A3",
    orientation: str = "landscape",
    title: str = "Les acteurs du SAFI Tour",
    subtitle: str = "",
    taxonomy: Any = None,
    qr_url: str | None = None,
    dpi: int = 150,
    theme: str | None = None,
    communes: Sequence[str] = (),
) -> PosterResult:
    """Draw a poster of ``actors`` to ``path`` as PDF, PNG or SVG.

    Parameters
    ----------
    actors
        The actors to show (already selected); they pass through
        :func:`safi_map.model.public.public_actors` here as well, so no contact leaks even if a
        caller forgot. None: :class:`~safi_map.core.errors.EmptySelectionError`.
    path, fmt
        Output file; ``fmt`` (``"pdf"``, ``"png"``, ``"svg"``) defaults to the suffix.
    size, orientation
        ``"A4"`` .. ``"A0"``; ``"portrait"`` or ``"landscape"``.
    title, subtitle
        Printed at the top (survey text is never interpreted: no mathtext, no markup).
    taxonomy
        A ``Taxonomy`` or any object with ``.themes`` (or a list) of items having ``slug``,
        ``label`` and ``colour``; markers take the colour of an actor's first theme.
    qr_url
        URL of the online map; a QR code to it is printed when given.
    dpi
        Resolution of PNG output (PDF and SVG are vector; layout does not depend on it).
    theme
        A theme poster: every marker takes this theme's colour, the other themes of each actor
        are small tags in the directory.
    communes
        A commune poster: these communes (INSEE codes) are shown whole, tinted, with their
        neighbours named around them.

    Returns
    -------
    PosterResult
        Pages written and directory entries printed or left out.
    """
    import matplotlib
    from matplotlib.figure import Figure

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    size = size.upper()
    _check(fmt, size, orientation)
    actors = public_actors(actors)
    if actors.empty:
        raise EmptySelectionError(_("No actor to put on the poster: nothing was written."))
    register_fonts()
    entries = poster_entries(actors, taxonomy, theme=theme)
    lay = layout(size, orientation, len(entries))
    date = data_date(actors)
    n = len(entries)
    footer = SOURCES_LINE + (f" · données au {french_date(date)}" if date else "")
    footer += f" · {n} acteur{'s' if n > 1 else ''}"
    path.parent.mkdir(parents=True, exist_ok=True)
    rc: dict[str, Any] = {"pdf.fonttype": 42, "svg.fonttype": "none", "svg.hashsalt": "safi-map",
                          "text.parse_math": False, "font.family": FONTS[:1], "path.simplify": True,
                          "text.hinting": "no_hinting"}
    figsize = (lay.page_w / 25.4, lay.page_h / 25.4)
    tail = ("suite page suivante : {n} acteurs" if fmt == "pdf"
            else "suite : {n} acteurs de plus — voir la carte en ligne")
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        _header(fig, lay, title, subtitle)
        view = _map(fig, lay, entries, communes)
        box = _side(fig, lay, view, legend_items(actors, taxonomy, theme), qr_url,
                    theme is not None)
        listed = _directory.draw(fig, lay, box, entries, tail, tags=theme is not None)
        pages = [fig]
        while fmt == "pdf" and listed < n:
            page = Figure(figsize=figsize, dpi=dpi, facecolor="white")
            _header(page, lay, title, "Annuaire des acteurs (suite)")
            bottom = lay.footer.top + 4 * lay.scale
            body = Box(lay.margin, bottom, lay.page_w - 2 * lay.margin,
                       lay.header.y - bottom - 3 * lay.scale)
            done = _directory.draw(page, lay, body, entries[listed:], tail,
                                   tags=theme is not None)
            if done == 0:  # cannot happen with a sane layout; never loop forever
                raise RuntimeError("poster directory does not fit on a page")
            listed += done
            pages.append(page)
        for i, page in enumerate(pages, start=1):
            _footer(page, lay, footer, f"page {i}/{len(pages)}" if len(pages) > 1 else "")
        _save(pages, path, fmt, dpi, title, subtitle)
    omitted = n - listed
    if omitted:
        log.info("poster %s lists %d of %d actors (%d left out)", path, listed, n, omitted)
    return PosterResult(path=path, fmt=fmt, pages=len(pages), actors=n, listed=listed,
                        omitted=omitted)


def _save(pages: list[Any], path: Path, fmt: str, dpi: int, title: str, subtitle: str) -> None:
    """Write the poster under a temporary name, then move it into place (atomic)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        _write(pages, tmp, fmt, dpi, title, subtitle)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write(pages: list[Any], path: Path, fmt: str, dpi: int, title: str, subtitle: str) -> None:
    if fmt == "pdf":
        from matplotlib.backends.backend_pdf import PdfPages

        metadata = {"Title": clean(title), "Subject": clean(subtitle), "Creator": "safi-map",
                    "CreationDate": None, "ModDate": None}
        with PdfPages(path, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
    elif fmt == "svg":
        pages[0].savefig(path, format="svg", metadata={"Date": None, "Creator": "safi-map",
                                                      "Title": clean(title)})
    else:
        pages[0].savefig(path, format="png", dpi=dpi, metadata={"Software": "safi-map"})
