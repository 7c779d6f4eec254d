"""Benchmark: the site's share pictures (issue #16 item 6), 1200×630 PNG each.

Usage::

    python bench/bench_share_images.py [--synthetic 5000]

Times, in this process (Python's start and the ingest not counted):

* one picture of each kind (region, commune, theme, stop), drawn on a ready canvas;
* every picture of the example data (``data/``), with an empty cache, then again with the
  cache full (nothing changed), then after a new stop of 30 actors near Draguignan (only the
  pictures whose content changed are drawn: the stop's, the region's, those of the communes
  and themes of the new actors);
* every picture of ``--synthetic`` synthetic actors, with an empty cache.

The site's target: ready ≤ 3 s after a new stop on the example data, so the pictures must add
at most about 0.2 s there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from safi_map.app import project_settings  # noqa: E402
from safi_map.core.writer import Writer  # noqa: E402
from safi_map.export.share_image import ShareCanvas  # noqa: E402
from safi_map.ingestion.pipeline import ingest  # noqa: E402
from safi_map.model.synthetic import (  # noqa: E402
    synthetic_actors,
    synthetic_taxonomy,
    synthetic_tour,
)
from safi_map.model.tour import Stop, Tour  # noqa: E402
from safi_map.site.context import build_context  # noqa: E402
from safi_map.site.share_images import _pictures, write_share_images  # noqa: E402

SITE_URL = "https://exemple.org/carte/"


def context(actors, taxonomy, tour, settings, out: Path):  # type: ignore[no-untyped-def]
    return build_context(actors, taxonomy=taxonomy, tour=tour,
                         settings=settings.with_(site_url=SITE_URL), out_dir=out)


def write_all(ctx, out: Path, cache: Path) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    """(seconds, drawn, reused) of every picture of ``ctx`` into a throwaway site."""
    with Writer(out) as writer:
        started = time.perf_counter()
        made = write_share_images(writer, ctx, cache_dir=cache)
        seconds = time.perf_counter() - started
    assert made is not None
    return seconds, made.drawn, made.reused


def one_of_each(ctx) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Milliseconds of one picture of each kind (median of 5), the canvas ready."""
    canvas = ShareCanvas()
    first: dict[str, object] = {}
    for kind, _key, _rel, picture in _pictures(ctx):
        first.setdefault(kind, picture)
    out = {}
    for kind, picture in first.items():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            canvas.draw(picture)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
        out[kind] = round(statistics.median(times) * 1000, 1)
    return out


def new_stop(actors, tour: Tour, rows: int = 30):  # type: ignore[no-untyped-def]
    """The example actors and ``rows`` synthetic ones nearest to Draguignan, of a new stop."""
    pool = synthetic_actors(rows * 40, seed=29)
    near = ((pool["latitude"] - 43.5366) ** 2 + (pool["longitude"] - 6.4646) ** 2).fillna(99)
    new = pool.loc[near.sort_values(kind="stable").index[:rows]].copy()
    new["actor_id"] = [f"new-{i}" for i in range(len(new))]
    new["stops"] = [["draguignan-2026"]] * len(new)
    stop = Stop("draguignan-2026", "Draguignan", "83050", dt.date(2026, 12, 5))
    merged = pd.concat([actors, new[actors.columns.intersection(new.columns)]],
                       ignore_index=True)
    return type(actors)(merged, geometry=actors.geometry.name, crs=actors.crs), \
        Tour(stops=[*tour.stops, stop])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=5000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="safi-share-") as tmp:
        root = Path(tmp)
        settings = project_settings(REPO, out=root / "build")
        result = ingest(settings=settings)
        taxonomy, tour = result.taxonomy, result.tour
        ctx = context(result.actors, taxonomy, tour, settings, root / "site")
        counts = {k: len(v) for k, v in (("communes", ctx.records.by_commune),
                                         ("themes", ctx.records.by_theme),
                                         ("stops", ctx.records.stops))}
        print(f"example data: {len(ctx.actors)} actors, {counts}")
        print(f"  one picture (ms): {one_of_each(ctx)}")
        cache = root / "cache"
        for label in ("empty cache", "cache full, nothing changed"):
            seconds, drawn, reused = write_all(ctx, root / "site", cache)
            print(f"  all, {label}: {seconds:.2f} s ({drawn} drawn, {reused} reused)")
        actors2, tour2 = new_stop(result.actors, tour)
        ctx2 = context(actors2, taxonomy, tour2, settings, root / "site")
        seconds, drawn, reused = write_all(ctx2, root / "site", cache)
        print(f"  all, after a new stop of 30 actors: {seconds:.2f} s "
              f"({drawn} drawn, {reused} reused)")
        n = args.synthetic
        ctx3 = context(synthetic_actors(n, seed=0), synthetic_taxonomy(), synthetic_tour(),
                       settings, root / "site")
        print(f"{n} synthetic actors: {len(ctx3.records.by_commune)} communes, "
              f"{len(ctx3.records.by_theme)} themes, {len(ctx3.records.stops)} stops")
        print(f"  one picture (ms): {one_of_each(ctx3)}")
        seconds, drawn, reused = write_all(ctx3, root / "site", root / "cache3")
        print(f"  all, empty cache: {seconds:.2f} s ({drawn} drawn, {reused} reused)")


if __name__ == "__main__":
    main()
