"""The map under the markers: commune and department outlines, extent, locator, scale bar.

The outlines are the packaged PACA boundaries (no network). They are turned into matplotlib
paths once per process and reused by every poster: drawing a poster only picks the communes in
view (geopandas' ``plot`` rebuilt the paths of every commune in view for every poster, 15 % of a
poster's time).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from safi_map.export.poster._entries import CRS
from safi_map.export.poster._fonts import put

INK = "#222222"
LAND = "#fbfaf6"
FOCUS_LAND = "#f4ecd9"
BACKGROUND = "#e9e9e6"  # outside the region (no other outlines are packaged) or sea: neutral
COMMUNE_EDGE = "#c7c0b3"
DEPARTMENT_EDGE = "#6f665a"
LOCATOR_FRAME = "#c0392b"


@dataclass(frozen=True)
class _Base:
    codes: np.ndarray  # INSEE code of each commune (Marseille by arrondissement)
    names: np.ndarray
    paths: list[Any]  # matplotlib Path per commune, Lambert-93 metres
    bounds: np.ndarray  # (n, 4): xmin, ymin, xmax, ymax
    label_x: np.ndarray  # a point inside each commune
    label_y: np.ndarray
    dep_paths: list[Any]
    dep_bounds: np.ndarray
    region: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


def _path(geom: Any) -> Any:
    """One compound matplotlib Path of a (multi)polygon, holes included."""
    import shapely
    from matplotlib.path import Path

    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for ring in shapely.get_rings(shapely.get_parts(geom)):
        xy = shapely.get_coordinates(ring)
        if len(xy) < 3:
            continue
        c = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
        c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
        verts.append(xy)
        codes.append(c)
    if not verts:
        return Path(np.zeros((0, 2)))
    return Path(np.concatenate(verts), np.concatenate(codes))


@cache
def base() -> _Base:
    import shapely

    from safi_map.geo import gazetteer

    communes = gazetteer.commune_boundaries(marseille="arrondissements").to_crs(CRS)
    deps = gazetteer.department_boundaries().to_crs(CRS)
    geoms = communes.geometry.values
    inside = shapely.point_on_surface(geoms)
    return _Base(
        codes=communes["code_insee"].astype(str).to_numpy(),
        names=communes["nom"].astype(str).to_numpy(),
        paths=[_path(g) for g in geoms], bounds=shapely.bounds(geoms),
        label_x=shapely.get_x(inside), label_y=shapely.get_y(inside),
        dep_paths=[_path(g) for g in deps.geometry.values],
        dep_bounds=shapely.bounds(deps.geometry.values),
        region=tuple(float(v) for v in deps.total_bounds),  # type: ignore[arg-type]
    )


def focus_bounds(codes: Iterable[str]) -> tuple[float, float, float, float] | None:
    """Bounds of the communes ``codes`` (a commune poster shows its commune whole)."""
    b = base()
    mask = np.isin(b.codes, list(codes))
    if not mask.any():
        return None
    sel = b.bounds[mask]
    return (float(sel[:, 0].min()), float(sel[:, 1].min()),
            float(sel[:, 2].max()), float(sel[:, 3].max()))


def extent(xs: np.ndarray, ys: np.ndarray, aspect: float,
           focus: tuple[float, float, float, float] | None = None
           ) -> tuple[float, float, float, float]:
    """Map extent ``(x0, x1, y0, y1)`` in Lambert-93 metres at ``aspect`` (width / height).

    It holds every point and the ``focus`` rectangle (a commune poster's commune), with margins
    on every side: 12 % of the larger span (at least 2.5 km) around points alone, 30 % around a
    commune so its neighbours show; then widened on one axis to the frame's aspect. With no
    point and no focus: the whole region.
    """
    if len(xs) == 0 and focus is None:
        x0, y0, x1, y1 = base().region
        pad_share, min_pad = 0.03, 0.0
    else:
        bx = [float(np.min(xs)), float(np.max(xs))] if len(xs) else []
        by = [float(np.min(ys)), float(np.max(ys))] if len(ys) else []
        if focus is not None:
            bx += [focus[0], focus[2]]
            by += [focus[1], focus[3]]
        x0, x1, y0, y1 = min(bx), max(bx), min(by), max(by)
        pad_share, min_pad = (0.30, 2500.0) if focus is not None else (0.12, 2500.0)
    span = max(x1 - x0, y1 - y0, 2000.0)
    pad = max(pad_share * span, min_pad)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    return x0, x1, y0, y1


def _in_view(bounds: np.ndarray, view: tuple[float, float, float, float]) -> np.ndarray:
    x0, x1, y0, y1 = view
    return ((bounds[:, 2] >= x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= y0)
            & (bounds[:, 1] <= y1))


def _patch(paths: list[Any], **style: Any) -> Any:
    """One patch of many paths: the PDF gets one path to fill and stroke instead of one per
    commune (a collection of 900 paths was a third of a poster's time)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    if not paths:
        return PathPatch(Path(np.zeros((0, 2))), **style)
    # Path.make_compound_path checks every path in Python: 20 times slower than this
    return PathPatch(Path(np.concatenate([p.vertices for p in paths]),
                          np.concatenate([p.codes for p in paths])), **style)


def draw_base(ax: Any, view: tuple[float, float, float, float], s: float,
              focus_codes: Iterable[str] = ()) -> np.ndarray:
    """Commune outlines (the ``focus_codes`` communes tinted) and department outlines in
    ``view``; returns the indices of the communes drawn."""
    b = base()
    idx = np.flatnonzero(_in_view(b.bounds, view))
    focus = set(focus_codes)
    ax.set_facecolor(BACKGROUND)
    ax.add_artist(_patch([b.paths[i] for i in idx if b.codes[i] not in focus], facecolor=LAND,
                        edgecolor=COMMUNE_EDGE, linewidth=0.35 * s, zorder=1))
    if focus:
        ax.add_artist(_patch([b.paths[i] for i in idx if b.codes[i] in focus],
                            facecolor=FOCUS_LAND, edgecolor=DEPARTMENT_EDGE, linewidth=0.9 * s,
                            zorder=2))
    didx = np.flatnonzero(_in_view(b.dep_bounds, view))
    ax.add_artist(_patch([b.dep_paths[i] for i in didx], facecolor="none",
                        edgecolor=DEPARTMENT_EDGE, linewidth=1.0 * s, zorder=2))
    return idx


def draw_locator(fig: Any, rect: list[float], view: tuple[float, float, float, float],
                 s: float, page: tuple[float, float]) -> None:
    """A small map of the region with the poster's extent framed in red, in ``rect`` (figure
    fraction, on a ``page`` of (width, height) mm), anchored bottom-left at the region's shape.

    Drawn on the figure through one transform, not in an Axes (making and drawing an Axes cost
    about 20 ms a poster); the artists have the SVG id ``locator``.
    """
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import Affine2D, Bbox, TransformedBbox

    b = base()
    rx0, ry0, rx1, ry1 = b.region
    page_w, page_h = page
    # metres -> mm on the page, the same in x and y (an undistorted map), fitting the rect
    mm = min(rect[2] * page_w / (rx1 - rx0), rect[3] * page_h / (ry1 - ry0))
    to_fig = (Affine2D().translate(-rx0, -ry0).scale(mm / page_w, mm / page_h)
              .translate(rect[0], rect[1]) + fig.transFigure)
    clip = TransformedBbox(Bbox.from_bounds(rect[0], rect[1], (rx1 - rx0) * mm / page_w,
                                            (ry1 - ry0) * mm / page_h), fig.transFigure)
    outline = _patch(b.dep_paths, facecolor=LAND, edgecolor=DEPARTMENT_EDGE, linewidth=0.5 * s,
                     transform=to_fig)
    outline.set_gid("locator")
    fig.add_artist(outline)
    x0, x1, y0, y1 = view
    # never smaller than a visible square, so a town's frame still shows on the region
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) / 2, (rx1 - rx0) * 0.025)
    half_h = max((y1 - y0) / 2, (rx1 - rx0) * 0.025)
    frame = Rectangle((cx - half_w, cy - half_h), 2 * half_w, 2 * half_h,
                      facecolor=LOCATOR_FRAME, alpha=0.25, edgecolor=LOCATOR_FRAME,
                      linewidth=1.0 * s, transform=to_fig, clip_box=clip)
    frame.set_gid("locator-frame")
    fig.add_artist(frame)


def nice_length(metres: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    for factor in (5, 2, 1):
        if factor * power <= metres:
            return factor * power
    return power


def draw_scale_bar(ax: Any, view: tuple[float, float, float, float], s: float,
                   size: float) -> None:
    from matplotlib.patches import Rectangle

    x0, x1, y0, y1 = view
    length = nice_length((x1 - x0) / 5)
    bx = x0 + (x1 - x0) * 0.03
    by = y0 + (y1 - y0) * 0.035
    label = f"{length / 1000:g} km".replace(".", ",") if length >= 1000 else f"{length:g} m"
    ax.add_patch(Rectangle((bx - (x1 - x0) * 0.012, by - (y1 - y0) * 0.015),
                           length + (x1 - x0) * 0.024, (y1 - y0) * 0.055, facecolor="white",
                           alpha=0.8, edgecolor="none", zorder=4.5))
    ax.plot([bx, bx + length], [by, by], color=INK, linewidth=1.6 * s, zorder=8,
            solid_capstyle="butt")
    put(ax, bx + length / 2, by + (y1 - y0) * 0.008, label, ha="center", va="bottom",
            fontsize=size, color=INK, zorder=8)
