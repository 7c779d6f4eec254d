"""Data derived once from the packaged reference data, and shipped with it.

Why: the offline geocoder's name keys of every commune of France (and former commune), the map's light commune
polygons and the diagnostic's SVG shapes are pure functions of the reference files (simplified, projected, dissolved with shapely). Computing them takes about
half a second, in every process: every ``safi-map build`` and ``export`` would pay it for
the same result. They are computed by the functions named in :data:`DERIVED`, stored in
``resources/reference/derived-<name>.json.gz`` with a digest of the reference files they come
from, and read back when that digest still matches. Shipping them also makes the output
independent of the shapely/GEOS version installed.

Regenerate after changing the reference data or one of those functions::

    python -m safi_map.geo.derived

``tests/test_gazetteer.py`` checks that the shipped files equal what the code computes.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import json
import logging
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DERIVED", "compute", "load", "main"]

log = logging.getLogger(__name__)

DERIVED: dict[str, tuple[str, str]] = {
    "commune-keys": ("safi_map.geo.offline_index", "_compute_commune_keys"),
    "former-keys": ("safi_map.geo.former", "_compute_former_keys"),
    "map-boundaries": ("safi_map.map.render", "_compute_boundaries_payload"),
    "diagnostic-shapes": ("safi_map.analysis.diagnostic", "_compute_shapes"),
}
"""Name -> (module, function) that computes it from the reference data."""

SOURCES = ("communes.csv.gz", "communes_anciennes.csv.gz", "communes_paca.geojson.gz",
           "departements_paca.geojson.gz")
"""The reference files the derived data comes from (their bytes make its digest)."""


def _folder() -> Any:
    return resources.files("safi_map").joinpath("resources").joinpath("reference")


@cache
def sources_digest() -> str:
    """Digest of the packaged reference files: what a derived file must have been made from."""
    h = hashlib.blake2b(digest_size=16)
    for name in SOURCES:
        h.update(name.encode() + b"\0" + _folder().joinpath(name).read_bytes())
    return h.hexdigest()


def file_name(name: str) -> str:
    return f"derived-{name}.json.gz"


def compute(name: str) -> Any:
    """Compute derived data ``name`` from the reference data (slow: what :func:`load` avoids)."""
    module, function = DERIVED[name]
    return getattr(importlib.import_module(module), function)()


def encode(name: str, data: Any) -> bytes:
    """The shipped file: deterministic JSON in a gzip without timestamp or file name."""
    text = json.dumps({"sources": sources_digest(), "name": name, "data": data},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def load(name: str, *, folder: Any = None) -> Any:
    """Derived data ``name``: the shipped copy if it was made from these reference files,
    else computed now (and a note in the log saying how to ship it).

    ``folder``: where the shipped copies are (default: the package's reference folder).
    """
    where = _folder() if folder is None else folder
    try:
        stored = json.loads(gzip.decompress(where.joinpath(file_name(name)).read_bytes()))
    except (FileNotFoundError, OSError, ValueError) as exc:
        log.debug("derived data %s not shipped (%s): computing it", name, exc)
    else:
        if stored.get("sources") == sources_digest():
            return stored["data"]
        log.info("derived data %s was made from other reference files: computing it "
                 "(python -m safi_map.geo.derived ships it again)", name)
    return compute(name)


def main(out: Path | None = None) -> int:
    """Write every derived file into ``out`` (default: the package's reference folder)."""
    folder = Path(out) if out is not None else Path(str(_folder()))
    for name in DERIVED:
        payload = encode(name, compute(name))
        (folder / file_name(name)).write_bytes(payload)
        print(f"{file_name(name)}: {len(payload):,} bytes")
    return 0


if __name__ == "__main__":  # pragma: no cover - maintenance command
    raise SystemExit(main())
