"""Every page type of the site in headless Chromium, at desktop (1280 px) and phone (390×844) widths.

Checks what a visitor sees, not the markup: the page never scrolls sideways
(``scrollWidth <= innerWidth``), no visible control lies under another one (``elementFromPoint``
at its centre returns the control or something inside it), no text is drawn smaller than 12 px
(SVG text measured on screen, after the drawing's scaling). A screenshot of each page type at
each width is written for review into ``$SAFI_SCREENSHOTS`` (default: a pytest temporary folder).

Uses the shared ``browser`` fixture (tests/conftest.py): a browser that cannot start fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from safi_map.core.settings import Settings
from safi_map.model.synthetic import SYNTHETIC_STOPS, synthetic_actors
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import Stop, Tour
from safi_map.site.build import build_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _tour() -> Tour:
    import datetime as dt

    return Tour(stops=tuple(
        Stop(id=s["id"], town=s["town"], insee_code=s["insee_code"],
             date=dt.date.fromisoformat(s["date"]), venue=s["venue"])
        for s in SYNTHETIC_STOPS
    ))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("visual") / "site"
    actors = synthetic_actors(400, seed=3)
    build_site(actors, taxonomy=load_taxonomy(), tour=_tour(),
               settings=Settings(posters=False), out_dir=out, agenda=_agenda(actors))
    return out


def _agenda(actors: Any) -> Any:
    """Events of some actors, past and to come, with long titles (the agenda page and the
    "Rendez-vous" of actor pages are checked like the others)."""
    import datetime as dt

    from safi_map.ingestion.agenda import Agenda, AgendaEvent

    rows = actors.head(6).to_dict("records")
    return Agenda(events=[AgendaEvent(
        id=f"2026-0{k + 1}-0{k}-evt{k}", date=dt.date(2026 + k % 2, k + 1, k + 2),
        title=f"Atelier ouvert à toutes et à tous, numéro {k} : réparer, cuisiner, échanger",
        start=dt.time(9 + k, 30), end=dt.time(12 + k), actor_id=str(r["actor_id"]),
        organiser=str(r["name"]), commune_code=str(r["insee_code"]), commune=str(r["commune"]),
        place="Salle des fêtes, rez-de-chaussée", url="https://example.org/evenement",
        description="Une description assez longue pour passer à la ligne sur un téléphone.")
        for k, r in enumerate(rows)])


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SAFI_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _first(site: Path, folder: str) -> str:
    """The first page of a folder, in name order (deterministic)."""
    return f"{folder}/{sorted(p.name for p in (site / folder).glob('*.html'))[0]}"


PAGES = {
    "carte": lambda s: "index.html",
    "annuaire": lambda s: "annuaire.html",
    "acteur": lambda s: _first(s, "acteurs"),
    "commune": lambda s: _first(s, "communes"),
    "theme": lambda s: _first(s, "themes"),
    "etape": lambda s: _first(s, "etapes"),
    "calendrier": lambda s: "calendrier.html",
    "synergies": lambda s: "synergies.html",
    "diagnostic": lambda s: "diagnostic.html",
    "statistiques": lambda s: "statistiques.html",
    "changements": lambda s: "changes.html",
    "a-propos": lambda s: "a-propos.html",
    "integrer": lambda s: "integrer.html",
    "agenda": lambda s: "agenda.html",
    "accessibilite": lambda s: "accessibilite.html",
}

# Measured in the page: [overflow, covered controls, small texts].
_CHECK = r"""(width) => {
  // On a phone, Chromium widens the layout viewport to the content: compare with the screen.
  const W = Math.min(window.innerWidth, width), H = window.innerHeight;
  const wide = Math.max(document.documentElement.scrollWidth, window.innerWidth);
  const overflow = wide > width ? [`page ${wide} px wide > ${width}`] : [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return null;
    const st = getComputedStyle(e);
    if (st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) return null;
    return r;
  };
  const name = (e) => e ? (e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
      ' "' + (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30) + '"') : 'null';
  const covered = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], .leaflet-control-zoom a, .leaflet-popup-close-button';
  for (const e of document.querySelectorAll(controls)) {
    if (e.closest('.leaflet-marker-pane')) continue;   // markers overlap by nature: not controls
    if (!visible(e)) continue;
    const r = e.getClientRects()[0];   // a link over two lines: its first line, not the gap
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (x < 0 || y < 0 || x >= W || y >= H) continue;   // off screen: not covered by anything
    // Inside a box that clips it (a scrolled table, a closed panel): skip when clipped out.
    const hit = document.elementFromPoint(x, y);
    if (!hit) continue;
    if (hit === e || e.contains(hit)) continue;
    if (hit.tagName === 'LABEL' && (hit.control === e || hit.contains(e))) continue;
    // Clipped by a scrolling ancestor (the hit is that ancestor or inside it, not a control).
    let clip = e.parentElement, clipped = false;
    while (clip) {
      const s = getComputedStyle(clip);
      if (/(auto|scroll|hidden)/.test(s.overflowX + s.overflowY)) {
        const c = clip.getBoundingClientRect();
        if (x < c.left || x > c.right || y < c.top || y > c.bottom) { clipped = true; break; }
      }
      clip = clip.parentElement;
    }
    if (clipped) continue;
    covered.push(`${name(e)} under ${name(hit)}`);
  }
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const e = n.parentElement;
    if (!e || seen.has(e)) continue;
    seen.add(e);
    if (!visible(e)) continue;
    if (e.closest('script, style, noscript, [aria-hidden=true] title')) continue;
    let size = parseFloat(getComputedStyle(e).fontSize);
    if (e instanceof SVGElement && e.getScreenCTM) {
      const m = e.getScreenCTM();
      if (m) size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    }
    if (size < 11.95) small.push(`${name(e)} ${size.toFixed(1)}px`);
  }
  return [overflow, covered, small.slice(0, 20)];
}"""


def _open(browser: Any, site: Path, rel: str, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport, locale="fr-FR",
                                  is_mobile=viewport["width"] < 500,
                                  has_touch=viewport["width"] < 500)

    def route(r: Any) -> None:
        url = r.request.url
        (r.continue_ if url.startswith(("file://", "data:", "blob:")) else r.abort)()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / rel).as_uri())
    page.wait_for_load_state("load")
    if rel == "index.html":
        page.wait_for_function("() => window.SafiMap && SafiMap.apps[0] && SafiMap.apps[0].settled()",
                               timeout=30_000)
    page.wait_for_timeout(150)
    assert errors == [], errors
    return context, page


def _check(page: Any) -> None:
    overflow, covered, small = page.evaluate(_CHECK, page.viewport_size["width"])
    assert overflow == [], overflow
    assert covered == [], covered
    assert small == [], small


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_looks_finished(browser, site, shots, kind, width):
    context, page = _open(browser, site, PAGES[kind](site), WIDTHS[width])
    try:
        page.screenshot(path=str(shots / f"{kind}-{width}.png"), full_page=width == "phone"
                        and kind not in ("carte", "synergies"))
        _check(page)
    finally:
        context.close()


def _open_popup(page: Any) -> None:
    """Open the popup of the first single marker (zooming in until one is drawn)."""
    for _ in range(12):
        if page.locator(".leaflet-marker-pane .safi-marker").count():
            break
        page.evaluate("() => { SafiMap.apps[0].map.zoomIn(1, {animate: false}); }")
        page.wait_for_timeout(200)
    page.evaluate("""() => {
      const m = document.querySelector('.leaflet-marker-pane .safi-marker');
      m.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    }""")
    page.wait_for_selector(".leaflet-popup-close-button", timeout=5_000)
    page.wait_for_timeout(400)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_map_with_popup_and_panels_open(browser, site, shots, width):
    """A popup, the legend and the layers menu: never on top of each other's controls."""
    context, page = _open(browser, site, "index.html", WIDTHS[width])
    try:
        _open_popup(page)
        page.screenshot(path=str(shots / f"carte-popup-{width}.png"))
        _check(page)
        page.locator(".safi-legend summary").click()
        assert page.evaluate("() => document.querySelector('.safi-legend details').open")
        page.locator(".leaflet-control-layers").hover()   # Leaflet opens the menu on hover/focus
        page.wait_for_timeout(200)
        # Exclusive: the layers menu opened, the legend closed.
        assert page.locator(".leaflet-control-layers-expanded").count() == 1
        assert not page.evaluate("() => document.querySelector('.safi-legend details').open")
        page.screenshot(path=str(shots / f"carte-panneaux-{width}.png"))
        _check(page)
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Accessibility: axe-core (bundled in axe-playwright-python, no network) on every page type.
# ---------------------------------------------------------------------------------------------
_WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"]}


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=_WCAG_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                    for n in v["nodes"][:3])
        for v in results.response["violations"] if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_has_no_serious_accessibility_violation(browser, site, kind, width):
    context, page = _open(browser, site, PAGES[kind](site), WIDTHS[width])
    try:
        assert _axe_violations(page) == []
    finally:
        context.close()


def test_map_popup_has_no_serious_accessibility_violation(browser, site):
    context, page = _open(browser, site, "index.html", WIDTHS["desktop"])
    try:
        _open_popup(page)
        assert _axe_violations(page) == []
    finally:
        context.close()


def test_choosing_a_commune_moves_the_map_to_it(browser, site):
    context, page = _open(browser, site, "index.html", WIDTHS["desktop"])
    try:
        before = page.evaluate("() => SafiMap.apps[0].map.getZoom()")
        # The commune with the most located actors, typed as the list offers it.
        text, code = page.evaluate("""() => {
          const app = SafiMap.apps[0], n = new Map();
          for (let i = 0; i < app.n; i++) if (app.hasLoc[i] && app.commune[i] >= 0)
            n.set(app.commune[i], (n.get(app.commune[i]) || 0) + 1);
          const k = [...n.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
          return [document.querySelectorAll('#safi-communes option')[k].value, app.data.communes[k].code];
        }""")
        page.fill("#safi-commune", text)
        page.dispatch_event("#safi-commune", "change")
        page.wait_for_timeout(300)
        inside, zoom = page.evaluate("""(code) => {
          const app = SafiMap.apps[0], k = app.communeIndex[code], b = app.map.getBounds();
          let all = true;
          for (let i = 0; i < app.n; i++) if (app.commune[i] === k && app.hasLoc[i])
            all = all && b.contains([app.lat[i], app.lon[i]]);
          return [all, app.map.getZoom()];
        }""", code)
        assert inside and zoom > before
    finally:
        context.close()
