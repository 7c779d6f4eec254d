"""The numbered directory beside the map: its type size chosen to fill its column.

The largest size (between the paper's ``body_min`` and ``body_max``) at which every entry fits
is used, two lines per entry (name; commune and themes) when they fit at that size, else one.
Only when even the smallest size cannot hold them all does the directory continue on more
pages (PDF) or end with a line saying how many are left out (PNG, SVG).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from safi_map.export.poster._entries import PosterEntry
from safi_map.export.poster._fonts import fit, put, text_width
from safi_map.export.poster._layout import MM, Box, Layout

INK = "#222222"
GREY = "#5f5f5f"


@dataclass(frozen=True)
class Plan:
    size: float  # pt
    two_lines: bool
    ncols: int
    rows: int
    col_w: float  # mm
    entry_h: float  # mm
    gap: float  # mm between columns

    @property
    def capacity(self) -> int:
        return self.ncols * self.rows


def _sizes(lo: float, hi: float) -> list[float]:
    out = []
    size = hi
    while size > lo * 1.001:
        out.append(round(size, 2))
        size *= 0.94
    return [*out, lo]


def _fit(lay: Layout, box: Box, n: int, modes: tuple[bool, ...], floor: float) -> Plan | None:
    """The largest type (not under ``floor``) at which ``n`` entries fit in ``box`` in one of
    ``modes`` (True: two lines per entry), the first mode that fits at a size winning."""
    t = lay.type
    gap = 4.0 * lay.scale
    for size in _sizes(t.body_min, t.body_max):
        if size < floor:
            break
        for two in modes:
            entry_h = (size * 2.4 if two else size * 1.42) / MM
            min_col = (22.0 if two else 30.0) * size / MM
            max_cols = max(1, int((box.w + gap) // (min_col + gap)))
            rows = int(box.h // entry_h)
            if rows >= 1 and max_cols * rows >= n:
                ncols = max(1, math.ceil(n / rows))
                rows = max(1, math.ceil(n / ncols))  # balanced columns, no orphan
                # the room left below goes to the leading (up to a third more, two thirds
                # between two-line entries), not to a gap under the directory
                entry_h = min(entry_h * (1.67 if two else 1.33), box.h / rows)
                return Plan(size, two, ncols, rows, (box.w - (ncols - 1) * gap) / ncols,
                            entry_h, gap)
    return None


_TWO_LINES_FLOOR = 0.72
"""A one-line directory that would cut names or communes gives way to two lines per entry at
a type down to this share of its size (the whole name and commune, a little smaller)."""


def plan(lay: Layout, box: Box, n: int, one_line_em: float | None = None) -> Plan:
    """The largest type (and two lines per entry when possible) at which ``n`` entries fit in
    ``box``; at the smallest size, as many columns as the width holds (the rest overflows).

    ``one_line_em``: the width, in em of the type, of an entry's number, name and commune on
    one line (:func:`one_line_em`); when given, one line per entry is chosen only if that fits its column,
    or if two lines would need a type much smaller (:data:`_TWO_LINES_FLOOR`).
    """
    t = lay.type
    best = _fit(lay, box, n, (True, False), 0.0)
    if (best is not None and not best.two_lines and one_line_em is not None
            and one_line_em * best.size / MM > best.col_w):  # names or communes would be cut
        two = _fit(lay, box, n, (True,), best.size * _TWO_LINES_FLOOR)
        if two is not None:
            return two
    if best is not None:
        return best
    gap = 4.0 * lay.scale
    size = t.body_min
    entry_h = size * 1.42 / MM
    ncols = max(1, int((box.w + gap) // (30.0 * size / MM + gap)))
    return Plan(size, False, ncols, max(1, int(box.h // entry_h)),
                (box.w - (ncols - 1) * gap) / ncols, entry_h, gap)


def one_line_em(entries: Sequence[PosterEntry]) -> float:
    """Width in em of an entry on one line (disc, number, name and " — commune") that nine
    entries in ten do not exceed."""
    if not entries:
        return 0.0
    digits = max((len(str(e.number)) for e in entries if e.number is not None), default=1)
    lead = 0.72 + 0.25 + text_width("0" * digits, 1.0, True) + 0.35 + 0.3
    widths = sorted(text_width(e.name, 1.0, True) * 1.015 + text_width(f" — {_where(e)}", 1.0)
                    for e in entries)
    return lead + widths[int(0.9 * (len(widths) - 1))]  # a few long names may be cut


def _disc(lay: Layout, x_mm: float, y_mm: float, r_mm: float, colour: str) -> Any:
    from matplotlib.patches import Ellipse

    return Ellipse((x_mm / lay.page_w, y_mm / lay.page_h), 2 * r_mm / lay.page_w,
                   2 * r_mm / lay.page_h, facecolor=colour, edgecolor="white",
                   linewidth=0.3 * lay.scale)


def _where(e: PosterEntry) -> str:
    if e.number is None:
        return f"{e.commune} (non localisé)" if e.commune else "sans localisation"
    return e.commune


def draw(fig: Any, lay: Layout, box: Box, entries: Sequence[PosterEntry], tail: str | None,
         *, tags: bool = False) -> int:
    """Print ``entries`` in columns inside ``box``; returns how many fitted.

    When they do not all fit, the last line is ``tail`` (formatted with the number left out).
    ``tags``: the entries' themes are the other themes of a theme poster, printed as small
    coloured tags rather than as a list.
    """
    p = plan(lay, box, len(entries), one_line_em(entries))
    fits = len(entries) <= p.capacity
    rows = p.rows if fits or tail is None else max(1, p.rows - 1)
    count = len(entries) if fits else p.ncols * rows
    size = p.size
    digits = max((len(str(e.number)) for e in entries if e.number is not None), default=1)
    num_w = text_width("0" * digits, size, True) / MM
    discs = []
    for i, e in enumerate(entries[:count]):
        col, row = divmod(i, rows)
        x = box.x + col * (p.col_w + p.gap)
        top = box.top - row * p.entry_h
        y = top - size * 0.62 / MM  # first line's centre
        r = size * 0.36 / MM
        discs.append(_disc(lay, x + r, y, r, e.colour))
        x_num = x + 2 * r + size * 0.25 / MM + num_w
        put(fig, x_num / lay.page_w, y / lay.page_h, str(e.number or "–"), fontsize=size,
                 fontweight="bold", color=INK, ha="right", va="center_baseline")
        x_text = x_num + size * 0.35 / MM
        avail = (x + p.col_w - x_text) * MM
        if p.two_lines:
            put(fig, x_text / lay.page_w, y / lay.page_h, fit(e.name, size, avail * 0.985, True),
                     fontsize=size, fontweight="bold", color=INK, va="center_baseline")
            _second_line(fig, lay, e, x_text, y - size * 1.2 / MM, size * 0.86, avail, tags)
        else:
            _one_line(fig, lay, e, x_text, y, size, avail)
    fig.add_artist(_collection(discs, fig))
    if not fits and tail is not None:
        y = box.top - rows * p.entry_h - size * 0.62 / MM
        put(fig, box.x / lay.page_w, y / lay.page_h,
                 fit(tail.format(n=len(entries) - count), size, box.w * MM, True),
                 fontsize=size, fontweight="bold", color=INK, va="center_baseline")
    return count


def _collection(patches: list[Any], fig: Any) -> Any:
    from matplotlib.collections import PatchCollection

    return PatchCollection(patches, match_original=True, zorder=3, transform=fig.transFigure)


def _second_line(fig: Any, lay: Layout, e: PosterEntry, x: float, y: float, size: float,
                 avail: float, tags: bool) -> None:
    where = _where(e)
    if not tags or not e.themes:
        text = " · ".join([where, ", ".join(e.themes)]) if e.themes else where
        put(fig, x / lay.page_w, y / lay.page_h, fit(text, size, avail), fontsize=size,
                 color=GREY, va="center_baseline")
        return
    where_w = text_width(where + "  ", size)
    put(fig, x / lay.page_w, y / lay.page_h, fit(where, size, avail), fontsize=size, color=GREY,
             va="center_baseline")
    left = avail - where_w
    cursor = x + where_w / MM
    tag_size = size * 0.9
    dots = []
    for label, colour in zip(e.themes, e.theme_colours, strict=True):
        r = tag_size * 0.3 / MM
        room = left - (2 * r + tag_size * 0.3 / MM) * MM
        text = fit(label, tag_size, room)
        if not text:
            break
        dots.append(_disc(lay, cursor + r, y + tag_size * 0.05 / MM, r, colour))
        tx = cursor + 2 * r + tag_size * 0.4 / MM
        put(fig, tx / lay.page_w, y / lay.page_h, text, fontsize=tag_size, color=GREY,
                 va="center_baseline")
        used = (tx - cursor) * MM + text_width(text + "   ", tag_size)
        cursor += used / MM
        left -= used
        if text != label:
            break
    if dots:
        fig.add_artist(_collection(dots, fig))


def _one_line(fig: Any, lay: Layout, e: PosterEntry, x: float, y: float, size: float,
              avail: float) -> None:
    rest = _where(e)
    if e.themes:
        rest += " · " + ", ".join(e.themes)
    rest = " — " + rest
    # The name has priority, then the commune; the themes take what is left.
    rest_w = min(text_width(rest, size), text_width(f" — {e.commune}", size),
                 avail * 0.35) + 0.4 * size
    name = fit(e.name, size, (avail - rest_w) / 1.015, True)
    name_w = text_width(name, size, True) * 1.015 + 0.3 * size  # hinting slack
    put(fig, x / lay.page_w, y / lay.page_h, name, fontsize=size, fontweight="bold", color=INK,
             va="center_baseline")
    rest = fit(rest, size, avail - name_w)
    if rest:
        put(fig, (x + name_w / MM) / lay.page_w, y / lay.page_h, rest, fontsize=size, color=GREY,
                 va="center_baseline")
