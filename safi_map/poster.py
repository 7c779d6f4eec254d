"""Printable posters of the actor map: PDF (vector, several pages), PNG and SVG.

A poster is what organisers pin on the wall of a SAFI Tour stop: the map of the selected actors
over commune and department outlines (drawn offline from the packaged boundaries, so printing
needs no network), numbered markers coloured by theme, a legend, a numbered directory
(number -> name, commune, themes), the sources and date of the data, and a QR code to the online
map.

Layout decisions
----------------
* Everything is laid out in physical units (millimetres and points) from the paper size; type
  grows with the paper but slower (A0 text is 2.3 times A4 text), so bigger posters hold more
  of the directory. Marker placement does not depend on ``dpi``.
* The map is drawn in Lambert-93 (EPSG:2154), the official projection of metropolitan France,
  so shapes and distances look right.
* Markers never hide each other: each is placed at its true point when free, else on a spiral
  around it (actors geocoded at commune level share the commune point), with a thin leader line
  back to the true point.
* Directory overflow: the PDF continues the directory on following pages; PNG and SVG are single
  images, so they list as many actors as fit and end with "suite : N acteurs de plus — voir la
  carte en ligne" (the online map, or the PDF, has the full list). :class:`PosterResult` says how
  many were left out.
* Output is deterministic: the date printed is the date of the data (latest ``last_seen``),
  never today, and PDF/SVG metadata dates are removed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .i18n import _
from .public import public_actors
from .text import french_date, key

__all__ = [
    "PAPER_SIZES_MM",
    "SOURCES_LINE",
    "PosterEntry",
    "PosterResult",
    "data_date",
    "french_date",
    "poster_entries",
    "render_poster",
]

log = logging.getLogger(__name__)

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
    "A2": (420.0, 594.0),
    "A1": (594.0, 841.0),
    "A0": (841.0, 1189.0),
}
"""ISO 216 paper sizes, (short side, long side) in millimetres."""

SOURCES_LINE = ("Sources : enquêtes SAFI Tour ; fonds communes IGN ADMIN EXPRESS, "
                "Licence Ouverte 2.0")

_FONT = "DejaVu Sans"  # ships with matplotlib: always there, full French accents
_NO_THEME_COLOUR = "#8a8a8a"
_INK = "#222222"
_GREY = "#5f5f5f"
_LAND = "#fbfaf6"
_BACKGROUND = "#e6ecef"
_COMMUNE_EDGE = "#c7c0b3"
_DEPARTMENT_EDGE = "#6f665a"
_MM = 72.0 / 25.4  # points per millimetre
_CRS = "EPSG:2154"


@dataclass(frozen=True)
class PosterEntry:
    """One line of the directory: the number drawn on the map (``None`` when not located)."""

    number: int | None
    actor_id: str
    name: str
    commune: str
    insee_code: str
    themes: tuple[str, ...]  # labels
    colour: str
    x: float  # Lambert-93 metres, NaN when not located
    y: float


@dataclass(frozen=True)
class PosterResult:
    """What :func:`render_poster` wrote."""

    path: Path
    fmt: str
    pages: int
    actors: int
    listed: int  # directory entries printed
    omitted: int  # directory entries left out (PNG/SVG only; the PDF continues on more pages)


# --------------------------------------------------------------------------------------------
# Data helpers


def data_date(actors: pd.DataFrame) -> str:
    """The date of the data: the latest ``last_seen`` (ISO), ``""`` when there is none.

    Posters print this rather than today's date so the same data gives the same file.
    """
    if "last_seen" not in actors.columns or actors.empty:
        return ""
    dates = [str(d)[:10] for d in actors["last_seen"] if isinstance(d, str) and d.strip()]
    return max(dates) if dates else ""


def _theme_index(taxonomy: Any) -> dict[str, tuple[str, str]]:
    """slug -> (label, colour), from a Taxonomy, a list of theme objects or dicts, or None."""
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else []
    out: dict[str, tuple[str, str]] = {}
    for item in themes or []:
        get = item.get if isinstance(item, dict) else lambda n, d="", i=item: getattr(i, n, d)
        slug = str(get("slug", ""))
        if slug:
            out[slug] = (str(get("label", "") or slug), str(get("colour", "") or _NO_THEME_COLOUR))
    return out


def _clean(text: Any) -> str:
    """One line of plain text: survey strings may hold newlines, tabs, U+2028..."""
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())


def _themes_of(value: Any) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return value.split(";")
    return []


def poster_entries(actors: gpd.GeoDataFrame, taxonomy: Any = None) -> list[PosterEntry]:
    """The directory of a poster, in print order.

    Located actors are numbered 1..n by commune then name (so the directory reads by town and
    the numbers of one town are close together); actors without a location follow, unnumbered.
    """
    themes = _theme_index(taxonomy)
    if actors.empty:
        return []
    frame = actors.to_crs(_CRS) if actors.crs is not None else actors.set_crs("EPSG:4326").to_crs(_CRS)
    rows = []
    for rec, geom in zip(frame.drop(columns=frame.geometry.name).to_dict("records"),
                         frame.geometry.values, strict=True):
        located = geom is not None and not geom.is_empty
        slugs = _themes_of(rec.get("themes"))
        labels = tuple(themes.get(s, (s, ""))[0] for s in slugs)
        colour = themes.get(slugs[0], ("", _NO_THEME_COLOUR))[1] if slugs else _NO_THEME_COLOUR
        name = _clean(rec.get("name")) or "(sans nom)"
        commune = _clean(rec.get("commune"))
        rows.append(((not located, key(commune), key(name), str(rec.get("actor_id", ""))),
                     rec, located, labels, colour, name, commune, geom))
    rows.sort(key=lambda r: r[0])
    out = []
    number = 0
    for _sort, rec, located, labels, colour, name, commune, geom in rows:
        if located:
            number += 1
        out.append(PosterEntry(
            number=number if located else None, actor_id=str(rec.get("actor_id", "")),
            name=name, commune=commune, insee_code=_clean(rec.get("insee_code")),
            themes=labels, colour=colour,
            x=float(geom.x) if located else math.nan, y=float(geom.y) if located else math.nan,
        ))
    return out


@cache
def _boundaries_l93() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from . import gazetteer

    return (gazetteer.commune_boundaries().to_crs(_CRS),
            gazetteer.department_boundaries().to_crs(_CRS))


@cache
def _commune_points_l93() -> pd.DataFrame:
    from . import gazetteer

    frame = gazetteer.communes()
    frame = frame[frame["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    pts = gpd.GeoSeries(gpd.points_from_xy(frame["longitude"], frame["latitude"]),
                        crs="EPSG:4326").to_crs(_CRS)
    return pd.DataFrame({"code": frame["code_insee"].to_numpy(), "name": frame["nom"].to_numpy(),
                         "x": pts.x.to_numpy(), "y": pts.y.to_numpy()})


# --------------------------------------------------------------------------------------------
# Text measurement (no renderer needed: sums of glyph advances at size 1)


@cache
def _char_width(ch: str, bold: bool) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family=_FONT, size=100, weight="bold" if bold else "normal")
    width, _h, _d = text_to_path.get_text_width_height_descent(ch, prop, ismath=False)
    return width / 100.0


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in points at font ``size`` (kerning ignored: slight overestimate)."""
    return size * sum(_char_width(ch, bold) for ch in text)


def _fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so it fits in ``width`` points."""
    if _text_width(text, size, bold) <= width:
        return text
    budget = width - _text_width("…", size, bold)
    total = 0.0
    for i, ch in enumerate(text):
        total += size * _char_width(ch, bold)
        if total > budget:
            return text[:i].rstrip(" ,;·—-") + "…"
    return text


# --------------------------------------------------------------------------------------------
# Marker placement


def _place_markers(px: np.ndarray, py: np.ndarray, diameter: float, width: float,
                   height: float, max_tries: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Positions (points, axes frame) for markers of ``diameter`` so that none overlaps another.

    Each marker takes its true point when free, else the first free spot on a Fermat spiral
    around it (golden angle), kept inside the frame. Markers are placed from the densest
    area outwards so crowded towns stay compact. Overlap is accepted only when no free spot is
    found within ``max_tries`` (far more markers than the map can hold).
    """
    n = len(px)
    out_x, out_y = px.astype(float).copy(), py.astype(float).copy()
    if n == 0:
        return out_x, out_y
    r = diameter / 2.0
    gap = diameter * 1.04
    # Densest first: count neighbours within a few diameters (grid-binned for speed).
    bins = np.floor(np.stack([px, py]) / (diameter * 3)).astype(np.int64)
    _unused, inverse, counts = np.unique(bins, axis=1, return_inverse=True, return_counts=True)
    density = counts[np.ravel(inverse)]
    order = np.lexsort((np.arange(n), -density))
    golden = math.pi * (3.0 - math.sqrt(5.0))
    steps = np.arange(max_tries)
    spiral_r = 0.42 * diameter * np.sqrt(steps)
    spiral_dx = spiral_r * np.cos(steps * golden)
    spiral_dy = spiral_r * np.sin(steps * golden)

    batch = 96
    done_x = np.empty(n)  # positions placed so far, in placement order
    done_y = np.empty(n)
    for k, idx in enumerate(order):
        x0 = min(max(px[idx], r), width - r)
        y0 = min(max(py[idx], r), height - r)
        chosen = (x0, y0)
        for start in range(0, max_tries, batch):
            cx = x0 + spiral_dx[start:start + batch]
            cy = y0 + spiral_dy[start:start + batch]
            ok = (cx >= r) & (cy >= r) & (cx <= width - r) & (cy <= height - r)
            if not ok.any():
                continue
            reach = float(spiral_r[min(start + batch, max_tries) - 1]) + gap
            near = (np.abs(done_x[:k] - x0) < reach) & (np.abs(done_y[:k] - y0) < reach)
            nx, ny = done_x[:k][near], done_y[:k][near]
            if len(nx):
                d2 = (cx[:, None] - nx[None, :]) ** 2 + (cy[:, None] - ny[None, :]) ** 2
                ok &= (d2 >= gap * gap).all(axis=1)
            hits = np.flatnonzero(ok)
            if len(hits):
                chosen = (float(cx[hits[0]]), float(cy[hits[0]]))
                break
        done_x[k], done_y[k] = chosen
        out_x[idx], out_y[idx] = chosen
    return out_x, out_y


# --------------------------------------------------------------------------------------------
# Layout


@dataclass
class _Box:
    """A rectangle in millimetres from the bottom-left corner of the page."""

    x: float
    y: float
    w: float
    h: float

    def rect(self, page_w: float, page_h: float) -> list[float]:
        return [self.x / page_w, self.y / page_h, self.w / page_w, self.h / page_h]


@dataclass
class _Layout:
    page_w: float
    page_h: float
    scale: float
    margin: float
    header: _Box
    map: _Box
    side: _Box  # legend + directory (+ QR in landscape)
    footer: _Box


def _layout(size: str, orientation: str) -> _Layout:
    short, long_ = PAPER_SIZES_MM[size]
    page_w, page_h = (long_, short) if orientation == "landscape" else (short, long_)
    # Type and margins grow slower than the paper (A0: x2.3 rather than x4): a bigger poster
    # is read from further away, but it should also hold more actors than an A4.
    s = (short / 210.0) ** 0.6
    m = 9.0 * s
    header_h = 21.0 * s
    footer_h = 9.0 * s
    content_y = m + footer_h
    content_h = page_h - 2 * m - header_h - footer_h
    inner_w = page_w - 2 * m
    header = _Box(m, page_h - m - header_h, inner_w, header_h)
    footer = _Box(m, m, inner_w, footer_h - 2.0 * s)
    if orientation == "landscape":
        map_w = inner_w * 0.56
        gap = 6.0 * s
        map_box = _Box(m, content_y, map_w, content_h)
        side = _Box(m + map_w + gap, content_y, inner_w - map_w - gap, content_h)
    else:
        map_h = content_h * 0.56
        gap = 5.0 * s
        map_box = _Box(m, content_y + content_h - map_h, inner_w, map_h)
        side = _Box(m, content_y, inner_w, content_h - map_h - gap)
    return _Layout(page_w, page_h, s, m, header, map_box, side, footer)


def _extent(xs: np.ndarray, ys: np.ndarray, aspect: float) -> tuple[float, float, float, float]:
    """Map extent (Lambert-93 metres) around the points, with a margin, at ``aspect`` (w/h)."""
    if len(xs) == 0:
        _communes, deps = _boundaries_l93()
        x0, y0, x1, y1 = deps.total_bounds
    else:
        x0, x1 = float(np.min(xs)), float(np.max(xs))
        y0, y1 = float(np.min(ys)), float(np.max(ys))
    span = max(x1 - x0, y1 - y0, 3000.0)
    pad = max(0.1 * span, 1500.0)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    return x0, x1, y0, y1


def _text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on ``hex_colour``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(hex_colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 0.55 else "#ffffff"


def _nice_length(metres: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    for factor in (5, 2, 1):
        if factor * power <= metres:
            return factor * power
    return power


# --------------------------------------------------------------------------------------------
# Drawing


def _draw_map(fig: Any, lay: _Layout, entries: Sequence[PosterEntry], actors: gpd.GeoDataFrame
              ) -> None:
    import matplotlib.patheffects as pe
    from matplotlib.collections import LineCollection

    s = lay.scale
    box = lay.map
    ax = fig.add_axes(box.rect(lay.page_w, lay.page_h))
    located = [e for e in entries if e.number is not None]
    xs = np.array([e.x for e in located])
    ys = np.array([e.y for e in located])
    x0, x1, y0, y1 = _extent(xs, ys, box.w / box.h)
    communes, deps = _boundaries_l93()
    view_communes = communes.cx[x0:x1, y0:y1]
    view_deps = deps.cx[x0:x1, y0:y1]
    ax.set_facecolor(_BACKGROUND)
    view_communes.plot(ax=ax, facecolor=_LAND, edgecolor=_COMMUNE_EDGE, linewidth=0.35 * s,
                       zorder=1)
    view_deps.plot(ax=ax, facecolor="none", edgecolor=_DEPARTMENT_EDGE, linewidth=1.0 * s,
                   zorder=2)
    ax.set_aspect("auto")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * s)
        spine.set_color("#9a9a9a")

    width_pt, height_pt = box.w * _MM, box.h * _MM
    n = len(located)
    if n:
        digits = len(str(n))
        diameter = (7.6 + 2.3 * digits) * s  # points: room for the number at a legible size
        capacity = width_pt * height_pt / 3.2
        if n * diameter**2 > capacity:
            diameter = max(math.sqrt(capacity / n), (3.2 + 1.6 * digits) * s)
        font = diameter / (0.62 * digits + 0.95)
        px = (xs - x0) / (x1 - x0) * width_pt
        py = (ys - y0) / (y1 - y0) * height_pt
        mx, my = _place_markers(px, py, diameter, width_pt, height_pt)
        dx = mx / width_pt * (x1 - x0) + x0
        dy = my / height_pt * (y1 - y0) + y0
        moved = np.hypot(mx - px, my - py) > diameter * 0.3
        if moved.any():
            segments = [((xs[i], ys[i]), (dx[i], dy[i])) for i in np.flatnonzero(moved)]
            ax.add_collection(LineCollection(segments, colors="#555555", linewidths=0.3 * s,
                                             alpha=0.7, zorder=4))
            ax.scatter(xs[moved], ys[moved], s=(1.6 * s) ** 2, c="#333333", linewidths=0,
                       zorder=4)
        colours = [e.colour for e in located]
        ax.scatter(dx, dy, s=diameter**2, c=colours, edgecolors="white",
                   linewidths=0.5 * s, zorder=5)
        for e, x, y in zip(located, dx, dy, strict=True):
            ax.text(x, y, str(e.number), ha="center", va="center_baseline", fontsize=font,
                    fontweight="bold", color=_text_colour(e.colour), zorder=6, family=_FONT)
        _label_communes(ax, located, mx, my, diameter, (x0, x1, y0, y1), (width_pt, height_pt),
                        s, pe)
    else:
        ax.text(0.5, 0.5, "Aucun acteur localisé pour cette sélection", transform=ax.transAxes,
                ha="center", va="center", fontsize=12 * s, color=_GREY)
    _scale_bar(ax, (x0, x1, y0, y1), s)


def _label_communes(ax: Any, located: Sequence[PosterEntry], mx: np.ndarray, my: np.ndarray,
                    diameter: float, extent: tuple[float, float, float, float],
                    frame: tuple[float, float], s: float, pe: Any) -> None:
    """Names of the communes with the most actors (at most 12), under their marker cluster.

    A label at the commune point would sit under its markers (actors geocoded at commune level
    share that point), so it goes just below the lowest marker of the commune, centred on the
    cluster, above everything else with a white halo.
    """
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(located):
        groups.setdefault(e.insee_code or e.commune, []).append(i)
    if len(groups) < 2:
        return
    x0, x1, y0, y1 = extent
    width_pt, height_pt = frame
    size = 6.5 * s
    r = diameter / 2
    taken: list[tuple[float, float, float, float]] = []  # label boxes already drawn (points)

    def clear(box: tuple[float, float, float, float]) -> bool:
        bx0, by0, bx1, by1 = box
        if bx0 < 0 or by0 < 0 or bx1 > width_pt or by1 > height_pt:
            return False
        # no marker disc may touch the box, no other label may overlap it
        nx = np.clip(mx, bx0, bx1)
        ny = np.clip(my, by0, by1)
        if (np.hypot(mx - nx, my - ny) < r).any():
            return False
        return not any(bx0 < t[2] and t[0] < bx1 and by0 < t[3] and t[1] < by1 for t in taken)

    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:12]
    for _code, members in ranked:
        name = located[members[0]].commune
        if not name:
            continue
        w = _text_width(name, size) * 1.05 + 2
        h = size * 1.25
        cx = float(np.mean(mx[members]))
        lo, hi = float(np.min(my[members])), float(np.max(my[members]))
        left, right = float(np.min(mx[members])), float(np.max(mx[members]))
        candidates = [  # below, above, right, left of the commune's markers
            (cx - w / 2, lo - r - 1 - h), (cx - w / 2, hi + r + 1),
            (right + r + 1, (lo + hi) / 2 - h / 2), (left - r - 1 - w, (lo + hi) / 2 - h / 2),
        ]
        for bx, by in candidates:
            box = (bx, by, bx + w, by + h)
            if clear(box):
                taken.append(box)
                ax.text(x0 + (bx + w / 2) / width_pt * (x1 - x0),
                        y0 + (by + h / 2) / height_pt * (y1 - y0), name, fontsize=size,
                        color="#2f2f2f", style="italic", ha="center", va="center", zorder=7,
                        family=_FONT,
                        path_effects=[pe.withStroke(linewidth=2.4 * s, foreground="white")])
                break


def _scale_bar(ax: Any, extent: tuple[float, float, float, float], s: float) -> None:
    x0, x1, y0, y1 = extent
    length = _nice_length((x1 - x0) / 5)
    bx = x0 + (x1 - x0) * 0.03
    by = y0 + (y1 - y0) * 0.03
    ax.plot([bx, bx + length], [by, by], color=_INK, linewidth=1.6 * s, zorder=8,
            solid_capstyle="butt")
    label = f"{length / 1000:g} km".replace(".", ",") if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + (y1 - y0) * 0.008, label, ha="center", va="bottom",
            fontsize=6.5 * s, color=_INK, zorder=8, family=_FONT)


def _draw_header(fig: Any, lay: _Layout, title: str, subtitle: str) -> None:
    s = lay.scale
    h = lay.header
    x = h.x / lay.page_w
    fig.text(x, (h.y + h.h - 1.5 * s) / lay.page_h, _fit(_clean(title), 20 * s, h.w * _MM, True),
             fontsize=20 * s, fontweight="bold", color=_INK, va="top", family=_FONT)
    if subtitle:
        fig.text(x, (h.y + h.h - 11.5 * s) / lay.page_h,
                 _fit(_clean(subtitle), 12 * s, h.w * _MM), fontsize=12 * s, color=_GREY,
                 va="top", family=_FONT)
    fig.add_artist(_hline(fig, lay, h.y + 0.5 * s, 0.8 * s))


def _hline(fig: Any, lay: _Layout, y_mm: float, width: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([lay.margin / lay.page_w, 1 - lay.margin / lay.page_w],
                  [y_mm / lay.page_h] * 2, transform=fig.transFigure, color="#b5b5b5",
                  linewidth=width)


def _draw_footer(fig: Any, lay: _Layout, line: str, right: str) -> None:
    s = lay.scale
    f = lay.footer
    fig.add_artist(_hline(fig, lay, f.y + f.h + 0.5 * s, 0.5 * s))
    size = 6.5 * s
    right_w = _text_width(right, size) + 4 * s * _MM if right else 0.0
    fig.text(f.x / lay.page_w, (f.y + f.h / 2) / lay.page_h,
             _fit(line, size, f.w * _MM - right_w), fontsize=size, color=_GREY, va="center",
             family=_FONT)
    if right:
        fig.text((f.x + f.w) / lay.page_w, (f.y + f.h / 2) / lay.page_h, right, fontsize=size,
                 color=_GREY, va="center", ha="right", family=_FONT)


def _draw_legend(fig: Any, lay: _Layout, box: _Box, items: Sequence[tuple[str, str, int]]
                 ) -> float:
    """Theme legend in ``box`` (top-aligned); returns the height used in mm."""
    s = lay.scale
    size = 7.0 * s
    line = size * 1.55 / _MM
    fig.text(box.x / lay.page_w, (box.y + box.h) / lay.page_h, "Thèmes (couleur du marqueur)",
             fontsize=8.5 * s, fontweight="bold", color=_INK, va="top", family=_FONT)
    top = box.y + box.h - 8.5 * s * 1.7 / _MM
    ncols = 2 if len(items) > 5 else 1
    col_w = box.w / ncols
    rows = math.ceil(len(items) / ncols)
    for i, (label, colour, count) in enumerate(items):
        col, row = divmod(i, rows)
        x = box.x + col * col_w
        y = top - row * line - line / 2
        fig.add_artist(_disc(fig, lay, x + 1.6 * s, y, 1.5 * s, colour))
        text = _fit(f"{label} ({count})", size, (col_w - 5 * s) * _MM)
        fig.text((x + 4.2 * s) / lay.page_w, y / lay.page_h, text, fontsize=size, color=_INK,
                 va="center", family=_FONT)
    return (box.y + box.h) - (top - rows * line) + 2.5 * s


def _disc(fig: Any, lay: _Layout, x_mm: float, y_mm: float, r_mm: float, colour: str) -> Any:
    from matplotlib.patches import Ellipse

    return Ellipse((x_mm / lay.page_w, y_mm / lay.page_h), 2 * r_mm / lay.page_w,
                   2 * r_mm / lay.page_h, transform=fig.transFigure, facecolor=colour,
                   edgecolor="white", linewidth=0.3 * lay.scale)


_DIRECTORY_SIZES = (6.0, 5.6, 5.3, 5.0)
"""Directory font sizes (pt at A4 scale) tried in turn until the entries fit; 5 pt is the
smallest that stays legible on paper."""


def _directory_grid(lay: _Layout, box: _Box, n: int) -> tuple[int, int, float, float, float]:
    """(columns, rows, column width mm, line height mm, font size pt) of a directory in box.

    The largest font size at which ``n`` entries fit is used; at the smallest size, whatever
    does not fit overflows (next page or "suite" line).
    """
    s = lay.scale
    for base in _DIRECTORY_SIZES:
        size = base * s
        line = size * 1.42 / _MM
        target = 62.0 * s * base / _DIRECTORY_SIZES[0]
        ncols = max(1, int((box.w + 4 * s) // target))
        col_w = (box.w - (ncols - 1) * 4 * s) / ncols
        rows = max(1, int(box.h // line))
        if ncols * rows >= n:
            break
    needed = max(1, math.ceil(n / rows))
    if needed < ncols:  # few entries: fewer, wider columns (names cut less), not too wide
        ncols = max(needed, math.ceil(box.w / (target * 2.4)))
        col_w = (box.w - (ncols - 1) * 4 * s) / ncols
    return ncols, rows, col_w, line, size


def _draw_directory(fig: Any, lay: _Layout, box: _Box, entries: Sequence[PosterEntry],
                    tail: str | None) -> int:
    """Print ``entries`` in columns inside ``box``; returns how many fitted.

    When they do not all fit, the last line is ``tail`` (formatted with the number left out).
    """
    s = lay.scale
    ncols, rows, col_w, line, size = _directory_grid(lay, box, len(entries))
    fits = len(entries) <= ncols * rows
    if fits and entries:  # balance the columns rather than leave an orphan in the last one
        rows = math.ceil(len(entries) / ncols)
    if not fits and tail is not None:
        rows = max(1, rows - 1)  # the bottom line of the box tells what is left out
    count = len(entries) if fits else ncols * rows
    num_w = _text_width("0000", size, True)
    for i, e in enumerate(entries[:count]):
        col, row = divmod(i, rows)
        x = box.x + col * (col_w + 4 * s)
        y = box.y + box.h - (row + 0.5) * line
        fig.add_artist(_disc(fig, lay, x + 1.1 * s, y, 0.95 * s, e.colour))
        num = str(e.number) if e.number is not None else "–"
        x_num = x + 2.6 * s + num_w / _MM
        fig.text(x_num / lay.page_w, y / lay.page_h, num, fontsize=size, fontweight="bold",
                 color=_INK, ha="right", va="center_baseline", family=_FONT)
        x_text = x_num + 1.3 * s
        avail = (x + col_w - x_text) * _MM
        rest = e.commune or "sans localisation"
        if e.number is None:
            rest = f"{rest} (non localisé)" if e.commune else rest
        if e.themes:
            rest += " · " + ", ".join(e.themes)
        rest = " — " + rest
        # The name has priority, then the commune; the themes take what is left.
        rest_w = min(_text_width(rest, size), _text_width(f" — {e.commune}", size),
                     avail * 0.35) + 0.4 * size
        name = _fit(e.name, size, (avail - rest_w) / 1.015, True)
        name_w = _text_width(name, size, True) * 1.015 + 0.3 * size  # hinting slack
        fig.text(x_text / lay.page_w, y / lay.page_h, name, fontsize=size, fontweight="bold",
                 color=_INK, va="center_baseline", family=_FONT)
        rest = _fit(rest, size, avail - name_w)
        if rest:
            fig.text((x_text + name_w / _MM) / lay.page_w, y / lay.page_h, rest, fontsize=size,
                     color=_GREY, va="center_baseline", family=_FONT)
    if not fits and tail is not None:
        y = box.y + box.h - (rows + 0.5) * line
        fig.text((box.x + 1 * s) / lay.page_w, y / lay.page_h,
                 _fit(tail.format(n=len(entries) - count), size, box.w * _MM, True),
                 fontsize=size, fontweight="bold", style="italic", color=_INK,
                 va="center_baseline", family=_FONT)
    return count


def _draw_qr(fig: Any, lay: _Layout, box: _Box, url: str) -> None:
    """QR code of ``url`` (vector squares) with a caption, in ``box`` (bottom-left anchored)."""
    import segno
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    s = lay.scale
    qr = segno.make(url, error="m")
    matrix = [list(row) for row in qr.matrix_iter(border=2)]
    n = len(matrix)
    side = min(box.h, box.w)
    ax = fig.add_axes(_Box(box.x, box.y, side, side).rect(lay.page_w, lay.page_h))
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_axis_off()
    rects = [Rectangle((c, r), 1, 1) for r, row in enumerate(matrix) for c, v in enumerate(row)
             if v]
    ax.add_collection(PatchCollection(rects, facecolor="black", edgecolor="none"))
    size = 7 * s
    cx = box.x + side + 2.5 * s
    fig.text(cx / lay.page_w, (box.y + side * 0.62) / lay.page_h, "La carte en ligne",
             fontsize=8.5 * s, fontweight="bold", color=_INK, va="center", family=_FONT)
    fig.text(cx / lay.page_w, (box.y + side * 0.38) / lay.page_h,
             _fit(url, size, (box.x + box.w - cx) * _MM), fontsize=size, color=_GREY,
             va="center", family=_FONT)


def _legend_items(entries: Sequence[PosterEntry], taxonomy: Any,
                  actors: gpd.GeoDataFrame) -> list[tuple[str, str, int]]:
    """(label, colour, number of actors whose first theme it is), in taxonomy order."""
    index = _theme_index(taxonomy)
    firsts: dict[str, int] = {}
    for value in actors.get("themes", pd.Series(dtype=object)):
        slugs = _themes_of(value)
        slug = slugs[0] if slugs else ""
        firsts[slug] = firsts.get(slug, 0) + 1
    order = list(index) + sorted(s for s in firsts if s not in index and s)
    items = [(index.get(slug, (slug, _NO_THEME_COLOUR))[0],
              index.get(slug, ("", _NO_THEME_COLOUR))[1], firsts[slug])
             for slug in order if slug in firsts]
    if "" in firsts:
        items.append(("Sans thème", _NO_THEME_COLOUR, firsts[""]))
    return items


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
) -> PosterResult:
    """Draw a poster of ``actors`` to ``path`` as PDF, PNG or SVG.

    Parameters
    ----------
    actors
        The actors to show (already selected); they pass through
        :func:`safi_map.public.public_actors` here as well, so no contact leaks even if a
        caller forgot.
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

    Returns
    -------
    PosterResult
        Pages written and directory entries printed or left out.
    """
    import matplotlib
    from matplotlib.figure import Figure

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("pdf", "png", "svg"):
        raise ValueError(_("unknown poster format {fmt!r}; expected pdf, png or svg").format(
                             fmt=fmt))
    size = size.upper()
    if size not in PAPER_SIZES_MM:
        raise ValueError(_("unknown paper size {size!r}; expected one of {paper_sizes_mm}").format(
                             size=size, paper_sizes_mm=', '.join(PAPER_SIZES_MM)))
    if orientation not in ("portrait", "landscape"):
        raise ValueError(_("orientation must be 'portrait' or 'landscape', got {orientation!r}").format(
                             orientation=orientation))
    actors = public_actors(actors)
    entries = poster_entries(actors, taxonomy)
    lay = _layout(size, orientation)
    date = data_date(actors)
    n_actors = len(entries)
    footer = SOURCES_LINE
    if date:
        footer += f" · données au {french_date(date)}"
    footer += f" · {n_actors} acteur{'s' if n_actors > 1 else ''}"
    legend = _legend_items(entries, taxonomy, actors)
    path.parent.mkdir(parents=True, exist_ok=True)

    rc: dict[str, Any] = {
        "pdf.fonttype": 42,
        "svg.fonttype": "none",
        "svg.hashsalt": "safi-map",
        "text.parse_math": False,
        "font.family": _FONT,
        "path.simplify": True,
    }
    figsize = (lay.page_w / 25.4, lay.page_h / 25.4)
    pages: list[Any] = []
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        _draw_header(fig, lay, title, subtitle)
        _draw_map(fig, lay, entries, actors)
        side = lay.side
        s = lay.scale
        used = _draw_legend(fig, lay, side, legend) if legend else 0.0
        qr_h = 0.0
        if qr_url:
            qr_h = 24.0 * s
            if lay.page_w > lay.page_h:  # landscape: QR at the foot of the side column
                _draw_qr(fig, lay, _Box(side.x, side.y, side.w, qr_h), qr_url)
            else:  # portrait: QR at the foot of the directory area, right side
                _draw_qr(fig, lay, _Box(side.x + side.w * 0.62, side.y, side.w * 0.38, qr_h),
                         qr_url)
        dir_box = _Box(side.x, side.y + (qr_h + 3 * s if qr_url else 0),
                       side.w, side.h - used - (qr_h + 3 * s if qr_url else 0))
        fig.text(dir_box.x / lay.page_w, (dir_box.y + dir_box.h) / lay.page_h,
                 "Annuaire (numéro sur la carte)", fontsize=8.5 * s, fontweight="bold",
                 color=_INK, va="top", family=_FONT)
        dir_box.h -= 8.5 * s * 1.7 / _MM
        tail = ("suite page suivante : {n} acteurs" if fmt == "pdf"
                else "suite : {n} acteurs de plus — voir la carte en ligne")
        listed = _draw_directory(fig, lay, dir_box, entries, tail)
        pages.append(fig)
        remaining = list(entries[listed:])
        if fmt == "pdf":
            while remaining:
                page = Figure(figsize=figsize, dpi=dpi, facecolor="white")
                _draw_header(page, lay, title, "Annuaire des acteurs (suite)")
                body = _Box(lay.margin, lay.footer.y + lay.footer.h + 4 * s,
                            lay.page_w - 2 * lay.margin,
                            lay.header.y - (lay.footer.y + lay.footer.h + 4 * s) - 3 * s)
                done = _draw_directory(page, lay, body, remaining, tail)
                if done == 0:  # cannot happen with a sane layout; never loop forever
                    raise RuntimeError(_("poster directory does not fit on a page"))
                remaining = remaining[done:]
                listed += done
                pages.append(page)
        total = len(pages)
        for i, page in enumerate(pages, start=1):
            _draw_footer(page, lay, footer, f"page {i}/{total}" if total > 1 else "")
        if fmt == "pdf":
            from matplotlib.backends.backend_pdf import PdfPages

            metadata = {"Title": _clean(title), "Subject": _clean(subtitle),
                        "Creator": "safi-map", "CreationDate": None, "ModDate": None}
            with PdfPages(path, metadata=metadata) as pdf:
                for page in pages:
                    pdf.savefig(page)
        elif fmt == "svg":
            fig.savefig(path, format="svg", metadata={"Date": None, "Creator": "safi-map",
                                                        "Title": _clean(title)})
        else:
            fig.savefig(path, format="png", dpi=dpi, metadata={"Software": "safi-map"})
    omitted = len(entries) - listed
    if omitted:
        log.info("poster %s lists %d of %d actors (%d left out)", path, listed, len(entries),
                 omitted)
    return PosterResult(path=path, fmt=fmt, pages=len(pages), actors=len(entries),
                        listed=listed, omitted=omitted)
