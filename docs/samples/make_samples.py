"""Regenerate the sample posters shown in the README (run from the project root).

    python docs/samples/make_samples.py

Uses the example surveys of data/ (fictional actors; only the dates and places of the stops are
real) and writes, as PNG images of the printed sheets:

* ``poster-toulon.png``: the poster of the Toulon stop, A3 landscape (the site's format);
* ``poster-arles-a4.png``: the poster of a commune, A4 portrait: the commune whole with its
  neighbours, a locator map of the region;
* ``poster-insertion-a0.png``: a theme poster, A0 landscape, every marker in the theme's colour.

The QR codes point to an example URL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from safi_map.export.api import export
from safi_map.ingestion.pipeline import ingest
from safi_map.analysis.selection import Selection
from safi_map.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent

SAMPLES = [  # file, selection, size, orientation, dpi (about 1,800 px wide)
    ("poster-toulon.png", Selection(stops=["toulon"]), "A3", "landscape", 110),
    ("poster-arles-a4.png", Selection(communes=["Arles"]), "A4", "portrait", 150),
    ("poster-insertion-a0.png", Selection(themes=["insertion"]), "A0", "landscape", 40),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # the ingest cache, not kept
        settings = Settings(taxonomy=ROOT / "data/taxonomy.toml", tour=ROOT / "data/tour.toml",
                            out=Path(tmp), site_url="https://example.org/safi-map/")
        result = ingest([ROOT / "data/surveys"], settings=settings)
    for name, selection, size, orientation, dpi in SAMPLES:
        export(result.actors, fmt="png", out=OUT / name, selection=selection,
               taxonomy=result.taxonomy, tour=result.tour, settings=settings, size=size,
               orientation=orientation, dpi=dpi)


if __name__ == "__main__":
    main()
