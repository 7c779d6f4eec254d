"""Regenerate the sample outputs shown in the README (run from the project root).

    python docs/samples/make_samples.py

Uses the example surveys of data/ (fictional actors; only the date and place of the Toulon stop
are real) and writes docs/samples/poster-toulon.png. The QR code points to an example URL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from safi_map.export import export
from safi_map.pipeline import ingest
from safi_map.selection import Selection
from safi_map.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # the ingest cache, not kept
        settings = Settings(taxonomy=ROOT / "data/taxonomy.toml", tour=ROOT / "data/tour.toml",
                            out=Path(tmp), site_url="https://example.org/safi-map/")
        result = ingest([ROOT / "data/surveys"], settings=settings)
    export(result.actors, fmt="png", out=OUT / "poster-toulon.png",
           selection=Selection(stops=["toulon"]), taxonomy=result.taxonomy, tour=result.tour,
           settings=settings, size="A3", orientation="landscape", dpi=110)


if __name__ == "__main__":
    main()
