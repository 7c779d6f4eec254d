"""Benchmark: the whole static site for 10,000 and 50,000 synthetic actors.

Each size runs in its own subprocess so that peak memory (``ru_maxrss``) is that build's alone.
Targets at 50,000 actors: at most 60 s and 1 GB. Usage::

    python bench/bench_site.py            # 10000 and 50000
    python bench/bench_site.py 2000       # other sizes
    python bench/bench_site.py --rebuild  # then build again after correcting one actor

Every page is rendered in each build (there is no page cache); from 4,000 actors the actor
pages are rendered by a pool of two forked processes: CPU counts them, ``peak_rss_mb`` is this
process's peak and ``worker_peak_rss_mb`` the largest worker's (most of it shared with the
parent, copy-on-write).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, logging, re, resource, sys, time
from pathlib import Path
from safi_map.model.synthetic import synthetic_actors, synthetic_taxonomy, synthetic_tour
from safi_map.core.settings import Settings
from safi_map.site.build import build_site

n, out = int(sys.argv[1]), Path(sys.argv[2])
stages = []  # the build's laps ("site: actors pages took 12.30 s")


class Laps(logging.Handler):
    def emit(self, record):
        m = re.match(r"site: (.*) took ([0-9.]+) s", record.getMessage())
        if m and not stages_done:
            stages.append(f"{m[1]} {float(m[2]):.1f}")


stages_done = False
logging.getLogger("safi_map.site.build").addHandler(Laps())
logging.getLogger("safi_map.site.build").setLevel(logging.DEBUG)
t0 = time.perf_counter()
actors = synthetic_actors(n, seed=0)
t1 = time.perf_counter()
c1 = time.process_time()
summary = build_site(actors, taxonomy=synthetic_taxonomy(), tour=synthetic_tour(),
                     settings=Settings(), out_dir=out / "site")
t2 = time.perf_counter()
c2 = time.process_time()
stages_done = True
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # processes the build started, if any
again = {}
if len(sys.argv) > 3:  # the same build again, one actor corrected
    actors.loc[0, "description"] = "Présentation corrigée."
    t3, c3 = time.perf_counter(), time.process_time()
    build_site(actors, taxonomy=synthetic_taxonomy(), tour=synthetic_tour(),
               settings=Settings(), out_dir=out / "site")
    kids2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    again = {"rebuild_s": round(time.perf_counter() - t3, 2),
             "rebuild_cpu_s": round(time.process_time() - c3 + kids2.ru_utime + kids2.ru_stime
                                    - kids.ru_utime - kids.ru_stime, 2)}
print(json.dumps({"actors": n, "synthetic_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2),
                  **again, "cpu_s": round(c2 - c1 + kids.ru_utime + kids.ru_stime, 2),
                  "worker_peak_rss_mb": round(kids.ru_maxrss / 1024, 1),
                  "pages": summary.pages, "files": summary.files,
                  "mb_written": round(summary.bytes / 2**20, 1),
                  "peak_rss_mb": round(rss / 1024, 1), "stages": stages,
                  "summary": str(summary)}))
"""


def main(sizes: list[int], rebuild: bool = False) -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="safi-bench-") as tmp:
            proc = subprocess.run([sys.executable, "-c", CHILD, str(n), tmp,
                                   *(["rebuild"] if rebuild else [])], check=True,
                                  capture_output=True, text=True)
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        ok = result["build_s"] <= 60 and result["peak_rss_mb"] <= 1024 if n >= 50000 else True
        print(f"{n:>7} actors: build {result['build_s']:6.1f} s wall, {result['cpu_s']:.1f} s CPU "
              f"(synthetic data "
              f"{result['synthetic_s']:.1f} s), {result['pages']} pages, {result['files']} files, "
              f"{result['mb_written']} MB, peak RSS {result['peak_rss_mb']:.0f} MB"
              f" (largest worker {result['worker_peak_rss_mb']:.0f} MB)"
              + ("" if ok else "  <-- over target (60 s, 1 GB)"))
        print(f"{'':>7}  stages (s): {', '.join(result['stages'])}")
        if "rebuild_s" in result:
            print(f"{'':>7}  rebuild after correcting one actor: {result['rebuild_s']:.1f} s wall, "
                  f"{result['rebuild_cpu_s']:.1f} s CPU")


if __name__ == "__main__":
    args = sys.argv[1:]
    main([int(a) for a in args if a != "--rebuild"] or [10000, 50000], "--rebuild" in args)
