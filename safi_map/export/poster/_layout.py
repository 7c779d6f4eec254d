"""Page layout in physical units: boxes in millimetres, type in points, per paper size.

Type is not the A4 poster scaled up: each paper size is read from its own distance (an A4 in
hand at 40 cm, an A3 on a table or a wall at 60 cm, an A0 in a hall at about 2 m), so each has
its own sizes, chosen so that the x-height of the smallest text (the directory at its smallest)
stays about 1/400 of that distance, and the title is read from three times as far. The
directory's size is chosen between ``body_min`` and ``body_max`` to fill its column
(:mod:`._directory`).
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
    "A2": (420.0, 594.0),
    "A1": (594.0, 841.0),
    "A0": (841.0, 1189.0),
}
"""ISO 216 paper sizes, (short side, long side) in millimetres."""

MM = 72.0 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Typography:
    """Type sizes in points for one paper size."""

    distance_m: float  # reading distance the sizes are chosen for
    title: float
    subtitle: float
    heading: float  # "Thèmes", "Annuaire"
    body_min: float  # directory, at its smallest
    body_max: float  # directory, at its largest (few actors)
    small: float  # footer, scale bar, commune names on the map, legend


TYPOGRAPHY: dict[str, Typography] = {
    "A4": Typography(0.4, 20.0, 12.0, 9.0, 6.0, 10.5, 6.5),
    "A3": Typography(0.6, 28.0, 16.0, 12.0, 7.5, 14.0, 8.5),
    "A2": Typography(0.9, 42.0, 23.0, 17.0, 11.0, 20.0, 12.0),
    "A1": Typography(1.3, 62.0, 33.0, 24.0, 15.5, 28.0, 16.0),
    "A0": Typography(1.9, 90.0, 46.0, 34.0, 22.0, 40.0, 22.0),
}


@dataclass
class Box:
    """A rectangle in millimetres from the bottom-left corner of the page."""

    x: float
    y: float
    w: float
    h: float

    def rect(self, page_w: float, page_h: float) -> list[float]:
        return [self.x / page_w, self.y / page_h, self.w / page_w, self.h / page_h]

    @property
    def top(self) -> float:
        return self.y + self.h


@dataclass
class Layout:
    size: str
    page_w: float
    page_h: float
    scale: float  # geometry (margins, line widths): the short side over an A4's
    type: Typography
    margin: float
    header: Box
    map: Box
    side: Box  # legend, directory, QR code and locator
    footer: Box

    @property
    def landscape(self) -> bool:
        return self.page_w > self.page_h

    @property
    def k(self) -> float:
        """Type scale relative to the A4 poster (marker numbers, label halos)."""
        return self.type.small / TYPOGRAPHY["A4"].small


def layout(size: str, orientation: str, entries: int = 0) -> Layout:
    """The page of a poster of ``entries`` directory entries: the more entries, the more room
    the directory takes from the map (60 % of the content width for a dozen, 46 % beyond 40)."""
    share = 0.6 if entries <= 12 else 0.53 if entries <= 40 else 0.46
    short, long_ = PAPER_SIZES_MM[size]
    page_w, page_h = (long_, short) if orientation == "landscape" else (short, long_)
    t = TYPOGRAPHY[size]
    s = short / 210.0
    m = 9.0 * s
    header_h = (t.title * 1.3 + t.subtitle * 1.6) / MM + 3.0 * s
    footer_h = t.small * 2.2 / MM
    content_y = m + footer_h
    content_h = page_h - 2 * m - header_h - footer_h
    inner_w = page_w - 2 * m
    header = Box(m, page_h - m - header_h, inner_w, header_h)
    footer = Box(m, m, inner_w, footer_h - t.small * 0.6 / MM)
    if orientation == "landscape":
        map_w = inner_w * share
        gap = 6.0 * s
        map_box = Box(m, content_y, map_w, content_h)
        side = Box(m + map_w + gap, content_y, inner_w - map_w - gap, content_h)
    else:
        map_h = content_h * (share + 0.02)
        gap = 5.0 * s
        map_box = Box(m, content_y + content_h - map_h, inner_w, map_h)
        side = Box(m, content_y, inner_w, content_h - map_h - gap)
    return Layout(size, page_w, page_h, s, t, m, header, map_box, side, footer)
