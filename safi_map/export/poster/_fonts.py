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


def put(target: Any, x: float, y: float, text: str, **kwargs: Any) -> Any:
    """``target.text(...)`` in the poster font, with the full DejaVu Sans as fallback only for
    a text that needs it (a fallback list makes every text about 15 % slower to draw)."""
    covered = _covered()
    if not all(ord(ch) in covered for ch in text):
        kwargs["family"] = FONTS
    return target.text(x, y, text, **kwargs)
