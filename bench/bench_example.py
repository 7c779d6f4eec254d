"""Benchmark: the coordinator's commands on the bundled example data, as issue #13 targets them.

Usage::

    python bench/bench_example.py [--runs 3] [--new 30]

Copies the repository's ``data/`` into a temporary project and times ``safi-map build``, each
run a fresh process as the coordinator starts it (Python's start and every import included):

* **first build**: an empty build folder;
* **rebuild, nothing changed**;
* **rebuild after a new stop**: ``safi-map add-stop`` with a survey of ``--new`` rows (synthetic
  actors of one town, written as a semicolon CSV), then ``safi-map build``.

For each: the wall time until the command says the site is ready ("Ouvrez …index.html"), until
it exits (the posters the site did not link yet are drawn after that line), and its CPU. The
targets: site ready from clean ≤ 5 s, after a new stop of 30 rows ≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from safi_map.model.synthetic import synthetic_actors

REPO = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"COLUMNS": "200"}
"""As on a coordinator's machine: Python keeps the bytecode of the modules it compiled (some
containers set PYTHONDONTWRITEBYTECODE, which recompiles every module in every run)."""
READY = "index.html"  # the line "Ouvrez build/site/index.html dans un navigateur."


def stop_survey(rows: int, path: Path) -> None:
    """``rows`` synthetic actors nearest to Draguignan, as a stop's survey export."""
    pool = synthetic_actors(rows * 40, seed=29)
    near = ((pool["latitude"] - 43.5366) ** 2 + (pool["longitude"] - 6.4646) ** 2).fillna(99)
    actors = pool.loc[near.sort_values(kind="stable").index[:rows]]
    pd.DataFrame({
        "Nom de la structure": actors["name"],
        "Statut": actors["legal_form"],
        "Thématique(s)": actors["themes"].map(", ".join),
        "Adresse": actors["address"],
        "CP": actors["postcode"],
        "Ville": actors["commune"],
        "Courriel": actors["email"],
        "Accord de publication": actors["contact_consent"].map({True: "oui", False: "non"}),
    }).to_csv(path, sep=";", index=False, encoding="utf-8")


def run(cwd: Path, *args: str) -> tuple[float, float, float]:
    """``safi-map *args`` in ``cwd``: (seconds to "site ready", seconds to exit, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    ready = float("nan")
    with subprocess.Popen([sys.executable, "-m", "safi_map", *args], cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=ENV) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if READY in line and ready != ready:  # first time only (nan != nan)
                ready = time.perf_counter() - t0
        code = proc.wait()
    done = time.perf_counter() - t0
    if code:
        raise SystemExit(f"safi-map {' '.join(args)} failed ({code})")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ready, done, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--new", type=int, default=30)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            root = Path(tmp) / f"run{i}"
            shutil.copytree(REPO / "data", root / "data")
            rows.setdefault("first build (empty build/)", []).append(run(root, "build"))
            rows.setdefault("rebuild, nothing changed", []).append(run(root, "build"))
            survey = Path(tmp) / f"enquete-draguignan-{i}.csv"
            stop_survey(args.new, survey)
            subprocess.run([sys.executable, "-m", "safi_map", "add-stop", "draguignan",
                            str(survey), "--town", "Draguignan", "--date", "03/12/2026"],
                           cwd=root, check=True, capture_output=True, env=ENV)
            rows.setdefault(f"rebuild after a new stop of {args.new} rows", []).append(
                run(root, "build"))
    print(f"Example data, {args.runs} runs each (median); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| run | site ready | command done | CPU |")
    print("|---|---|---|---|")
    for label, runs in rows.items():
        ready, done, cpu = (statistics.median(r[k] for r in runs) for k in range(3))
        print(f"| {label} | {ready:.2f} s | {done:.2f} s | {cpu:.2f} s |")


if __name__ == "__main__":
    main()
