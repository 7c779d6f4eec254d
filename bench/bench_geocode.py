"""Benchmark of the offline geocoder: 50,000 survey-like PACA rows.

Usage::

    python bench/bench_geocode.py [--rows 50000] [--seed 1] [--repeat 3] [--former 0.05]
    python bench/bench_geocode.py --accuracy

Prints the one-time loading costs (gazetteer file, geocoder index) and the time to geocode the
rows once everything is loaded (target: <= 2 s on a 2-core machine). The rows mimic real
exports: communes drawn in proportion to population, names in clean, upper-case, unaccented,
``St``-abbreviated, ``CEDEX`` and one-typo forms, Marseille without arrondissement plus its
arrondissement postcode, some rows without postcode or without commune, about 20% with
provided coordinates. ``--former`` (default 0.05) is the share of rows that name a former commune
of PACA instead (merged, delegated, renamed: "Eyguians", "Savines"), with an old or current
postcode or none. Times are wall clock and, in brackets, CPU time of this process (the machine
may be shared).

``--accuracy`` measures instead how often every former commune of France (the packaged table)
is placed in its commune of today, written the ways surveys write them (as it is, upper case
without accents, ``ST``/``STE``, hyphens as spaces), with a postcode (its old one where known,
else one of today's commune) and without; it breaks the misses down by their reason.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import pandas as pd


def _messy(name: str, rng: random.Random) -> str:
    from safi_map.core.text import fold

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


def make_rows(n: int, seed: int, former: float = 0.0) -> pd.DataFrame:
    """Survey-like rows drawn from the packaged gazetteer (deterministic for a seed)."""
    from safi_map.geo import gazetteer

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
    if former:
        old = gazetteer.former_communes()
        old = old[old["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
        today = communes.set_index("code_insee")["codes_postaux"]
        for i in range(int(n * former)):
            f = old.iloc[rng.randrange(len(old))]
            postcode = rng.choice((f["codes_postaux"] or today[f["code_insee"]]).split("|"))
            name = _messy(f["ancien_nom"], rng)
            rows[rng.randrange(n) if i else 0] = (
                "" if rng.random() < 0.2 else postcode, name, float("nan"), float("nan"))
    return pd.DataFrame(rows, columns=["postcode", "commune_input", "latitude", "longitude"])


def _spellings(name: str) -> dict[str, str]:
    from safi_map.core.text import fold

    upper = fold(name).upper()
    return {"as is": name, "upper": upper,
            "St": upper.replace("SAINTE-", "STE ").replace("SAINT-", "ST "),
            "spaces": name.replace("-", " ")}


def accuracy() -> None:
    """Print the share of former communes placed in their commune of today."""
    from safi_map.geo import gazetteer
    from safi_map.geo.offline import geocode_offline

    former = gazetteer.former_communes()
    today = gazetteer.communes().set_index("code_insee")["codes_postaux"].to_dict()
    rows = []
    for old_pcs, name, dep, code in zip(former["codes_postaux"], former["ancien_nom"],
                                        former["departement"], former["code_insee"], strict=True):
        postcode = (old_pcs or today[code]).split("|")[0]
        region = "PACA" if dep in gazetteer.PACA_DEPARTMENTS else "France outside PACA"
        for text in _spellings(name).values():
            rows.append((region, "with postcode", postcode, text, code))
            rows.append((region, "without postcode", "", text, code))
    table = pd.DataFrame(rows, columns=["region", "postcode_given", "postcode", "commune_input",
                                        "expected"])
    start = time.perf_counter()
    result = geocode_offline(table)
    elapsed = time.perf_counter() - start
    table["right"] = result["insee_code"].to_numpy() == table["expected"].to_numpy()
    reason = result["geocode_reason"].astype(str)
    table["miss"] = np.select(
        [table["right"], result["insee_code"] == "",
         reason.str.contains("former name of several communes"),
         reason.str.contains("named like|commune name matches")],
        ["", "not placed", "ambiguous former name, placed by postcode",
         "today's name of another commune"],
        "other commune",
    )
    print(f"{len(table):,} rows ({len(former):,} former communes x 4 spellings x with/without "
          f"postcode) geocoded in {elapsed:.2f} s")
    summary = table.groupby(["postcode_given", "region"])["right"].agg(["mean", "sum", "size"])
    print(summary.rename(columns={"mean": "right share", "sum": "right", "size": "rows"})
          .to_string(float_format=lambda v: f"{v:.4%}"))
    misses = table[~table["right"]].groupby(["postcode_given", "miss"]).size()
    print("misses by reason:")
    print(misses.to_string())


class _Clock:
    """Wall-clock and CPU time since the last lap."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> _Lap:
        wall, cpu = time.perf_counter(), time.process_time()
        lap = _Lap(wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return lap


class _Lap(tuple):
    def __new__(cls, wall: float, cpu: float) -> _Lap:
        return super().__new__(cls, (wall, cpu))

    def __str__(self) -> str:
        return f"{self[0]:.3f} s [{self[1]:.3f} s CPU]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--former", type=float, default=0.05,
                        help="share of rows naming a former commune of PACA (default 0.05)")
    parser.add_argument("--accuracy", action="store_true",
                        help="measure the placement of former communes instead of the time")
    args = parser.parse_args()
    if args.accuracy:
        accuracy()
        return

    clock = _Clock()
    from safi_map.geo import gazetteer

    gazetteer._communes()
    load = clock.lap()
    if hasattr(gazetteer, "_former_communes"):
        gazetteer._former_communes()
    former = clock.lap()
    from safi_map.geo import offline_index
    from safi_map.geo.offline import geocode_offline

    offline_index.index()
    index = clock.lap()
    gazetteer._commune_boundaries()
    offline_index.commune_polygons()
    offline_index.commune_points()
    gazetteer._paca_outline()
    shapes = clock.lap()

    rows = make_rows(args.rows, args.seed, args.former)
    pairs = rows.groupby(["postcode", "commune_input"]).ngroups
    times = []
    clock.lap()
    for _ in range(args.repeat):
        result = geocode_offline(rows)
        times.append(clock.lap())
    assert len(result) == len(rows)
    precision = result["geocode_precision"].value_counts().to_dict()
    print(f"gazetteer load (communes.csv.gz): {load}")
    print(f"former communes load (communes_anciennes.csv.gz): {former}")
    print(f"geocoder index build (keys, postcode/name tables): {index}")
    print(f"boundaries + spatial trees: {shapes}")
    print(f"rows: {len(rows):,} ({args.former:.0%} former communes), "
          f"distinct (postcode, commune) pairs: {pairs:,}")
    print(f"geocode_offline: best {min(times)}, runs {', '.join(map(str, times))}")
    if "commune_former" in result.columns:
        print(f"placed by a former commune: {(result['commune_former'] != '').sum():,}")
    print(f"precision: {precision}")
    print(f"mean score: {result['geocode_score'].mean():.3f}")


if __name__ == "__main__":
    main()
