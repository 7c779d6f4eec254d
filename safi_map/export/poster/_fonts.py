"""The poster's font, and text measurement without a renderer.

Posters use "SAFI Poster Sans" (``resources/fonts/``): DejaVu Sans and DejaVu Sans Bold cut once
to the characters of French and European names (see ``scripts/make_poster_fonts.py``). A PDF
embeds its fonts as TrueType (selectable, searchable text) and matplotlib subsets every embedded
font of every file with fontTools: on the full DejaVu Sans that took 0.3 s per font and per
poster, on these 0.02 s. Any other character falls back to the full DejaVu Sans. Two faces only,
regular and bold (no italic): each face is one more font to embed in every file.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

FAMILY = "SAFI Poster Sans"
FONTS = [FAMILY, "DejaVu Sans"]
"""``font.family`` of the posters: the cut font first, the full DejaVu Sans for the rest."""

_FILES = ("SAFIPosterSans.ttf", "SAFIPosterSans-Bold.ttf")


@cache
def register_fonts() -> None:
    """Make the packaged poster fonts known to matplotlib (once per process)."""
    from matplotlib import font_manager

    folder = resources.files("safi_map") / "resources" / "fonts"
    for name in _FILES:
        with resources.as_file(folder / name) as path:
            font_manager.fontManager.addfont(str(path))


@cache
def _char_width(ch: str, bold: bool) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    register_fonts()
    prop = FontProperties(family=FONTS, size=100, weight="bold" if bold else "normal")
    width, _h, _d = text_to_path.get_text_width_height_descent(ch, prop, ismath=False)
    return float(width) / 100.0


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in points at font ``size`` (kerning ignored: slight overestimate)."""
    return size * sum(_char_width(ch, bold) for ch in text)


def fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so it fits in ``width`` points ("" if nothing fits)."""
    if text_width(text, size, bold) <= width:
        return text
    budget = width - text_width("…", size, bold)
    if budget <= 0:
        return ""
    total = 0.0
    for i, ch in enumerate(text):
        total += size * _char_width(ch, bold)
        if total > budget:
            cut = text[:i].rstrip(" ,;·—-")
            return cut + "…" if cut else ""
    return text


@cache
def _covered() -> frozenset[int]:
    """The characters the packaged font has."""
    from matplotlib.ft2font import FT2Font

    folder = resources.files("safi_map") / "resources" / "fonts"
    with resources.as_file(folder / _FILES[0]) as path:
        return frozenset(FT2Font(str(path)).get_charmap())


# Offsets of the baseline below the anchor, in em, for each vertical alignment; matplotlib's
# for a one-line text whose box is that of "lp" (DejaVu Sans: ascent 0.760, descent 0.208 em).
_ASCENT, _DESCENT = 0.760, 0.208
_BASELINE = {"baseline": 0.0, "bottom": -_DESCENT, "top": _ASCENT,
             "center": (_ASCENT - _DESCENT) / 2, "center_baseline": _ASCENT / 2}
_SHIFT = {"left": 0.0, "center": 0.5, "right": 1.0}


class Label:
    """A one-line text drawn straight through the renderer: placed from the font's metrics and
    the cached width of each character, where matplotlib's ``Text`` loads every glyph once more
    to measure the line before drawing it (a third of a poster's time went to text layout).

    Made by :func:`put`; an :class:`matplotlib.artist.Artist` subclass is built on first use
    (matplotlib is imported lazily by the package).
    """


@cache
def _label_class() -> type:
    from matplotlib.artist import Artist
    from matplotlib.font_manager import FontProperties
    from matplotlib.patheffects import PathEffectRenderer

    class _Label(Artist, Label):
        def __init__(self, x: float, y: float, text: str, *, size: float, bold: bool,
                     color: str, ha: str, va: str) -> None:
            super().__init__()
            self.x, self.y, self.text, self.size, self.bold = x, y, text, size, bold
            self.color, self.ha, self.va = color, ha, va
            self.prop = FontProperties(family=[FAMILY], size=size,
                                       weight="bold" if bold else "normal")

        def get_text(self) -> str:
            return self.text

        def draw(self, renderer: Any) -> None:
            if not self.get_visible() or not self.text:
                return
            px, py = self.get_transform().transform((self.x, self.y))
            points = renderer.points_to_pixels(1.0)
            px -= _SHIFT[self.ha] * text_width(self.text, self.size, self.bold) * points
            py -= _BASELINE[self.va] * self.size * points
            if renderer.flipy():  # Agg counts from the top, as Text.draw does for it
                py = renderer.get_canvas_width_height()[1] - py
            if self.get_path_effects():
                renderer = PathEffectRenderer(self.get_path_effects(), renderer)
            gc = renderer.new_gc()
            gc.set_foreground(self.color)
            gc.set_alpha(self.get_alpha())
            gc.set_url(self.get_url())
            gc.set_gid(self.get_gid())
            # never clipped, as a Text in an Axes (put() removes the clip an Axes sets)
            renderer.draw_text(gc, px, py, self.text, self.prop, 0.0, ismath=False)
            gc.restore()

    return _Label


def put(target: Any, x: float, y: float, text: str, **kwargs: Any) -> Any:
    """``target.text(...)`` in the poster font, as a :class:`Label` (one line, no kerning in
    the placement) unless the text needs a character the poster font lacks: then a
    matplotlib ``Text`` with the full DejaVu Sans as fallback (a fallback list makes every text
    about 15 % slower to draw, so only for those).

    ``target`` is a Figure or an Axes; keywords as for ``Text``: ``fontsize``,
    ``fontweight``, ``color``, ``ha``, ``va``, ``zorder``, ``transform``, ``path_effects``.
    """
    covered = _covered()
    if "\n" in text or not all(ord(ch) in covered for ch in text):
        if "\n" not in text:
            kwargs["family"] = FONTS
        return target.text(x, y, text, **kwargs)
    label = _label_class()(
        x, y, text, size=float(kwargs.pop("fontsize")),
        bold=kwargs.pop("fontweight", "normal") == "bold", color=kwargs.pop("color", "black"),
        ha=kwargs.pop("ha", "left"), va=kwargs.pop("va", "baseline"))
    transform = kwargs.pop("transform", None)
    if transform is None:
        transform = getattr(target, "transData", None) or target.transSubfigure
    label.set_transform(transform)
    label.update(kwargs)  # zorder, path_effects
    target.add_artist(label)
    label.set_clip_path(None)  # as a Text: an Axes clips what it is given, not its texts
    return label
