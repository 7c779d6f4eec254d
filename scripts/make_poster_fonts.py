"""Regenerate the poster fonts shipped in ``safi_map/resources/fonts/``.

Usage::

    python scripts/make_poster_fonts.py

Why: a PDF poster embeds its fonts (TrueType, so its text stays selectable and searchable), and
matplotlib subsets each embedded font with fontTools for every file it writes. On the full
DejaVu Sans (750 kB, large OpenType layout tables that matplotlib never uses) that subsetting
took about 0.3 s per font and per poster, 60 % of the time of a commune poster. These files are
DejaVu Sans and DejaVu Sans Bold (the fonts matplotlib ships) cut once to the characters French
and European names use (Latin, Latin-1, Latin Extended-A/B, punctuation, €), without the layout
tables: subsetting one takes 0.02 s. Characters outside them fall back to the full DejaVu Sans.

The family is renamed "SAFI Poster Sans" so that it never shadows the full DejaVu Sans (the
Bitstream Vera licence also asks derived fonts to be renamed). Output is deterministic: same
matplotlib font and fontTools, byte-identical files (no timestamp recalculation).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
from fontTools import subset
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "safi_map" / "resources" / "fonts"
FAMILY = "SAFI Poster Sans"
FACES = {"DejaVuSans.ttf": ("SAFIPosterSans.ttf", "Book"),
         "DejaVuSans-Bold.ttf": ("SAFIPosterSans-Bold.ttf", "Bold")}
UNICODES = [
    *range(0x20, 0x7F),  # Basic Latin
    *range(0xA0, 0x250),  # Latin-1 Supplement, Latin Extended-A and B
    *range(0x2000, 0x2070),  # General punctuation (dashes, quotes, …, narrow no-break space)
    0x02BC, 0x02C6, 0x02DC,  # modifier apostrophe, circumflex, tilde
    0x20AC, 0x2116, 0x2122, 0x2190, 0x2192, 0x2212, 0x2713,  # € № ™ ← → − ✓
]


def make(source: Path, target: Path, style: str) -> None:
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    postscript = FAMILY.replace(" ", "") + ("-Bold" if style == "Bold" else "")
    full = FAMILY + (" Bold" if style == "Bold" else "")
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 4:
            record.string = full
        elif record.nameID == 6:
            record.string = postscript
        elif record.nameID == 3:
            record.string = f"{postscript} (subset of DejaVu Sans)"
    font.save(target, reorderTables=True)


def main() -> None:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (target, style) in FACES.items():
        make(fonts / name, OUT / target, style)
        print(f"{OUT / target}: {(OUT / target).stat().st_size:,} bytes")
    shutil.copyfile(fonts / "LICENSE_DEJAVU", OUT / "LICENSE_DEJAVU")


if __name__ == "__main__":
    main()
