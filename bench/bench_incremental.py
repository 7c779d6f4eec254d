"""Benchmark: rebuild after one new tour stop versus a full build.

Usage::

    python bench/bench_incremental.py [--actors 5000] [--new 200] [--files 10] [--spread]

Writes ``--actors`` survey rows (synthetic PACA actors, Windows-1252 ``;`` CSV as real exports)
split over ``--files`` stop files into a temporary project, then times, twice over:

* **the command line** (``safi-map build``, each run a fresh process, as the coordinator runs
  it): a first build (empty ``build/``), the same build with ``--force`` (everything redone,
  caches refilled), a rebuild with unchanged inputs, and the rebuild after adding one stop file
  of ``--new`` rows. CPU includes any child process.
* **in one process** (``ingest`` + ``write_ingest_outputs`` + ``build_site``), for the breakdown
  per stage; modules and packaged data are loaded once there, so its builds are shorter.

The issue's target: the rebuild after a new stop takes a fraction of a full build. A tour stop
is one town: by default the new rows are the ``--new`` synthetic actors nearest to Toulon (drawn
from a larger pool), as a real stop's survey would be; ``--spread`` draws them across the whole
region instead (then most actor pages change: most actors get a newcomer among their nearby,
similar or synergy lists). Every page is rendered in each build: only the ingest (per-file
cache) and the posters (content cache) skip what did not change.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from safi_map import build_site, ingest, load_settings, write_ingest_outputs
from safi_map.model.synthetic import synthetic_actors

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--spread", action="store_true",
                        help="new rows from the whole region instead of one town")
    args = parser.parse_args()

    if args.spread:
        actors = synthetic_actors(args.actors + args.new, seed=11)
    else:  # the base, then the new stop: the pool's actors nearest to Toulon
        pool = synthetic_actors(args.actors + 20 * args.new, seed=11)
        rest = pool.iloc[args.actors:]
        near = ((rest["latitude"] - 43.1242) ** 2 + (rest["longitude"] - 5.9280) ** 2).fillna(99)
        actors = pd.concat([pool.iloc[: args.actors],
                            rest.loc[near.sort_values(kind="stable").index[: args.new]]],
                           ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        surveys = root / "data" / "surveys"
        surveys.mkdir(parents=True)
        frame = survey_frame(actors)
        base, extra_rows = frame.iloc[: args.actors], frame.iloc[args.actors:]
        for i in range(args.files):
            write_survey(base.iloc[i :: args.files], surveys / f"2015-{i + 1:02d}-01-etape-{i}.csv")
        settings = load_settings(base=root)

        def build() -> dict[str, float]:
            t0, c0 = time.perf_counter(), _cpu()
            result = ingest(settings=settings)
            t1 = time.perf_counter()
            write_ingest_outputs(result, settings.out)
            t2 = time.perf_counter()
            summary = build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
                                 settings=settings, report=result.report,
                                 out_dir=settings.out / "site", changes=result.changes)
            t3 = time.perf_counter()
            return {"total": t3 - t0, "cpu": _cpu() - c0, "ingest": t1 - t0,
                    "outputs": t2 - t1, "site": t3 - t2, "pages": summary.pages}

        def ingest_only() -> dict[str, float]:
            t0, c0 = time.perf_counter(), _cpu()
            write_ingest_outputs(ingest(settings=settings), settings.out)
            return {"total": time.perf_counter() - t0, "cpu": _cpu() - c0}

        print(f"{args.actors} rows in {args.files} files, then one new stop of {args.new} rows "
              f"({'across the region' if args.spread else 'around Toulon'}); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        stop_file = surveys / "2015-12-01-nouvelle-etape.csv"

        # The command line, a fresh process per build ----------------------------------------
        print("Command line (`safi-map build`, fresh process each):\n")
        print("| run | wall | CPU | pages |")
        print("|---|---|---|---|")
        cli: dict[str, float] = {}
        for label, extra, before in (
            ("first build (empty build/)", [], None),
            ("full build again (`--force`)", ["--force"], None),
            ("rebuild, inputs unchanged", [], None),
            (f"rebuild after adding a stop of {args.new} rows", [],
             lambda: write_survey(extra_rows, stop_file)),
        ):
            if before is not None:
                before()
            wall, cpu, pages = _cli_build(root, extra)
            cli[label] = wall
            cli[label + " cpu"] = cpu
            print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {pages} |")
        first, forced = "first build (empty build/)", "full build again (`--force`)"
        after = f"rebuild after adding a stop of {args.new} rows"
        print(f"\nrebuild after a new stop = {cli[after] / cli[first]:.0%} of a first build "
              f"(wall), {cli[after + ' cpu'] / cli[first + ' cpu']:.0%} (CPU); "
              f"{cli[after] / cli[forced]:.0%} of a `--force` build (wall), "
              f"{cli[after + ' cpu'] / cli[forced + ' cpu']:.0%} (CPU)\n")

        # In one process, per stage ------------------------------------------------------------
        stop_file.unlink()
        shutil.rmtree(settings.out)
        print("In one process (ingest, outputs, site):\n")
        print("| step | wall | CPU | ingest | outputs | site | pages |")
        print("|---|---|---|---|---|---|---|")

        def row(label: str, r: dict[str, float]) -> None:
            cells = (f" {r['ingest']:.2f} s | {r['outputs']:.2f} s | {r['site']:.2f} s | "
                     f"{r['pages']:.0f} |" if "site" in r else " | | | |")
            print(f"| {label} | {r['total']:.2f} s | {r['cpu']:.2f} s |{cells}")

        full = build()
        row("full build (cold)", full)
        row("rebuild, inputs unchanged", build())
        row("ingest only, inputs unchanged", ingest_only())
        write_survey(extra_rows, stop_file)
        after_in = build()
        row(f"rebuild after adding {args.new} rows", after_in)
        print(f"\nrebuild after a new stop = {after_in['total'] / full['total']:.0%} of a full "
              f"build (wall), {after_in['cpu'] / full['cpu']:.0%} (CPU); site alone: "
              f"{after_in['site'] / full['site']:.0%}")


def _cli_build(root: Path, extra: list[str]) -> tuple[float, float, str]:
    """Run ``safi-map build`` in ``root``: (wall s, CPU s, pages built)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "safi_map", "build", *extra], cwd=root,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    pages = re.search(r"(\d+) pages", done.stdout)
    return wall, cpu, pages[1] if pages else "?"


def _cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main()
