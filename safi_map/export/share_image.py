"""Share pictures: the 1200×630 PNG a link preview shows (Open Graph, Twitter cards).

A picture is a map of the region (department outlines over light commune outlines, the packaged
boundaries of :mod:`safi_map.geo.derived`) with the selection's actors as dots coloured by
theme, and a text panel on the left: the site's title, the page's subject, a count and the
colours' legend. A commune's picture is framed on the commune (tinted) and its neighbours; a
stop's picture marks the stop's town.

Drawn with Pillow, not matplotlib: a picture costs milliseconds. The outlines are projected
once per process (:func:`_geometry`) and the region's map once per :class:`ShareCanvas`, then
copied under each region-wide picture. The same :class:`SharePicture` gives the same bytes
(no time, no metadata in the file; the font is matplotlib's bundled DejaVu Sans).

Only what the caller passes is drawn: positions and colours, never a contact; the site passes
public actors only (:func:`safi_map.model.public.public_actors`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

from safi_map.export.share_picture import SharePicture
from safi_map.export.share_text import clean_text, fit, font_of, put, wrap

__all__ = ["HEIGHT", "WIDTH", "ShareCanvas", "SharePicture", "draw_share_picture", "encode"]

WIDTH, HEIGHT = 1200, 630
"""The size Facebook, LinkedIn and Mastodon previews use (1.91:1)."""
PANEL = 440
"""Width of the text panel on the left; the map fills the rest."""

INK = (34, 34, 34)
MUTED = (95, 95, 95)
PANEL_BG = (255, 255, 255)
RULE = (192, 57, 43)
LAND = (251, 250, 246)
FOCUS_LAND = (240, 226, 196)
BACKGROUND = (226, 228, 230)
COMMUNE_EDGE = (205, 199, 188)
DEPARTMENT_EDGE = (111, 102, 90)
MARK = (192, 57, 43)
NO_THEME = "#8a8a8a"
_SS = 2  # the region's outlines drawn at twice the size, then reduced: smooth lines
_LAT0 = math.radians(43.9)  # the region's middle: an equirectangular projection looks right
_MARGIN = 18
_MIN_SPAN = 0.15  # degrees of latitude: the smallest view of a commune picture
_HEX = re.compile(r"^#[0-9a-fA-F]{6}\Z")


# -- geometry --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Geometry:
    codes: list[str]
    rings: list[list[np.ndarray]]  # per commune: its rings, projected (x east, y south)
    bounds: np.ndarray  # (n, 4): xmin, ymin, xmax, ymax
    centre: np.ndarray  # (n, 2): the middle of each commune's largest ring
    departments: list[np.ndarray]
    region: tuple[float, float, float, float]
    index: dict[str, int] = field(default_factory=dict)


def project(lon: float | np.ndarray, lat: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude to the pictures' plane (degrees of latitude; y grows southward)."""
    return np.asarray(lon, dtype=float) * math.cos(_LAT0), -np.asarray(lat, dtype=float)


def _rings(geometry: dict) -> list[np.ndarray]:
    polygons = (geometry.get("coordinates") or [] if geometry.get("type") == "MultiPolygon"
                else [geometry.get("coordinates") or []])
    out = []
    for polygon in polygons:
        for ring in polygon[:1]:  # outer rings: holes are other communes, drawn over
            xy = np.asarray(ring, dtype=float)
            if xy.ndim == 2 and len(xy) >= 3:
                x, y = project(xy[:, 0], xy[:, 1])
                out.append(np.column_stack([x, y]))
    return out


@cache
def _geometry() -> _Geometry:
    from safi_map.geo import derived

    data = derived.load("map-boundaries")
    codes, rings, bounds, centres = [], [], [], []
    for feature in (data.get("communes") or {}).get("features", []):
        parts = _rings(feature.get("geometry") or {})
        if not parts:
            continue
        every = np.concatenate(parts)
        largest = max(parts, key=len)
        codes.append(str(feature["properties"].get("code_insee", "")))
        rings.append(parts)
        bounds.append([*every.min(axis=0), *every.max(axis=0)])
        centres.append(largest.mean(axis=0))
    departments = [r for f in (data.get("departments") or {}).get("features", [])
                   for r in _rings(f.get("geometry") or {})]
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    region = ((float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
               float(b[:, 3].max())) if len(b) else (0.0, -1.0, 1.0, 0.0))
    return _Geometry(codes, rings, b, np.asarray(centres, dtype=float).reshape(-1, 2),
                     departments, region, {c: i for i, c in enumerate(codes)})


@dataclass(frozen=True)
class _View:
    """Projected coordinates to the map's pixels: ``px = (x - x0) * k``."""

    x0: float
    y0: float
    k: float

    def pixels(self, xy: np.ndarray, scale: int = 1) -> list[float]:
        out: list[float] = ((xy - (self.x0, self.y0)) * (self.k * scale)).ravel().tolist()
        return out

    def visible(self, bounds: np.ndarray) -> np.ndarray:
        x1 = self.x0 + (WIDTH - PANEL) / self.k
        y1 = self.y0 + HEIGHT / self.k
        return ((bounds[:, 2] >= self.x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= self.y0)
                & (bounds[:, 1] <= y1))


def _view(box: tuple[float, float, float, float]) -> _View:
    """The view showing ``box`` (xmin, ymin, xmax, ymax) whole and centred in the map area."""
    x0, y0, x1, y1 = box
    w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    width, height = WIDTH - PANEL - 2 * _MARGIN, HEIGHT - 2 * _MARGIN
    k = min(width / w, height / h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return _View(cx - (WIDTH - PANEL) / 2 / k, cy - HEIGHT / 2 / k, k)


def _focus_box(g: _Geometry, code: str, dots: np.ndarray) -> tuple[float, float, float, float]:
    """The commune ``code`` and the dots, with 40 % of the larger span around them: its
    neighbours show; at least about 16 km across (a city's district among its city, not
    drawn larger than the simplified outlines bear)."""
    b = g.bounds[g.index[code]]
    xs, ys = [b[0], b[2], *dots[:, 0]], [b[1], b[3], *dots[:, 1]]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    half = max(0.7 * max(x1 - x0, y1 - y0), _MIN_SPAN / 2)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - half, cy - half, cx + half, cy + half


def _region_map(g: _Geometry, view: _View) -> Image.Image:
    """The region's outlines (drawn larger and reduced): the map of every picture that is not
    framed on a commune."""
    return _outlines(g, view, ss=_SS)


# -- drawing ---------------------------------------------------------------------------------
def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour if _HEX.match(colour) else NO_THEME
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


RGB = tuple[int, int, int]


def _ramp(top: RGB, under: RGB, steps: int) -> list[RGB]:
    """``top`` over ``under`` at ``steps`` opacities (the shades of a smoothed edge)."""
    return [(round(under[0] + (top[0] - under[0]) * n / steps),
             round(under[1] + (top[1] - under[1]) * n / steps),
             round(under[2] + (top[2] - under[2]) * n / steps)) for n in range(1, steps + 1)]


def _colours(p: SharePicture) -> tuple[RGB, ...]:
    """The theme colours of a picture, each once, in a stable order."""
    return tuple(sorted({_rgb(c) for *_xy, c in p.dots} | {_rgb(c) for _l, c, _n in p.legend}))


@cache
def _palette(themes: tuple[RGB, ...]) -> Image.Image:
    """The picture's 256 colours: what is drawn and the shades of its smoothed edges.

    Quantizing to a fixed palette costs a few milliseconds (an adaptive one, five times
    more) and the PNG of a palette image is a third of an RGB one's, three times faster."""
    white: RGB = (255, 255, 255)
    colours: list[RGB] = [white, PANEL_BG, BACKGROUND, LAND, FOCUS_LAND, (0, 0, 0)]
    for top, under, steps in ((INK, white, 12), (MUTED, white, 8), (RULE, white, 4),
                              (COMMUNE_EDGE, LAND, 4), (COMMUNE_EDGE, BACKGROUND, 3),
                              (DEPARTMENT_EDGE, LAND, 6), (DEPARTMENT_EDGE, BACKGROUND, 6),
                              (DEPARTMENT_EDGE, FOCUS_LAND, 4), (MARK, FOCUS_LAND, 4),
                              (MARK, LAND, 6), (MARK, BACKGROUND, 4), (LAND, BACKGROUND, 4),
                              (white, LAND, 3), (white, BACKGROUND, 3)):
        colours += _ramp(top, under, steps)
    per_theme = max(1, min(6, (250 - len(colours)) // max(1, len(themes))))
    for rgb in themes:
        for under in (white, LAND, BACKGROUND):
            colours += _ramp(rgb, under, per_theme // 2 + 1 if under != white else per_theme)
    unique = list(dict.fromkeys(colours))[:256]
    unique += [unique[-1]] * (256 - len(unique))
    img = Image.new("P", (1, 1))
    img.putpalette([v for c in unique for v in c])
    return img


@cache
def _sprite(colour: tuple[int, int, int], radius: int) -> Image.Image:
    """A dot with a white ring, drawn 4 times larger and reduced (smooth edges)."""
    big = 4 * (2 * radius + 2)
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((4, 4, big - 5, big - 5), fill=(*colour, 255),
                                outline=(255, 255, 255, 255), width=max(4, radius))
    return img.reduce(4)


def _outlines(g: _Geometry, view: _View, focus: str = "", ss: int = 1) -> Image.Image:
    """Communes (``focus`` tinted) and departments in ``view``, at the map's size; ``ss``:
    drawn that many times larger and reduced (smoother lines, three times slower: the
    region's map, drawn once, is; a commune's is not)."""
    w, h = (WIDTH - PANEL) * ss, HEIGHT * ss
    img = Image.new("RGB", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(img)
    shown = np.flatnonzero(view.visible(g.bounds))
    for i in shown:
        for ring in g.rings[i]:
            draw.polygon(view.pixels(ring, ss), fill=LAND, outline=COMMUNE_EDGE)
    focused = g.index.get(focus)
    if focused is not None:
        for ring in g.rings[focused]:
            xy = view.pixels(ring, ss)
            draw.polygon(xy, fill=FOCUS_LAND)
            draw.line([*xy, *xy[:2]], fill=MARK, width=3 * ss, joint="curve")
    for ring in g.departments:
        xy = view.pixels(ring, ss)
        draw.line([*xy, *xy[:2]], fill=DEPARTMENT_EDGE, width=2 * ss, joint="curve")
    return img.reduce(ss) if ss > 1 else img


def _dots(img: Image.Image, view: _View, dots: Iterable[tuple[float, float, str]],
          count: int) -> None:
    radius = 8 if count <= 40 else 6 if count <= 300 else 4 if count <= 2000 else 3
    located = sorted((lat, lon, c) for lon, lat, c in dots
                     if math.isfinite(lon) and math.isfinite(lat))
    if not located:
        return
    lat, lon = np.array([d[0] for d in located]), np.array([d[1] for d in located])
    x, y = project(lon, lat)
    px = np.rint((x - view.x0) * view.k).astype(int)
    py = np.rint((y - view.y0) * view.k).astype(int)
    _spread(px, py, 1.7 * radius)
    size = 2 * radius + 2
    for (_lat, _lon, colour), cx, cy in zip(located, px, py, strict=True):
        sprite = _sprite(_rgb(colour), radius)
        img.paste(sprite, (int(cx) - size // 2, int(cy) - size // 2), sprite)


def _spread(px: np.ndarray, py: np.ndarray, step: float) -> None:
    """Dots on the same pixel (actors placed at their commune's point) spread in a small
    sunflower around it, so each shows: the ``k``-th at ``step * sqrt(k)`` from the point."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(zip(px.tolist(), py.tolist(), strict=True)):
        groups.setdefault(key, []).append(i)
    for (x, y), members in groups.items():
        for k, i in enumerate(members[1:], start=1):
            angle = k * 2.399963  # the golden angle: no two dots on one ray
            px[i] = round(x + step * math.sqrt(k) * math.cos(angle))
            py[i] = round(y + step * math.sqrt(k) * math.sin(angle))


def _mark(img: Image.Image, view: _View, g: _Geometry, code: str, label: str) -> None:
    i = g.index.get(code)
    if i is None:
        return
    cx, cy = view.pixels(g.centre[i].reshape(1, 2))
    draw = ImageDraw.Draw(img)
    for r, width in ((17, 4), (5, 0)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=MARK if width else None,
                     fill=None if width else MARK, width=width)
    if label:
        font = font_of(24, bold=True)
        text = wrap(clean_text(label), font, 260, 1)
        if text:
            right = cx + 24 + font.getlength(text[0]) < img.width - 6
            draw.text((cx + 24 if right else cx - 24, cy), text[0], font=font, fill=INK,
                      anchor="lm" if right else "rm", stroke_width=4, stroke_fill=(255, 255, 255))


def _panel(img: Image.Image, p: SharePicture) -> None:
    """The text on the left: site title, heading, detail, legend, footer."""
    img.paste(RULE, (0, 0, 10, HEIGHT))
    left, width = 44, PANEL - 44 - 30
    y = 42.0
    for text, sizes, lines, bold, ink, gap in (
            (p.site_title, (24,), 2, False, MUTED, 20),
            (p.heading, (52, 46, 40, 34), 3, True, INK, 14),
            (p.detail, (28, 24), 2, False, INK, 28)):
        font, wrapped = fit(clean_text(text), sizes, width, lines, bold=bold)
        for line in wrapped:
            put(img, (left, y), line, font, ink)
            y += font.size * 1.22
        if wrapped:
            y += gap
    bottom = HEIGHT - 40 - (34 if p.footer else 0)
    font = font_of(21)
    for n, (label, colour, count) in enumerate(p.legend):
        if y + 32 > bottom:
            break
        more = len(p.legend) - n
        if more > 1 and y + 64 > bottom:
            put(img, (left, y), f"+ {more} autres thèmes", font, MUTED)
            break
        sprite = _sprite(_rgb(colour), 7)
        img.paste(sprite, (left, int(y) + 4), sprite)
        tail = f"  {count:,}".replace(",", "\u202f")
        name = wrap(clean_text(label), font, width - 28 - font.getlength(tail), 1)
        put(img, (left + 28, y), f"{name[0] if name else ''}{tail}", font, INK)
        y += 32
    if p.footer:
        footer = wrap(clean_text(p.footer), font_of(20), width, 1)
        if footer:
            put(img, (left, HEIGHT - 40), footer[0], font_of(20), MUTED, anchor="ls")


class ShareCanvas:
    """What every picture of a build shares, made once: the outlines, projected; the region's
    map, drawn; the fonts (about 0.1 s, after the site is ready). :meth:`draw` makes one
    picture."""

    def __init__(self) -> None:
        self.geometry = g = _geometry()
        self.region_view = _view(g.region)
        self._region_map = _region_map(g, self.region_view)

    def image(self, p: SharePicture) -> Image.Image:
        """The picture ``p`` as a Pillow image (RGB, :data:`WIDTH` × :data:`HEIGHT`)."""
        g = self.geometry
        if p.focus in g.index:
            located = [(lon, lat) for lon, lat, _c in p.dots
                       if math.isfinite(lon) and math.isfinite(lat)]
            x, y = project(np.array([d[0] for d in located]), np.array([d[1] for d in located]))
            view = _view(_focus_box(g, p.focus, np.column_stack([x, y])))
            map_img = _outlines(g, view, p.focus)
        else:
            view, map_img = self.region_view, self._region_map.copy()
        _dots(map_img, view, p.dots, len(p.dots))
        if p.mark:  # over the dots: a stop's actors gather around its town
            _mark(map_img, view, g, p.mark, p.mark_label)
        img = Image.new("RGB", (WIDTH, HEIGHT), PANEL_BG)
        img.paste(map_img, (PANEL, 0))
        _panel(img, p)
        return img

    def draw(self, p: SharePicture) -> bytes:
        """The PNG of ``p``: the same bytes for the same picture."""
        return encode(self.image(p), p)


def encode(img: Image.Image, p: SharePicture) -> bytes:
    """The PNG of the picture ``img`` of ``p`` (:meth:`ShareCanvas.image`), in the colours of
    ``p``'s palette. Pillow lets other threads run meanwhile: a pool of threads encodes
    pictures while the next one is drawn."""
    quantized = img.quantize(palette=_palette(_colours(p)), dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    quantized.save(buffer, format="PNG", compress_level=2)
    return buffer.getvalue()


def draw_share_picture(p: SharePicture) -> bytes:
    """One picture's PNG (a :class:`ShareCanvas` made for it: for many pictures, make one
    canvas and call its :meth:`~ShareCanvas.draw`)."""
    return ShareCanvas().draw(p)
