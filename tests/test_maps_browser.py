"""The map in a real headless Chromium, with every non-local request blocked.

Expected counts are computed here in Python from the public data, independently of the page's
JavaScript, and compared with what the page shows: the actors drawn on the map (cluster counts
read from the cluster icons plus single markers, in the DOM), the directory and the panel counts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from safi_map.core.text import fold
from safi_map.map import render as maps
from safi_map.model.synthetic import (
    HOSTILE_NAMES,
    SYNTHETIC_STOPS,
    synthetic_actors,
    synthetic_taxonomy,
)

pytestmark = pytest.mark.browser

N_SMALL = 300
APP = "SafiMap.apps[0]"


def _build(folder: Path, n: int, seed: int, name: str = "index.html", actors: Any = None,
           **kw: Any) -> dict[str, Any]:
    actors = synthetic_actors(n, seed=seed) if actors is None else actors
    tax, tour = synthetic_taxonomy(), list(SYNTHETIC_STOPS)
    page = maps.render_map_page(actors, taxonomy=tax, tour=tour, title="Carte des acteurs", **kw)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "assets").exists():
        maps.copy_assets(folder / "assets")
    (folder / name).write_text(page, encoding="utf-8")
    return maps.map_payload(actors, taxonomy=tax, tour=tour, new_ids=kw.get("new_ids"))


def _new_ids(n: int, seed: int) -> list[str]:
    """Every seventh actor is "new since the last stop" (some of them without a location)."""
    return list(synthetic_actors(n, seed=seed)["actor_id"])[3::7]


def expected(payload: dict[str, Any], *, themes=(), legal=(), commune="", stop="", q="",
             new=False) -> tuple[int, int]:
    """(matching actors, matching actors with coordinates), computed from the payload."""
    a = payload["actors"]
    slugs = [t["slug"] for t in payload["themes"]]
    forms = [f["slug"] for f in payload["legal_forms"]]
    codes = [c["code"] for c in payload["communes"]]
    stops = [s["id"] for s in payload["stops"]]
    words = fold(q).split()
    new_rows = set(a.get("new", []))
    n = located = 0
    for i in range(a["n"]):
        if new and i not in new_rows:
            continue
        if themes and not {slugs[k] for k in a["themes"][i]} & set(themes):
            continue
        if legal and forms[a["legal"][i]] not in legal:
            continue
        if commune and (a["commune"][i] < 0 or codes[a["commune"][i]] != commune):
            continue
        if stop and stop not in {stops[k] for k in a["stops"][i]}:
            continue
        hay = fold(a["name"][i] + " " + a["desc"][i])
        if any(w not in hay for w in words):
            continue
        n += 1
        located += a["lat"][i] is not None
    return n, located


@pytest.fixture(scope="module")
def site(tmp_path_factory, http_root) -> dict[str, Any]:
    """The same small page written to a plain folder (file://) and to the served folder."""
    folder = tmp_path_factory.mktemp("site")
    payload = _build(folder, N_SMALL, seed=7, new_ids=_new_ids(N_SMALL, 7))
    root, base = http_root
    shutil.copytree(folder, root, dirs_exist_ok=True)
    return {"payload": payload, "file": (folder / "index.html").as_uri(), "http": base + "index.html"}


def _wait(page: Any) -> None:
    page.wait_for_function(f"() => window.SafiMap && {APP} && {APP}.settled()", timeout=30_000)


_DRAWN = """() => {
  const pane = document.querySelector('.leaflet-marker-pane');
  let total = pane.querySelectorAll('.safi-marker').length;
  pane.querySelectorAll('.safi-cluster [data-count]').forEach((e) => { total += Number(e.dataset.count); });
  return total;
}"""


def _drawn(page: Any) -> int:
    """Actors drawn on the map, read from the DOM: single markers plus the counts of clusters."""
    total = page.evaluate(_DRAWN)
    assert total == page.evaluate(f"() => {APP}.drawn().total")
    return total


def _shown(page: Any) -> tuple[int, int, int]:
    """(actors drawn on the map, directory count, panel count) as the page shows them.

    The views used here show the whole region, so every located matching actor is drawn.
    """
    _wait(page)
    markers = _drawn(page)
    directory = int(page.get_attribute(".safi-dir-count", "data-count"))
    panel = int(page.get_attribute(".safi-count", "data-count"))
    return markers, directory, panel


def _clean(watch: Any) -> None:
    assert watch.dialogs == [], f"a dialog fired: {watch.dialogs}"
    assert watch.real_errors() == []


@pytest.mark.parametrize("where", ["file", "http"])
def test_markers_appear_offline(offline_page, site, where):
    page, watch = offline_page
    page.goto(site[where])
    n, located = expected(site["payload"])
    assert _shown(page) == (located, n, n)
    assert located < n  # some actors have no location: they are in the directory only
    assert page.locator(".safi-cluster").count() > 0
    # Lightweight: a few dozen markers for the whole region, not one per actor.
    assert page.locator(".leaflet-marker-pane > *").count() < located / 3
    assert page.locator(".safi-list > li").count() == 20
    # Choropleth and department outlines are drawn from local data (no tiles needed).
    # (communes on a canvas, 900+ polygons; the six departments as SVG outlines).
    assert page.evaluate(f"() => {APP}.choropleth.getLayers().length") > 900
    assert page.locator(".leaflet-overlay-pane canvas").count() == 1
    assert page.locator(".leaflet-overlay-pane svg path").count() >= 6
    _clean(watch)


@pytest.mark.parametrize(
    ("action", "criteria"),
    [
        (lambda p: p.check("input[name=theme][value=sante]"), {"themes": ["sante"]}),
        (lambda p: p.check("input[name=legal][value=association]"), {"legal": ["association"]}),
        (lambda p: p.fill("#safi-commune", "Toulon (83)"), {"commune": "83137"}),
        (lambda p: p.select_option("#safi-stop", "gap"), {"stop": "gap"}),
        (lambda p: p.fill("#safi-q", "EPICERIE"), {"q": "EPICERIE"}),
    ],
    ids=["theme", "legal", "commune", "stop", "text"],
)
def test_each_filter(offline_page, site, action, criteria):
    page, watch = offline_page
    page.goto(site["file"])
    all_n, _ = expected(site["payload"])
    assert _shown(page)[1] == all_n
    action(page)
    key, value = next(iter(criteria.items()))
    page.wait_for_function(
        f"(v) => JSON.stringify({APP}.state.{key}) === JSON.stringify(v)", arg=value, timeout=5_000
    )
    n, located = expected(site["payload"], **criteria)
    assert 0 < n < all_n, "the test data must make this filter selective"
    assert _shown(page) == (located, n, n)
    page.click(".safi-reset")
    assert _shown(page)[1:] == (all_n, all_n)
    _clean(watch)


def test_filters_combine_and_counts_are_live(offline_page, site):
    page, watch = offline_page
    page.goto(site["file"])
    page.check("input[name=theme][value=culture]")
    page.check("input[name=theme][value=sport]")
    page.select_option("#safi-stop", "marseille")
    _wait(page)
    page.wait_for_function(f"() => {APP}.state.stop === 'marseille'")
    crit = {"themes": ["culture", "sport"], "stop": "marseille"}
    n, located = expected(site["payload"], **crit)
    assert _shown(page) == (located, n, n)
    # Live count next to a theme = actors matching the other filters and that theme.
    shown = int(page.get_attribute("input[value=sante] ~ .safi-opt-count", "data-count"))
    assert shown == expected(site["payload"], themes=["sante"], stop="marseille")[0]
    _clean(watch)


def test_url_state_round_trip(offline_page, site):
    page, watch = offline_page
    page.goto(site["file"] + "#t=sante,culture&c=83137&z=9/43.3/6.1")
    _wait(page)
    assert page.evaluate(f"() => {APP}.state.themes") == ["culture", "sante"]
    assert page.is_checked("input[name=theme][value=sante]")
    assert page.input_value("#safi-commune") == "Toulon (83)"
    n, located = expected(site["payload"], themes=["sante", "culture"], commune="83137")
    assert _shown(page) == (located, n, n)
    assert page.evaluate(f"() => {APP}.map.getZoom()") == 9
    # A change goes into the hash (a new history entry) ...
    page.uncheck("input[name=theme][value=culture]")
    page.wait_for_function("() => location.hash.indexOf('t=sante&') === 1")
    n2, located2 = expected(site["payload"], themes=["sante"], commune="83137")
    assert _shown(page) == (located2, n2, n2)
    # ... and back restores the previous state.
    page.go_back()
    page.wait_for_function(f"() => {APP}.state.themes.length === 2", timeout=5_000)
    assert _shown(page) == (located, n, n)
    assert page.is_checked("input[name=theme][value=culture]")
    page.go_forward()
    page.wait_for_function(f"() => {APP}.state.themes.length === 1", timeout=5_000)
    _clean(watch)


def test_selected_actor_in_url_and_hostile_text_is_inert(offline_page, site):
    page, watch = offline_page
    hostile_id = "syn-07-000000"  # first synthetic actor: HOSTILE_NAMES[0]
    payload = site["payload"]
    i = payload["actors"]["id"].index(hostile_id)
    if payload["actors"]["lat"][i] is None:
        pytest.fail("the hostile test actor must have a location")
    page.goto(site["file"] + "#a=" + hostile_id)
    _wait(page)
    title = page.locator(".leaflet-popup .safi-card-title")
    title.wait_for()
    assert title.text_content() == HOSTILE_NAMES[0]
    # Directory: hostile names are shown as text, no element was created from them.
    text = page.locator(".safi-list").text_content()
    assert HOSTILE_NAMES[0] in text
    assert page.evaluate("() => document.querySelectorAll('.safi-list script, .safi-list img, .leaflet-popup script').length") == 0
    # Every link on the page is http(s), mailto, tel, a fragment or a relative page.
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    assert hrefs and not [h for h in hrefs if h.lower().startswith(("javascript:", "data:", "vbscript:"))]
    page.keyboard.press("Escape")
    _clean(watch)


def test_directory_pages_and_show_on_map(offline_page, site):
    page, watch = offline_page
    page.goto(site["http"])
    _wait(page)
    first = page.locator(".safi-list > li h3").first.text_content()
    href = page.locator(".safi-list > li h3 a").first.get_attribute("href")
    assert href.startswith("acteurs/syn-07-") and href.endswith(".html")
    page.click(".safi-pager button >> nth=1")
    assert page.locator(".safi-list > li h3").first.text_content() != first
    assert page.evaluate("() => document.activeElement.closest('.safi-list') !== null")
    page.locator(".safi-list .safi-show").first.click()
    page.locator(".leaflet-popup .safi-card-title").wait_for()
    page.wait_for_function("() => location.hash.indexOf('a=') >= 0")
    # "Only what is visible on the map": fewer cards once the map is zoomed in.
    page.check(".safi-visible-only input")
    visible = int(page.get_attribute(".safi-dir-count", "data-count"))
    assert visible < expected(site["payload"])[0]
    _clean(watch)


def test_phone_layout_collapses_the_panel(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
    page = context.new_page()
    try:
        page.goto(site["file"])
        _wait(page)
        assert not page.is_visible("#safi-q")
        page.click(".safi-toggle")
        assert page.is_visible("#safi-q")
        assert page.get_attribute(".safi-toggle", "aria-expanded") == "true"
    finally:
        context.close()


def test_two_thousand_actors_gzip_and_inline(offline_page, tmp_path):
    """A larger page, single file with everything inlined (the offline export)."""
    payload = _build(tmp_path, 2000, seed=11, name="big.html", inline_assets=True, actor_url="")
    shutil.rmtree(tmp_path / "assets")  # the single file must not need them
    html = (tmp_path / "big.html").read_text(encoding="utf-8")
    assert 'type="application/gzip"' in html
    page, watch = offline_page
    page.goto((tmp_path / "big.html").as_uri())
    n, located = expected(payload)
    assert _shown(page) == (located, n, n)
    # No new_ids given: no "new since the last stop" filter, no badge.
    assert page.locator("input[name=new]").count() == 0
    assert page.locator(".safi-new").count() == 0
    # No site to link to: names are plain headings, not links to nowhere.
    assert page.locator(".safi-list h3 a").count() == 0
    assert page.locator(".safi-list h3").count() == 20
    page.check("input[name=theme][value=mobilite]")
    page.wait_for_function(f"() => {APP}.state.themes.length === 1")
    n2, located2 = expected(payload, themes=["mobilite"])
    assert _shown(page) == (located2, n2, n2)
    _clean(watch)


def _largest_cluster(page: Any) -> int:
    counts = page.evaluate(
        "() => Array.from(document.querySelectorAll('.safi-cluster [data-count]')).map(e => Number(e.dataset.count))"
    )
    return max(range(len(counts)), key=counts.__getitem__), max(counts)


def test_cluster_click_zooms_to_its_actors(offline_page, site):
    page, watch = offline_page
    page.goto(site["file"] + "#z=8/43.95/6.05")
    _wait(page)
    k, size = _largest_cluster(page)
    z0 = page.evaluate(f"() => {APP}.map.getZoom()")
    # With the keyboard (the marker is focusable; Enter is a click for Leaflet).
    page.locator(".safi-cluster").nth(k).focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"(z) => {APP}.map.getZoom() > z", arg=z0, timeout=5_000)
    page.wait_for_timeout(400)  # zoom animation, then redraw on moveend
    # Every actor of the clicked cluster is still on screen, now split into smaller groups.
    assert _drawn(page) >= size
    counts = page.evaluate(
        "() => Array.from(document.querySelectorAll('.safi-cluster [data-count]')).map(e => Number(e.dataset.count))"
    )
    assert all(c < size for c in counts)
    assert page.locator(".leaflet-popup").count() == 0
    _clean(watch)


def test_actors_at_the_same_place_are_listed(offline_page, tmp_path):
    """Actors placed on the same point (a commune centroid) cannot be split by zooming: a
    cluster there lists them in a popup, reachable with the keyboard."""
    actors = synthetic_actors(60, seed=5)
    same = actors.index[10:16]
    actors.loc[same, "latitude"] = 43.5297
    actors.loc[same, "longitude"] = 5.4474
    actors.loc[same, "geometry"] = gpd.points_from_xy([5.4474] * len(same), [43.5297] * len(same))
    payload = _build(tmp_path, 0, 0, actors=actors)
    a = payload["actors"]
    here = [i for i in range(a["n"]) if (a["lat"][i], a["lon"][i]) == (4352970, 544740)]
    names = sorted((a["name"][i] for i in here), key=fold)
    assert len(names) >= 4  # the public, located ones among the six
    page, watch = offline_page
    page.goto((tmp_path / "index.html").as_uri() + "#z=17/43.5297/5.4474")
    _wait(page)
    cluster = page.locator(".safi-cluster", has=page.locator(f"[data-count='{len(names)}']"))
    assert cluster.count() == 1
    cluster.click()
    items = page.locator(".leaflet-popup .safi-cluster-list li button")
    items.first.wait_for()
    assert sorted(items.all_text_contents(), key=fold) == names
    assert page.evaluate(f"() => {APP}.map.getZoom()") == 17  # listed, not zoomed
    assert page.evaluate("() => document.activeElement.closest('.safi-cluster-list') !== null")
    items.nth(2).click()
    title = page.locator(".leaflet-popup .safi-card-title")
    title.wait_for()
    assert title.text_content() in names
    page.wait_for_function("() => location.hash.indexOf('a=') >= 0")
    _clean(watch)


def test_new_since_last_stop(offline_page, site):
    page, watch = offline_page
    payload = site["payload"]
    new_rows = payload["actors"]["new"]
    page.goto(site["file"])
    all_n, _ = expected(payload)
    assert _shown(page)[1] == all_n
    label = page.locator("label.safi-new-only")
    assert "Nouveaux depuis la dernière étape" in label.text_content()
    assert int(label.locator(".safi-opt-count").get_attribute("data-count")) == len(new_rows)
    # Badges on the cards of the first page of the directory: exactly the new actors there.
    first_page = [i for i in range(20)]
    assert page.locator(".safi-list .safi-new").count() == len(set(first_page) & set(new_rows))
    page.check("input[name=new]")
    page.wait_for_function(f"() => {APP}.state.n === true")
    n, located = expected(payload, new=True)
    assert (n, 0 < located < n) == (len(new_rows), True)
    assert _shown(page) == (located, n, n)
    assert page.locator(".safi-list > li").count() == min(20, n)
    assert page.locator(".safi-list > li .safi-new").count() == min(20, n)
    page.wait_for_function("() => /(^#|&)n=1(&|$)/.test(location.hash)")
    # Combined with a theme (AND); the theme's live count is new actors of that theme.
    theme_count = int(page.get_attribute("input[value=sante] ~ .safi-opt-count", "data-count"))
    assert theme_count == expected(payload, new=True, themes=["sante"])[0]
    page.check("input[name=theme][value=sante]")
    page.wait_for_function(f"() => {APP}.state.themes.length === 1")
    n2, located2 = expected(payload, new=True, themes=["sante"])
    assert 0 < n2 < n
    assert _shown(page) == (located2, n2, n2)
    # The URL brings it back, and the popup of a new actor carries the badge.
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    _wait(page)
    assert page.is_checked("input[name=new]") and page.is_checked("input[name=theme][value=sante]")
    assert _shown(page) == (located2, n2, n2)
    page.locator(".safi-list .safi-show").first.click()
    page.locator(".leaflet-popup .safi-card-title .safi-new").wait_for()
    page.click(".safi-reset")
    assert _shown(page)[1:] == (all_n, all_n)
    assert not page.is_checked("input[name=new]")
    assert "n=1" not in page.evaluate("() => location.hash")
    _clean(watch)


_GRID = """([pts, cell, box, merge]) => {
  const n = pts.length, x = new Float64Array(n), y = new Float64Array(n), idx = new Int32Array(n);
  pts.forEach((p, i) => { x[i] = p[0]; y[i] = p[1]; idx[i] = i; });
  const r = SafiCluster.grid(x, y, idx, n, cell, box, new Int32Array(n), merge);
  const out = [];
  for (let i = 0; i < r.count; i++) {
    if (r.size[i] === 0) { continue; }
    if (r.size[i] !== SafiCluster.members(r, i).length) { throw new Error('size'); }
    out.push({members: SafiCluster.members(r, i), cx: r.cx[i], cy: r.cy[i],
              ext: [r.x0[i], r.y0[i], r.x1[i], r.y1[i]]});
  }
  return out;
}"""


def test_grid_clustering_groups_points_by_cell(offline_page, site):
    """The clusterer alone, on random points, checked against a grid computed in Python."""
    import math
    import random

    page, watch = offline_page
    page.goto(site["file"])
    _wait(page)
    rng = random.Random(4)
    pts = [(rng.random(), rng.random()) for _ in range(3000)] + [(0.25, 0.75)] * 7
    cell, box = 1 / 16, [0.1, 0.0, 0.9, 1.0]
    clusters = page.evaluate(_GRID, [pts, cell, box, 0])
    want: dict[tuple[int, int], list[int]] = {}
    for i, (px, py) in enumerate(pts):
        if box[0] <= px <= box[2] and box[1] <= py <= box[3]:
            want.setdefault((math.floor(px / cell), math.floor(py / cell)), []).append(i)
    assert sorted(c["members"] for c in clusters) == sorted(want.values())
    for c in clusters:
        xs = [pts[i][0] for i in c["members"]]
        ys = [pts[i][1] for i in c["members"]]
        assert c["cx"] == pytest.approx(sum(xs) / len(xs)) and c["cy"] == pytest.approx(sum(ys) / len(ys))
        assert c["ext"] == pytest.approx([min(xs), min(ys), max(xs), max(ys)])
    same = next(c for c in clusters if 3000 in c["members"])
    assert set(range(3000, 3007)) <= set(same["members"])
    # Merging neighbours: still a partition of the same points, fewer clusters, each with its
    # true centroid and extent.
    merged = page.evaluate(_GRID, [pts, cell, box, 0.75 * cell])
    assert sorted(i for c in merged for i in c["members"]) == sorted(i for c in clusters for i in c["members"])
    assert len(merged) < len(clusters)
    for c in merged:
        xs = [pts[i][0] for i in c["members"]]
        ys = [pts[i][1] for i in c["members"]]
        assert c["cx"] == pytest.approx(sum(xs) / len(xs)) and c["cy"] == pytest.approx(sum(ys) / len(ys))
        assert c["ext"] == pytest.approx([min(xs), min(ys), max(xs), max(ys)])
    # Web-Mercator projection matches Leaflet's (EPSG:3857 at zoom 0, 256 px).
    got = page.evaluate(
        "() => [SafiCluster.projectX(5.4474) * 256, SafiCluster.projectY(43.5297) * 256,"
        " L.CRS.EPSG3857.latLngToPoint(L.latLng(43.5297, 5.4474), 0).x,"
        " L.CRS.EPSG3857.latLngToPoint(L.latLng(43.5297, 5.4474), 0).y]"
    )
    assert got[0] == pytest.approx(got[2]) and got[1] == pytest.approx(got[3])
    _clean(watch)
