"""Benchmark: synergy pairs, coverage and both pages for synthetic actors.

Each size runs in its own subprocess so peak memory (``ru_maxrss``) is that run's alone.
Reports wall and CPU seconds (the machine may be shared: CPU time is the steadier figure), and
the exhaustive reference scoring that the KD-tree path replaces (with a check that both give
the same pairs).
Usage::

    python bench/bench_synergies.py            # 10000 and 50000
    python bench/bench_synergies.py 2000       # other sizes
"""

from __future__ import annotations

import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from safi_map.model.synthetic import synthetic_actors
from safi_map.analysis.diagnostic import coverage
from safi_map.model.public import public_actors
from safi_map.analysis.synergies import suggest_pairs, synergies_by_actor, synergies_csv
from safi_map.model.taxonomy import load_taxonomy
from safi_map.site.pages import diagnostic as diagnostic_page, synergies as synergies_page

n = int(sys.argv[1])
taxonomy = load_taxonomy()
actors = public_actors(synthetic_actors(n, seed=0))
out = {"actors": n}

def timed(name, fn):
    w, c = time.perf_counter(), time.process_time()
    value = fn()
    out[name + "_s"] = round(time.perf_counter() - w, 2)
    out[name + "_cpu_s"] = round(time.process_time() - c, 2)
    return value

pairs = timed("suggest_pairs", lambda: suggest_pairs(actors, taxonomy=taxonomy))
out["pairs"] = len(pairs)
if n <= int(sys.argv[2]):  # the exhaustive reference (every needer x every offerer)
    from safi_map.analysis.synergies import _exhaustive_pairs
    exact = timed("exhaustive_pairs", lambda: _exhaustive_pairs(actors, taxonomy=taxonomy))
    out["same_as_exhaustive"] = bool(exact.equals(pairs))
from safi_map.analysis.synergies import SynergyIndex
timed("synergy_index", lambda: SynergyIndex(pairs, taxonomy=taxonomy))
timed("synergies_by_actor", lambda: synergies_by_actor(pairs, taxonomy=taxonomy))
html = timed("synergies_page", lambda: synergies_page.render_page(actors, pairs,
                                                                 taxonomy=taxonomy))
out["synergies_html_mb"] = round(len(html.encode()) / 2**20, 2)
text = timed("synergies_csv", lambda: synergies_csv(pairs, taxonomy=taxonomy))
out["synergies_csv_mb"] = round(len(text.encode()) / 2**20, 2)
for level in ("commune", "epci", "department"):
    timed("coverage_" + level, lambda: coverage(actors, taxonomy=taxonomy, level=level))
pages = timed("diagnostic_pages", lambda: diagnostic_page.render_pages(actors,
                                                                      taxonomy=taxonomy))
out["diagnostic_html_mb"] = round(len(pages["diagnostic.html"].encode()) / 2**20, 2)
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


EXHAUSTIVE_UP_TO = 50_000
"""Also time the exhaustive reference scoring (and check it gives the same pairs) up to this
many actors."""


def main(sizes: list[int]) -> None:
    for n in sizes:
        result = subprocess.run([sys.executable, "-c", CHILD, str(n), str(EXHAUSTIVE_UP_TO)],
                                capture_output=True, text=True, check=True)
        print(result.stdout.strip())


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
