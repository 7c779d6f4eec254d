"""Benchmark of the offline geocoder: 50,000 survey-like PACA rows.

Usage::

    python bench/bench_geocode.py [--rows 50000] [--seed 1] [--repeat 3]

Prints the one-time loading costs (gazetteer file, geocoder index) and the time to geocode the
rows once everything is loaded (target: <= 2 s on a 2-core machine). The rows mimic real
exports: communes drawn in proportion to population, names in clean, upper-case, unaccented,
``St``-abbreviated, ``CEDEX`` and one-typo forms, Marseille without arrondissement plus its
arrondissement postcode, some rows without postcode or without commune, about 20% with
provided coordinates.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import pandas as pd


def _messy(name: str, rng: random.Random) -> str:
    from safi_map.text import fold

    kind = rng.random()
    if kind < 0.4:
        return name
    if kind < 0.6:
        return fold(name).upper()
    if kind < 0.7:
        return name.replace("Saint-", "St ").replace("Sainte-", "Ste ")
    if kind < 0.8:
        return name + " CEDEX"
    if kind < 0.9:
        return name.replace("-", " ")
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("aeirstn") + name[i + 1 :]


def make_rows(n: int, seed: int) -> pd.DataFrame:
    """Survey-like rows drawn from the packaged gazetteer (deterministic for a seed)."""
    from safi_map import gazetteer

    rng = random.Random(seed)
    communes = gazetteer.communes()
    paca = communes[communes["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    paca = paca[paca["code_insee"] != "13055"]  # drawn through its arrondissements
    weights = np.sqrt(paca["population"].to_numpy().astype(float) + 1)
    picks = np.random.default_rng(seed).choice(len(paca), size=n, p=weights / weights.sum())
    rows = []
    for i in picks:
        c = paca.iloc[i]
        postcode = rng.choice(c["codes_postaux"].split("|"))
        name = "Marseille" if c["type"] == "ARM" else c["nom"]
        lat = lon = float("nan")
        r = rng.random()
        if r < 0.2:
            lat = c["latitude"] + rng.uniform(-0.01, 0.01)
            lon = c["longitude"] + rng.uniform(-0.01, 0.01)
        if r > 0.95:
            postcode = ""
        elif r > 0.93:
            name = ""
        rows.append((postcode, _messy(name, rng) if name else "", lat, lon))
    return pd.DataFrame(rows, columns=["postcode", "commune_input", "latitude", "longitude"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    from safi_map import gazetteer

    gazetteer._communes()
    load = time.perf_counter() - start
    start = time.perf_counter()
    from safi_map import geocode

    geocode._index()
    index = time.perf_counter() - start
    start = time.perf_counter()
    gazetteer._commune_boundaries()
    geocode._commune_polygons()
    geocode._commune_points()
    gazetteer._paca_outline()
    shapes = time.perf_counter() - start

    rows = make_rows(args.rows, args.seed)
    pairs = rows.groupby(["postcode", "commune_input"]).ngroups
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = geocode.geocode_offline(rows)
        times.append(time.perf_counter() - start)
    assert len(result) == len(rows)
    precision = result["geocode_precision"].value_counts().to_dict()
    print(f"gazetteer load (communes.csv.gz): {load:.3f} s")
    print(f"geocoder index build (keys, postcode/name tables): {index:.3f} s")
    print(f"boundaries + spatial trees: {shapes:.3f} s")
    print(f"rows: {len(rows):,}, distinct (postcode, commune) pairs: {pairs:,}")
    print(f"geocode_offline: best {min(times):.3f} s, runs {', '.join(f'{t:.3f}' for t in times)}")
    print(f"precision: {precision}")
    print(f"mean score: {result['geocode_score'].mean():.3f}")


if __name__ == "__main__":
    main()
