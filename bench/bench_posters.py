"""Benchmark: the posters of the example data, and what a coordinator waits for.

Usage::

    python bench/bench_posters.py [--profile N] [--skip-cli]

Times, on the example data of ``data/`` (210 actors, 7 stops):

* **the command line** (a fresh process each, as a coordinator runs it): ``safi-map build``
  from an empty folder, then the rebuild after a new stop of 30 rows (synthetic actors nearest
  to Toulon, written as a stop's CSV export). CPU includes any child process. "Site written"
  is the time the command prints with its summary: since the build stopped waiting for
  posters, the site is written (linking the posters already drawn) before they are drawn.
* **the ready-made posters** (:func:`safi_map.export.poster_set.poster_set`, the site's A3 PDFs, in one
  process, no cache): how many, wall and CPU, per poster.
* **one poster** of each kind (commune, theme, stop) in each format at A4, A3 and A0: CPU per
  poster (median of 3).
* **the build that does not wait for posters** (``--deferred``, the choice of issue #13): in a
  fresh process, ingest, then the site with :data:`safi_map.export.poster_set.POSTERS_LEFT` set (it links
  the posters the cache has), then the posters step (``poster_set(draw=True)``: only the
  missing ones), then the site again (it links them). From clean, then after a new stop.
* ``--profile N``: the N functions where one stop poster spends the most time (cProfile).

Figures of 1 December 2026 (this machine, 2 cores shared with 5 other sessions: load 7 to 12,
so wall times are 2 to 5 times the CPU; read the CPU). Before: 04000a8; after: the branch
h-posters (texts drawn as ``Label``, QR code and locator without an Axes; the build writes the
site before drawing the posters its cache lacks).

====================================================  ===============  ===============
                                                      before           after
====================================================  ===============  ===============
``safi-map build`` from clean, CPU (whole command)    21.9 s           19.8 s
  ... site written, as the CLI prints it (wall)       95.0 s           13.4 s
  ... site written, CPU (in process, no imports)      (after posters)  4.4 s
rebuild after a new stop of 30 rows, CPU              14.6 s           14.1 s
  ... site written, as the CLI prints it (wall)       33.2 s           8.0 s
  ... site written, CPU (in process)                  (after posters)  4.0 s
  ... posters drawn after the site                    (21, inside)     21: 8.2 s CPU
the site's 48 A3 PDFs (``poster_set``), CPU           17.3 s           12.3 s
  ... per poster                                      0.360 s          0.256 s
one stop poster (Toulon, 43 actors), A3 PDF, CPU      0.61 s           0.53 s
one theme poster (41 actors), A3 PDF, CPU             0.66 s           0.50 s
one commune poster (6 actors), A3 PDF, CPU            0.20 s           0.14 s
one stop poster, A0 PNG at 100 dpi, CPU               1.69 s           1.37 s
====================================================  ===============  ===============

So drawing alone cannot meet the build's budget (5 s from clean, 3 s after a new stop): 48
posters at 0.26 s are 12 s of CPU, and a new stop changes 21 of them (every theme it touches).
Hence the choice of issue #13, "a step the site links once done", with "only what changed":
the site is written first and links the posters already in the cache; the missing ones are
drawn next (the site is usable meanwhile) and a second, mostly reused, site pass links them.

Run it against another checkout with ``PYTHONPATH=/path/to/checkout python bench/...`` to put
figures side by side (the "before" of docs and reports was taken that way). On the shared
2-core machine, wall times depend on the load; CPU times much less.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import safi_map
from safi_map import ingest, load_settings
from safi_map.analysis.selection import Selection
from safi_map.export import poster_set as export_mod
from safi_map.model.synthetic import synthetic_actors

REPO = Path(__file__).resolve().parent.parent


def _cpu(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _project(root: Path) -> None:
    shutil.copytree(REPO / "data", root / "data")


def _new_stop(path: Path, rows: int = 30) -> None:
    """A stop's survey of ``rows`` actors near Toulon (synthetic, cp1252 ``;`` CSV)."""
    pool = synthetic_actors(20 * rows, seed=5)
    near = ((pool["latitude"] - 43.1242) ** 2 + (pool["longitude"] - 5.9280) ** 2).fillna(99)
    chosen = pool.loc[near.sort_values(kind="stable").index[:rows]]
    frame = pd.DataFrame({
        "Nom de la structure": chosen["name"].str.replace("<", "(").str.replace(">", ")"),
        "Thématique(s)": chosen["themes"].map(", ".join),
        "Adresse": chosen["address"], "CP": chosen["postcode"], "Ville": chosen["commune"],
    })
    frame.to_csv(path, sep=";", index=False, encoding="cp1252", errors="replace")


def _cli(root: Path) -> tuple[float, float, str]:
    """(wall, CPU, the seconds the CLI prints when the site is written) of ``safi-map build``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "LANG": "C.UTF-8"}
    c0, t0 = _cpu(True), time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "safi_map", "build"], cwd=root, env=env,
                         check=True, capture_output=True, text=True).stdout
    ready = re.search(r"\((\d+[.,]\d) s\)", out)
    return time.perf_counter() - t0, _cpu(True) - c0, (ready.group(1) + " s") if ready else "?"


def cli_figures() -> None:
    print("| command line | wall | CPU | site written (as printed, from the command's start) |"
          "\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root)
        wall, cpu, ready = _cli(root)
        print(f"| `safi-map build` from clean | {wall:.2f} s | {cpu:.2f} s | {ready} |")
        _new_stop(root / "data" / "surveys" / "2015-12-01-nouvelle-etape.csv")
        wall, cpu, ready = _cli(root)
        print(f"| rebuild after a new stop of 30 rows | {wall:.2f} s | {cpu:.2f} s | {ready} |")


def _deferred_run(root: Path) -> None:
    """(In a fresh process) the three steps of a build that does not wait for posters."""
    from safi_map.export.poster_set import POSTERS_LEFT, poster_set
    from safi_map.ingestion.pipeline import write_ingest_outputs
    from safi_map.site.build import build_site

    t0, c0 = time.perf_counter(), _cpu()
    settings = load_settings(base=root)
    result = ingest(settings=settings)
    write_ingest_outputs(result, settings.out)
    kw = {"taxonomy": result.taxonomy, "tour": result.tour, "settings": settings,
          "report": result.report, "out_dir": settings.out / "site", "changes": result.changes}
    token = POSTERS_LEFT.set([])
    try:
        build_site(result.actors, **kw)
    finally:
        POSTERS_LEFT.reset(token)
    site, site_cpu = time.perf_counter() - t0, _cpu() - c0
    # the posters step: what the site's call of poster_set would draw (same arguments)
    made = poster_set(result.actors, root / "affiches-step", taxonomy=result.taxonomy,
                      tour=result.tour, settings=settings, fmt="pdf", size="A3",
                      min_actors=max(1, int(settings.posters_min_actors)),
                      max_actors=int(settings.posters_max_actors),
                      cache_dir=settings.out / "cache" / "posters")
    posters, posters_cpu = time.perf_counter() - t0 - site, _cpu() - c0 - site_cpu
    build_site(result.actors, **kw)  # links every poster (all in the cache now)
    relink, relink_cpu = (time.perf_counter() - t0 - site - posters,
                          _cpu() - c0 - site_cpu - posters_cpu)
    print(f"{site:.2f} {site_cpu:.2f} {posters:.2f} {posters_cpu:.2f} {relink:.2f} "
          f"{relink_cpu:.2f} {len(made.paths) - made.reused}")


def deferred_figures() -> None:
    print("\n| build that does not wait for posters (wall / CPU) | site ready (linking the "
          "posters already drawn) | posters step | site again (linking them) | posters drawn |"
          "\n|---|---|---|---|---|")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def run(root: Path) -> list[str]:
        out = subprocess.run([sys.executable, __file__, "--run-deferred", str(root)], env=env,
                             check=True, capture_output=True, text=True).stdout.split()
        return [f"{float(out[i]):.2f} s / {float(out[i + 1]):.2f} s" for i in (0, 2, 4)] + [
            out[6]]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root)
        print("| from clean | " + " | ".join(run(root)) + " |")
        _new_stop(root / "data" / "surveys" / "2015-12-01-nouvelle-etape.csv")
        print("| after a new stop of 30 rows | " + " | ".join(run(root)) + " |")


def poster_figures(profile: int) -> None:
    settings = load_settings(base=REPO)
    with tempfile.TemporaryDirectory() as tmp:
        result = ingest(settings=dataclasses.replace(settings, out=Path(tmp) / "build"))
        actors, taxonomy, tour = result.actors, result.taxonomy, result.tour
        if hasattr(export_mod, "POSTER_WORKERS"):  # an older checkout: draw in this process
            export_mod.POSTER_WORKERS = 1
        c0, t0 = _cpu(), time.perf_counter()
        made = export_mod.poster_set(actors, Path(tmp) / "affiches", taxonomy=taxonomy, tour=tour,
                                     settings=settings, fmt="pdf", size="A3", min_actors=3,
                                     max_actors=300)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        n = len(made.paths)
        print(f"\nposter_set (site's A3 PDFs): {n} posters, {wall:.2f} s wall, {cpu:.2f} s CPU, "
              f"{cpu / max(n, 1):.3f} s CPU per poster\n")
        kinds = {"commune (Toulon)": Selection(communes=["83137"]),
                 "theme (insertion)": Selection(themes=["insertion"]),
                 "stop (Toulon)": Selection(stops=["toulon"])}
        print("| poster | " + " | ".join(f"{f} {s}" for f in ("pdf", "png") for s in
                                         ("A4", "A3", "A0")) + " |")
        print("|---" * 7 + "|")
        for label, sel in kinds.items():
            cells = []
            for fmt in ("pdf", "png"):
                for size in ("A4", "A3", "A0"):
                    runs = []
                    for _ in range(3):
                        c = _cpu()
                        export_mod.export(actors, fmt=fmt, out=Path(tmp) / f"p.{fmt}",
                                          selection=sel, taxonomy=taxonomy, tour=tour,
                                          settings=settings, size=size, dpi=100)
                        runs.append(_cpu() - c)
                    cells.append(f"{statistics.median(runs):.2f} s")
            print(f"| {label} | " + " | ".join(cells) + " |")
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            export_mod.export(actors, fmt="pdf", out=Path(tmp) / "p.pdf",
                              selection=kinds["stop (Toulon)"], taxonomy=taxonomy, tour=tour,
                              settings=settings, size="A3")
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--deferred", action="store_true",
                        help="also time the build that does not wait for posters")
    parser.add_argument("--run-deferred", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_deferred:
        _deferred_run(args.run_deferred)
        return
    print(f"safi_map from {Path(safi_map.__file__).parent}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    if not args.skip_cli:
        cli_figures()
    if args.deferred:
        deferred_figures()
    poster_figures(args.profile)


if __name__ == "__main__":
    main()
