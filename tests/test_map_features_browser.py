"""The map's controls in headless Chromium: commune fit, legend/layers menu, places shared by
several actors, "Près de moi", "Télécharger la sélection", keyboard use of popups.

Expected values are computed here in Python from the actors given to the page (distances with
the haversine formula, the CSV neutralisation rule of :mod:`safi_map.core.csvsafe`), not read back
from the page's own JavaScript.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from safi_map.core.csvsafe import neutralise
from safi_map.map import render as maps
from safi_map.model.public import public_actors
from safi_map.model.synthetic import SYNTHETIC_STOPS, synthetic_actors, synthetic_taxonomy

pytestmark = pytest.mark.browser

APP = "SafiMap.apps[0]"
FORMULA_NAME = '=HYPERLINK("https://evil.example","Cliquez")'
FORMULA_PHONE = "+33 4 90 00 00 00"
ISOLATED = (44.2712, 6.6201)  # a mountain point far from the synthetic actors' towns


def _actors() -> gpd.GeoDataFrame:
    actors = synthetic_actors(240, seed=11)
    # A name and a phone a spreadsheet would run as formulas (the phone's actor consented).
    actors.loc[actors.index[0], "name"] = FORMULA_NAME
    actors.loc[actors.index[1], ["phone", "contact_consent"]] = [FORMULA_PHONE, True]
    # Six actors geocoded to the same (commune) point, alone in their area.
    same = actors.index[20:26]
    actors.loc[same, "latitude"] = ISOLATED[0]
    actors.loc[same, "longitude"] = ISOLATED[1]
    actors.loc[same, "geometry"] = gpd.points_from_xy([ISOLATED[1]] * 6, [ISOLATED[0]] * 6)
    return actors


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("features")
    actors = _actors()
    tax, tour = synthetic_taxonomy(), list(SYNTHETIC_STOPS)
    page = maps.render_map_page(actors, taxonomy=tax, tour=tour, title="Carte des acteurs")
    maps.copy_assets(folder / "assets")
    (folder / "index.html").write_text(page, encoding="utf-8")
    return {
        "url": (folder / "index.html").as_uri(),
        "actors": actors,
        "public": public_actors(actors),
        "payload": maps.map_payload(actors, taxonomy=tax, tour=tour),
    }


def _open(browser: Any, url: str, *, viewport: dict[str, int] | None = None,
          geolocation: dict[str, float] | None = None) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800},
                                  locale="fr-FR", accept_downloads=True)
    if geolocation is not None:
        context.grant_permissions(["geolocation"])
        context.set_geolocation(geolocation)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file://", "data:", "blob:")) else r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function(f"() => window.SafiMap && {APP} && {APP}.settled()", timeout=30_000)
    return context, page, errors


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 12742 * math.asin(min(1.0, math.sqrt(h)))


def _french_distance(d: float) -> str:
    if d < 1:
        return f"à {max(10, round(d * 100) * 10)}\u00a0m"
    if d < 10:
        return f"à {round(d * 10) / 10:.1f}\u00a0km".replace(".", ",").replace(",0\u00a0", "\u00a0")
    return f"à {round(d)}\u00a0km"


# ---------------------------------------------------------------------------------------------
# Filters move the map; legend and layers menu; a place shared by several actors
# ---------------------------------------------------------------------------------------------

def test_choosing_a_commune_fits_the_map_to_its_actors(browser, built):
    context, page, errors = _open(browser, built["url"])
    try:
        p = built["payload"]
        a = p["actors"]
        # The commune with the most located actors, away from the start view's centre.
        counts: dict[int, int] = {}
        for i in range(a["n"]):
            if a["lat"][i] is not None and a["commune"][i] >= 0:
                counts[a["commune"][i]] = counts.get(a["commune"][i], 0) + 1
        k = max(counts, key=lambda c: (counts[c], -c))
        commune = p["communes"][k]
        pts = [(a["lat"][i] / 1e5, a["lon"][i] / 1e5) for i in range(a["n"])
               if a["commune"][i] == k and a["lat"][i] is not None]
        before = page.evaluate(f"() => {APP}.map.getZoom()")
        page.fill("#safi-commune", f"{commune['name']} ({commune['dep']})")
        page.dispatch_event("#safi-commune", "change")
        page.wait_for_function(f"() => {APP}.state.commune === {json.dumps(commune['code'])}")
        bounds = page.evaluate(f"""() => {{ const b = {APP}.map.getBounds();
            return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }}""")
        s, w, n, e = bounds
        assert all(s <= la <= n and w <= lo <= e for la, lo in pts)
        assert page.evaluate(f"() => {APP}.map.getZoom()") > before
        # The view is about the commune: much smaller than the region.
        assert (n - s) < 1.0 and (e - w) < 1.5
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_legend_and_layers_menu_are_exclusive(browser, built, viewport):
    context, page, errors = _open(browser, built["url"], viewport=viewport)
    try:
        legend_open = "() => document.querySelector('.safi-legend details').open"
        if not page.evaluate(legend_open):
            page.locator(".safi-legend summary").click()
        assert page.evaluate(legend_open)
        page.locator(".leaflet-control-layers-toggle").focus()  # keyboard opens the menu too
        page.locator(".leaflet-control-layers").hover()
        page.wait_for_selector(".leaflet-control-layers-expanded")
        assert not page.evaluate(legend_open)
        page.locator(".safi-legend summary").click()
        assert page.evaluate(legend_open)
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        assert errors == []
    finally:
        context.close()


def test_popup_close_button_is_never_under_a_control(browser, built):
    """On a phone, with the legend open, an actor's popup: its close button is reachable."""
    context, page, errors = _open(browser, built["url"], viewport={"width": 390, "height": 844})
    try:
        page.locator(".safi-legend summary").click()
        page.evaluate(f"() => {{ const app = {APP}; for (let i = 0; i < app.n; i++) "
                      "if (app.hasLoc[i]) { app.focusActor(i); return; } }")
        page.wait_for_selector(".leaflet-popup-close-button")
        page.wait_for_timeout(400)  # autopan
        hit = page.evaluate("""() => {
          const b = document.querySelector('.leaflet-popup-close-button').getBoundingClientRect();
          const el = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
          return el && el.closest('.leaflet-popup-close-button') !== null;
        }""")
        assert hit
        scale_hit = page.evaluate("""() => {
          const b = document.querySelector('.leaflet-control-scale-line').getBoundingClientRect();
          const el = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
          return el && el.closest('.leaflet-control-scale') !== null;
        }""")
        assert scale_hit, "the scale bar is hidden by another control"
        assert errors == []
    finally:
        context.close()


def test_actors_at_one_point_are_one_marker_with_their_count(browser, built):
    """At a commune-level zoom, six actors geocoded to the same point are one marker saying 6
    (among the public, located ones) that opens their list, without zooming."""
    a = built["payload"]["actors"]
    here = sorted(a["name"][i] for i in range(a["n"])
                  if (a["lat"][i], a["lon"][i]) == (round(ISOLATED[0] * 1e5), round(ISOLATED[1] * 1e5)))
    assert len(here) >= 4
    context, page, errors = _open(browser, built["url"] + f"#z=11/{ISOLATED[0]}/{ISOLATED[1]}")
    try:
        marker = page.locator(f".safi-cluster:has([data-count='{len(here)}'])")
        assert marker.count() == 1
        marker.focus()
        page.keyboard.press("Enter")
        items = page.locator(".leaflet-popup .safi-cluster-list li button")
        items.first.wait_for()
        assert sorted(items.all_text_contents()) == here
        assert page.evaluate(f"() => {APP}.map.getZoom()") == 11
        assert errors == []
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Keyboard
# ---------------------------------------------------------------------------------------------

def test_popup_from_the_directory_with_the_keyboard(browser, built):
    """Tab to "Voir sur la carte", Enter opens the popup with the focus on its title, Escape
    closes it and gives the focus back to the button."""
    context, page, errors = _open(browser, built["url"])
    try:
        show = page.locator("#safi-directory .safi-list .safi-show").first
        show.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-popup .safi-card-title")
        assert page.evaluate("() => document.activeElement.classList.contains('safi-card-title')")
        page.keyboard.press("Tab")  # into the card's links
        assert page.evaluate("() => document.activeElement.closest('.leaflet-popup') !== null")
        page.keyboard.press("Escape")
        page.wait_for_selector(".leaflet-popup", state="detached")
        assert page.evaluate("() => document.activeElement.classList.contains('safi-show')")
        assert page.evaluate(f"() => {APP}.selected") == -1
        assert errors == []
    finally:
        context.close()


def test_filters_with_the_keyboard_alone(browser, built):
    """From the search field, Tab reaches the theme boxes; Space ticks one and the map, the
    counts and the directory follow; the reset button is reachable and works with Enter."""
    context, page, errors = _open(browser, built["url"])
    try:
        page.locator("#safi-q").focus()
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.name === 'theme'"):
                break
        slug = page.evaluate("() => document.activeElement.value")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => {APP}.state.themes.length === 1")
        assert page.evaluate(f"() => {APP}.state.themes[0]") == slug
        n = page.evaluate(f"() => {APP}.matchCount")
        assert int(page.get_attribute(".safi-dir-count", "data-count")) == n < built["payload"]["actors"]["n"]
        page.locator(".safi-filters .safi-reset").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => {APP}.state.themes.length === 0")
        assert errors == []
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# "Près de moi"
# ---------------------------------------------------------------------------------------------

def _directory(page: Any) -> list[tuple[str, str]]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#safi-directory .safi-list > li'))
        .map(li => [li.querySelector('.safi-card-title').textContent,
                    (li.querySelector('.safi-distance') || {textContent: ''}).textContent])""")


def _nearest(built: dict[str, Any], origin: tuple[float, float], k: int) -> list[tuple[str, str]]:
    a = built["payload"]["actors"]
    rows = [(_km(origin, (a["lat"][i] / 1e5, a["lon"][i] / 1e5)), i) for i in range(a["n"])
            if a["lat"][i] is not None]
    rows.sort()
    return [(a["name"][i], _french_distance(d)) for d, i in rows[:k]]


def test_near_me_sorts_the_directory_by_distance(browser, built):
    me = {"latitude": 43.2965, "longitude": 5.3698}  # Marseille, Vieux-Port
    context, page, errors = _open(browser, built["url"], geolocation=me)
    try:
        page.locator(".safi-near-locate").click()
        page.wait_for_selector(".safi-distance")
        got = _directory(page)
        want = _nearest(built, (me["latitude"], me["longitude"]), len(got))
        assert [name for name, _ in got] == [name for name, _ in want]
        assert [d for _, d in got] == [d for _, d in want]
        assert all(d.startswith("à ") for _, d in got)
        # The map moved to the visitor and the nearest actors.
        inside = page.evaluate(f"""() => {APP}.map.getBounds().contains([{me['latitude']}, {me['longitude']}])""")
        assert inside and page.evaluate(f"() => {APP}.map.getZoom()") >= 10
        assert "distance" in page.locator(".safi-near-msg").text_content()
        # The position is not written into the URL.
        assert "43.29" not in page.evaluate("() => location.hash").split("z=")[0]
        page.locator(".safi-near-clear").click()
        assert page.locator(".safi-distance").count() == 0
        assert errors == []
    finally:
        context.close()


def test_near_me_refused_then_a_commune(browser, built):
    """No permission: a French message, the focus on the commune field; a commune typed there
    (any commune of the region, from the outlines shipped with the page) sorts the directory."""
    context, page, errors = _open(browser, built["url"])  # geolocation not granted
    try:
        page.locator(".safi-near-locate").click()
        page.wait_for_function("() => document.activeElement.id === 'safi-near-commune'",
                               timeout=20_000)
        assert "refusée" in page.locator(".safi-near-msg").text_content()
        options = page.evaluate("() => document.querySelectorAll('#safi-near-communes option').length")
        assert options > 900  # every PACA commune, not only those with actors
        page.fill("#safi-near-commune", "Barcelonnette (04)")
        page.keyboard.press("Enter")
        page.wait_for_selector(".safi-distance")
        origin = page.evaluate(f"() => [{APP}.near.origin.lat, {APP}.near.origin.lon]")
        assert _km(tuple(origin), (44.387, 6.652)) < 3  # the commune's own area
        got = _directory(page)
        assert [tuple(r) for r in got] == _nearest(built, tuple(origin), len(got))
        assert errors == []
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# "Télécharger la sélection"
# ---------------------------------------------------------------------------------------------

def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).click()
    return Path(info.value.path()).read_bytes()


def test_download_the_selection_as_csv_and_geojson(browser, built):
    context, page, errors = _open(browser, built["url"])
    try:
        theme = built["payload"]["themes"][0]["slug"]
        page.locator(f".safi-themes input[value='{theme}']").check()
        page.wait_for_function(f"() => {APP}.state.themes.length === 1")
        selected = page.evaluate(f"() => {APP}.matchCount")
        pub = built["public"]
        want_ids = {str(r.actor_id) for r in pub.itertuples() if theme in list(r.themes or [])
                    or (theme == "autre" and not list(r.themes or []))}
        assert selected == len(want_ids) > 0

        raw = _download(page, ".safi-download-csv")
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
        assert len(rows) == selected
        assert {r["actor_id"] for r in rows} == want_ids
        assert set(rows[0]) == {"actor_id", "name", "legal_form", "themes", "description",
                                "commune", "insee_code", "department", "latitude", "longitude",
                                "website", "email", "phone", "stops"}
        # Only public fields: e-mail and phone only of the actors who consented.
        consent = dict(zip(pub["actor_id"].astype(str), pub["contact_consent"], strict=True))
        for r in rows:
            if not consent[r["actor_id"]]:
                assert r["email"] == "" and r["phone"] == ""
        hidden = {str(e) for e, c in zip(built["actors"]["email"], built["actors"]["contact_consent"],
                                          strict=True) if not c and e}
        text = raw.decode("utf-8-sig")
        assert hidden and not any(e in text for e in hidden)
        # Text cells neutralised with the rule of safi_map.core.csvsafe; coordinates stay numbers.
        for r in rows:
            for col in ("actor_id", "name", "description", "commune", "phone", "email", "website"):
                assert not r[col].startswith(("=", "+", "-", "@", "\t", "\r")), (col, r[col])
            if r["latitude"]:
                float(r["latitude"])
                float(r["longitude"])

        page.locator(".safi-filters .safi-reset").click()
        page.wait_for_function(f"() => {APP}.state.themes.length === 0")
        everything = list(csv.DictReader(io.StringIO(
            _download(page, ".safi-download-csv").decode("utf-8-sig"), newline=""), delimiter=";"))
        by_name = {r["name"]: r for r in everything}
        assert neutralise(FORMULA_NAME) in by_name  # '=HYPERLINK(...) shown as text
        assert any(r["phone"] == neutralise(FORMULA_PHONE) for r in everything)

        page.locator(f".safi-themes input[value='{theme}']").check()
        page.wait_for_function(f"() => {APP}.state.themes.length === 1")
        gj = json.loads(_download(page, ".safi-download-geojson"))
        assert gj["type"] == "FeatureCollection" and len(gj["features"]) == selected
        located = [f for f in gj["features"] if f["geometry"]]
        assert located and all(f["geometry"]["type"] == "Point" for f in located)
        for f in gj["features"]:
            if not consent[f["properties"]["actor_id"]]:
                assert f["properties"]["email"] == "" and f["properties"]["phone"] == ""
        assert errors == []
    finally:
        context.close()


def test_offline_single_file_has_every_control(browser, tmp_path):
    """The export's single file (scripts inlined, CSP by hash) runs every control."""
    actors = synthetic_actors(80, seed=4)
    page_html = maps.render_map_page(actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS),
                                     title="Hors ligne", inline_assets=True)
    assert '<script src="' not in page_html
    (tmp_path / "carte.html").write_text(page_html, encoding="utf-8")
    context, page, errors = _open(browser, (tmp_path / "carte.html").as_uri())
    try:
        for selector in (".safi-filters", ".safi-legend", ".leaflet-control-layers", ".safi-near",
                         ".safi-downloads", "#safi-directory .safi-list > li"):
            assert page.locator(selector).count() >= 1, selector
        text = _download(page, ".safi-download-csv").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
        assert len(rows) == page.evaluate(f"() => {APP}.matchCount") == 80
        assert errors == []
    finally:
        context.close()


def test_mini_map_shows_actors_at_one_point_as_one_counted_marker(browser, tmp_path):
    """The small maps of commune, stop and actor pages (static/site/minimap.js): six actors on
    the commune's point are one marker saying 6, whose popup lists them (names as text)."""
    from importlib import resources

    maps.copy_assets(tmp_path / "assets")
    script = (resources.files("safi_map") / "resources" / "static" / "site" / "minimap.js").read_text(
        encoding="utf-8")
    (tmp_path / "minimap.js").write_text(script, encoding="utf-8")
    names = ["<img src=x onerror=alert(1)>", *(f"Structure {k}" for k in range(1, 6))]
    points = [{"lat": 43.1242, "lon": 5.928, "name": n, "url": f"acteurs/{k}.html", "colour": "#e41a1c",
               "current": k == 0} for k, n in enumerate(names)]
    points.append({"lat": 43.14, "lon": 5.95, "name": "Ailleurs", "url": "acteurs/x.html",
                   "colour": "#377eb8", "current": False})
    data = json.dumps({"points": points}).replace("<", "\\u003c")
    (tmp_path / "commune.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="assets/leaflet/leaflet.css"></head><body>'
        '<div id="minimap" style="height:300px;width:400px"></div>'
        f'<script type="application/json" id="minimap-data">{data}</script>'
        '<script src="assets/leaflet/leaflet.js"></script><script src="minimap.js"></script>'
        "</body></html>", encoding="utf-8")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((tmp_path / "commune.html").as_uri())
        counted = page.locator(".minimap-count")
        counted.wait_for()
        assert counted.count() == 1 and counted.text_content() == "6"
        assert "minimap-count-current" in counted.get_attribute("class")  # the page's actor is there
        assert page.locator("path.leaflet-interactive").count() == 1  # the actor elsewhere
        counted.click()
        items = page.locator(".leaflet-popup .minimap-tip li")
        items.first.wait_for()
        assert sorted(items.all_text_contents()) == sorted(names)
        assert page.locator("img[src=x]").count() == 0
        assert errors == []
    finally:
        context.close()


def test_a_page_of_one_commune_opens_on_its_actors(browser, tmp_path):
    """An export of one commune (few actors in a small area) opens on them, not on the region."""
    actors = synthetic_actors(600, seed=9)
    near = actors[(actors["latitude"] - 43.125).abs().lt(0.05) & (actors["longitude"] - 5.93).abs().lt(0.08)]
    assert len(near) >= 3
    page_html = maps.render_map_page(near, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS),
                                     title="Toulon", inline_assets=True)
    (tmp_path / "toulon.html").write_text(page_html, encoding="utf-8")
    context, page, errors = _open(browser, (tmp_path / "toulon.html").as_uri())
    try:
        zoom = page.evaluate(f"() => {APP}.map.getZoom()")
        inside = page.evaluate(f"""() => {{ const app = {APP}, b = app.map.getBounds();
            for (let i = 0; i < app.n; i++) if (app.hasLoc[i] && !b.contains([app.lat[i], app.lon[i]])) return false;
            return true; }}""")
        assert inside and zoom >= 10
        assert errors == []
    finally:
        context.close()


def test_open_now_filter_keeps_the_actors_open_at_that_time(browser, built):
    """"Ouvert maintenant" at a fixed clock (a Tuesday, 15:00 in France): the actors it keeps are
    those whose opening hours say open then, evaluated here by opening-hours-py."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from safi_map.core.hours import is_open_at

    when = dt.datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))
    a = built["payload"]["actors"]
    hours = dict(zip(built["public"]["actor_id"], built["public"]["opening_hours"], strict=True))
    expected = sorted(a["id"][i] for i, _week in a["hours"]
                      if is_open_at(hours[a["id"][i]], when.replace(tzinfo=None)))
    assert 0 < len(expected) < a["n"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file://", "data:", "blob:")) else r.abort())
    page = context.new_page()
    try:
        page.clock.set_fixed_time(when)
        page.goto(built["url"])
        page.wait_for_function(f"() => window.SafiMap && {APP} && {APP}.settled()",
                               timeout=30_000)
        box = page.locator(".safi-open-only input")
        assert page.locator(".safi-open-only").inner_text().startswith("Ouvert maintenant")
        count = int(page.locator(".safi-open-only .safi-opt-count").get_attribute("data-count"))
        assert count == len(expected)
        box.check()
        page.wait_for_function(f"() => {APP}.state.o === true")
        kept = page.evaluate(f"""() => {{ const app = {APP}, out = [];
            for (let i = 0; i < app.n; i++) {{ if (app.match[i]) out.push(app.ids[i]); }}
            return out.sort(); }}""")
        assert kept == expected
        assert "o=1" in page.evaluate("() => window.location.hash")
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Descriptions and contacts: a second data block, decoded once the map is ready
# ---------------------------------------------------------------------------------------------

def test_details_arrive_after_ready_and_fill_the_open_card_and_the_search(browser, built):
    public = built["public"].reset_index(drop=True)
    pick = next(i for i in range(len(public)) if len(str(public.loc[i, "description"])) > 20
                and public.loc[i, "latitude"] == public.loc[i, "latitude"]
                and public.loc[i, "name"] != FORMULA_NAME)
    actor_id, description = public.loc[pick, "actor_id"], str(public.loc[pick, "description"])
    # a word of the description that is in no actor's name: found only through the details
    word = next(w for w in description[:100].split() if len(w) > 6 and w.isalpha()
                and not public["name"].str.contains(w, case=False, regex=False).any())
    context, page, errors = _open(browser, f"{built['url']}#a={actor_id}&q={word}")
    try:
        timings = page.evaluate(f"() => {APP}.timings")
        assert timings["readySinceNavigation"] <= timings["detailsSinceNavigation"]
        card = page.locator(".leaflet-popup .safi-card")
        assert card.count() == 1
        assert description[:40].split()[0] in card.inner_text()  # the card got its description
        # no name holds the word: the actor matches through its description, read afterwards
        assert page.evaluate(f"() => {APP}.match[{APP}.indexOfId('{actor_id}')]") == 1
        assert not errors
    finally:
        context.close()
