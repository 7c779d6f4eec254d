"""Benchmark: rebuild after one new tour stop versus a full build.

Usage::

    python bench/bench_incremental.py [--actors 5000] [--new 200] [--files 10]

Writes ``--actors`` survey rows (synthetic PACA actors, Windows-1252 ``;`` CSV as real exports)
split over ``--files`` stop files into a temporary project, then times:

1. a full build (``ingest`` + ``write_ingest_outputs`` + ``build_site``, cold caches);
2. the same build again with unchanged inputs (every survey file reused from the cache);
3. a rebuild after adding one stop file of ``--new`` rows.

The issue's target: step 3 takes a fraction of step 1.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from safi_map import build_site, ingest, load_settings, write_ingest_outputs
from safi_map._synthetic import synthetic_actors

HEADER = ["Nom de la structure", "Statut", "Thématique(s)", "Présentation", "Adresse", "CP",
          "Ville", "Courriel", "Tél", "Accord de publication", "Besoins", "Ressources"]


def survey_frame(actors: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Nom de la structure": actors["name"].str.replace("<", "(").str.replace(">", ")"),
        "Statut": actors["legal_form"],
        "Thématique(s)": actors["themes"].map(", ".join),
        "Présentation": actors["description"].str.replace("\n", " "),
        "Adresse": actors["address"],
        "CP": actors["postcode"].str.lstrip("0"),
        "Ville": actors["commune"].str.upper(),
        "Courriel": actors["email"],
        "Tél": actors["phone"],
        "Accord de publication": actors["contact_consent"].map({True: "oui", False: "non"}),
        "Besoins": actors["needs"].map("; ".join),
        "Ressources": actors["offers"].map("; ".join),
    })


def write_survey(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=";", index=False, encoding="cp1252", errors="replace")


def timed(label: str, fn) -> float:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"| {label} | {elapsed:.2f} s |")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()

    actors = synthetic_actors(args.actors + args.new, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        surveys = root / "data" / "surveys"
        surveys.mkdir(parents=True)
        frame = survey_frame(actors)
        base, extra = frame.iloc[: args.actors], frame.iloc[args.actors:]
        for i in range(args.files):
            write_survey(base.iloc[i :: args.files], surveys / f"2015-{i + 1:02d}-01-etape-{i}.csv")
        settings = load_settings(base=root)

        def build() -> None:
            result = ingest(settings=settings)
            write_ingest_outputs(result, settings.out)
            build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
                       settings=settings, report=result.report, out_dir=settings.out / "site")

        def ingest_only() -> None:
            write_ingest_outputs(ingest(settings=settings), settings.out)

        print(f"{args.actors} rows in {args.files} files, then one new stop of {args.new} rows\n")
        print("| step | time |\n|---|---|")
        full = timed("full build (cold)", build)
        timed("rebuild, inputs unchanged", build)
        timed("ingest only, inputs unchanged", ingest_only)
        write_survey(extra, surveys / "2015-12-01-nouvelle-etape.csv")
        after = timed(f"rebuild after adding {args.new} rows", build)
        print(f"\nrebuild after a new stop = {after / full:.0%} of a full build")


if __name__ == "__main__":
    main()
