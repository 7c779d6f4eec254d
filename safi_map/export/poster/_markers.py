"""Numbered markers on the map: placed without overlap, coloured, with commune names.

Markers never hide each other: each is placed at its true point when free, else on a spiral
around it (actors geocoded at commune level share the commune point), with a thin leader line
back to the true point. Placement is in points on the page, so it does not depend on ``dpi``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from safi_map.export.poster._basemap import base
from safi_map.export.poster._entries import PosterEntry, short_commune
from safi_map.export.poster._fonts import put, text_width


def place_markers(px: np.ndarray, py: np.ndarray, diameter: float, width: float,
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
    _, inverse, counts = np.unique(bins, axis=1, return_inverse=True, return_counts=True)
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


def text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on ``hex_colour``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(hex_colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 0.55 else "#ffffff"


def marker_diameter(n: int, frame: tuple[float, float], k: float) -> float:
    """Marker diameter in points: room for the number at a legible size, smaller when the
    map must hold many markers (they cover at most about a third of it)."""
    digits = len(str(n))
    diameter = (9.5 + 2.6 * digits) * k
    capacity = frame[0] * frame[1] / 3.2
    if n * diameter**2 > capacity:
        diameter = max(math.sqrt(capacity / n), (3.2 + 1.6 * digits) * k)
    return diameter


def draw_markers(ax: Any, located: Sequence[PosterEntry], view: tuple[float, float, float, float],
                 frame: tuple[float, float], s: float, k: float) -> tuple[np.ndarray, np.ndarray,
                                                                           float]:
    """Markers of ``located`` entries in ``view``; returns their positions in points on the
    frame and their diameter."""
    from matplotlib.collections import LineCollection

    x0, x1, y0, y1 = view
    width_pt, height_pt = frame
    xs = np.array([e.x for e in located])
    ys = np.array([e.y for e in located])
    n = len(located)
    digits = len(str(n))
    diameter = marker_diameter(n, frame, k)
    font = diameter / (0.62 * digits + 0.95)
    px = (xs - x0) / (x1 - x0) * width_pt
    py = (ys - y0) / (y1 - y0) * height_pt
    mx, my = place_markers(px, py, diameter, width_pt, height_pt)
    dx = mx / width_pt * (x1 - x0) + x0
    dy = my / height_pt * (y1 - y0) + y0
    moved = np.hypot(mx - px, my - py) > diameter * 0.3
    if moved.any():
        segments = [((xs[i], ys[i]), (dx[i], dy[i])) for i in np.flatnonzero(moved)]
        ax.add_collection(LineCollection(segments, colors="#555555", linewidths=0.3 * s,
                                         alpha=0.7, zorder=4))
        ax.scatter(xs[moved], ys[moved], s=(1.6 * s) ** 2, c="#333333", linewidths=0, zorder=4)
    ax.scatter(dx, dy, s=diameter**2, c=[e.colour for e in located], edgecolors="white",
               linewidths=0.5 * s, zorder=5)
    for e, x, y in zip(located, dx, dy, strict=True):
        put(ax, x, y, str(e.number), ha="center", va="center_baseline", fontsize=font,
                fontweight="bold", color=text_colour(e.colour), zorder=6)
    return mx, my, diameter


class _Labels:
    """Label boxes (points on the map frame) that keep clear of markers and of each other."""

    def __init__(self, mx: np.ndarray, my: np.ndarray, r: float, frame: tuple[float, float]):
        self.mx, self.my, self.r, self.frame = mx, my, r, frame
        self.taken: list[tuple[float, float, float, float]] = []

    def clear(self, box: tuple[float, float, float, float]) -> bool:
        bx0, by0, bx1, by1 = box
        if bx0 < 0 or by0 < 0 or bx1 > self.frame[0] or by1 > self.frame[1]:
            return False
        if len(self.mx):
            nx = np.clip(self.mx, bx0, bx1)
            ny = np.clip(self.my, by0, by1)
            if (np.hypot(self.mx - nx, self.my - ny) < self.r).any():
                return False
        return not any(bx0 < t[2] and t[0] < bx1 and by0 < t[3] and t[1] < by1
                       for t in self.taken)

    def take(self, candidates: Sequence[tuple[float, float]], w: float, h: float
             ) -> tuple[float, float] | None:
        for bx, by in candidates:
            box = (bx, by, bx + w, by + h)
            if self.clear(box):
                self.taken.append(box)
                return bx + w / 2, by + h / 2
        return None


def label_communes(ax: Any, located: Sequence[PosterEntry], mx: np.ndarray, my: np.ndarray,
                   diameter: float, view: tuple[float, float, float, float],
                   frame: tuple[float, float], s: float, size: float,
                   drawn: np.ndarray | None = None) -> None:
    """Names of the communes with the most actors (at most 12), beside their markers; then,
    when ``drawn`` (the communes of the base map) is given, of the other communes in view
    (a commune poster names its neighbours), where there is room.

    A label at the commune point would sit under its markers (actors geocoded at commune level
    share that point), so it goes below, above or beside the commune's markers, above
    everything else with a white halo.
    """
    import matplotlib.patheffects as pe

    x0, x1, y0, y1 = view
    width_pt, height_pt = frame
    labels = _Labels(mx, my, diameter / 2, frame)
    # the scale bar's corner (see _basemap.draw_scale_bar: at most a fifth of the width)
    labels.taken.append((0.0, 0.0, 0.26 * width_pt, 0.08 * height_pt))
    halo = [pe.withStroke(linewidth=2.4 * s, foreground="white")]

    def show(name: str, centre: tuple[float, float], colour: str) -> None:
        put(ax, x0 + centre[0] / width_pt * (x1 - x0), y0 + centre[1] / height_pt * (y1 - y0),
                name, fontsize=size, color=colour, ha="center", va="center", zorder=7,
                path_effects=halo)

    groups: dict[str, list[int]] = {}
    for i, e in enumerate(located):
        groups.setdefault(e.insee_code or e.commune, []).append(i)
    named: set[str] = set()
    r = diameter / 2
    h = size * 1.3
    if len(groups) >= 2 or drawn is not None:
        for code, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:12]:
            name = located[members[0]].commune
            if not name:
                continue
            w = text_width(name, size) * 1.05 + 2
            cx = float(np.mean(mx[members]))
            lo, hi = float(np.min(my[members])), float(np.max(my[members]))
            left, right = float(np.min(mx[members])), float(np.max(mx[members]))
            spot = labels.take([(cx - w / 2, lo - r - 1 - h), (cx - w / 2, hi + r + 1),
                                (right + r + 1, (lo + hi) / 2 - h / 2),
                                (left - r - 1 - w, (lo + hi) / 2 - h / 2)], w, h)
            if spot is not None:
                show(name, spot, "#2f2f2f")
                named.add(code)
    if drawn is None:
        return
    b = base()
    small = size * 0.9
    for i in drawn:
        code = str(b.codes[i])
        if code in named:
            continue
        px = (b.label_x[i] - x0) / (x1 - x0) * width_pt
        py = (b.label_y[i] - y0) / (y1 - y0) * height_pt
        label = short_commune(str(b.names[i]))
        w = text_width(label, small) * 1.05 + 2
        spot = labels.take([(px - w / 2, py - small * 0.65)], w, small * 1.3)
        if spot is not None:
            put(ax, b.label_x[i], b.label_y[i], label, fontsize=small, color="#7a7468",
                    ha="center", va="center", zorder=3)
