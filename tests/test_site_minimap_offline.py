"""The small maps of actor, commune and stop pages offline (issue #15): with no tile at all, the
commune outlines around the actor still say where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from safi_map.core.settings import Settings
from safi_map.model.synthetic import synthetic_actors, synthetic_taxonomy, synthetic_tour
from safi_map.site.build import build_site

pytestmark = pytest.mark.browser


def test_an_actor_page_read_offline_draws_the_communes_around_it(browser: Any,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(synthetic_actors(30, seed=5), taxonomy=synthetic_taxonomy(),
               tour=synthetic_tour(), settings=Settings(posters=False), out_dir=out)
    assert (out / "assets" / "site" / "communes.js").read_text("utf-8").startswith(
        "window.SAFI_COMMUNES = ")
    page_path = next(p for p in sorted((out / "acteurs").glob("*.html"))
                     if 'id="minimap"' in p.read_text("utf-8"))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_path.as_uri())
        page.locator("#minimap .leaflet-overlay-pane path").first.wait_for()
        communes = page.evaluate("() => window.SAFI_COMMUNES.features.length")
        assert communes > 900  # the region's communes
        # the departments' fills, then the communes' outlines: far more than six paths
        drawn = page.locator("#minimap .leaflet-overlay-pane path").count()
        assert drawn > 50, drawn
        assert page.locator("#minimap .leaflet-tile-loaded").count() == 0  # nothing from outside
        assert errors == []
    finally:
        context.close()
