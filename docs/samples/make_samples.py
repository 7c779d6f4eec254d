"""Regenerate the sample posters shown in the README (run from the project root).

    python docs/samples/make_samples.py

Uses the example surveys of data/ (fictional actors; only the dates and places of the stops are
real) and writes, as PNG images of the printed sheets (palette images, under 300 KB each), into
``docs/img/``:

* ``poster-stop-arles-a3.png``: the poster of the Arles stop, A3 landscape (the site's format);
* ``poster-commune-toulon-a4.png``: the poster of a commune, A4 portrait: the commune whole and
  tinted with its neighbours, a locator map of the region, actors at the commune's point spread
  around it;
* ``poster-theme-insertion-a0.png``: a theme poster, A0 landscape, every marker in the theme's
  colour, the other themes as small tags.

The QR codes point to an example URL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from safi_map.analysis.selection import Selection
from safi_map.core.settings import Settings
from safi_map.export.api import export
from safi_map.ingestion.pipeline import ingest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img"

SAMPLES = [  # file, selection, size, orientation, dpi (about 1,800 px on the long side)
    ("poster-stop-arles-a3.png", Selection(stops=["arles"]), "A3", "landscape", 110),
    ("poster-commune-toulon-a4.png", Selection(communes=["Toulon"]), "A4", "portrait", 150),
    ("poster-theme-insertion-a0.png", Selection(themes=["insertion"]), "A0", "landscape", 40),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:  # the ingest cache, not kept
        settings = Settings(taxonomy=ROOT / "data/taxonomy.toml", tour=ROOT / "data/tour.toml",
                            out=Path(tmp), site_url="https://example.org/safi-map/")
        result = ingest([ROOT / "data/surveys"], settings=settings)
        for name, selection, size, orientation, dpi in SAMPLES:
            full = Path(tmp) / name
            export(result.actors, fmt="png", out=full, selection=selection,
                   taxonomy=result.taxonomy, tour=result.tour, settings=settings, size=size,
                   orientation=orientation, dpi=dpi)
            # a 256-colour palette (octree: median cut merged two themes' colours, a marker
            # being small); a third of the RGB file
            with Image.open(full) as image:
                small = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE,
                                                      dither=Image.Dither.NONE)
            small.save(OUT / name, optimize=True)


if __name__ == "__main__":
    main()
