"""Benchmark: our map page against the plain folium way, on the same synthetic actors.

For each size (default 10,000 and 50,000 actors) it builds

* **ours**: :func:`safi_map.map.render.render_map_page` (one embedded data set, our own grid
  clusterer ``safi-cluster.js`` over typed arrays, drawing only what is in the viewport, filters
  over typed arrays);
* **folium**: what users usually write: one ``folium.Marker`` with a ``Popup`` per actor, in a
  ``MarkerCluster``, one ``FeatureGroupSubGroup`` per theme, a ``LayerControl``; folium's CDN
  assets swapped for local copies so it runs offline (Leaflet and markercluster from the
  xstatic packages; the subgroup plugin fetched once with ``npm pack``);

and measures in headless Chromium (every non-local request blocked): HTML size, build time,
time until every actor is clustered and drawn (from navigation start; for ours also until the
whole page is ready: panels, directory, commune outlines; and until the actors' descriptions and
contacts, a second data block decoded after that, are in), time to apply a theme filter ("santé"
only) and to clear it, and the JS heap after garbage collection. For ours, a filter's time runs
from the state change until the next frame is painted, so it covers the markers, the live
counts, the directory, the choropleth restyle and the URL update (the search box waits 250 ms
after the last key before filtering; that debounce is not counted).

Usage::

    python bench/bench_map.py                 # 10,000 and 50,000
    python bench/bench_map.py --sizes 2000    # quick run
    python bench/bench_map.py --no-folium     # ours only

Ours: medians of 5 page loads and of 5 rounds of each filter. Figures depend on the machine
(and on what else runs on it); compare rows of one run.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from safi_map.map import render as maps  # noqa: E402
from safi_map.model.public import public_actors  # noqa: E402
from safi_map.model.synthetic import SYNTHETIC_STOPS, synthetic_actors, synthetic_taxonomy  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-precise-memory-info",
]
SUBGROUP = "leaflet.featuregroup.subgroup@1.0.2"
THEME = "sante"
JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")  # Debian package libjs-jquery


def subgroup_js(cache: Path) -> Path:
    """The FeatureGroupSubGroup plugin (not on PyPI): ``npm pack`` once, kept in ``cache``."""
    target = cache / "leaflet.featuregroup.subgroup.js"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", SUBGROUP, "--silent"], cwd=tmp, check=True,
                       capture_output=True, timeout=300)
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.extractfile("package/dist/leaflet.featuregroup.subgroup.js")
            assert member is not None
            target.write_bytes(member.read())
    return target


def build_ours(actors: Any, out: Path, n: int) -> dict[str, Any]:
    t = time.perf_counter()
    page = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="Bench"
    )
    build = time.perf_counter() - t
    path = out / f"ours-{n}.html"
    path.write_text(page, encoding="utf-8")
    return {"path": path, "build_s": build, "size_mb": len(page.encode()) / 1e6}


def build_folium(actors: Any, out: Path, n: int, subgroup: Path) -> dict[str, Any]:
    import folium
    from folium.plugins import FeatureGroupSubGroup, MarkerCluster

    t = time.perf_counter()
    pub = public_actors(actors)
    themes = synthetic_taxonomy().themes
    m = folium.Map(location=[43.95, 6.05], zoom_start=8, tiles=None, maxZoom=18, minZoom=7)
    cluster = MarkerCluster(name="Acteurs", control=False).add_to(m)
    groups = {}
    for t_ in themes:
        g = FeatureGroupSubGroup(cluster, name=t_.label)
        m.add_child(g)
        groups[t_.slug] = g
    for row in pub.itertuples(index=False):
        if row.latitude != row.latitude:  # NaN: no location
            continue
        first = row.themes[0] if len(row.themes) else "autre"
        popup = folium.Popup(
            f"<b>{html.escape(row.name)}</b><br>{html.escape(row.commune)}<br>"
            f"{html.escape(row.description[:160])}",
            max_width=300,
        )
        folium.Marker([row.latitude, row.longitude], popup=popup, tooltip=html.escape(row.name)).add_to(
            groups.get(first, groups[themes[0].slug])
        )
    folium.LayerControl(collapsed=False).add_to(m)
    # Local assets instead of folium's CDNs: Leaflet and markercluster from xstatic, jQuery
    # (folium's Popup parses its HTML with it) from Debian's libjs-jquery; Bootstrap and
    # awesome-markers are not used by Marker/Popup/MarkerCluster/LayerControl.
    m.default_js = [("leaflet", "assets/leaflet/leaflet.js"), ("jquery", "assets/jquery.min.js")]
    m.default_css = [("leaflet_css", "assets/leaflet/leaflet.css")]
    cluster.default_js = [("markerclusterjs", "assets/markercluster/leaflet.markercluster.js")]
    cluster.default_css = [
        ("markerclustercss", "assets/markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", "assets/markercluster/MarkerCluster.Default.css"),
    ]
    for g in groups.values():
        g.default_js = [("featuregroupsubgroupjs", "assets/leaflet.featuregroup.subgroup.js")]
    page = m.get_root().render()
    build = time.perf_counter() - t
    shutil.copyfile(subgroup, out / "assets" / "leaflet.featuregroup.subgroup.js")
    # Leaflet.markercluster for the folium baseline only (our page has its own clusterer).
    import xstatic.pkg.leaflet_markercluster as xmc

    (out / "assets" / "markercluster").mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"):
        shutil.copyfile(Path(xmc.BASE_DIR) / name, out / "assets" / "markercluster" / name)
    shutil.copyfile(JQUERY, out / "assets" / "jquery.min.js")
    path = out / f"folium-{n}.html"
    path.write_text(page, encoding="utf-8")
    names = {slug: g.get_name() for slug, g in groups.items()}
    return {"path": path, "build_s": build, "size_mb": len(page.encode()) / 1e6,
            "groups": names, "map": m.get_name(), "cluster": cluster.get_name()}


def _page(browser: Any) -> tuple[Any, Any]:
    # Offline: every network request fails at once, while file:// pages and their assets load
    # as in a browser (intercepting each request through Playwright's route instead adds a
    # round trip to this process per asset, a tenth of a second to a page load).
    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    return context, context.new_page()


def _heap_mb(page: Any) -> float:
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


_OURS_FILTER = """(state) => new Promise((resolve) => {
  const app = SafiMap.apps[0];
  const t0 = performance.now();
  app.setState(state, {push: true});
  // Two animation frames: the browser has laid out and painted the result.
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
})"""


def measure_ours(browser: Any, info: dict[str, Any], repeat: int = 5) -> dict[str, Any]:
    """Medians over ``repeat`` page loads (load figures) and ``repeat`` filter/clear rounds."""
    loads = []
    for k in range(repeat):
        context, page = _page(browser)
        try:
            page.goto(info["path"].as_uri() + "#b=none", timeout=600_000)
            page.wait_for_function("() => window.SafiMap && SafiMap.apps[0] && SafiMap.apps[0].settled()",
                                   timeout=600_000, polling=20)
            loads.append(page.evaluate("() => SafiMap.apps[0].timings"))
            if k < repeat - 1:
                continue
            # Actors drawn in the initial view (the whole region): in clusters or as points.
            located = page.evaluate("() => SafiMap.apps[0].drawn().total")
            page.wait_for_timeout(500)  # let the idle search index build settle
            rounds: dict[str, list[float]] = {}
            for _ in range(repeat):
                for key, state in (("filter_ms", {"themes": [THEME]}), ("clear_ms", {"themes": []}),
                                   ("big_filter_ms", {"legal": ["association"]}), ("big_clear_ms", {"legal": []}),
                                   ("text_ms", {"q": "jardin"}), ("text_clear_ms", {"q": ""})):
                    rounds.setdefault(key, []).append(page.evaluate(_OURS_FILTER, state))
            heap = _heap_mb(page)
        finally:
            context.close()

    def med(key: str) -> float:
        return statistics.median(t[key] for t in loads)

    return {
        "markers": located,
        "all_markers_s": med("firstMarkersSinceNavigation") / 1000,
        "ready_s": med("readySinceNavigation") / 1000,
        "decode_s": med("decode") / 1000,
        "details_s": med("detailsSinceNavigation") / 1000,
        "cluster_s": med("allMarkers") / 1000,
        **{k: statistics.median(v) for k, v in rounds.items()},
        "heap_mb": heap,
    }


def measure_folium(browser: Any, info: dict[str, Any]) -> dict[str, Any]:
    context, page = _page(browser)
    try:
        page.goto(info["path"].as_uri(), timeout=1_800_000, wait_until="load")
        loaded = page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
        )
        markers = page.evaluate(f"() => {info['cluster']}.getLayers().length")
        others = [name for slug, name in info["groups"].items() if slug != THEME]
        js = json.dumps(others)
        filt = page.evaluate(
            f"() => {{ const t0 = performance.now(); for (const g of {js}) {{ {info['map']}.removeLayer(window[g]); }} return performance.now() - t0; }}"
        )
        clear = page.evaluate(
            f"() => {{ const t0 = performance.now(); for (const g of {js}) {{ {info['map']}.addLayer(window[g]); }} return performance.now() - t0; }}"
        )
        return {"markers": markers, "all_markers_s": loaded / 1000, "filter_ms": filt,
                "clear_ms": clear, "heap_mb": _heap_mb(page)}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "safi-bench-map")
    parser.add_argument("--no-folium", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "safi-bench-cache")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    maps.copy_assets(args.out / "assets")
    sub = None if args.no_folium else subgroup_js(args.cache)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in args.sizes:
                actors = synthetic_actors(n)
                info = build_ours(actors, args.out, n)
                res = measure_ours(browser, info)
                rows.append(("ours", n, info, res))
                print(f"# ours {n}: {info['size_mb']:.2f} MB, {res}", file=sys.stderr, flush=True)
                if sub is not None:
                    finfo = build_folium(actors, args.out, n, sub)
                    print(f"# folium {n} built: {finfo['size_mb']:.2f} MB in {finfo['build_s']:.1f} s",
                          file=sys.stderr, flush=True)
                    fres = measure_folium(browser, finfo)
                    rows.append(("folium", n, finfo, fres))
                    print(f"# folium {n}: {fres}", file=sys.stderr, flush=True)
        finally:
            browser.close()

    print("| actors | variant | markers | HTML (MB) | build (s) | all markers clustered (s from navigation) "
          "| page ready (s) | theme filter (ms) | clear (ms) | JS heap (MB) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for variant, n, info, res in rows:
        ready = f"{res['ready_s']:.2f}" if "ready_s" in res else "–"
        print(f"| {n:,} | {variant} | {res['markers']:,} | {info['size_mb']:.2f} | {info['build_s']:.1f} "
              f"| {res['all_markers_s']:.2f} | {ready} | {res['filter_ms']:.0f} | {res['clear_ms']:.0f} "
              f"| {res['heap_mb']:.0f} |")
    extra = [(n, res) for variant, n, _, res in rows if variant == "ours"]
    if extra:
        print("\nOurs, other filters (ms, state change to painted frame):\n")
        print("| actors | legal form = association | clear | text \"jardin\" | data decoding (s) "
              "| clustering + drawing all actors (ms) | descriptions and contacts in (s) |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for n, res in extra:
            print(f"| {n:,} | {res['big_filter_ms']:.0f} | {res['big_clear_ms']:.0f} | {res['text_ms']:.0f} "
                  f"| {res['decode_s']:.2f} | {res['cluster_s'] * 1000:.0f} | {res['details_s']:.2f} |")


if __name__ == "__main__":
    main()
