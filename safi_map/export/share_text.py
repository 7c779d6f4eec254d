"""The share pictures' text (:mod:`safi_map.export.share_image`): matplotlib's bundled DejaVu
Sans, only the characters it can draw, lines wrapped to a width and cut with "…", each line
rendered once per process (the same labels come back in many pictures)."""

from __future__ import annotations

import importlib.util
import math
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from safi_map.core.i18n import _

__all__ = ["clean_text", "fit", "font_of", "put", "wrap"]

_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # whitespace but the no-break spaces


def _font_file(bold: bool) -> Path:
    """matplotlib's bundled DejaVu Sans (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(_("matplotlib is not installed: the share pictures need its DejaVu "
                             "Sans font (pip install matplotlib)"))
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / name


@cache
def font_of(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_file(bold)), size, layout_engine=ImageFont.Layout.BASIC)


@cache
def _glyphs() -> frozenset[int]:
    """The characters DejaVu Sans (regular and bold) can draw; others would be empty boxes."""
    from fontTools.ttLib import TTFont

    found: set[int] | None = None
    for bold in (False, True):
        with TTFont(str(_font_file(bold)), lazy=True) as tt:
            have = set(tt.getBestCmap())
        found = have if found is None else found & have
    return frozenset(found or ())


def clean_text(text: object) -> str:
    """One line the font can draw: controls and folded whitespace removed, characters DejaVu
    Sans lacks (emoji, for one) left out, text normalised (NFC)."""
    text = unicodedata.normalize("NFC", str(text or ""))
    # DejaVu Sans has every Latin letter up to U+024F: reading its table is needed only past
    glyphs = _glyphs() if any(ord(c) > 0x24F for c in text) else range(0x250)
    kept = "".join(c for c in text
                   if c.isspace() or (ord(c) in glyphs and unicodedata.category(c)
                                      not in {"Cc", "Cf", "Co", "Cs"}))
    return _SPACES.sub(" ", kept).strip()


@lru_cache(maxsize=4096)
def _lines(text: str, font: ImageFont.FreeTypeFont, width: float,
           lines: int) -> tuple[tuple[str, ...], bool]:
    """``text`` in at most ``lines`` lines of ``width`` pixels (broken at spaces, else after
    a hyphen, else anywhere), the last cut with "…"; and whether a word had to be broken
    elsewhere than at a hyphen. Cached: the same labels come back in many pictures."""
    out: list[str] = []
    broken = False
    words = text.split(" ")
    while words and len(out) < lines:
        line = words.pop(0)
        while font.getlength(line) > width:  # a word longer than the line: break it
            cut = _longest_prefix(line, font, width)
            hyphen = line.rfind("-", 0, cut)
            cut = hyphen + 1 if hyphen > 0 else cut
            words.insert(0, line[cut:])
            line = line[:cut]
            broken = broken or hyphen <= 0
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words and out:
        last = out[-1]
        while last and font.getlength(f"{last}…") > width:
            last = last[:-1].rstrip()
        out[-1] = f"{last.rstrip(' ,;:.-—')}…"
    return tuple(out), broken


def _longest_prefix(word: str, font: ImageFont.FreeTypeFont, width: float) -> int:
    """The longest cut (1 to ``len(word) - 1``) whose prefix fits in ``width`` (1 if none; 0
    for a one-letter word): a
    binary search, the prefixes' lengths growing with them (a 1,000-letter word is measured
    ten times, not a thousand)."""
    lo, hi = 1, len(word) - 1
    if hi < 1:  # one letter wider than the line: nothing to keep on it
        return max(hi, 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(word[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float, lines: int) -> list[str]:
    """The lines of :func:`_lines`."""
    return list(_lines(text, font, width, lines)[0])


@lru_cache(maxsize=1024)
def fit(text: str, sizes: tuple[int, ...], width: float, lines: int, *,
         bold: bool) -> tuple[ImageFont.FreeTypeFont, tuple[str, ...]]:
    """The largest of ``sizes`` that holds ``text`` whole in ``lines`` lines, no word broken
    but at a hyphen (else the smallest, cut)."""
    for size in sizes:
        font = font_of(size, bold)
        wrapped, broken = _lines(text, font, width, lines)
        whole = not wrapped or not wrapped[-1].endswith("…") or text.endswith("…")
        if whole and not broken:
            break
    return font, wrapped


@lru_cache(maxsize=4096)
def _text_mask(text: str, font: ImageFont.FreeTypeFont,
               anchor: str) -> tuple[Image.Image, tuple[int, int]] | None:
    """``text`` drawn once as a coverage mask, and where it goes from the anchor point."""
    box = font.getbbox(text, anchor=anchor)
    left, top = math.floor(box[0]), math.floor(box[1])
    right, bottom = math.ceil(box[2]), math.ceil(box[3])
    if right <= left or bottom <= top:
        return None
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor=anchor)
    return mask, (left, top)


def put(img: Image.Image, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
         ink: tuple[int, int, int], anchor: str = "la") -> None:
    """Draw ``text`` at ``xy`` (its ``anchor`` point): the same line costs its rendering
    once per build, not once per picture."""
    found = _text_mask(text, font, anchor)
    if found is not None:
        mask, (dx, dy) = found
        img.paste(ink, (round(xy[0]) + dx, round(xy[1]) + dy), mask)
